/* The peripherals of one emulated chip without a core, for the register
 * tests: the chip model and its SoC (bus, flash controller, clocks), one
 * per test. Include after cmocka.h. */
#ifndef STM32SIM_TEST_SOC_RIG_H
#define STM32SIM_TEST_SOC_RIG_H

#include <string.h>

#include "chip/chip.h"
#include "cpu/soc.h"

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_soc soc;
};

static inline void rig_up(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	sim_soc_init(&r->soc, sim_family_info(dev->family), &r->chip, &r->stats, NULL);
}

static inline void rig_down(struct rig *r) { sim_chip_free(&r->chip); }

#endif
