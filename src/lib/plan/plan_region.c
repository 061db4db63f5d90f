/* Flash plans: memory regions, options, and the plan's own storage. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

#define SRAM_BASE 0x20000000u /* every STM32 maps its main SRAM here */

void stm32_plan_options_default(struct stm32_plan_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->erase = STM32_ERASE_TOUCHED;
	opts->allow_mass_erase = true;
	opts->block_size = STM32_PLAN_DEFAULT_BLOCK;
	opts->verify = true;
	opts->verify_method = STM32_VERIFY_AUTO;
	opts->skip_blank_erase = true;
}

const char *stm32_region_name(enum stm32_region region)
{
	switch (region) {
	case STM32_REGION_FLASH:
		return "flash";
	case STM32_REGION_RAM:
		return "RAM";
	case STM32_REGION_OPTION:
		return "option bytes";
	case STM32_REGION_SYSTEM:
		return "system memory";
	case STM32_REGION_OTP:
		return "OTP";
	}
	return "?";
}

static bool inside(uint32_t address, uint32_t start, uint64_t end)
{
	return address >= start && address < end;
}

uint64_t plan_region_end(const struct stm32_device *device, uint32_t address,
			 enum stm32_region *region)
{
	struct {
		enum stm32_region region;
		uint32_t start;
		uint64_t end;
	} const regions[] = {
		{ STM32_REGION_FLASH, device->flash_start,
		  (uint64_t)device->flash_start + device->flash_size },
		{ STM32_REGION_RAM, device->ram_start, device->ram_end },
		{ STM32_REGION_OPTION, device->opt_start,
		  (uint64_t)device->opt_start + device->opt_size },
		{ STM32_REGION_SYSTEM, device->sysmem_start, device->sysmem_end },
		/* Empty ranges (start == end) where a family has none. */
		{ STM32_REGION_SYSTEM, device->sysmem2_start, device->sysmem2_end },
		{ STM32_REGION_OTP, device->otp_start, device->otp_end },
	};
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		if (inside(address, regions[i].start, regions[i].end)) {
			if (region)
				*region = regions[i].region;
			return regions[i].end;
		}
	}
	return 0;
}

bool stm32_plan_region_at(const struct stm32_device *device, uint32_t address,
			  enum stm32_region *region, uint32_t *region_end)
{
	uint64_t end = plan_region_end(device, address, region);
	if (end == 0)
		return false;
	if (region_end)
		*region_end = (uint32_t)end; /* no STM32 region ends at 4 GiB */
	return true;
}

uint32_t plan_program_align(const struct stm32_device *device, enum stm32_region region)
{
	if (region == STM32_REGION_FLASH && device->program_unit > 4)
		return device->program_unit;
	return 4;
}

enum stm32_status plan_resolve_range(const struct stm32_device *device,
				     const struct stm32_plan_options *opts, uint32_t default_start,
				     uint64_t default_end, uint32_t *start, uint64_t *end,
				     struct stm32_error *err)
{
	if (!opts->has_range) {
		*start = default_start;
		*end = default_end;
		return STM32_OK;
	}
	*start = opts->range_address;
	if (opts->range_length != 0) {
		*end = (uint64_t)opts->range_address + opts->range_length;
		return STM32_OK;
	}
	*end = plan_region_end(device, opts->range_address, NULL);
	if (*end == 0) {
		stm32_error_set(err, STM32_E_RANGE,
				"0x%08X is in no memory region of %s; give a length",
				opts->range_address, device->name);
		stm32_error_address(err, opts->range_address);
		return STM32_E_RANGE;
	}
	return STM32_OK;
}

void plan_start(struct stm32_plan *plan, const struct stm32_target_desc *target,
		enum stm32_plan_action action, const struct stm32_plan_options *opts)
{
	memset(plan, 0, sizeof(*plan));
	plan->action = action;
	plan->target = *target;
	plan->device = target->device;
	plan->erase_kind = STM32_ERASE_KIND_NONE;
	plan->erase_chunk = plan_erase_chunk(target, opts);
	plan->block_size = plan_block_size(target, opts);
}

uint32_t plan_erase_chunk(const struct stm32_target_desc *target,
			  const struct stm32_plan_options *opts)
{
	uint32_t limit = target->erase_units_per_request ? target->erase_units_per_request : 1;
	if (opts->erase_chunk != 0 && opts->erase_chunk < limit)
		limit = opts->erase_chunk;
	return limit;
}

uint32_t plan_block_size(const struct stm32_target_desc *target,
			 const struct stm32_plan_options *opts)
{
	if (opts->block_size)
		return opts->block_size;
	if (target->max_write && target->max_write < STM32_PLAN_DEFAULT_BLOCK)
		return target->max_write;
	return STM32_PLAN_DEFAULT_BLOCK;
}

void stm32_plan_free(struct stm32_plan *plan)
{
	if (!plan)
		return;
	free(plan->sectors);
	free(plan->blocks);
	free(plan->ranges);
	free(plan->units);
	free(plan->compares);
	free(plan->keeps);
	free(plan->storage);
	free(plan->extra_storage);
	memset(plan, 0, sizeof(*plan));
}

bool plan_in_reserved_ram(const struct stm32_device *device, uint32_t address)
{
	return address >= SRAM_BASE && address < device->ram_start;
}
