/* Flash plans: choosing what to erase, and erase-only plans. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

static bool all_selected(const uint8_t *selected, size_t first, size_t end)
{
	for (size_t i = first; i < end; i++)
		if (!selected[i])
			return false;
	return true;
}

/* Typical time to erase units [first, end) one by one. */
static uint64_t unit_erase_ms(const struct stm32_device *dev, size_t first, size_t end)
{
	uint64_t total = 0;
	for (size_t i = first; i < end; i++) {
		uint32_t size;
		stm32_device_sector(dev, i, NULL, &size);
		total += stm32_device_erase_ms(dev, size);
	}
	return total;
}

/* Mass and bank erases lose nothing extra when every unit is erased anyway;
 * take them only where the family erases that way faster (it does on most;
 * a family whose mass erase is slow or unknown keeps the page list). */
static bool mass_is_faster(const struct stm32_device *dev, size_t first, size_t end)
{
	return dev->t_mass_ms > 0 && dev->t_mass_ms <= unit_erase_ms(dev, first, end);
}

/* A bank wholly selected is cheaper as one bank erase than as its page list. */
static void take_whole_banks(struct stm32_plan *plan, uint8_t *selected, size_t count)
{
	const struct stm32_device *dev = plan->device;
	if (!stm32_target_can(&plan->target, STM32_CAP_BANK_ERASE) || dev->bank_count != 2 ||
	    dev->bank2_first_sector == 0 || dev->bank2_first_sector >= count)
		return;
	size_t bounds[3] = { 0, dev->bank2_first_sector, count };
	for (unsigned bank = 0; bank < 2; bank++) {
		if (!all_selected(selected, bounds[bank], bounds[bank + 1]) ||
		    !mass_is_faster(dev, bounds[bank], bounds[bank + 1]))
			continue;
		plan->erase_banks |= 1u << bank;
		memset(selected + bounds[bank], 0, bounds[bank + 1] - bounds[bank]);
	}
}

static enum stm32_status list_sectors(struct stm32_plan *plan, const uint8_t *selected,
				      size_t count, struct stm32_error *err)
{
	size_t listed = 0;
	for (size_t i = 0; i < count; i++)
		listed += selected[i] ? 1 : 0;
	if (listed == 0)
		return STM32_OK;
	plan->sectors = calloc(listed, sizeof(*plan->sectors));
	if (!plan->sectors)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	for (size_t i = 0; i < count; i++) {
		if (!selected[i])
			continue;
		struct stm32_plan_sector *sector = &plan->sectors[plan->sector_count++];
		sector->index = (uint32_t)i;
		stm32_device_sector(plan->device, i, &sector->address, &sector->size);
	}
	return STM32_OK;
}

enum stm32_status plan_set_erase(struct stm32_plan *plan, const struct stm32_plan_options *opts,
				 const uint8_t *selected, bool whole_flash_requested,
				 struct stm32_error *err)
{
	const struct stm32_device *dev = plan->device;
	size_t count = stm32_device_sector_count(dev);
	uint8_t *chosen = malloc(count ? count : 1);
	if (!chosen)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	if (selected)
		memcpy(chosen, selected, count);
	else
		memset(chosen, 1, count);

	enum stm32_status status = STM32_OK;
	bool every_unit = count > 0 && all_selected(chosen, 0, count);
	bool may_mass = whole_flash_requested || opts->allow_mass_erase;
	bool has_mass = stm32_target_can(&plan->target, STM32_CAP_MASS_ERASE);
	if (every_unit && may_mass && has_mass &&
	    mass_is_faster(dev, 0, count)) {
		plan->erase_kind = STM32_ERASE_KIND_MASS;
		goto out;
	}
	if (every_unit && whole_flash_requested)
		plan->mass_erase_unavailable = true;
	if (may_mass && has_mass)
		take_whole_banks(plan, chosen, count);
	status = list_sectors(plan, chosen, count, err);
	if (status == STM32_OK && (plan->erase_banks || plan->sector_count))
		plan->erase_kind = STM32_ERASE_KIND_PAGES;
out:
	free(chosen);
	return status;
}

