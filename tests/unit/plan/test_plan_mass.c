/* Planner: a whole-flash erase becomes a mass (or bank) erase only where the
 * family erases that way faster than page by page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/plan.h"
#include "plan_test_util.h"

static void fill_flash(struct stm32_image *image, const struct stm32_device *dev)
{
	uint8_t *data = malloc(dev->flash_size);
	assert_non_null(data);
	memset(data, 0x5A, dev->flash_size);
	assert_int_equal(stm32_image_add(image, dev->flash_start, data, dev->flash_size, NULL), STM32_OK);
	free(data);
}

static void plan_whole_flash(const struct stm32_device *dev, struct stm32_plan *plan)
{
	struct stm32_image image;
	stm32_image_init(&image);
	fill_flash(&image, dev);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_plan_write(rom_target(dev), &image, &opts, plan, &err), STM32_OK);
	stm32_image_free(&image);
}

static void test_fast_mass_erase_is_taken(void **state)
{
	(void)state;
	struct stm32_plan plan;
	plan_whole_flash(stm32_device_find("stm32f103xb"), &plan); /* 20 ms vs 128 x 20 ms */
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	stm32_plan_free(&plan);
}

static void test_slow_mass_erase_keeps_the_page_list(void **state)
{
	(void)state;
	/* the F103xB row with a mass erase slower than its 128 page erases */
	struct stm32_device slow = *stm32_device_find("stm32f103xb");
	slow.t_mass_ms = 128 * 20 + 1;
	struct stm32_plan plan;
	plan_whole_flash(&slow, &plan);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.sector_count, 128);
	assert_int_equal(plan.erase_banks, 0);
	stm32_plan_free(&plan);
}

static void test_unknown_mass_time_keeps_the_page_list(void **state)
{
	(void)state;
	struct stm32_device unknown = *stm32_device_find("stm32f103xb");
	unknown.t_mass_ms = 0;
	struct stm32_plan plan;
	plan_whole_flash(&unknown, &plan);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	stm32_plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_mass_erase_is_taken),
		cmocka_unit_test(test_slow_mass_erase_keeps_the_page_list),
		cmocka_unit_test(test_unknown_mass_time_keeps_the_page_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
