/* The executor for write plans: compare (diff), keep (preserve), erase,
 * write, verify, option bytes. The plan decided everything it could before
 * the first byte; what only the chip can tell (is this unit already right,
 * already blank, what lies beside the image) is decided here, per unit. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"
#include "core/util.h"

enum unit_state {
	UNIT_WRITE, /* not erased by the plan: write over what is there */
	UNIT_ERASE, /* erase, then write */
	UNIT_BLANK, /* blank where the image goes: write without erasing */
	UNIT_SAME,  /* already equal: leave alone */
};

struct write_run {
	struct stm32_target *t;
	const struct stm32_plan *plan;
	stm32_progress_fn progress;
	void *user;
	unsigned retries;
	struct stm32_flash_report *report;
	enum unit_state *state;   /* per plan unit */
	uint8_t **content;        /* preserve: each unit's bytes after the write */
	bool *crc_verified;       /* per unit */
	long *block_unit;         /* per block: its unit, or -1 */
};

static uint8_t erased_byte(const struct write_run *run)
{
	return stm32_device_erased_byte(run->plan->device);
}

/* ---- Get Checksum on the chip ---- */

/* The chip's CRC of a range; *available false when it cannot give one. */
static enum stm32_status chip_crc(struct write_run *run, uint32_t address, uint32_t length,
				  uint32_t *crc, bool *available, struct stm32_error *err)
{
	*available = false;
	if (run->plan->verify_method != STM32_VERIFY_CRC)
		return STM32_OK;
	return flash_chip_crc(run->t, run->retries, address, length, crc,
			      available, err);
}

/* ---- compare (diff) ---- */

static enum stm32_status compare_by_reading(struct write_run *run,
					    const struct stm32_plan_range *range,
					    struct flash_progress *p, bool *same, bool *blank,
					    struct stm32_error *err)
{
	uint8_t found[FLASH_PIECE_MAX];
	uint32_t piece = flash_piece(run->t);
	for (uint32_t offset = 0; offset < range->length;) {
		uint32_t n = range->length - offset < piece ? range->length - offset : piece;
		enum stm32_status status = flash_read_range(run->t, range->address + offset, n, found,
							    run->retries, p, err);
		if (status != STM32_OK)
			return status;
		*same = *same && memcmp(found, range->expected + offset, n) == 0;
		*blank = *blank && core_all_bytes(found, n, erased_byte(run));
		offset += n;
	}
	return STM32_OK;
}

