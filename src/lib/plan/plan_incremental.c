/* Flash plans: what incremental flashing (--diff: compare each touched unit
 * first), --preserve (keep the bytes an erase destroys) and the verify
 * method add to a write plan: the units, their compare runs, the keeps. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"
#include "core/util.h"

enum stm32_status plan_check_incremental_options(struct stm32_plan *plan,
					   const struct stm32_plan_options *opts,
					   struct stm32_error *err)
{
	if (opts->diff && opts->erase != STM32_ERASE_TOUCHED)
		return stm32_error_set(err, STM32_E_INVALID,
				       "incremental flashing decides itself what to erase; it cannot "
				       "be combined with %s",
				       opts->erase == STM32_ERASE_NO ? "writing without erasing"
								     : "erasing the whole flash");
	if (opts->preserve && opts->erase == STM32_ERASE_ALL)
		return stm32_error_set(err, STM32_E_INVALID,
				       "erasing the whole flash and preserving what lies outside the "
				       "image contradict each other");
	plan->diff = opts->diff;
	/* Nothing is erased without an erase: there is nothing to keep. */
	plan->preserve = opts->preserve && opts->erase == STM32_ERASE_TOUCHED;
	bool has_crc = stm32_target_can(&plan->target, STM32_CAP_CRC);
	switch (opts->verify_method) {
	case STM32_VERIFY_AUTO:
	case STM32_VERIFY_CRC:
		plan->verify_method = has_crc ? STM32_VERIFY_CRC : STM32_VERIFY_READ;
		break;
	case STM32_VERIFY_READ:
		plan->verify_method = STM32_VERIFY_READ;
		break;
	}
	return STM32_OK;
}

/* Which erase units hold flash image bytes: a byte per unit. */
static uint8_t *touched_units(const struct stm32_device *dev, const struct piece_list *pieces)
{
	size_t total = stm32_device_sector_count(dev);
	uint8_t *touched = calloc(total ? total : 1, 1);
	if (!touched)
		return NULL;
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region != STM32_REGION_FLASH)
			continue;
		long first = stm32_device_sector_at(dev, p->address);
		long last = stm32_device_sector_at(dev, p->address + p->length - 1);
		for (long s = first; s >= 0 && s <= last; s++)
			touched[s] = 1;
	}
	return touched;
}

enum stm32_status plan_whole_unit_spans(const struct stm32_plan *plan,
					const struct piece_list *pieces, struct span_list *out,
					struct stm32_error *err)
{
	const struct stm32_device *dev = plan->device;
	uint8_t *touched = touched_units(dev, pieces);
	if (!touched)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	size_t total = stm32_device_sector_count(dev);
	bool ok = true;
	for (size_t i = 0; ok && i < total; i++) {
		uint32_t start, size;
		if (!touched[i] || !stm32_device_sector(dev, i, &start, &size))
			continue;
		for (uint32_t at = 0; ok && at < size; at += plan->block_size) {
			uint32_t n = size - at < plan->block_size ? size - at : plan->block_size;
			ok = plan_add_span(out, start + at, n, STM32_REGION_FLASH);
		}
	}
	free(touched);
	if (!ok)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");

	struct piece_list others = { 0 };
	for (size_t i = 0; ok && i < pieces->count; i++) {
		if (pieces->items[i].region != STM32_REGION_RAM)
			continue;
		ok = plan_grow((void **)&others.items, &others.capacity, others.count,
			       sizeof(struct piece));
		if (ok)
			others.items[others.count++] = pieces->items[i];
	}
	enum stm32_status status = ok ? plan_memory_spans(dev, &others, plan->block_size, out, err)
				      : stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	free(others.items);
	return status;
}

/* ---- units ---- */

static bool unit_erased_by_plan(const struct stm32_plan *plan, uint32_t index)
{
	if (plan->erase_kind == STM32_ERASE_KIND_MASS)
		return true;
	if (plan->erase_kind == STM32_ERASE_KIND_NONE)
		return false;
	unsigned bank = plan->device->bank_count == 2 && index >= plan->device->bank2_first_sector ? 2 : 1;
	if (plan->erase_banks & (1u << (bank - 1)))
		return true;
	for (size_t i = 0; i < plan->sector_count; i++)
		if (plan->sectors[i].index == index)
			return true;
	return false;
}

static struct stm32_plan_unit *unit_holding(struct stm32_plan *plan, uint32_t address)
{
	for (size_t i = 0; i < plan->unit_count; i++) {
		struct stm32_plan_unit *u = &plan->units[i];
		if (address >= u->address && (uint64_t)address < (uint64_t)u->address + u->size)
			return u;
	}
	return NULL;
}

static enum stm32_status add_units(struct stm32_plan *plan, const struct piece_list *pieces,
				   struct stm32_error *err)
{
	const struct stm32_device *dev = plan->device;
	uint8_t *touched = touched_units(dev, pieces);
	if (!touched)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	size_t total = stm32_device_sector_count(dev), count = 0;
	for (size_t i = 0; i < total; i++)
		count += touched[i];
	plan->units = calloc(count ? count : 1, sizeof(*plan->units));
	if (!plan->units) {
		free(touched);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	}
	for (size_t i = 0; i < total; i++) {
		if (!touched[i])
			continue;
		struct stm32_plan_unit *u = &plan->units[plan->unit_count++];
		u->index = (uint32_t)i;
		stm32_device_sector(dev, i, &u->address, &u->size);
		u->erased = unit_erased_by_plan(plan, u->index);
	}
	free(touched);