size_t stm32_plan_erase_commands(const struct stm32_plan *plan)
{
	switch (plan->erase_kind) {
	case STM32_ERASE_KIND_NONE:
		return 0;
	case STM32_ERASE_KIND_MASS:
		return 1;
	case STM32_ERASE_KIND_PAGES:
		break;
	}
	size_t banks = (plan->erase_banks & 1u) + ((plan->erase_banks >> 1) & 1u);
	size_t chunk = plan->erase_chunk ? plan->erase_chunk : 1;
	return banks + (plan->sector_count + chunk - 1) / chunk;
}

/* -S range for erase-only: it must start and end on unit boundaries. */
static enum stm32_status select_range(const struct stm32_device *dev,
				      const struct stm32_plan_options *opts, uint8_t *selected,
				      struct stm32_error *err)
{
	uint32_t flash_end = dev->flash_start + dev->flash_size;
	uint32_t start = opts->range_address;
	uint64_t end = opts->range_length ? (uint64_t)start + opts->range_length : flash_end;
	if (!stm32_device_in_flash(dev, start, end - start) || end == start) {
		stm32_error_set(err, STM32_E_RANGE,
				"erase range 0x%08X-0x%08llX is not inside flash 0x%08X-0x%08X",
				start, (unsigned long long)(end - 1), dev->flash_start, flash_end - 1);
		stm32_error_address(err, start);
		return STM32_E_RANGE;
	}
	long first = stm32_device_sector_at(dev, start);
	long last = stm32_device_sector_at(dev, (uint32_t)(end - 1));
	uint32_t first_addr, last_addr, last_size;
	stm32_device_sector(dev, (size_t)first, &first_addr, NULL);
	stm32_device_sector(dev, (size_t)last, &last_addr, &last_size);
	if (first_addr != start || (uint64_t)last_addr + last_size != end) {
		stm32_error_set(err, STM32_E_RANGE,
				"erase range 0x%08X-0x%08llX is not aligned to erase units "
				"(nearest: 0x%08X-0x%08X)",
				start, (unsigned long long)(end - 1), first_addr,
				last_addr + last_size - 1);
		stm32_error_address(err, first_addr != start ? start : (uint32_t)end);
		return STM32_E_RANGE;
	}
	memset(selected + first, 1, (size_t)(last - first + 1));
	return STM32_OK;
}

/* -s first -e count. */
static enum stm32_status select_pages(const struct stm32_device *dev,
				      const struct stm32_plan_options *opts, uint8_t *selected,
				      struct stm32_error *err)
{
	size_t total = stm32_device_sector_count(dev);
	uint64_t first = opts->first_page;
	uint64_t count = opts->page_count ? opts->page_count : (first < total ? total - first : 0);
	if (first >= total || first + count > total || count == 0)
		return stm32_error_set(err, STM32_E_RANGE,
				       "erase units %llu..%llu do not exist: %s has units 0..%zu",
				       (unsigned long long)first,
				       (unsigned long long)(first + (count ? count : 1) - 1), dev->name,
				       total - 1);
	memset(selected + first, 1, (size_t)count);
	return STM32_OK;
}

enum stm32_status stm32_plan_erase(const struct stm32_target_desc *target,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err)
{
	const struct stm32_device *device = target->device;
	plan_start(plan, target, STM32_PLAN_ERASE, opts);
	if (opts->has_range && opts->has_pages)
		return stm32_error_set(err, STM32_E_INVALID,
				       "give either an address range or a page range to erase, not both");
	if (!opts->has_range && !opts->has_pages)
		return plan_set_erase(plan, opts, NULL, true, err);

	size_t total = stm32_device_sector_count(device);
	uint8_t *selected = calloc(total ? total : 1, 1);
	if (!selected)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	enum stm32_status status = opts->has_range ? select_range(device, opts, selected, err)
						   : select_pages(device, opts, selected, err);
	if (status == STM32_OK)
		status = plan_set_erase(plan, opts, selected, false, err);
	free(selected);
	if (status != STM32_OK)
		stm32_plan_free(plan);
	return status;
}
