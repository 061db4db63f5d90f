/* The peripheral bus: address ranges with read and write handlers. Sub-word
 * accesses are turned into accesses of the 32-bit register that holds them
 * (a write carries the byte-lane mask), so each model deals in registers.
 * An address no model claims is "unmodelled": it reads 0, ignores writes,
 * is counted, and logged once per 1 KiB block (a peripheral's slot). */
#ifndef STM32SIM_CPU_MMIO_BUS_H
#define STM32SIM_CPU_MMIO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

typedef uint32_t (*sim_mmio_read_fn)(void *ctx, uint32_t offset);
typedef void (*sim_mmio_write_fn)(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);

struct sim_mmio_device {
	uint32_t base, size;
	sim_mmio_read_fn read;
	sim_mmio_write_fn write;
	void *ctx;
};

#define SIM_MMIO_LOGGED_MAX 64u

struct sim_mmio_bus {
	struct sim_mmio_device devices[SIM_CPU_PERIPH_MAX];
	size_t count;
	struct sim_cpu_stats *stats; /* stats->periph[i] counts devices[i] */
	const struct sim_cpu_callbacks *callbacks;
	uint32_t logged_blocks[SIM_MMIO_LOGGED_MAX];
	size_t logged_count;
};

void sim_mmio_bus_init(struct sim_mmio_bus *bus, struct sim_cpu_stats *stats,
		       const struct sim_cpu_callbacks *callbacks);
/* False when the bus is full or base is 0 (the block is absent). */
bool sim_mmio_attach(struct sim_mmio_bus *bus, const char *name, uint32_t base, uint32_t size,
		     sim_mmio_read_fn read, sim_mmio_write_fn write, void *ctx);
uint32_t sim_mmio_read(struct sim_mmio_bus *bus, uint32_t address, unsigned size, uint32_t pc);
void sim_mmio_write(struct sim_mmio_bus *bus, uint32_t address, unsigned size, uint32_t value,
		    uint32_t pc);

#endif
