/* The executor: carries out a write or erase plan on a connected session. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"

/* ---- erase ---- */

struct erase_job {
	const uint16_t *pages;
	size_t count;
	int bank; /* 0: pages or mass */
	bool mass;
};

static enum stm32_status try_erase(struct stm32_session *s, void *ctx, struct stm32_error *err)
{
	struct erase_job *job = ctx;
	if (job->mass)
		return stm32_bl_erase_mass(&s->bl, err);
	if (job->bank)
		return stm32_bl_erase_bank(&s->bl, job->bank, err);
	return stm32_bl_erase_pages(&s->bl, job->pages, job->count, err);
}

static enum stm32_status erase_once(struct stm32_session *s, const struct stm32_plan *plan,
				    const struct stm32_flash_options *options, struct erase_job *job,
				    uint32_t address, struct stm32_error *err)
{
	enum stm32_status status = flash_with_retries(s, plan->retries, options, try_erase, NULL,
						      job, err);
	if (status != STM32_OK) {
		stm32_error_command(err, s->bl.cmd_erase);
		stm32_error_address(err, address);
	}
	return status;
}

/* The bootloader's own limit wins over the plan's: 0x43 carries 8-bit page
 * numbers and at most 255 of them. */
static enum stm32_status erase_chunk_limit(const struct stm32_session *s,
					   const struct stm32_plan *plan, size_t *limit,
					   struct stm32_error *err)
{
	bool legacy = s->bl.cmd_erase == STM32_CMD_ERASE;
	*limit = legacy ? STM32_ERASE_CHUNK_LEGACY : STM32_ERASE_CHUNK_EXTENDED;
	if (plan->erase_chunk && plan->erase_chunk < *limit)
		*limit = plan->erase_chunk;
	for (size_t i = 0; legacy && i < plan->sector_count; i++)
		if (plan->sectors[i].index > 0xFF)
			return stm32_error_set(err, STM32_E_UNSUPPORTED,
					       "page %" PRIu32 " cannot be named by Erase (0x43), "
					       "which carries 8-bit page numbers",
					       plan->sectors[i].index);
	return STM32_OK;
}

