/* Dispatch of peripheral accesses to their models. */
#include <stdio.h>

#include "cpu/mmio_bus.h"

void sim_mmio_bus_init(struct sim_mmio_bus *bus, struct sim_cpu_stats *stats,
		       const struct sim_cpu_callbacks *callbacks)
{
	*bus = (struct sim_mmio_bus){.stats = stats, .callbacks = callbacks};
}

bool sim_mmio_attach(struct sim_mmio_bus *bus, const char *name, uint32_t base, uint32_t size,
		     sim_mmio_read_fn read, sim_mmio_write_fn write, void *ctx)
{
	if (base == 0 || bus->count >= SIM_CPU_PERIPH_MAX)
		return false;
	bus->devices[bus->count] = (struct sim_mmio_device){base, size, read, write, ctx};
	bus->stats->periph[bus->count] = (struct sim_cpu_periph_stat){.name = name};
	bus->count++;
	bus->stats->periph_count = bus->count;
	return true;
}

static long find_device(const struct sim_mmio_bus *bus, uint32_t address)
{
	for (size_t i = 0; i < bus->count; i++) {
		const struct sim_mmio_device *d = &bus->devices[i];
		if (address >= d->base && address - d->base < d->size)
			return (long)i;
	}
	return -1;
}

/* Counted every time, told once per block: a polling loop on an absent
 * peripheral must not flood the log. */
static void note_unmodelled(struct sim_mmio_bus *bus, uint32_t address, bool write, uint32_t pc)
{
	bus->stats->unmodelled_accesses++;
	uint32_t block = address & ~0x3FFu;
	for (size_t i = 0; i < bus->logged_count; i++)
		if (bus->logged_blocks[i] == block)
			return;
	if (bus->logged_count < SIM_MMIO_LOGGED_MAX)
		bus->logged_blocks[bus->logged_count++] = block;
	if (bus->callbacks && bus->callbacks->log) {
		char line[128];
		snprintf(line, sizeof(line),
			 "cpu: unmodelled peripheral %s at 0x%08X (pc 0x%08X); block 0x%08X "
			 "reads 0, ignores writes",
			 write ? "write" : "read", address, pc, block);
		bus->callbacks->log(bus->callbacks->user, line);
	}
}

static uint32_t lane_mask(uint32_t address, unsigned size)
{
	uint32_t bits = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u;
	return bits << (8 * (address & 3u));
}

uint32_t sim_mmio_read(struct sim_mmio_bus *bus, uint32_t address, unsigned size, uint32_t pc)
{
	long i = find_device(bus, address);
	if (i < 0 || !bus->devices[i].read) {
		note_unmodelled(bus, address, false, pc);
		return 0;
	}
	struct sim_mmio_device *d = &bus->devices[i];
	bus->stats->periph[i].reads++;
	uint32_t reg = d->read(d->ctx, (address - d->base) & ~3u);
	return (reg & lane_mask(address, size)) >> (8 * (address & 3u));
}

void sim_mmio_write(struct sim_mmio_bus *bus, uint32_t address, unsigned size, uint32_t value,
		    uint32_t pc)
{
	long i = find_device(bus, address);
	if (i < 0 || !bus->devices[i].write) {
		note_unmodelled(bus, address, true, pc);
		return;
	}
	struct sim_mmio_device *d = &bus->devices[i];
	bus->stats->periph[i].writes++;
	uint32_t shift = 8 * (address & 3u);
	d->write(d->ctx, (address - d->base) & ~3u, value << shift, lane_mask(address, size));
}
