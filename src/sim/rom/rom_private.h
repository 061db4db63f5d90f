/* Inside the ROM bootloader part (src/sim/rom): what its files share. Not
 * for other parts, which use rom/engine.h.
 *
 * The files form layers, each calling only those below it, never back:
 *   engine.c        byte intake, command dispatch, Get/Get Version/Get ID
 *   program.c       slices of the program on the core, its stops (resets, faults)
 *   cmd_*.c         one command family each, called for completed stages
 *   boot.c          reset and boot model
 *   core.c          the only caller of src/sim/cpu: lifecycle, USART bytes
 *   reset_stub.c    recognising reset stubs in RAM, built without the core only
 *   reply.c         reply queue, ACK/NACK, stage bookkeeping, busy time
 * (cmd_protect.c also uses cmd_erase.c's mass-erase time.) */
#ifndef STM32SIM_ROM_PRIVATE_H
#define STM32SIM_ROM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "rom/engine.h"

enum stage {
	STAGE_COMMAND,
	STAGE_COMPLEMENT,
	STAGE_ADDRESS,        /* 4 address bytes + XOR */
	STAGE_READ_LENGTH,    /* N, ~N */
	STAGE_WRITE_DATA,     /* N, N+1 bytes, XOR */
	STAGE_ERASE,          /* 0x43 or 0x44 argument */
	STAGE_ERASE_COUNT,    /* split frames: N_hi, N_lo, XOR */
	STAGE_ERASE_LIST,     /* split frames: pages, XOR of the pages */
	STAGE_PROTECT_LIST,   /* N, N+1 codes, XOR */
	STAGE_PROTECT_COUNT,  /* split frames: N, ~N */
	STAGE_PROTECT_CODES,  /* split frames: codes, XOR of the codes */
	STAGE_CHECKSUM_SIZE,
	STAGE_CHECKSUM_POLYNOMIAL,
	STAGE_CHECKSUM_INITIAL,
};

/* Largest argument: an Extended Erase list of 0xFFF0 pages. */
#define RX_CAPACITY (2u + 2u * 0xFFF0u + 1u)

enum opcode {
	OP_GET = 0x00, OP_GET_VERSION = 0x01, OP_GET_ID = 0x02, OP_READ = 0x11,
	OP_GO = 0x21, OP_WRITE = 0x31, OP_ERASE = 0x43, OP_EXTENDED_ERASE = 0x44,
	OP_WRITE_PROTECT = 0x63, OP_WRITE_UNPROTECT = 0x73, OP_READOUT_PROTECT = 0x82,
	OP_READOUT_UNPROTECT = 0x92, OP_GET_CHECKSUM = 0xA1,
	/* AN4221 no-stretch twins: same bytes, BUSY while the operation runs */
	OP_NS_WRITE = 0x32, OP_NS_ERASE = 0x45, OP_NS_WRITE_PROTECT = 0x64,
	OP_NS_WRITE_UNPROTECT = 0x74, OP_NS_READOUT_PROTECT = 0x83,
	OP_NS_READOUT_UNPROTECT = 0x93,
};

/* reply.c */
void rom_emit(struct sim_engine *engine, uint8_t byte);
void rom_emit_ack(struct sim_engine *engine);
/* NACK and back to waiting for a command. */
void rom_nack(struct sim_engine *engine);
/* The answer at the end of an operation that may take time (polled on I2C
 * for a no-stretch opcode); finish_nack also returns to command. */
void rom_finish_ack(struct sim_engine *engine);
void rom_finish_nack(struct sim_engine *engine);
/* ACK a stage, unless fault injection turns it into a NACK (false). */
bool rom_accept(struct sim_engine *engine);
void rom_expect(struct sim_engine *engine, enum stage stage, size_t length);
void rom_to_command(struct sim_engine *engine);
/* The chip works for duration_us: replies wait, the UART is not read. */
void rom_spend(struct sim_engine *engine, uint64_t duration_us);

