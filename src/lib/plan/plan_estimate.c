/* Flash plans: how long they take. */
#include "plan/plan_internal.h"
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

/* Get Checksum: opcode, address, size, polynomial, initial value, result. */
static void add_checksum(struct cost *c, uint64_t bytes)
{
	c->wire_bytes += 2 + 5 + 5 + 5 + 5 + 6 + 6;
	c->replies += 6;
	c->device_us += bytes / 1024u * 10u; /* ~100 MB/s CRC unit */
}

static struct cost write_cost(const struct stm32_plan *plan)
{
	const struct stm32_device *dev = plan->device;
	uint32_t unit = dev->program_unit ? dev->program_unit : 4;
	struct cost c = { 0 };
	uint64_t bytes = plan->write_bytes - plan->blank_bytes;
	uint64_t blocks = plan->block_count - plan->blank_blocks;
	c.wire_bytes = bytes + blocks * MEMORY_COMMAND_OVERHEAD;
	c.replies = blocks * MEMORY_COMMAND_REPLIES;
	c.device_us = bytes / unit * dev->t_prog_us;
	if (plan->preserve)
		for (size_t i = 0; i < plan->keep_count; i++)
			add_reads(&c, plan->keeps[i].length);
	return c;
}

static bool checks_on_chip(const struct stm32_plan *plan)
{
	return plan->verify_method == STM32_VERIFY_CRC &&
	       stm32_device_has_command(plan->device, STM32_CMD_GET_CHECKSUM);
}

/* Verify of a write plan by CRC: one Get Checksum per compare run (per unit
 * with preserve); RAM and units written unerased are read back. */
static struct cost crc_verify_cost(const struct stm32_plan *plan)
{
	struct cost c = { 0 };
	for (size_t i = 0; i < plan->unit_count; i++) {
		const struct stm32_plan_unit *u = &plan->units[i];
		if (!u->erased) {
			for (size_t k = 0; k < u->compare_count; k++)
				add_reads(&c, plan->compares[u->first_compare + k].length);
		} else if (plan->preserve) {
			add_checksum(&c, u->size);
		} else {
			for (size_t k = 0; k < u->compare_count; k++)
				add_checksum(&c, plan->compares[u->first_compare + k].length);
		}
	}
	for (size_t i = 0; i < plan->range_count; i++)
		if (plan->ranges[i].region != STM32_REGION_FLASH)
			add_reads(&c, plan->ranges[i].length);
	return c;
}

static struct cost range_cost(const struct stm32_plan *plan)
{
	struct cost c = { 0 };
	if (plan->action == STM32_PLAN_WRITE && !plan->verify)
		return c;
	if (plan->action == STM32_PLAN_WRITE && checks_on_chip(plan))
		return crc_verify_cost(plan);
	bool on_device = plan->action == STM32_PLAN_CHECKSUM &&
			 stm32_device_has_command(plan->device, STM32_CMD_GET_CHECKSUM);
	if (on_device) {
		add_checksum(&c, plan->range_bytes);
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

static struct cost compare_cost(const struct stm32_plan *plan)
{
	struct cost c = { 0 };
	bool on_chip = checks_on_chip(plan);
	for (size_t i = 0; i < plan->unit_count; i++) {
		const struct stm32_plan_unit *u = &plan->units[i];
		for (size_t k = 0; k < u->compare_count; k++) {
			uint32_t length = plan->compares[u->first_compare + k].length;
			if (on_chip)
				add_checksum(&c, length);
			else
				add_reads(&c, length);
		}
	}
	return c;
}

/* Blocks that go whatever the compare says: RAM. */
static struct cost fixed_write_cost(const struct stm32_plan *plan)
{
	struct cost c = { 0 };
	for (size_t i = 0; i < plan->block_count; i++) {
		if (plan->blocks[i].region != STM32_REGION_RAM)
			continue;
		c.wire_bytes += plan->blocks[i].length + MEMORY_COMMAND_OVERHEAD;
		c.replies += MEMORY_COMMAND_REPLIES;
	}
	return c;
}

void stm32_plan_estimate_diff(const struct stm32_plan *plan, unsigned baud,
			      struct stm32_plan_estimate_diff *out)
{
	if (baud == 0)
		baud = FALLBACK_BAUD;
	struct cost compare = compare_cost(plan), fixed = fixed_write_cost(plan);
	out->compare_ms = cost_ms(&compare, baud);
	out->best_ms = out->compare_ms + cost_ms(&fixed, baud);
	out->worst_ms = out->compare_ms + stm32_plan_estimate_ms(plan, baud);
}
