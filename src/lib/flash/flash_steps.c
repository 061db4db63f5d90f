/* The executor's steps that every write and erase shares: the plan's erase,
 * one write block with retries, the option-byte blocks. Each goes through
 * the back-end table only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"

/* ---- erase ---- */

static enum stm32_status try_erase(struct stm32_target *t, void *ctx, struct stm32_error *err)
{
	return stm32_target_erase(t, ctx, err);
}

static enum stm32_status erase_once(struct stm32_target *t, unsigned retries,
				    struct stm32_erase_request *request, uint32_t address,
				    struct stm32_error *err)
{
	enum stm32_status status = flash_with_retries(t, retries, try_erase, NULL, request, err);
	if (status != STM32_OK) {
		stm32_error_op(err, STM32_OP_ERASE);
		stm32_error_address(err, address);
	}
	return status;
}

/* The back end's own limits win over the plan's: how many units one
 * request may name, and how large a number it can carry. */
static enum stm32_status erase_chunk_limit(const struct stm32_target *t,
					   const struct stm32_plan *plan, size_t *limit,
					   struct stm32_error *err)
{
	const struct stm32_target_desc *desc = &t->desc;
	*limit = desc->erase_units_per_request ? desc->erase_units_per_request : 1;
	if (plan->erase_chunk && plan->erase_chunk < *limit)
		*limit = plan->erase_chunk;
	for (size_t i = 0; i < plan->sector_count; i++)
		if (desc->max_erase_unit && plan->sectors[i].index > desc->max_erase_unit)
			return stm32_error_set(err, STM32_E_UNSUPPORTED,
					       "page %" PRIu32 " cannot be named by the %s's erase, "
					       "which numbers pages up to %" PRIu32,
					       plan->sectors[i].index, desc->name, desc->max_erase_unit);
	return STM32_OK;
}

static enum stm32_status erase_banks(struct stm32_target *t, const struct stm32_plan *plan,
				     unsigned retries, struct flash_progress *p,
				     struct stm32_error *err)
{
	for (unsigned bank = 1; bank <= 2; bank++) {
		if (!(plan->erase_banks & (1u << (bank - 1))))
			continue;
		uint32_t address = bank == 1 ? plan->device->flash_start : plan->device->bank2_start;
		struct stm32_erase_request request = { .kind = STM32_ERASE_REQUEST_BANK, .bank = bank };
		enum stm32_status status = erase_once(t, retries, &request, address, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, 1, address, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

static enum stm32_status erase_sectors(struct stm32_target *t, const struct stm32_plan *plan,
				       unsigned retries, struct flash_progress *p,
				       struct stm32_error *err)
{
	size_t limit;
	enum stm32_status status = erase_chunk_limit(t, plan, &limit, err);
	if (status != STM32_OK)
		return status;
	uint32_t *units = malloc(limit * sizeof(*units));
	if (!units)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	for (size_t first = 0; status == STM32_OK && first < plan->sector_count; first += limit) {
		size_t count = plan->sector_count - first < limit ? plan->sector_count - first : limit;
		for (size_t i = 0; i < count; i++)
			units[i] = plan->sectors[first + i].index;
		struct stm32_erase_request request = {
			.kind = STM32_ERASE_REQUEST_UNITS, .units = units, .count = count,
		};
		uint32_t address = plan->sectors[first].address;
		status = erase_once(t, retries, &request, address, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, count, address, err);
	}
	free(units);
	return status;
}

static uint64_t erase_units(const struct stm32_plan *plan)
{
	if (plan->erase_kind == STM32_ERASE_KIND_MASS)
		return 1;
	return plan->sector_count + (plan->erase_banks & 1u) + ((plan->erase_banks >> 1) & 1u);
}

enum stm32_status flash_run_erase(struct stm32_target *t, const struct stm32_plan *plan,
				  unsigned retries, stm32_progress_fn progress, void *user,
				  struct stm32_error *err)
{
	if (plan->erase_kind == STM32_ERASE_KIND_NONE)
		return STM32_OK;
	struct flash_progress p;
	flash_progress_start(&p, progress, user, STM32_PHASE_ERASE, erase_units(plan),
			     plan->device->flash_start);
	if (plan->erase_kind == STM32_ERASE_KIND_MASS) {
		struct stm32_erase_request request = { .kind = STM32_ERASE_REQUEST_MASS };
		enum stm32_status status = erase_once(t, retries, &request, plan->device->flash_start,
						      err);
		return status == STM32_OK ? flash_progress_step(&p, 1, plan->device->flash_start, err)
					  : status;
	}
	enum stm32_status status = erase_banks(t, plan, retries, &p, err);
	return status == STM32_OK ? erase_sectors(t, plan, retries, &p, err) : status;
}

/* ---- write ---- */

static enum stm32_status try_write(struct stm32_target *t, void *ctx, struct stm32_error *err)
{
	const struct stm32_plan_block *b = ctx;
	return stm32_target_write(t, b->address, b->data, b->length, err);
}

/* A write whose reply was lost may well have programmed the block; flash
 * cannot be programmed twice without an erase, so look before writing
 * again. */
static bool block_already_written(struct stm32_target *t, void *ctx)
{
	const struct stm32_plan_block *b = ctx;
	uint8_t found[FLASH_PIECE_MAX];
	if (!stm32_target_can(&t->desc, STM32_CAP_READ) || t->chip.read_protected ||
	    b->length > sizeof(found) || b->length > t->desc.max_read)
		return false;
	if (stm32_target_read(t, b->address, found, b->length, NULL) != STM32_OK) {
		if (t->ops->recover)
			(void)t->ops->recover(t, NULL);
		return false;
	}
	return memcmp(found, b->data, b->length) == 0;
}

enum stm32_status flash_write_block(struct stm32_target *t, unsigned retries,
				   const struct stm32_plan_block *block, struct stm32_error *err)
{
	enum stm32_status status = flash_with_retries(t, retries, try_write, block_already_written,
						      (void *)block, err);
	if (status != STM32_OK) {
		stm32_error_op(err, STM32_OP_WRITE);
		stm32_error_address(err, block->address);
	}
	return status;
}

/* The back end applies each block (the chip resets and is talked to again
 * on return): they come last, after verify. */
enum stm32_status flash_run_option_writes(struct stm32_target *t, const struct stm32_plan *plan,
					  struct flash_progress *p, struct stm32_error *err)
{
	for (size_t i = 0; i < plan->block_count; i++) {
		const struct stm32_plan_block *block = &plan->blocks[i];
		if (block->region != STM32_REGION_OPTION)
			continue;
		enum stm32_status status = stm32_target_write_option_bytes(t, block->address, block->data,
									   block->length, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, block->length, block->address, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}