/* A program's byte for the host, ready at ready_us (0: at once); dropped
 * (output_dropped) when the host has left too much unread. */
void rom_emit_program(struct sim_engine *engine, uint8_t byte, uint64_t ready_us);

/* core.c: every call into src/sim/cpu. Without the core they do nothing
 * (rom_core_run says HALTED). */
void rom_core_free(struct sim_engine *engine);
void rom_core_memory_changed(struct sim_engine *engine, uint32_t address, uint32_t length);
/* Any reset: the core halts, its peripherals reset (RCC notes the cause). */
void rom_core_reset(struct sim_engine *engine, enum sim_reset_cause cause);
/* Go: the ROM's handoff, then MSP and PC from the vector at address. */
void rom_core_go(struct sim_engine *engine, uint32_t address);
/* A reset boots main flash (vectors: its vector table) or the SRAM. */
void rom_core_boot_at(struct sim_engine *engine, bool sram, uint32_t vectors);
struct sim_cpu_stop_info rom_core_run(struct sim_engine *engine, uint64_t budget);
/* Let up to ns pass on a waiting core (WFI, or a poll at --speed fast),
 * not beyond the next timer change or host byte. */
void rom_core_idle(struct sim_engine *engine, uint64_t ns);
/* Nanoseconds until the core's next timer change, UINT64_MAX for none. */
uint64_t rom_core_next_timer_ns(const struct sim_engine *engine);
/* The core's emulated time. */
uint64_t rom_core_time_ns(const struct sim_engine *engine);
/* Realtime: the wall time (ns since the emulator started) the core has reached. */
uint64_t rom_core_clock_ns(const struct sim_engine *engine);
/* The empty-check latch as the program left it (pempty devices); fallback
 * when there is no core. */
bool rom_core_pempty(const struct sim_engine *engine, bool fallback);
void rom_core_set_pempty(struct sim_engine *engine, bool set);
void rom_core_receive(struct sim_engine *engine, uint8_t byte);
/* The core's counters into stats->core. */
void rom_core_sync_stats(struct sim_engine *engine);
/* A stop that ends the program: stats and a log line. */
void rom_core_report_fault(struct sim_engine *engine, const struct sim_cpu_stop_info *stop);

/* boot.c */
/* Forget the command in progress, the sync and any busy time. */
void rom_clear_activity(struct sim_engine *engine);
void rom_latch_empty_check(struct sim_engine *engine);
/* A reset the chip performs, by cause (counted per cause in stats->core). */
void rom_system_reset(struct sim_engine *engine, enum sim_reset_cause cause);

/* reset_stub.c (without the core only) */
enum reset_stub { NO_STUB, SYSRESETREQ_STUB, OBL_LAUNCH_STUB, PEMPTY_CLEAR_STUB };
enum reset_stub rom_reset_stub_at(const struct sim_chip *chip, uint32_t address);

/* cmd_memory.c: address, Read length, Write data stages. */
void rom_address_received(struct sim_engine *engine);
void rom_read_length_received(struct sim_engine *engine);
void rom_write_data_received(struct sim_engine *engine);

/* cmd_erase.c */
uint64_t rom_mass_erase_us(const struct sim_engine *engine);
/* Bytes the (non-split) erase argument needs, from what has arrived. */
size_t rom_erase_need(const struct sim_engine *engine);
void rom_erase_received(struct sim_engine *engine);
void rom_erase_count_received(struct sim_engine *engine);
void rom_erase_list_received(struct sim_engine *engine);

/* cmd_protect.c */
void rom_protect_list_received(struct sim_engine *engine);
void rom_protect_count_received(struct sim_engine *engine);
void rom_protect_codes_received(struct sim_engine *engine);
void rom_write_unprotect(struct sim_engine *engine);
void rom_readout_protect(struct sim_engine *engine);
void rom_readout_unprotect(struct sim_engine *engine);

/* cmd_checksum.c */
void rom_checksum_stage_received(struct sim_engine *engine);

#endif
