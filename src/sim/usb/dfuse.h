/* The ROM's USB DFU bootloader with ST's DfuSe extensions (AN3156): the
 * alternate settings (one a memory), the DFU 1.1 state machine and the
 * DfuSe commands in block 0 (0x21 set address, 0x41 erase / mass erase,
 * 0x92 read unprotect). It uses chip/ for memory, no USB transport: the
 * usbfs part feeds it class requests and sends its replies. */
#ifndef STM32SIM_USB_DFUSE_H
#define STM32SIM_USB_DFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/faults.h"
#include "base/stats.h"
#include "chip/chip.h"

#define SIM_DFU_TRANSFER_SIZE 2048u /* wTransferSize of the ROM (AN3156) */
#define SIM_DFU_MAX_ALTS 4
#define SIM_DFU_ALT_NAME_MAX 160

enum sim_dfu_state {
	SIM_DFU_APP_IDLE, SIM_DFU_APP_DETACH, SIM_DFU_IDLE, SIM_DFU_DNLOAD_SYNC, SIM_DFU_DNBUSY,
	SIM_DFU_DNLOAD_IDLE, SIM_DFU_MANIFEST_SYNC, SIM_DFU_MANIFEST, SIM_DFU_MANIFEST_WAIT_RESET,
	SIM_DFU_UPLOAD_IDLE, SIM_DFU_ERROR, SIM_DFU_STATE_COUNT
};

enum sim_dfu_status {
	SIM_DFU_OK, SIM_DFU_ERR_TARGET, SIM_DFU_ERR_FILE, SIM_DFU_ERR_WRITE, SIM_DFU_ERR_ERASE,
	SIM_DFU_ERR_CHECK_ERASED, SIM_DFU_ERR_PROG, SIM_DFU_ERR_VERIFY, SIM_DFU_ERR_ADDRESS,
	SIM_DFU_ERR_NOTDONE, SIM_DFU_ERR_FIRMWARE, SIM_DFU_ERR_VENDOR, SIM_DFU_ERR_USBR,
	SIM_DFU_ERR_POR, SIM_DFU_ERR_UNKNOWN, SIM_DFU_ERR_STALLEDPKT, SIM_DFU_STATUS_COUNT
};

/* DFU class requests (bRequest). */
enum sim_dfu_request {
	SIM_DFU_DETACH, SIM_DFU_DNLOAD, SIM_DFU_UPLOAD, SIM_DFU_GETSTATUS, SIM_DFU_CLRSTATUS,
	SIM_DFU_GETSTATE, SIM_DFU_ABORT, SIM_DFU_REQUEST_COUNT
};

enum sim_dfu_memory_kind { SIM_DFU_MEM_FLASH, SIM_DFU_MEM_OPTIONS, SIM_DFU_MEM_OTP,
			   SIM_DFU_MEM_FEATURE };

/* One alternate setting: its memory and its iInterface string. */
struct sim_dfu_memory {
	enum sim_dfu_memory_kind kind;
	uint32_t start, size;
	char name[SIM_DFU_ALT_NAME_MAX]; /* "@Internal Flash  /0x08000000/04*016Kg,..." */
};

/* What the emulator counts (the stats file's "dfu" object). */
struct sim_dfu_counts {
	uint64_t requests[SIM_DFU_REQUEST_COUNT];
	uint64_t commands[256];                /* DfuSe command bytes executed */
	uint64_t mass_erase_commands;          /* 0x41 without an address */
	uint64_t states[SIM_DFU_STATE_COUNT];  /* times each state was entered */
	uint64_t errors[SIM_DFU_STATUS_COUNT]; /* dfuERROR entered with this status */
	uint64_t stalls, standard_requests, upload_bytes, download_bytes, resets, leaves;
	uint64_t most_queued; /* control transfers waiting on endpoint 0 at once (usbfs.c) */
};

struct sim_dfu_setup {
	uint8_t request_type, request;
	uint16_t value, index, length;
};

/* The answer to one request. */
struct sim_dfu_reply {
	bool stall;
	size_t length;       /* IN bytes written to data */
	uint64_t ready_at_us; /* 0: at once; else not before (the chip is busy) */
	bool leave;          /* after this reply the device leaves the bus (manifest) */
	bool reset;          /* after this reply the chip resets and re-enumerates */
};

struct sim_dfuse {
	struct sim_chip *chip;
	struct sim_stats *stats;
	struct sim_faults *faults;
	struct sim_dfu_counts counts;
	bool realtime;
	struct sim_dfu_memory memories[SIM_DFU_MAX_ALTS];
	unsigned memory_count;
	unsigned alt;
	enum sim_dfu_state state;
	enum sim_dfu_status status;
	uint32_t address;
	/* The DNLOAD waiting for GETSTATUS to start it. */
	uint16_t block;
	uint8_t pending[SIM_DFU_TRANSFER_SIZE];
	size_t pending_length;
	enum sim_dfu_status outcome; /* of the operation under way */
	uint32_t poll_ms;
	uint64_t busy_until_us;
	bool in_application;
};

void sim_dfuse_init(struct sim_dfuse *dfu, struct sim_chip *chip, struct sim_stats *stats,
		    struct sim_faults *faults, bool realtime);
/* SET_INTERFACE; false when there is no such alternate setting. */
bool sim_dfuse_set_alt(struct sim_dfuse *dfu, unsigned alt);
/* After a reset (USB or chip): dfuIDLE, OK, address at the flash start. */
void sim_dfuse_reset(struct sim_dfuse *dfu);
/* One class request. data holds the OUT stage (setup->length bytes) or
 * receives the IN stage (room for setup->length bytes). */
struct sim_dfu_reply sim_dfuse_request(struct sim_dfuse *dfu, const struct sim_dfu_setup *setup,
				       uint8_t *data, uint64_t now_us);
const char *sim_dfu_state_name(enum sim_dfu_state state);
const char *sim_dfu_status_name(enum sim_dfu_status status);

#endif