static enum stm32_status compare_unit(struct write_run *run, const struct stm32_plan_unit *u,
				      struct flash_progress *p, bool *same, bool *blank,
				      struct stm32_error *err)
{
	*same = *blank = true;
	for (size_t i = 0; i < u->compare_count; i++) {
		const struct stm32_plan_range *range = &run->plan->compares[u->first_compare + i];
		uint32_t crc;
		bool available;
		enum stm32_status status = chip_crc(run, range->address, range->length, &crc,
						    &available, err);
		if (status == STM32_OK && available) {
			*same = *same && crc == stm32_crc32(0xFFFFFFFFu, range->expected, range->length);
			*blank = *blank && crc == flash_crc_of_erased(range->length, erased_byte(run));
			status = flash_progress_step(p, range->length, range->address, err);
		} else if (status == STM32_OK) {
			status = compare_by_reading(run, range, p, same, blank, err);
		}
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

/* The compare ranges in plan order, when they form one word-aligned run. */
static bool compares_contiguous(const struct stm32_plan *plan, uint32_t *start, uint32_t *length)
{
	bool first = true;
	uint64_t end = 0;
	for (size_t i = 0; i < plan->unit_count; i++) {
		for (size_t c = 0; c < plan->units[i].compare_count; c++) {
			const struct stm32_plan_range *r = &plan->compares[plan->units[i].first_compare + c];
			if ((r->address | r->length) % 4 != 0 || (!first && r->address != end))
				return false;
			if (first)
				*start = r->address;
			first = false;
			end = (uint64_t)r->address + r->length;
		}
	}
	if (first || end - *start > UINT32_MAX)
		return false;
	*length = (uint32_t)(end - *start);
	return true;
}

/* With Get Checksum, one CRC over the whole image answers the common case
 * (re-flashing what is already there) in a single command; only when it
 * differs does the compare go unit by unit. */
static enum stm32_status whole_image_same(struct write_run *run, bool *same, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	uint32_t start, length, found;
	bool available;
	*same = false;
	if (plan->unit_count < 2 || !compares_contiguous(plan, &start, &length))
		return STM32_OK;
	enum stm32_status status = chip_crc(run, start, length, &found, &available, err);
	if (status != STM32_OK || !available)
		return status;
	uint32_t wanted = 0xFFFFFFFFu;
	for (size_t i = 0; i < plan->unit_count; i++)
		for (size_t c = 0; c < plan->units[i].compare_count; c++) {
			const struct stm32_plan_range *r = &plan->compares[plan->units[i].first_compare + c];
			wanted = stm32_crc32(wanted, r->expected, r->length);
		}
	*same = found == wanted;
	return STM32_OK;
}

static enum stm32_status run_compare(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	bool all_same;
	enum stm32_status whole = whole_image_same(run, &all_same, err);
	if (whole != STM32_OK)
		return whole;
	if (all_same) {
		for (size_t i = 0; i < plan->unit_count; i++)
			run->state[i] = UNIT_SAME;
		run->report->units_unchanged += plan->unit_count;
		return STM32_OK;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < plan->unit_count; i++)
		for (size_t c = 0; c < plan->units[i].compare_count; c++)
			total += plan->compares[plan->units[i].first_compare + c].length;
	struct flash_progress p;
	flash_progress_start(&p, run->progress, run->user, STM32_PHASE_COMPARE, total,
			     plan->unit_count ? plan->units[0].address : 0);
	for (size_t i = 0; i < plan->unit_count; i++) {
		bool same, blank;
		enum stm32_status status = compare_unit(run, &plan->units[i], &p, &same, &blank, err);
		if (status != STM32_OK)
			return status;
		run->state[i] = same ? UNIT_SAME : blank ? UNIT_BLANK : UNIT_ERASE;
		run->report->units_unchanged += same;
		run->report->units_blank += !same && blank;
	}
	return STM32_OK;
}

/* ---- keep (preserve) ---- */

static enum stm32_status keep_unit(struct write_run *run, size_t index, struct flash_progress *p,
				   struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	const struct stm32_plan_unit *u = &plan->units[index];
	uint8_t *content = malloc(u->size);
	if (!content)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory keeping %u bytes", u->size);
	run->content[index] = content;
	memset(content, erased_byte(run), u->size);
	for (size_t b = 0; b < u->block_count; b++) {
		const struct stm32_plan_block *block = &plan->blocks[u->first_block + b];
		memcpy(content + (block->address - u->address), block->data, block->length);
	}
	bool kept_blank = true;
	for (size_t k = 0; k < plan->keep_count; k++) {
		const struct stm32_plan_range *keep = &plan->keeps[k];
		if (keep->address < u->address || keep->address - u->address >= u->size)
			continue;
		uint8_t *into = content + (keep->address - u->address);
		enum stm32_status status = flash_read_range(run->t, keep->address, keep->length, into,
							    run->retries, p, err);
		if (status != STM32_OK)
			return status;
		kept_blank = kept_blank && core_all_bytes(into, keep->length, erased_byte(run));
		run->report->bytes_kept += keep->length;
	}
	/* Written unerased, the kept bytes would be programmed over themselves. */
	if (run->state[index] == UNIT_BLANK && !kept_blank) {
		run->state[index] = UNIT_ERASE;
		run->report->units_blank--;
	}
	return STM32_OK;
}

static bool needs_keeping(const struct write_run *run, size_t index)
{
	return run->state[index] == UNIT_ERASE || run->state[index] == UNIT_BLANK;
}

static enum stm32_status run_keep(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	uint64_t total = 0;
	for (size_t k = 0; k < plan->keep_count; k++) {
		long sector = stm32_device_sector_at(plan->device, plan->keeps[k].address);
		for (size_t i = 0; i < plan->unit_count; i++)
			if ((long)plan->units[i].index == sector && needs_keeping(run, i))
				total += plan->keeps[k].length;
	}
	struct flash_progress p;
	flash_progress_start(&p, run->progress, run->user, STM32_PHASE_KEEP, total,
			     plan->unit_count ? plan->units[0].address : 0);
	for (size_t i = 0; i < plan->unit_count; i++) {
		if (!needs_keeping(run, i))
			continue;
		enum stm32_status status = keep_unit(run, i, &p, err);
		if (status != STM32_OK)
			return status;
	}
	return STM32_OK;
}

/* ---- erase ---- */

/* Erase what the plan erases but the chip shows already blank: no. */
static enum stm32_status erase_unless_blank(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	struct stm32_plan left;
	bool *blank = calloc(plan->unit_count ? plan->unit_count : 1, sizeof(*blank));
	if (!blank)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the blank check");
	enum stm32_status status = flash_leave_blank_unerased(run->t, plan, run->retries, &left,
							      blank, err);
	for (size_t i = 0; status == STM32_OK && i < plan->unit_count; i++) {
		if (blank[i] && run->state[i] == UNIT_ERASE) {
			run->state[i] = UNIT_BLANK;
			run->report->units_blank++;
		}
		run->report->units_erased += run->state[i] == UNIT_ERASE;
	}
	if (status == STM32_OK)
		status = flash_run_erase(run->t, &left, run->retries, run->progress, run->user, err);
	free(left.sectors);
	free(blank);
	return status;
}

static enum stm32_status run_unit_erase(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	if (!plan->diff && plan->blank_check)
		return erase_unless_blank(run, err);
	if (!plan->diff) {
		for (size_t i = 0; i < plan->unit_count; i++)
			run->report->units_erased += plan->units[i].erased;
		return flash_run_erase(run->t, plan, run->retries, run->progress, run->user, err);
	}
	struct stm32_plan only_differing = *plan;
	only_differing.erase_banks = 0;
	only_differing.sector_count = 0;
	only_differing.sectors = calloc(plan->unit_count ? plan->unit_count : 1,
					sizeof(*only_differing.sectors));
	if (!only_differing.sectors)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	for (size_t i = 0; i < plan->unit_count; i++) {
		if (run->state[i] != UNIT_ERASE)
			continue;
		const struct stm32_plan_unit *u = &plan->units[i];
		only_differing.sectors[only_differing.sector_count++] =
			(struct stm32_plan_sector){ u->index, u->address, u->size };
	}
	run->report->units_erased = only_differing.sector_count;
	only_differing.erase_kind = only_differing.sector_count ? STM32_ERASE_KIND_PAGES
								: STM32_ERASE_KIND_NONE;
	enum stm32_status status = flash_run_erase(run->t, &only_differing, run->retries,
						   run->progress, run->user, err);
	free(only_differing.sectors);
	return status;
}

/* ---- write ---- */

static uint64_t image_bytes_in(const struct stm32_plan *plan, uint64_t start, uint64_t end);

/* What write progress counts for a block. With verify, the file bytes in
 * it, as verify counts them (not the 0xFF padding to the program unit, nor
 * bytes --preserve keeps); without, the plan keeps no file ranges, and
 * there is no verify count to match: the block's length. */
static uint64_t block_image_bytes(const struct stm32_plan *plan, const struct stm32_plan_block *block)
{
	if (!plan->verify || plan->range_count == 0)
		return block->length;
	return image_bytes_in(plan, block->address, (uint64_t)block->address + block->length);
}

/* The bytes block b should carry, or NULL when it need not be sent. */
static const uint8_t *block_bytes(const struct write_run *run, size_t b)
{
	const struct stm32_plan_block *block = &run->plan->blocks[b];
	long u = run->block_unit[b];
	if (block->region == STM32_REGION_OPTION)
		return NULL;
	if (u < 0)
		return block->data;
	enum unit_state state = run->state[u];
	if (state == UNIT_SAME)
		return NULL;
	const uint8_t *data = block->data;
	if (run->content[u])
		data = run->content[u] + (block->address - run->plan->units[u].address);
	bool erased = state == UNIT_ERASE || state == UNIT_BLANK;
	return erased && core_all_bytes(data, block->length, erased_byte(run)) ? NULL : data;
}

static enum stm32_status run_writes(struct write_run *run, struct flash_progress *p,
				    struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	struct flash_behind behind;
	flash_behind_begin(&behind, run->t);
	enum stm32_status status = STM32_OK;
	for (size_t b = 0; status == STM32_OK && b < plan->block_count; b++) {
		const uint8_t *data = block_bytes(run, b);
		if (!data) {
			run->report->blocks_skipped += plan->blocks[b].region != STM32_REGION_OPTION;
			continue;
		}
		struct stm32_plan_block block = plan->blocks[b];
		block.data = data;
		status = flash_behind_write(&behind, run->t, run->retries, &block, err);
		if (status == STM32_OK)
			status = flash_progress_step(p, block_image_bytes(plan, &block), block.address,
						     err);
		if (status == STM32_OK) {
			run->report->blocks_written++;
			run->report->bytes_written += block.length;
		}
	}
	/* Everything after (verify, option bytes, the caller's go or reset)
	 * needs the writes done, and a failure of the last ones must be seen. */
	return flash_behind_end(&behind, run->t, run->retries, status, err);
}

/* ---- verify ---- */

static long unit_at(const struct stm32_plan *plan, uint32_t address)
{
	for (size_t i = 0; i < plan->unit_count; i++) {
		const struct stm32_plan_unit *u = &plan->units[i];
		if (address >= u->address && address - u->address < u->size)
			return (long)i;
	}
	return -1;
}

/* Bytes of the image that a read-back verify checks in [start, end). */
static uint64_t image_bytes_in(const struct stm32_plan *plan, uint64_t start, uint64_t end)
{
	uint64_t bytes = 0;
	for (size_t r = 0; r < plan->range_count; r++) {
		uint64_t lo = plan->ranges[r].address, hi = lo + plan->ranges[r].length;
		lo = lo > start ? lo : start;
		hi = hi < end ? hi : end;
		bytes += hi > lo ? hi - lo : 0;
	}
	return bytes;
}

static enum stm32_status verify_failed_crc(uint32_t address, uint32_t length, uint32_t found,
					   uint32_t expected, struct stm32_error *err)
{
	stm32_error_set(err, STM32_E_VERIFY,
			"verify failed in 0x%08" PRIX32 "..0x%08" PRIX32 ": the chip's CRC is 0x%08" PRIX32
			", the image's 0x%08" PRIX32,
			address, address + length - 1, found, expected);
	stm32_error_address(err, address);
	return STM32_E_VERIFY;
}

static enum stm32_status crc_check(struct write_run *run, uint32_t address, uint32_t length,
				   const uint8_t *expected, bool *checked, struct stm32_error *err)
{
	uint32_t crc;
	enum stm32_status status = chip_crc(run, address, length, &crc, checked, err);
	if (status != STM32_OK || !*checked)
		return status;
	uint32_t wanted = stm32_crc32(0xFFFFFFFFu, expected, length);
	return crc == wanted ? STM32_OK : verify_failed_crc(address, length, crc, wanted, err);
}

/* Erased or blank units have a known state everywhere the compares pad, so
 * the chip's CRC of them settles it; units written unerased do not. */
static enum stm32_status crc_verify_unit(struct write_run *run, size_t index,
					 struct flash_progress *p, struct stm32_error *err)
{
	const struct stm32_plan_unit *u = &run->plan->units[index];
	if (run->state[index] != UNIT_ERASE && run->state[index] != UNIT_BLANK)
		return STM32_OK;
	bool checked = true;
	enum stm32_status status = STM32_OK;
	if (run->content[index]) {
		status = crc_check(run, u->address, u->size, run->content[index], &checked, err);
	} else {
		for (size_t c = 0; status == STM32_OK && checked && c < u->compare_count; c++) {
			const struct stm32_plan_range *range = &run->plan->compares[u->first_compare + c];
			status = crc_check(run, range->address, range->length, range->expected, &checked,
					   err);
		}
	}
	if (status != STM32_OK || !checked)
		return status;
	run->crc_verified[index] = true;
	return flash_progress_step(p, image_bytes_in(run->plan, u->address,
						     (uint64_t)u->address + u->size),
				   u->address, err);
}

static enum stm32_status compare_read(const struct stm32_plan_range *range, uint32_t offset,
				      const uint8_t *found, uint32_t n, struct stm32_error *err)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t expected = range->expected[offset + i];
		if (found[i] == expected)
			continue;
		uint32_t address = range->address + offset + i;
		stm32_error_set(err, STM32_E_VERIFY,
				"verify failed at 0x%08" PRIX32 ": expected 0x%02X, read 0x%02X",
				address, expected, found[i]);
		stm32_error_address(err, address);
		return STM32_E_VERIFY;
	}
	return STM32_OK;
}

