/* Flash plans: how long they take, by the back end's cost model
 * (struct stm32_target_cost) and the device's program and erase times. */
#include "plan/plan_internal.h"

#define DEFAULT_READ_CHUNK 256u

struct cost {
	uint64_t wire_bytes;
	uint64_t replies;
	uint64_t device_us; /* programming / erasing */
};

static uint64_t cost_us(const struct stm32_plan *plan, const struct cost *c)
{
	const struct stm32_target_cost *model = &plan->target.cost;
	uint64_t rate = model->bits_per_second ? model->bits_per_second : STM32_PLAN_FALLBACK_BPS;
	uint64_t bits = model->bits_per_byte ? model->bits_per_byte : 8u;
	uint64_t wire_us = c->wire_bytes * bits * UINT64_C(1000000) / rate;
	return wire_us + c->replies * model->round_trip_us + c->device_us;
}

static uint64_t cost_ms(const struct stm32_plan *plan, const struct cost *c)
{
	return (cost_us(plan, c) + 999) / 1000;
}

static void add_reads(const struct stm32_plan *plan, struct cost *c, uint64_t bytes)
{
	const struct stm32_target_cost *model = &plan->target.cost;
	uint32_t chunk = plan->target.max_read ? plan->target.max_read : DEFAULT_READ_CHUNK;
	uint64_t requests = (bytes + chunk - 1) / chunk;
	c->wire_bytes += bytes + requests * model->read_overhead;
	c->replies += requests * model->read_round_trips;
}

static void add_writes(const struct stm32_plan *plan, struct cost *c, uint64_t bytes,
		       uint64_t requests)
{
	const struct stm32_target_cost *model = &plan->target.cost;
	c->wire_bytes += bytes + requests * model->write_overhead;
	c->replies += requests * model->write_round_trips;
}

static struct cost erase_cost(const struct stm32_plan *plan)
{
	const struct stm32_device *dev = plan->device;
	const struct stm32_target_cost *model = &plan->target.cost;
	struct cost c = { 0 };
	size_t requests = stm32_plan_erase_commands(plan);
	c.wire_bytes = requests * model->erase_overhead + plan->sector_count * model->erase_unit_bytes;
	c.replies = requests * model->erase_round_trips;
	if (plan->erase_kind == STM32_ERASE_KIND_MASS)
		c.device_us += (uint64_t)dev->t_mass_ms * 1000u;
	for (unsigned bank = 0; bank < 2; bank++)
		if (plan->erase_banks & (1u << bank))
			c.device_us += (uint64_t)dev->t_mass_ms * 1000u;
	for (size_t i = 0; i < plan->sector_count; i++)
		c.device_us += (uint64_t)stm32_device_erase_ms(dev, plan->sectors[i].size) * 1000u;
	return c;
}

/* One CRC request over bytes. */
static void add_checksum(const struct stm32_plan *plan, struct cost *c, uint64_t bytes)
{
	c->wire_bytes += plan->target.cost.crc_overhead;
	c->replies += plan->target.cost.crc_round_trips;
	c->device_us += bytes / 1024u * 10u; /* ~100 MB/s CRC unit */
}

bool plan_unit_blank_check_pays(const struct stm32_plan *plan)
{
	for (size_t i = 0; i < plan->sector_count; i++) {
		uint32_t size = plan->sectors[i].size;
		struct cost check = { 0 };
		add_checksum(plan, &check, size);
		uint64_t erase_us = (uint64_t)stm32_device_erase_ms(plan->device, size) * 1000u;
		/* Twice: a run that is not blank pays its own check first. */
		if (erase_us <= 2u * cost_us(plan, &check))
			return false;
	}
	return true;
}

static struct cost write_cost(const struct stm32_plan *plan)
{
	const struct stm32_device *dev = plan->device;
	uint32_t unit = dev->program_unit ? dev->program_unit : 4;
	struct cost c = { 0 };
	uint64_t bytes = plan->write_bytes - plan->blank_bytes;
	uint64_t blocks = plan->block_count - plan->blank_blocks;
	add_writes(plan, &c, bytes, blocks);
	c.device_us = bytes / unit * dev->t_prog_us;
	if (plan->preserve)
		for (size_t i = 0; i < plan->keep_count; i++)
			add_reads(plan, &c, plan->keeps[i].length);
	return c;
}

static bool checks_on_chip(const struct stm32_plan *plan)
{
	return plan->verify_method == STM32_VERIFY_CRC &&
	       stm32_target_can(&plan->target, STM32_CAP_CRC);
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
				add_reads(plan, &c, plan->compares[u->first_compare + k].length);
		} else if (plan->preserve) {
			add_checksum(plan, &c, u->size);
		} else {
			for (size_t k = 0; k < u->compare_count; k++)
				add_checksum(plan, &c, plan->compares[u->first_compare + k].length);
		}
	}
	for (size_t i = 0; i < plan->range_count; i++)
		if (plan->ranges[i].region != STM32_REGION_FLASH)
			add_reads(plan, &c, plan->ranges[i].length);
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
			 stm32_target_can(&plan->target, STM32_CAP_CRC);
	if (on_device) {
		add_checksum(plan, &c, plan->range_bytes);
		return c;
	}
	for (size_t i = 0; i < plan->range_count; i++)
		add_reads(plan, &c, plan->ranges[i].length);
	return c;
}

void stm32_plan_estimate(const struct stm32_plan *plan, struct stm32_plan_estimate *out)
{
	struct cost erase = erase_cost(plan), write = write_cost(plan), range = range_cost(plan);
	out->erase_ms = plan->erase_kind == STM32_ERASE_KIND_NONE ? 0 : cost_ms(plan, &erase);
	out->write_ms = plan->block_count ? cost_ms(plan, &write) : 0;
	out->verify_ms = cost_ms(plan, &range);
	out->total_ms = out->erase_ms + out->write_ms + out->verify_ms;
}

uint64_t stm32_plan_estimate_ms(const struct stm32_plan *plan)
{
	struct stm32_plan_estimate estimate;
	stm32_plan_estimate(plan, &estimate);
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
				add_checksum(plan, &c, length);
			else
				add_reads(plan, &c, length);
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
		add_writes(plan, &c, plan->blocks[i].length, 1);
	}
	return c;
}

void stm32_plan_estimate_diff(const struct stm32_plan *plan, struct stm32_plan_estimate_diff *out)
{
	struct cost compare = compare_cost(plan), fixed = fixed_write_cost(plan);
	out->compare_ms = cost_ms(plan, &compare);
	out->best_ms = out->compare_ms + cost_ms(plan, &fixed);
	out->worst_ms = out->compare_ms + stm32_plan_estimate_ms(plan);
}
