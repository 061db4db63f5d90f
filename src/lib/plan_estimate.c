/* Flash plans: how long they take. */
#include "plan_internal.h"
#include "stm32boot/protocol.h"

#define BITS_PER_BYTE 11u      /* 8E1: start + 8 data + parity + stop */
#define FALLBACK_BAUD 57600u   /* stm32flash's default, when the rate is unknown */
#define READ_CHUNK 256u

/* Bytes and replies of one Read or Write Memory command carrying n bytes:
 * opcode pair + ACK, address + XOR + ACK, count (+ data + XOR) + ACK. */
#define MEMORY_COMMAND_OVERHEAD 12u
#define MEMORY_COMMAND_REPLIES 3u

struct cost {
	uint64_t wire_bytes;
	uint64_t replies;
	uint64_t device_us; /* programming / erasing */
};

static uint64_t cost_ms(const struct cost *c, unsigned baud)
{
	uint64_t wire_us = c->wire_bytes * BITS_PER_BYTE * UINT64_C(1000000) / baud;
	uint64_t total_us = wire_us + c->replies * STM32_PLAN_TURNAROUND_US + c->device_us;
	return (total_us + 999) / 1000;
}

static void add_reads(struct cost *c, uint64_t bytes)
{
	uint64_t commands = (bytes + READ_CHUNK - 1) / READ_CHUNK;
	c->wire_bytes += bytes + commands * MEMORY_COMMAND_OVERHEAD;
	c->replies += commands * MEMORY_COMMAND_REPLIES;
}

static struct cost erase_cost(const struct stm32_plan *plan)
{
	const struct stm32_device *dev = plan->device;
	struct cost c = { 0 };
	size_t commands = stm32_plan_erase_commands(plan);
	/* opcode pair + ACK, then the list or special code + checksum + ACK */
	c.wire_bytes = commands * 7u + plan->sector_count * 2u;
	c.replies = commands * 2u;
	if (plan->erase_kind == STM32_ERASE_KIND_MASS)
		c.device_us += (uint64_t)dev->t_mass_ms * 1000u;
	for (unsigned bank = 0; bank < 2; bank++)
		if (plan->erase_banks & (1u << bank))
			c.device_us += (uint64_t)dev->t_mass_ms * 1000u;
	for (size_t i = 0; i < plan->sector_count; i++)
		c.device_us += (uint64_t)stm32_device_erase_ms(dev, plan->sectors[i].size) * 1000u;
	return c;
}

static struct cost write_cost(const struct stm32_plan *plan)
{
	const struct stm32_device *dev = plan->device;
	uint32_t unit = dev->program_unit ? dev->program_unit : 4;
	struct cost c = { 0 };
	c.wire_bytes = plan->write_bytes + plan->block_count * MEMORY_COMMAND_OVERHEAD;
	c.replies = plan->block_count * MEMORY_COMMAND_REPLIES;
	c.device_us = plan->write_bytes / unit * dev->t_prog_us;
	return c;
}

static struct cost range_cost(const struct stm32_plan *plan)
{
	struct cost c = { 0 };
	if (plan->action == STM32_PLAN_WRITE && !plan->verify)
		return c;
	bool on_device = plan->action == STM32_PLAN_CHECKSUM &&
			 stm32_device_has_command(plan->device, STM32_CMD_GET_CHECKSUM);
	if (on_device) {
		/* opcode, address, size, polynomial, initial value, result */
		c.wire_bytes = 2 + 5 + 5 + 5 + 5 + 6 + 6;
		c.replies = 6;
		c.device_us = plan->range_bytes / 1024u * 10u; /* ~100 MB/s CRC unit */
		return c;
	}
	for (size_t i = 0; i < plan->range_count; i++)
		add_reads(&c, plan->ranges[i].length);
	return c;
}

void stm32_plan_estimate(const struct stm32_plan *plan, unsigned baud,
			 struct stm32_plan_estimate *out)
{
	if (baud == 0)
		baud = FALLBACK_BAUD;
	struct cost erase = erase_cost(plan), write = write_cost(plan), range = range_cost(plan);
	out->erase_ms = plan->erase_kind == STM32_ERASE_KIND_NONE ? 0 : cost_ms(&erase, baud);
	out->write_ms = plan->block_count ? cost_ms(&write, baud) : 0;
	out->verify_ms = cost_ms(&range, baud);
	out->total_ms = out->erase_ms + out->write_ms + out->verify_ms;
}

uint64_t stm32_plan_estimate_ms(const struct stm32_plan *plan, unsigned baud)
{
	struct stm32_plan_estimate estimate;
	stm32_plan_estimate(plan, baud, &estimate);
	return estimate.total_ms;
}