/* How much of range from offset to read next (at most flash_piece, never
 * across an erase unit); *skip when its unit needs no read. */
static uint32_t next_piece(const struct write_run *run, const struct stm32_plan_range *range,
			   uint32_t offset, bool *skip)
{
	uint32_t address = range->address + offset;
	uint32_t piece = flash_piece(run->t);
	uint32_t n = range->length - offset < piece ? range->length - offset : piece;
	long u = range->region == STM32_REGION_FLASH ? unit_at(run->plan, address) : -1;
	*skip = false;
	if (u < 0)
		return n;
	const struct stm32_plan_unit *unit = &run->plan->units[u];
	uint64_t left_in_unit = (uint64_t)unit->address + unit->size - address;
	if (left_in_unit < n)
		n = (uint32_t)left_in_unit;
	*skip = run->state[u] == UNIT_SAME || run->crc_verified[u];
	return n;
}

/* Read Memory has no checksum: a byte flipped on its way back looks like a
 * flash error. A mismatching piece is read again, up to VERIFY_REREADS more
 * times, and passes when any read matches (line noise does not turn wrong
 * bytes into exactly the right ones). Costs nothing while the flash is
 * right; re-reads do not count as progress. */
#define VERIFY_REREADS 2u

static enum stm32_status read_and_compare(struct write_run *run,
					  const struct stm32_plan_range *range, uint32_t offset,
					  uint32_t n, struct flash_progress *p,
					  struct stm32_error *err)
{
	uint8_t found[FLASH_PIECE_MAX];
	struct flash_progress quiet = { .phase = STM32_PHASE_VERIFY };
	for (unsigned reads = 0;; reads++) {
		enum stm32_status status = flash_read_range(run->t, range->address + offset, n, found,
							    run->retries,
							    reads == 0 ? p : &quiet, err);
		if (status == STM32_OK)
			status = compare_read(range, offset, found, n, err);
		if (status != STM32_E_VERIFY || reads >= VERIFY_REREADS)
			return status;
		stm32_error_clear(err);
	}
}