	for (size_t b = 0; b < plan->block_count; b++) {
		const struct stm32_plan_block *block = &plan->blocks[b];
		if (block->region != STM32_REGION_FLASH)
			continue;
		struct stm32_plan_unit *u = unit_holding(plan, block->address);
		if (!u)
			continue;
		if (u->block_count == 0)
			u->first_block = b;
		u->block_count++;
		if (u->erased && !plan->preserve &&
		    core_all_bytes(block->data, block->length, stm32_device_erased_byte(plan->device))) {
			plan->blank_blocks++;
			plan->blank_bytes += block->length;
		}
	}
	return STM32_OK;
}

/* ---- compares ---- */

static enum stm32_status add_compares(struct stm32_plan *plan, const struct stm32_image *image,
				      const struct piece_list *pieces, uint8_t **cursor,
				      struct stm32_error *err)
{
	struct span_list runs = { 0 };
	enum stm32_status status = plan_memory_spans(plan->device, pieces, 0, &runs, err);
	if (status == STM32_OK && runs.count) {
		plan->compares = calloc(runs.count, sizeof(*plan->compares));
		if (!plan->compares)
			status = stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	}
	for (size_t i = 0; status == STM32_OK && i < runs.count; i++) {
		const struct span *run = &runs.items[i];
		stm32_image_read(image, run->address, *cursor, run->length,
				 run->region == STM32_REGION_FLASH ? stm32_device_erased_byte(plan->device)
								   : 0xFF);
		plan->compares[plan->compare_count] = (struct stm32_plan_range){
			.address = run->address, .length = run->length, .region = run->region,
			.expected = *cursor,
		};
		*cursor += run->length;
		struct stm32_plan_unit *u = run->region == STM32_REGION_FLASH
						    ? unit_holding(plan, run->address) : NULL;
		if (u) {
			if (u->compare_count == 0)
				u->first_compare = plan->compare_count;
			u->compare_count++;
		}
		plan->compare_count++;
	}
	free(runs.items);
	return status;
}

static uint64_t compare_bytes_needed(const struct stm32_plan *plan, const struct piece_list *pieces)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region == STM32_REGION_OPTION)
			continue;
		/* widening to program units adds at most one unit on each side */
		bytes += p->length + 2u * plan_program_align(plan->device, p->region);
	}
	return bytes;
}

/* ---- keeps (preserve) ---- */

static bool add_keep(struct stm32_plan *plan, size_t *capacity, uint32_t address, uint32_t length)
{
	if (!plan_grow((void **)&plan->keeps, capacity, plan->keep_count, sizeof(*plan->keeps)))
		return false;
	plan->keeps[plan->keep_count++] = (struct stm32_plan_range){
		.address = address, .length = length, .region = STM32_REGION_FLASH,
	};
	plan->keep_bytes += length;
	return true;
}

/* The bytes of unit u that no image piece covers, as ascending ranges. */
static enum stm32_status add_unit_keeps(struct stm32_plan *plan, const struct stm32_plan_unit *u,
					const struct piece_list *pieces, size_t *capacity,
					struct stm32_error *err)
{
	uint8_t *mine = calloc(u->size, 1);
	if (!mine)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	uint64_t unit_end = (uint64_t)u->address + u->size;
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		uint64_t lo = p->address > u->address ? p->address : u->address;
		uint64_t hi = (uint64_t)p->address + p->length;
		if (hi > unit_end)
			hi = unit_end;
		if (p->region == STM32_REGION_FLASH && lo < hi)
			memset(mine + (lo - u->address), 1, (size_t)(hi - lo));
	}
	bool ok = true;
	for (uint32_t at = 0; ok && at < u->size;) {
		if (mine[at]) {
			at++;
			continue;
		}
		uint32_t end = at;
		while (end < u->size && !mine[end])
			end++;
		ok = add_keep(plan, capacity, u->address + at, end - at);
		at = end;
	}
	free(mine);
	return ok ? STM32_OK : stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
}

static enum stm32_status add_keeps(struct stm32_plan *plan, const struct piece_list *pieces,
				   struct stm32_error *err)
{
	size_t capacity = 0;
	for (size_t i = 0; i < plan->unit_count; i++) {
		if (!plan->units[i].erased)
			continue;
		enum stm32_status status = add_unit_keeps(plan, &plan->units[i], pieces, &capacity, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

enum stm32_status plan_add_incremental(struct stm32_plan *plan, const struct stm32_image *image,
				 const struct stm32_plan_options *opts,
				 const struct piece_list *pieces, struct stm32_error *err)
{
	const struct stm32_plan_block *options = plan_option_block(plan);
	uint64_t extra = compare_bytes_needed(plan, pieces) + (options ? options->length : 0);
	plan->extra_storage = malloc(extra ? (size_t)extra : 1);
	if (!plan->extra_storage)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	uint8_t *cursor = plan->extra_storage;
	enum stm32_status status = add_units(plan, pieces, err);
	if (status == STM32_OK)
		status = add_compares(plan, image, pieces, &cursor, err);
	/* Without preserve they still tell --dry-run what an erase destroys. */
	if (status == STM32_OK)
		status = add_keeps(plan, pieces, err);
	if (status == STM32_OK)
		status = plan_check_option_bytes(plan, opts, cursor, err);
	return status;
}

/* Only where a blank unit is as good as an erased one (no ECC to trip
 * over: stm32_device_blank_is_erased) and the chip can tell cheaply (its
 * CRC); diff already compares each unit, and does more. */
void plan_decide_blank_check(struct stm32_plan *plan, const struct stm32_plan_options *opts)
{
	plan->blank_check = opts->skip_blank_erase && !plan->diff && plan->writes_flash &&
			    plan->erase_kind != STM32_ERASE_KIND_NONE &&
			    stm32_target_can(&plan->target, STM32_CAP_CRC) &&
			    stm32_device_blank_is_erased(plan->device);
	plan->blank_check_units = plan->blank_check && plan_unit_blank_check_pays(plan);
}
