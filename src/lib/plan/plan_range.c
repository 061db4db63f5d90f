/* Flash plans: reading and checksumming a range. */
#include <inttypes.h>
#include <stdlib.h>

#include "plan/plan_internal.h"

static enum stm32_status plan_range(const struct stm32_target_desc *target,
				    const struct stm32_plan_options *opts,
				    enum stm32_plan_action action, struct stm32_plan *plan,
				    struct stm32_error *err)
{
	const struct stm32_device *dev = target->device;
	plan_start(plan, target, action, opts);
	uint32_t start;
	uint64_t end;
	enum stm32_status status = plan_resolve_range(
		dev, opts, dev->flash_start, (uint64_t)dev->flash_start + dev->flash_size, &start,
		&end, err);
	if (status != STM32_OK)
		return status;
	enum stm32_region region;
	uint64_t region_end = plan_region_end(dev, start, &region);
	if (region_end == 0 || end > region_end || end <= start) {
		stm32_error_set(err, STM32_E_RANGE,
				"0x%08" PRIX32 "-0x%08" PRIX64 " is not inside one memory region of %s "
				"(flash 0x%08" PRIX32 "-0x%08" PRIX32 ")",
				start, end - 1, dev->name, dev->flash_start,
				dev->flash_start + dev->flash_size - 1);
		stm32_error_address(err, region_end == 0 ? start : (uint32_t)region_end);
		return STM32_E_RANGE;
	}
	plan->ranges = calloc(1, sizeof(*plan->ranges));
	if (!plan->ranges)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the plan");
	plan->ranges[0] = (struct stm32_plan_range){
		.address = start, .length = (uint32_t)(end - start), .region = region,
	};
	plan->range_count = 1;
	plan->range_bytes = end - start;
	return STM32_OK;
}

enum stm32_status stm32_plan_read(const struct stm32_target_desc *target,
				  const struct stm32_plan_options *opts, struct stm32_plan *plan,
				  struct stm32_error *err)
{
	enum stm32_status status = plan_range(target, opts, STM32_PLAN_READ, plan, err);
	if (status != STM32_OK)
		stm32_plan_free(plan);
	return status;
}

enum stm32_status stm32_plan_checksum(const struct stm32_target_desc *target,
				      const struct stm32_plan_options *opts, struct stm32_plan *plan,
				      struct stm32_error *err)
{
	enum stm32_status status = plan_range(target, opts, STM32_PLAN_CHECKSUM, plan, err);
	if (status == STM32_OK && (plan->ranges[0].address % 4 || plan->ranges[0].length % 4)) {
		status = stm32_error_set(err, STM32_E_INVALID,
					 "checksum range 0x%08" PRIX32 " + %" PRIu32
					 " bytes: address and length must be multiples of 4",
					 plan->ranges[0].address, plan->ranges[0].length);
		stm32_error_address(err, plan->ranges[0].address);
	}
	if (status != STM32_OK)
		stm32_plan_free(plan);
	return status;
}