static enum stm32_status erase_banks(struct stm32_session *s, const struct stm32_plan *plan,
				     const struct stm32_flash_options *options,
				     struct flash_progress *p, struct stm32_error *err)
{
	for (int bank = 1; bank <= 2; bank++) {
		if (!(plan->erase_banks & (1u << (bank - 1))))
			continue;
		uint32_t address = bank == 1 ? plan->device->flash_start : plan->device->bank2_start;
		struct erase_job job = { .bank = bank };
		enum stm32_status status = erase_once(s, plan, options, &job, address, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, 1, address, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

static enum stm32_status erase_sectors(struct stm32_session *s, const struct stm32_plan *plan,
				       const struct stm32_flash_options *options,
				       struct flash_progress *p, struct stm32_error *err)
{
	size_t limit;
	enum stm32_status status = erase_chunk_limit(s, plan, &limit, err);
	if (status != STM32_OK)
		return status;
	uint16_t *pages = malloc((limit ? limit : 1) * sizeof(*pages));
	if (!pages)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	for (size_t first = 0; status == STM32_OK && first < plan->sector_count; first += limit) {
		size_t count = plan->sector_count - first < limit ? plan->sector_count - first : limit;
		for (size_t i = 0; i < count; i++)
			pages[i] = (uint16_t)plan->sectors[first + i].index;
		struct erase_job job = { .pages = pages, .count = count };
		uint32_t address = plan->sectors[first].address;
		status = erase_once(s, plan, options, &job, address, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, count, address, err);
	}
	free(pages);
	return status;
}

static uint64_t erase_units(const struct stm32_plan *plan)
{
	if (plan->erase_kind == STM32_ERASE_KIND_MASS)
		return 1;
	return plan->sector_count + (plan->erase_banks & 1u) + ((plan->erase_banks >> 1) & 1u);
}

enum stm32_status flash_run_erase(struct stm32_session *s, const struct stm32_plan *plan,
				  const struct stm32_flash_options *options,
				  stm32_progress_fn progress, void *user, struct stm32_error *err)
{
	if (plan->erase_kind == STM32_ERASE_KIND_NONE)
		return STM32_OK;
	if (s->bl.cmd_erase < 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the bootloader offers no erase command");
	struct flash_progress p;
	flash_progress_start(&p, progress, user, STM32_PHASE_ERASE, erase_units(plan),
			     plan->device->flash_start);
	if (plan->erase_kind == STM32_ERASE_KIND_MASS) {
		struct erase_job job = { .mass = true };
		enum stm32_status status = erase_once(s, plan, options, &job, plan->device->flash_start,
						      err);
		return status == STM32_OK ? flash_progress_step(&p, 1, plan->device->flash_start, err)
					  : status;
	}
	enum stm32_status status = erase_banks(s, plan, options, &p, err);
	return status == STM32_OK ? erase_sectors(s, plan, options, &p, err) : status;
}

/* ---- write ---- */

struct write_job {
	const struct stm32_plan_block *block;
};

static enum stm32_status try_write(struct stm32_session *s, void *ctx, struct stm32_error *err)
{
	const struct stm32_plan_block *b = ((struct write_job *)ctx)->block;
	return stm32_bl_write_memory(&s->bl, b->address, b->data, b->length, err);
}

/* A write whose ACK was lost may well have programmed the block; flash cannot
 * be programmed twice without an erase, so look before writing again. */
static bool block_already_written(struct stm32_session *s, void *ctx)
{
	const struct stm32_plan_block *b = ((struct write_job *)ctx)->block;
	uint8_t found[STM32_MAX_BLOCK];
	if (s->bl.cmd_read < 0 || s->read_protected || b->length > sizeof(found))
		return false;
	if (stm32_bl_read_memory(&s->bl, b->address, found, b->length, NULL) != STM32_OK) {
		(void)stm32_bl_resync(&s->bl, FLASH_RESYNC_MS, NULL);
		return false;
	}
	return memcmp(found, b->data, b->length) == 0;
}

enum stm32_status flash_write_block(struct stm32_session *s, const struct stm32_plan *plan,
				   const struct stm32_flash_options *options,
				   const struct stm32_plan_block *block, struct stm32_error *err)
{
	struct write_job job = { block };
	enum stm32_status status = flash_with_retries(s, plan->retries, options, try_write,
						      block_already_written, &job, err);
	if (status != STM32_OK) {
		stm32_error_command(err, STM32_CMD_WRITE_MEMORY);
		stm32_error_address(err, block->address);
	}
	return status;
}

/* The chip reprograms its option bytes and resets once it has them, so its
 * ACK may be lost to the reset: only a NACK is a refusal. */
enum stm32_status flash_run_option_writes(struct stm32_session *s, const struct stm32_plan *plan,
					  struct flash_progress *p, struct stm32_error *err)
{
	for (size_t i = 0; i < plan->block_count; i++) {
		const struct stm32_plan_block *block = &plan->blocks[i];
		if (block->region != STM32_REGION_OPTION)
			continue;
		enum stm32_status status = stm32_bl_write_memory(&s->bl, block->address, block->data,
								 block->length, err);
		if (status != STM32_OK && status != STM32_E_TIMEOUT) {
			stm32_error_command(err, STM32_CMD_WRITE_MEMORY);
			stm32_error_address(err, block->address);
			return status;
		}
		stm32_error_clear(err);
		status = stm32_session_reconnect(s, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, block->length, block->address, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

/* ---- the plan ---- */

static enum stm32_status check_plan(const struct stm32_session *s, const struct stm32_plan *plan,
				    struct stm32_error *err)
{
	if (plan->action != STM32_PLAN_WRITE && plan->action != STM32_PLAN_ERASE)
		return stm32_error_set(err, STM32_E_INVALID,
				       "only write and erase plans are executed; read and checksum "
				       "have their own calls");
	if (!s->device || !plan->device || strcmp(s->device->name, plan->device->name) != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "the plan is for %s but the connected device is %s",
				       plan->device ? plan->device->name : "no device",
				       s->device ? s->device->name : "unknown");
	if (plan->block_count && s->bl.cmd_write < 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the bootloader offers no Write Memory command");
	return STM32_OK;
}

enum stm32_status stm32_flash_execute(struct stm32_session *s, const struct stm32_plan *plan,
				      stm32_progress_fn progress, void *user,
				      struct stm32_error *err)
{
	return stm32_flash_execute_report(s, plan, progress, user, NULL, err);
}

enum stm32_status stm32_flash_execute_report(struct stm32_session *s, const struct stm32_plan *plan,
					     stm32_progress_fn progress, void *user,
					     struct stm32_flash_report *report, struct stm32_error *err)
{
	return stm32_flash_execute_options(s, plan, NULL, progress, user, report, err);
}

enum stm32_status stm32_flash_execute_options(struct stm32_session *s, const struct stm32_plan *plan,
					      const struct stm32_flash_options *options,
					      stm32_progress_fn progress, void *user,
					      struct stm32_flash_report *report,
					      struct stm32_error *err)
{
	stm32_error_clear(err);
	if (report)
		memset(report, 0, sizeof(*report));
	enum stm32_status status = check_plan(s, plan, err);
	if (status != STM32_OK)
		return status;
	if (plan->action == STM32_PLAN_WRITE)
		return flash_execute_write(s, plan, options, progress, user, report, err);
	return flash_run_erase(s, plan, options, progress, user, err);
}
