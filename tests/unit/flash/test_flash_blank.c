/* The blank check before a write's erase (plan->blank_check) against the
 * in-memory fake target: what the chip's CRC shows erased is not erased
 * again, what is not blank still is, and the check stays out of the way
 * where it is not safe (ECC families) or not possible (no CRC, a chip
 * declining the range). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_target.h"
#include "stm32boot/flash.h"
#include "stm32boot/plan.h"

#define F103 "stm32f103xb" /* 128 KiB in 1 KiB pages */
#define F407 "stm32f407xg" /* 16, 16, 16, 16, 64, 128... KiB sectors */
#define L476 "stm32l476rg" /* ECC on every double-word */
#define FLASH 0x08000000u

static void add_pattern(struct stm32_image *image, uint32_t address, size_t length, uint8_t seed)
{
	fake_image_add_pattern(image, address, length, 29, seed);
}

/* One write of a pattern to a fake chip: its plan and what the executor
 * reported; the flash is checked to hold the image afterwards. */
struct scenario {
	struct fake_target f;
	struct stm32_image image;
	struct stm32_plan plan;
	struct stm32_flash_report report;
};

static void scenario_init(struct scenario *s, const char *device, unsigned caps)
{
	memset(s, 0, sizeof *s);
	fake_target_init(&s->f, device, caps, true);
	stm32_image_init(&s->image);
}

static void scenario_write(struct scenario *s, uint32_t address, size_t length, uint8_t seed,
			   bool skip_blank)
{
	add_pattern(&s->image, address, length, seed);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.skip_blank_erase = skip_blank;
	assert_int_equal(stm32_plan_write(&s->f.target.desc, &s->image, &opts, &s->plan, NULL),
			 STM32_OK);
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_flash_execute(&s->f.target, &s->plan, &options, &s->report, &err),
			 STM32_OK);
	for (size_t i = 0; i < s->image.count; i++) {
		const struct stm32_segment *g = &s->image.segments[i];
		assert_memory_equal(fake_target_flash_at(&s->f, g->address), g->data, g->length);
	}
}

static void scenario_free(struct scenario *s)
{
	stm32_plan_free(&s->plan);
	stm32_image_free(&s->image);
	fake_target_free(&s->f);
}

static void blank_pages_are_written_without_erasing(void **state)
{
	(void)state;
	struct scenario s;
	scenario_init(&s, F103, STM32_CAP_CRC);
	scenario_write(&s, FLASH + 0x400, 3000, 1, true); /* pages 1 to 3 */
	assert_true(s.plan.blank_check);
	assert_int_equal(s.f.units_erased, 0);
	assert_int_equal(s.report.units_blank, 3);
	assert_int_equal(s.report.units_erased, 0);
	assert_true(s.report.verified_by_crc);
	scenario_free(&s);
}

/* The run's CRC says "not blank"; each page is then asked on its own, and
 * only the one with a byte on it is erased. */
static void only_the_page_that_is_not_blank_is_erased(void **state)
{
	(void)state;
	struct scenario s;
	scenario_init(&s, F103, STM32_CAP_CRC);
	*fake_target_flash_at(&s.f, FLASH + 0x800 + 17) = 0x5A; /* page 2 */
	scenario_write(&s, FLASH + 0x400, 3000, 2, true);
	assert_true(s.plan.blank_check_units);
	assert_int_equal(s.f.units_erased, 1);
	assert_int_equal(s.report.units_erased, 1);
	assert_int_equal(s.report.units_blank, 2);
	/* What lies beside the image in page 3 is erased flash, as after an erase. */
	assert_int_equal(*fake_target_flash_at(&s.f, FLASH + 0x400 + 3000), 0xFF);
	scenario_free(&s);
}

/* A mass erase is skipped only when the whole flash is blank: it also
 * clears what lies outside the image. */