/* ---- repair: a unit that fails verify is erased and written again ---- */

/* Only a unit this run erased (or found blank) may be erased again: NOR
 * flash cannot set bits back without an erase, and a unit the plan left
 * unerased holds bytes the user did not ask to lose. */
static bool repairable(const struct write_run *run, long unit)
{
	return unit >= 0 && (run->state[unit] == UNIT_ERASE || run->state[unit] == UNIT_BLANK);
}

static enum stm32_status rewrite_unit(struct write_run *run, size_t index, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	const struct stm32_plan_unit *u = &plan->units[index];
	struct stm32_plan_sector sector = { u->index, u->address, u->size };
	struct stm32_plan only_this = *plan;
	only_this.erase_kind = STM32_ERASE_KIND_PAGES;
	only_this.erase_banks = 0;
	only_this.sectors = &sector;
	only_this.sector_count = 1;
	enum stm32_status status = flash_run_erase(run->t, &only_this, run->retries, NULL, NULL, err);
	run->state[index] = UNIT_ERASE;
	run->crc_verified[index] = false;
	for (size_t b = 0; status == STM32_OK && b < u->block_count; b++) {
		const uint8_t *data = block_bytes(run, u->first_block + b);
		if (!data)
			continue;
		struct stm32_plan_block block = plan->blocks[u->first_block + b];
		block.data = data;
		status = flash_write_block(run->t, run->retries, &block, err);
	}
	return status;
}

