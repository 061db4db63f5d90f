/* The ST-LINK's firmware: 16-byte commands on the bulk OUT endpoint, an
 * optional OUT data phase, a reply for the bulk IN endpoint
 * (../shared/stm32/stlink.md §2), answered with the SWD target behind it.
 * No USB here: probe_usb.c feeds it transfers. */
#ifndef STM32SIM_STLINK_CMD_H
#define STM32SIM_STLINK_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/faults.h"
#include "stlink/dap.h"
#include "stlink/swd_target.h"

enum sim_stlink_version { SIM_STLINK_V2, SIM_STLINK_V21, SIM_STLINK_V3 };

#define SIM_STLINK_COMMAND_SIZE 16u
#define SIM_STLINK_BUFFER 65536u /* a memory command moves up to 65535 bytes (16-bit length) */

/* Status bytes (byte 0 of a status reply). */
#define SIM_STLINK_OK 0x80u
#define SIM_STLINK_FAULT 0x81u
#define SIM_STLINK_AP_WAIT 0x10u         /* the AP kept answering WAIT */
#define SIM_STLINK_DP_ERROR 0x16u        /* no acknowledgement on SWD: no target */
#define SIM_STLINK_AP_STICKY_ERROR 0x19u /* a bus error on a memory access */
#define SIM_STLINK_BAD_AP 0x1Du          /* an AP number the target does not have */
#define SIM_STLINK_UNKNOWN_COMMAND 0x42u

enum sim_stlink_mode { SIM_STLINK_MODE_DFU, SIM_STLINK_MODE_MASS, SIM_STLINK_MODE_DEBUG };

struct sim_stlink_counts {
	uint64_t commands[256];       /* first byte (F1, F2, ...) */
	uint64_t debug_commands[256]; /* second byte of F2 commands */
	uint64_t unknown;
	uint64_t memory_read_bytes, memory_written_bytes;
	uint64_t memory_errors; /* memory commands that ended in a fault status */
	uint64_t waits;         /* memory reads and writes answered SWD WAIT (the nack fault) */
	uint64_t write_waits;   /* of them, writes (nothing written) */
};

struct sim_stlink {
	enum sim_stlink_version version;
	uint16_t pid;
	struct sim_swd_target *target;
	struct sim_dap dap; /* READ_DAP_REG / WRITE_DAP_REG */
	struct sim_faults *faults; /* NULL: none; nack=P makes memory reads answer WAIT */
	bool no_target;            /* nothing on the SWD wires (unpowered, unwired) */
	enum sim_stlink_mode mode;
	unsigned swd_khz;
	uint8_t reply[SIM_STLINK_BUFFER];
	size_t reply_length; /* bytes waiting for the next IN transfer */
	/* A WRITEMEM waiting for its data phase. */
	uint8_t write_command;
	uint32_t write_address;
	size_t write_length, write_received;
	uint8_t write_data[SIM_STLINK_BUFFER];
	/* RW_MISC_OUT's items (V2 at most 64) and what RW_MISC_IN returns:
	 * one value word per item, then one status word per item. */
	uint32_t misc_items;
	uint32_t misc_results[2 * 64];
	/* What GETLASTRWSTATUS reports about the last memory command. */
	uint8_t rw_status;
	uint32_t rw_fault_address;
	struct sim_stlink_counts counts;
	/* --speed realtime: SWD clock cycles the commands since the last
	 * sim_stlink_take_wire_ns used, and the probe's own time per command. */
	uint64_t swd_cycles, probe_ns;
};

const char *sim_stlink_version_name(enum sim_stlink_version version);
uint16_t sim_stlink_pid(enum sim_stlink_version version);
void sim_stlink_init(struct sim_stlink *st, enum sim_stlink_version version,
		     struct sim_swd_target *target);
/* One bulk OUT transfer: a command, or (part of) a write's data phase. */
void sim_stlink_out(struct sim_stlink *st, const uint8_t *data, size_t length);
/* One bulk IN transfer of at most max bytes: the bytes given, or -1 when
 * no reply is waiting (the IN transfer stays pending). */
int sim_stlink_in(struct sim_stlink *st, uint8_t *out, size_t max);
/* The time on the SWD wires (at swd_khz) and in the probe's firmware of
 * the commands since the last call; the counts start again from 0. */
uint64_t sim_stlink_take_wire_ns(struct sim_stlink *st);
/* The probe was plugged in again or reset: mass-storage mode, nothing pending. */
void sim_stlink_usb_reset(struct sim_stlink *st);

#endif