static void mass_erase_is_skipped_only_on_a_blank_chip(void **state)
{
	(void)state;
	const struct stm32_device *dev = stm32_device_find(F103);
	for (int dirty = 0; dirty <= 1; dirty++) {
		struct scenario s;
		scenario_init(&s, F103, STM32_CAP_CRC | STM32_CAP_MASS_ERASE);
		if (dirty)
			*fake_target_flash_at(&s.f, FLASH + dev->flash_size - 1) = 0x00;
		scenario_write(&s, FLASH, dev->flash_size, 3, true);
		assert_int_equal(s.plan.erase_kind, STM32_ERASE_KIND_MASS);
		assert_int_equal(s.f.mass_erases, dirty ? 1 : 0);
		assert_int_equal(s.report.units_blank, dirty ? 0 : s.plan.unit_count);
		scenario_free(&s);
	}
}

/* A chip that did not give its flash size may have less than its device
 * row: a whole-flash CRC could read past the end, so the mass erase goes
 * ahead unchecked. */
static void mass_erase_of_a_chip_of_unknown_size_is_not_checked(void **state)
{
	(void)state;
	const struct stm32_device *dev = stm32_device_find(F103);
	struct scenario s;
	scenario_init(&s, F103, STM32_CAP_CRC | STM32_CAP_MASS_ERASE);
	s.f.target.chip.flash_size_known = false;
	scenario_write(&s, FLASH, dev->flash_size, 4, true);
	assert_int_equal(s.plan.erase_kind, STM32_ERASE_KIND_MASS);
	assert_int_equal(s.f.mass_erases, 1);
	assert_int_equal(s.report.units_blank, 0);
	/* The only CRCs were the verify's, one at most per unit of the image. */
	assert_true(s.f.calls[FAKE_CRC] <= s.plan.unit_count);
	scenario_free(&s);
}

/* The F4's sectors: one CRC over the run of eight finds them all blank. */
static void big_sectors_of_a_blank_f4_are_not_erased(void **state)
{
	(void)state;
	struct scenario s;
	scenario_init(&s, F407, STM32_CAP_CRC);
	scenario_write(&s, FLASH, 512 * 1024, 4, true);
	assert_int_equal(s.f.units_erased, 0);
	assert_int_equal(s.report.units_blank, 8);
	scenario_free(&s);
}

/* Where the check is not safe or not possible, the erase is as planned. */
static void erase_goes_ahead_where_the_check_does_not_apply(void **state)
{
	(void)state;
	struct {
		const char *device;
		unsigned caps;
		bool skip_blank;
	} cases[] = {
		{ L476, STM32_CAP_CRC, true },  /* ECC: blank is not erased */
		{ F103, 0, true },              /* no CRC on the chip */
		{ F103, STM32_CAP_CRC, false }, /* asked not to */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct scenario s;
		scenario_init(&s, cases[i].device, cases[i].caps);
		scenario_write(&s, FLASH + 0x1000, 4096, 5, cases[i].skip_blank);
		assert_false(s.plan.blank_check);
		assert_int_equal(s.f.units_erased, s.plan.unit_count);
		assert_int_equal(s.report.units_blank, 0);
		scenario_free(&s);
	}
}

/* A chip that declines the CRC: nothing is taken for blank. */
static void declined_check_erases_as_planned(void **state)
{
	(void)state;
	struct scenario s;
	scenario_init(&s, F103, STM32_CAP_CRC);
	fake_target_fault(&s.f, FAKE_CRC, 1, 1, FAKE_NACK);
	scenario_write(&s, FLASH, 2048, 6, true);
	assert_true(s.plan.blank_check);
	assert_int_equal(s.f.units_erased, 2);
	assert_int_equal(s.report.units_blank, 0);
	scenario_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blank_pages_are_written_without_erasing),
		cmocka_unit_test(only_the_page_that_is_not_blank_is_erased),
		cmocka_unit_test(mass_erase_is_skipped_only_on_a_blank_chip),
		cmocka_unit_test(mass_erase_of_a_chip_of_unknown_size_is_not_checked),
		cmocka_unit_test(big_sectors_of_a_blank_f4_are_not_erased),
		cmocka_unit_test(erase_goes_ahead_where_the_check_does_not_apply),
		cmocka_unit_test(declined_check_erases_as_planned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