/* Every image byte of the unit, read back. */
static enum stm32_status verify_unit_by_reading(struct write_run *run, size_t index,
						struct stm32_error *err)
{
	const struct stm32_plan_unit *u = &run->plan->units[index];
	uint64_t unit_end = (uint64_t)u->address + u->size;
	struct flash_progress quiet = { .phase = STM32_PHASE_VERIFY };
	for (size_t r = 0; r < run->plan->range_count; r++) {
		const struct stm32_plan_range *range = &run->plan->ranges[r];
		uint64_t lo = range->address > u->address ? range->address : u->address;
		uint64_t hi = (uint64_t)range->address + range->length;
		hi = hi < unit_end ? hi : unit_end;
		for (uint64_t at = lo; at < hi;) {
			uint32_t piece = flash_piece(run->t);
			uint32_t n = hi - at < piece ? (uint32_t)(hi - at) : piece;
			enum stm32_status status = read_and_compare(
				run, range, (uint32_t)(at - range->address), n, &quiet, err);
			if (status != STM32_OK)
				return status;
			at += n;
		}
	}
	return STM32_OK;
}

/* A verify failure in a unit this run erased: most likely a block that never
 * reached the flash (a chip reset in the middle of it, after which the chip
 * synced on a 0x7F inside the data and ACKed it). Erase the unit again and
 * rewrite it, up to the retries times; then give up with the last
 * difference, saying what was tried. */
