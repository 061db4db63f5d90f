/* Counters the emulator keeps for tests, written as JSON on exit
 * (docs/architecture.md, "Stats file"). */
#ifndef STM32SIM_STATS_H
#define STM32SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_fault_counts {
	uint64_t corrupt_in, corrupt_out, drop_in, drop_out, nack, stall, reset, hangup;
};

/* The Cortex-M core's counters (src/sim/cpu), copied here by the ROM part
 * after every slice so that base needs no knowledge of the core. */
#define SIM_STATS_BLOCKS 16u
#define SIM_STATS_RESET_CAUSES 3u /* sysresetreq, iwdg, obl_launch */
#define SIM_STATS_USARTS 4u       /* index 1..3: USART1..USART3 */

struct sim_block_count {
	const char *name; /* static storage: "RCC", "USART1", ... */
	uint64_t reads, writes;
};

struct sim_core_counts {
	bool present; /* the emulator was built with the core */
	uint64_t instructions, faults, unmodelled_accesses;
	uint64_t lockups; /* faults the HardFault handler could not take */
	uint64_t usart_tx_bytes, usart_rx_bytes, usart_rx_overruns;
	uint64_t usart_garbled; /* bytes the host read at a rate its receiver cannot follow */
	uint64_t usart_rx_errors; /* host bytes the USART sampled wrongly at its BRR rate */
	unsigned usart_wired;   /* the USART wired to the host (1 = USART1), 0: none */
	bool usart_listed[SIM_STATS_USARTS];
	uint64_t usart_tx[SIM_STATS_USARTS], usart_rx[SIM_STATS_USARTS]; /* by number */
	uint64_t iwdg_refreshes;
	/* polling loops the core moved over and their instructions (counted in
	 * instructions too) */
	uint64_t spin_skips, spin_skipped_instructions;
	/* --speed fast: polls only a timer or the host could end, waited out
	 * at the wall clock's pace */
	uint64_t spin_idle_stops;
	/* --speed realtime: the most the core was behind the wall clock (a
	 * measurement taken while it was is of the emulator, not the program) */
	uint64_t behind_wall_us_max;
	uint64_t resets[SIM_STATS_RESET_CAUSES];
	struct sim_block_count blocks[SIM_STATS_BLOCKS];
	size_t block_count;
	/* the last fault or unmapped access, what == NULL if none */
	const char *fault_what;
	uint32_t fault_pc, fault_address;
};

struct sim_stats {
	uint64_t commands[256];   /* opcodes received with a valid complement */
	uint64_t nacks;
	uint64_t bytes_in, bytes_out;
	uint64_t page_erases;     /* erase units erased through page lists */
	uint32_t *erased_pages;   /* per erase unit, page-list erases only */
	size_t sector_count;
	uint64_t mass_erases, bank_erases;
	uint64_t program_operations, bytes_programmed; /* flash writes only */
	uint64_t resets, boots_bootloader, boots_application;
	uint64_t boots_sram;      /* boots of the embedded SRAM (nBOOT1 = 0, F7 boot address) */
	const char *last_boot;    /* "system", "flash", "sram" or NULL before the first boot */
	uint64_t bytes_lost_busy; /* received while erasing/programming and lost */
	uint64_t output_dropped;  /* replies the host never read (it stopped reading) */
	/* I2C and SPI: transactions (I2C START..STOP, SPI transfers) and their
	 * data bytes, and the wire time charged for them (realtime only) */
	uint64_t bus_transactions, bus_bytes, bus_wire_ns;
	struct sim_fault_counts faults;
	struct sim_core_counts core;
};

/* What the stats file reports beside the counters. */
struct sim_stats_context {
	const char *device;
	int rdp_level;
	const char *state;
	const char *interface; /* "uart", "i2c", "spi" or "dfu"; NULL = uart */
	/* More members of the object (each line ending in ","), e.g. DFU's. */
	void (*write_extra)(FILE *out, const void *extra);
	const void *extra;
};

bool sim_stats_init(struct sim_stats *stats, size_t sector_count);
void sim_stats_free(struct sim_stats *stats);
void sim_stats_write_json(FILE *out, const struct sim_stats *stats,
			  const struct sim_stats_context *context);
/* Write to a temporary file beside path, then rename: readers never see a
 * half-written file. Returns false with errno set on failure. */
bool sim_stats_save(const char *path, const struct sim_stats *stats,
		    const struct sim_stats_context *context);

#endif
