/* DFU 1.1 requests and the DfuSe commands (AN3156) over the USB seam. */
#ifndef STM32BOOT_DFU_PROTO_H
#define STM32BOOT_DFU_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfu/dfu_usb.h"
#include "stm32boot/error.h"

#define DFU_STATE_IDLE 2
#define DFU_STATE_DNBUSY 4
#define DFU_STATE_DNLOAD_IDLE 5
#define DFU_STATE_MANIFEST 7
#define DFU_STATE_UPLOAD_IDLE 9
#define DFU_STATE_ERROR 10
#define DFU_STATUS_ERR_TARGET 0x01
#define DFU_STATUS_ERR_ADDRESS 0x08
#define DFU_STATUS_ERR_VENDOR 0x0B

#define DFUSE_SET_ADDRESS 0x21
#define DFUSE_ERASE 0x41
#define DFUSE_READ_UNPROTECT 0x92

struct dfu_status {
	uint8_t status, state;
	uint32_t poll_ms;
};

/* Where the device's state machine is after our last request, so the next
 * one is sent without a GETSTATUS to ask: dfuIDLE, dfuDNLOAD-IDLE (after a
 * command or a block), dfuUPLOAD-IDLE (after an UPLOAD), or unknown (after
 * a failure: back to dfuIDLE first). */
enum dfu_phase { DFU_PHASE_IDLE, DFU_PHASE_DOWNLOAD, DFU_PHASE_UPLOAD, DFU_PHASE_UNKNOWN };

struct dfu_link {
	struct dfu_usb *usb;
	uint16_t transfer_size;
	unsigned timeout_ms;     /* per transfer */
	unsigned busy_limit_ms;  /* longest a command may keep the chip busy */
	struct dfu_status last;  /* the last GETSTATUS */
	uint32_t polls;          /* GETSTATUS requests sent (for the cost model's tests) */
	enum dfu_phase phase;
	/* Blocks 2 and up of one Set Address Pointer address memory at
	 * pointer + (block - 2) * wTransferSize (AN3156): next_block, when not
	 * 0, is the block that continues the last full-size one. */
	uint32_t pointer;
	uint16_t next_block;
	/* UPLOADs of the blocks after the last full one, started before they
	 * were asked for, oldest first: one always waits on endpoint 0 while
	 * the host takes the other's data. Any other request lets them finish
	 * (and drops them) first. */
	unsigned ahead_count;
	struct dfu_ahead {
		uint32_t address;
		uint16_t block, length;
	} ahead[DFU_USB_MAX_STARTED];
};

/* "errTARGET: address or command not supported" for messages. */
const char *dfu_status_text(uint8_t status);
const char *dfu_state_name(uint8_t state);

enum stm32_status dfu_get_status(struct dfu_link *l, struct dfu_status *out,
				 struct stm32_error *err);
/* Back to dfuIDLE from wherever the device is (dfuERROR: CLRSTATUS, else ABORT). */
enum stm32_status dfu_to_idle(struct dfu_link *l, struct stm32_error *err);
/* DNLOAD then GETSTATUS until the operation ends, honouring bwPollTimeout. A
 * dfuERROR is cleared (CLRSTATUS) and reported with its status worded. */
enum stm32_status dfu_download(struct dfu_link *l, uint16_t block, const uint8_t *data,
			       uint16_t length, struct stm32_error *err);
/* DfuSe command in block 0: 0x21/0x41 with an address, 0x41 / 0x92 alone. */
enum stm32_status dfuse_command(struct dfu_link *l, uint8_t command, bool with_address,
				uint32_t address, struct stm32_error *err);
/* UPLOAD of length bytes at address: the next block when it continues the
 * last full-size UPLOAD, else Set Address Pointer, ABORT and block 2. A
 * full-size block is followed by the UPLOAD of the next one, started at
 * once, when that one ends by memory_end (0: never). */
enum stm32_status dfuse_read(struct dfu_link *l, uint32_t address, uint8_t *data,
			     uint16_t length, uint32_t memory_end, struct stm32_error *err);
/* DNLOAD of length bytes at address, likewise streamed after one pointer. */
enum stm32_status dfuse_write(struct dfu_link *l, uint32_t address, const uint8_t *data,
			      uint16_t length, struct stm32_error *err);
/* DNLOAD of an option-byte block at address: the device applies it and
 * resets (it reloads its option bytes), so the handshake's GETSTATUS may
 * find it gone, which is the expected end. A dfuERROR is reported. */
enum stm32_status dfuse_write_and_reset(struct dfu_link *l, uint32_t address, const uint8_t *data,
					uint16_t length, struct stm32_error *err);
/* Out of dfuUPLOAD-IDLE (ABORT) before SET_INTERFACE or the end. */
void dfu_end_upload(struct dfu_link *l);
/* Leave DFU: pointer to address, zero-length DNLOAD, GETSTATUS (manifest). The
 * device goes away; its vanishing is not an error here. */
enum stm32_status dfuse_leave(struct dfu_link *l, uint32_t address, struct stm32_error *err);

#endif