static enum stm32_status repair_unit(struct write_run *run, size_t index, struct stm32_error *err)
{
	struct stm32_error last = *err;
	unsigned attempts = run->retries;
	for (unsigned tries = 1; tries <= attempts; tries++) {
		stm32_error_clear(err);
		enum stm32_status status = rewrite_unit(run, index, err);
		if (status == STM32_OK)
			status = verify_unit_by_reading(run, index, err);
		run->report->units_rewritten++;
		if (status == STM32_OK)
			return STM32_OK;
		if (status != STM32_E_VERIFY)
			return status;
		last = *err;
	}
	*err = last;
	if (attempts == 0)
		return last.status;
	char first[sizeof(last.message)];
	memcpy(first, last.message, sizeof(first));
	stm32_error_set(err, STM32_E_VERIFY,
			"%.180s (still after erasing and rewriting its erase unit %u times)", first,
			attempts);
	if (last.has_address)
		stm32_error_address(err, last.address);
	return STM32_E_VERIFY;
}

static enum stm32_status read_verify(struct write_run *run, struct flash_progress *p,
				     struct stm32_error *err)
{
	for (size_t r = 0; r < run->plan->range_count; r++) {
		const struct stm32_plan_range *range = &run->plan->ranges[r];
		for (uint32_t offset = 0; offset < range->length;) {
			bool skip;
			uint32_t n = next_piece(run, range, offset, &skip);
			enum stm32_status status = STM32_OK;
			if (!skip)
				status = read_and_compare(run, range, offset, n, p, err);
			if (status == STM32_E_VERIFY) {
				long u = unit_at(run->plan, range->address + offset);
				if (repairable(run, u))
					status = repair_unit(run, (size_t)u, err);
			}
			if (status != STM32_OK)
				return status;
			offset += n;
		}
	}
	return STM32_OK;
}

