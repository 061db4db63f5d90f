/* Planning for a device's ROM bootloader as the device table describes it,
 * for the planner's unit tests (which have no chip to connect to). */
#ifndef STM32BOOT_TEST_PLAN_UTIL_H
#define STM32BOOT_TEST_PLAN_UTIL_H

#include "stm32boot/plan.h"
#include "stm32boot/rom.h"

#define PLAN_TEST_BAUD 115200u

/* The descriptor is copied into the plan, so one static copy serves. */
static inline const struct stm32_target_desc *rom_target(const struct stm32_device *dev)
{
	static struct stm32_target_desc desc;
	stm32_rom_describe(dev, PLAN_TEST_BAUD, &desc);
	return &desc;
}

/* The estimate of plan with its link at baud. */
static inline void estimate_at(struct stm32_plan *plan, unsigned baud,
			       struct stm32_plan_estimate *out)
{
	plan->target.cost.bits_per_second = baud;
	stm32_plan_estimate(plan, out);
}

static inline uint64_t estimate_ms_at(struct stm32_plan *plan, unsigned baud)
{
	plan->target.cost.bits_per_second = baud;
	return stm32_plan_estimate_ms(plan);
}

static inline void estimate_diff_at(struct stm32_plan *plan, unsigned baud,
				    struct stm32_plan_estimate_diff *out)
{
	plan->target.cost.bits_per_second = baud;
	stm32_plan_estimate_diff(plan, out);
}

#endif
