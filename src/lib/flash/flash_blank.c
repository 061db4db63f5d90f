/* The blank check before a write plan's erase (plan->blank_check): the
 * chip's CRC of what an erase would cover, against the CRC of erased
 * flash, so that an erase the chip shows already done is not done again.
 * A new chip is blank: on a production line this saves the whole erase,
 * which on the big-sector families is most of the time a write takes (an
 * F407's first 512 KiB: 8 s of erase for 2 s of programming). */
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"

uint32_t flash_crc_of_erased(uint32_t length, uint8_t erased)
{
	uint8_t blank[256];
	memset(blank, erased, sizeof blank);
	uint32_t crc = 0xFFFFFFFFu;
	for (uint32_t done = 0; done < length;) {
		uint32_t n = length - done < sizeof(blank) ? length - done : (uint32_t)sizeof(blank);
		crc = stm32_crc32(crc, blank, n);
		done += n;
	}
	return crc;
}

struct blank_run {
	struct stm32_target *t;
	const struct stm32_plan *plan;
	unsigned retries;
	bool *unit_blank;
	bool crc_declined; /* once the chip declines a range, ask no more */
};

/* Whether [address, address+length) reads erased, by the chip's CRC. A
 * range the chip declines counts as not blank: the erase then goes ahead. */
static enum stm32_status range_blank(struct blank_run *run, uint32_t address, uint32_t length,
				     bool *blank, struct stm32_error *err)
{
	*blank = false;
	if (run->crc_declined || length == 0)
		return STM32_OK;
	uint32_t crc;
	bool available;
	enum stm32_status status = flash_chip_crc(run->t, run->retries, address, length, &crc,
						  &available, err);
	if (status != STM32_OK)
		return status;
	run->crc_declined = !available;
	*blank = available &&
		 crc == flash_crc_of_erased(length, stm32_device_erased_byte(run->plan->device));
	return STM32_OK;
}

static void mark_units_blank(struct blank_run *run, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < run->plan->unit_count; i++) {
		const struct stm32_plan_unit *u = &run->plan->units[i];
		if (u->erased && u->address >= start && (uint64_t)u->address + u->size <= end)
			run->unit_blank[i] = true;
	}
}

static void bank_range(const struct stm32_device *dev, unsigned bank, uint32_t *start,
		       uint32_t *length)
{
	uint32_t end = dev->flash_start + dev->flash_size;
	uint32_t split = dev->bank_count > 1 && dev->bank2_start ? dev->bank2_start : end;
	*start = bank == 1 ? dev->flash_start : split;
	*length = bank == 1 ? split - dev->flash_start : end - split;
}

static enum stm32_status check_banks(struct blank_run *run, struct stm32_plan *left,
				     struct stm32_error *err)
{
	for (unsigned bank = 1; bank <= 2; bank++) {
		if (!(left->erase_banks & (1u << (bank - 1))))
			continue;
		uint32_t start, length;
		bool blank;
		bank_range(run->plan->device, bank, &start, &length);
		enum stm32_status status = range_blank(run, start, length, &blank, err);
		if (status != STM32_OK)
			return status;
		if (blank) {
			left->erase_banks &= ~(1u << (bank - 1));
			mark_units_blank(run, start, (uint64_t)start + length);
		}
	}
	return STM32_OK;
}

/* Sectors [first, last] of the plan's list, adjacent in flash: one CRC
 * for the run; when it is not all blank and the plan says a unit's check
 * costs less than its erase, one per unit (a re-flash mostly finds its
 * old program at the start and blank units after it). */
static enum stm32_status check_run(struct blank_run *run, struct stm32_plan *left, size_t first,
				   size_t last, struct stm32_error *err)
{
	const struct stm32_plan_sector *s = run->plan->sectors;
	uint64_t end = (uint64_t)s[last].address + s[last].size;
	bool blank;
	enum stm32_status status = range_blank(run, s[first].address,
					       (uint32_t)(end - s[first].address), &blank, err);
	if (status != STM32_OK)
		return status;
	if (blank) {
		mark_units_blank(run, s[first].address, end);
		return STM32_OK;
	}
	for (size_t i = first; i <= last; i++) {
		blank = false;
		if (first < last && run->plan->blank_check_units)
			status = range_blank(run, s[i].address, s[i].size, &blank, err);
		if (status != STM32_OK)
			return status;
		if (blank)
			mark_units_blank(run, s[i].address, (uint64_t)s[i].address + s[i].size);
		else
			left->sectors[left->sector_count++] = s[i];
	}
	return STM32_OK;
}

static enum stm32_status check_sectors(struct blank_run *run, struct stm32_plan *left,
				       struct stm32_error *err)
{
	const struct stm32_plan *plan = run->plan;
	for (size_t first = 0; first < plan->sector_count;) {
		size_t last = first;
		while (last + 1 < plan->sector_count &&
		       plan->sectors[last + 1].address ==
			       plan->sectors[last].address + plan->sectors[last].size)
			last++;
		enum stm32_status status = check_run(run, left, first, last, err);
		if (status != STM32_OK)
			return status;
		first = last + 1;
	}
	return STM32_OK;
}

enum stm32_status flash_leave_blank_unerased(struct stm32_target *t, const struct stm32_plan *plan,
					     unsigned retries, struct stm32_plan *left,
					     bool *unit_blank, struct stm32_error *err)
{
	*left = *plan;
	left->sector_count = 0;
	left->sectors = calloc(plan->sector_count ? plan->sector_count : 1, sizeof(*left->sectors));
	if (!left->sectors)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	struct blank_run run = { .t = t, .plan = plan, .retries = retries, .unit_blank = unit_blank };
	const struct stm32_device *dev = plan->device;
	enum stm32_status status = STM32_OK;
	/* A whole-flash or whole-bank CRC reads to the end of the device
	 * row's flash: on a chip that did not give its size that may be past
	 * its real end, where the read faults. The erase goes ahead instead. */
	bool whole_flash_known = t->chip.flash_size_known;
	if (plan->erase_kind == STM32_ERASE_KIND_MASS) {
		if (plan->sector_count) /* a mass plan may list none (sectors NULL) */
			memcpy(left->sectors, plan->sectors,
			       plan->sector_count * sizeof(*left->sectors));
		left->sector_count = plan->sector_count;
		bool blank = false;
		if (whole_flash_known)
			status = range_blank(&run, dev->flash_start, dev->flash_size, &blank, err);
		if (status == STM32_OK && blank) {
			left->erase_kind = STM32_ERASE_KIND_NONE;
			left->sector_count = 0;
			mark_units_blank(&run, dev->flash_start, (uint64_t)dev->flash_start + dev->flash_size);
		}
		return status;
	}
	if (plan->erase_kind != STM32_ERASE_KIND_PAGES)
		return STM32_OK;
	if (whole_flash_known)
		status = check_banks(&run, left, err);
	if (status == STM32_OK)
		status = check_sectors(&run, left, err);
	if (status == STM32_OK && left->erase_banks == 0 && left->sector_count == 0)
		left->erase_kind = STM32_ERASE_KIND_NONE;
	return status;
}