static enum stm32_status run_verify(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	if (!plan->verify || plan->range_count == 0)
		return STM32_OK;
	uint64_t total = 0;
	for (size_t r = 0; r < plan->range_count; r++)
		total += plan->ranges[r].length;
	for (size_t i = 0; i < plan->unit_count; i++)
		if (run->state[i] == UNIT_SAME)
			total -= image_bytes_in(plan, plan->units[i].address,
						(uint64_t)plan->units[i].address + plan->units[i].size);
	struct flash_progress p;
	flash_progress_start(&p, run->progress, run->user, STM32_PHASE_VERIFY, total,
			     plan->ranges[0].address);
	bool all_by_crc = plan->unit_count > 0;
	for (size_t i = 0; i < plan->unit_count; i++) {
		enum stm32_status status = crc_verify_unit(run, i, &p, err);
		if (status == STM32_E_VERIFY && repairable(run, (long)i))
			status = repair_unit(run, i, err);
		if (status != STM32_OK)
			return status;
		all_by_crc = all_by_crc && (run->crc_verified[i] || run->state[i] == UNIT_SAME);
	}
	run->report->verified = true;
	run->report->verified_by_crc = all_by_crc && stm32_target_can(&run->t->desc, STM32_CAP_CRC) &&
				       plan->verify_method == STM32_VERIFY_CRC;
	return read_verify(run, &p, err);
}

/* ---- the whole write ---- */

static enum stm32_status prepare(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	size_t units = plan->unit_count ? plan->unit_count : 1;
	size_t blocks = plan->block_count ? plan->block_count : 1;
	run->state = calloc(units, sizeof(*run->state));
	run->content = calloc(units, sizeof(*run->content));
	run->crc_verified = calloc(units, sizeof(*run->crc_verified));
	run->block_unit = calloc(blocks, sizeof(*run->block_unit));
	if (!run->state || !run->content || !run->crc_verified || !run->block_unit)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the write");
	for (size_t b = 0; b < plan->block_count; b++)
		run->block_unit[b] = -1;
	for (size_t i = 0; i < plan->unit_count; i++) {
		const struct stm32_plan_unit *u = &plan->units[i];
		run->state[i] = u->erased ? UNIT_ERASE : UNIT_WRITE;
		for (size_t b = 0; b < u->block_count; b++)
			run->block_unit[u->first_block + b] = (long)i;
	}
	run->report->units = plan->unit_count;
	return STM32_OK;
}

static void release(struct write_run *run)
{
	for (size_t i = 0; run->content && i < run->plan->unit_count; i++)
		free(run->content[i]);
	free(run->content);
	free(run->state);
	free(run->crc_verified);
	free(run->block_unit);
}

static uint64_t bytes_to_write(const struct write_run *run)
{
	uint64_t total = 0;
	for (size_t b = 0; b < run->plan->block_count; b++)
		if (block_bytes(run, b))
			total += block_image_bytes(run->plan, &run->plan->blocks[b]);
	return total;
}

static enum stm32_status write_steps(struct write_run *run, struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	enum stm32_status status = STM32_OK;
	if (plan->diff)
		status = run_compare(run, err);
	if (status == STM32_OK && plan->preserve)
		status = run_keep(run, err);
	if (status == STM32_OK)
		status = run_unit_erase(run, err);
	if (status != STM32_OK)
		return status;
	struct flash_progress p;
	flash_progress_start(&p, run->progress, run->user, STM32_PHASE_WRITE, bytes_to_write(run),
			     plan->block_count ? plan->blocks[0].address : 0);
	status = run_writes(run, &p, err);
	/* Verify before the option bytes: their reset may clear RAM. */
	if (status == STM32_OK)
		status = run_verify(run, err);
	if (status == STM32_OK && plan->writes_option_bytes)
		status = flash_run_option_writes(run->t, plan, &p, err);
	return status;
}

enum stm32_status flash_execute_write(struct stm32_target *t, const struct stm32_plan *plan,
				      const struct stm32_flash_options *options,
				      struct stm32_flash_report *report, struct stm32_error *err)
{
	struct stm32_flash_report ignored;
	struct write_run run = {
		.t = t, .plan = plan, .progress = options->progress, .user = options->progress_user,
		.retries = options->retries, .report = report ? report : &ignored,
	};
	memset(run.report, 0, sizeof(*run.report));
	enum stm32_status status = prepare(&run, err);
	if (status == STM32_OK)
		status = write_steps(&run, err);
	release(&run);
	return status;
}
