/* The executor's policy against the in-memory fake target: retries,
 * replies lost after the fact, rewrite after a failed verify, CRC verify
 * and its fallback, --diff, --preserve, option bytes last. No protocol is
 * involved: the byte-level cases are the ROM back end's (test_flash.c). */
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

#define F103 "stm32f103xb" /* 1 KiB pages, option bytes at 0x1FFFF800 */
#define FLASH 0x08000000u

static void add_pattern(struct stm32_image *image, uint32_t address, size_t length, uint8_t seed)
{
	fake_image_add_pattern(image, address, length, 13, seed);
}

static void plan_for(struct fake_target *f, const struct stm32_image *image, bool diff,
		     bool preserve, struct stm32_plan *plan)
{
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.diff = diff;
	opts.preserve = preserve;
	assert_int_equal(stm32_plan_write(&f->target.desc, image, &opts, plan, NULL), STM32_OK);
}

static enum stm32_status run(struct fake_target *f, const struct stm32_plan *plan, unsigned retries,
			     struct stm32_flash_report *report, struct stm32_error *err)
{
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	options.retries = retries;
	return stm32_flash_execute(&f->target, plan, &options, report, err);
}

static void assert_holds(struct fake_target *f, const struct stm32_image *image)
{
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *s = &image->segments[i];
		assert_memory_equal(fake_target_flash_at(f, s->address), s->data, s->length);
	}
}

static void writes_erases_touched_units_and_verifies(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH + 0x400, 1500, 1); /* pages 1 and 2 */
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, &report, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_int_equal(f.units_erased, 2);
	assert_true(report.verified);
	assert_false(report.verified_by_crc); /* no CRC: read back */
	assert_true(f.calls[FAKE_READ] > 0);
	assert_int_equal(f.calls[FAKE_CRC], 0);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

static void verifies_by_crc_where_the_back_end_has_one(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, STM32_CAP_CRC, true);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 2048, 2);
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, &report, &err), STM32_OK);
	assert_true(report.verified_by_crc);
	assert_true(f.calls[FAKE_CRC] > 0);
	assert_int_equal(f.calls[FAKE_READ], 0);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

/* A NACK or a silence: recover, then the same request again. A back end
 * without recover is simply asked again. */
static void refused_write_is_retried_after_recovering(void **state)
{
	(void)state;
	for (int with_recover = 0; with_recover <= 1; with_recover++) {
		struct fake_target f;
		fake_target_init(&f, F103, 0, with_recover);
		fake_target_fault(&f, FAKE_WRITE, 2, 2, FAKE_NACK);
		struct stm32_image image;
		stm32_image_init(&image);
		add_pattern(&image, FLASH, 1024, 3);
		struct stm32_plan plan;
		plan_for(&f, &image, false, false, &plan);
		struct stm32_error err;
		assert_int_equal(run(&f, &plan, 3, NULL, &err), STM32_OK);
		assert_holds(&f, &image);
		assert_int_equal(f.calls[FAKE_WRITE], 4 + 2);
		assert_int_equal(f.recovers, with_recover ? 2 : 0);
		stm32_plan_free(&plan);
		stm32_image_free(&image);
		fake_target_free(&f);
	}
}

/* The block was programmed but its answer lost: flash cannot take it twice,
 * so it is read, found right, and not sent again. */
static void block_whose_reply_was_lost_is_not_rewritten(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	fake_target_fault(&f, FAKE_WRITE, 1, 1, FAKE_REPLY_LOST);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 512, 4);
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, NULL, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_int_equal(f.calls[FAKE_WRITE], 2); /* two blocks, neither sent twice */
	assert_int_equal(f.recovers, 1);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

/* The answer to the first try was lost and so was the look that followed;
 * the chip then refuses the block for good (it is no longer blank). That
 * refusal is the first try's doing: looking again finds the block right. */
static void refusal_after_a_lost_reply_is_checked_against_the_chip(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	fake_target_fault(&f, FAKE_WRITE, 1, 1, FAKE_REPLY_LOST);
	fake_target_fault(&f, FAKE_READ, 1, 1, FAKE_TIMEOUT);
	fake_target_fault(&f, FAKE_WRITE, 2, 100, FAKE_NACK);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 256, 6); /* one block */
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, NULL, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_int_equal(f.calls[FAKE_WRITE], 2);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

static void persistent_refusal_fails_naming_the_operation_and_address(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	fake_target_fault(&f, FAKE_WRITE, 2, 100, FAKE_NACK);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 1024, 5);
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 2, NULL, &err), STM32_E_NACK);
	assert_int_equal(err.op, STM32_OP_WRITE);
	assert_true(err.has_address);
	assert_int_equal(err.address, FLASH + 256);
	assert_int_equal(f.calls[FAKE_WRITE], 1 + 1 + 2);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

/* A unit that reads back wrong is erased and written again. */
static void unit_that_fails_verify_is_rewritten(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	fake_target_fault(&f, FAKE_WRITE, 1, 1, FAKE_FLIP_BIT);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 256, 7); /* byte 0 is 7: the flip shows */
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, &report, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_int_equal(report.units_rewritten, 1);
	assert_int_equal(f.units_erased, 2);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

static void diff_leaves_equal_units_alone_and_writes_blank_ones_unerased(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 2048, 8); /* pages 0 and 1 */
	memcpy(fake_target_flash_at(&f, FLASH), image.segments[0].data, 1024); /* page 0 there */
	struct stm32_plan plan;
	plan_for(&f, &image, true, false, &plan);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, &report, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_int_equal(report.units, 2);
	assert_int_equal(report.units_unchanged, 1);
	assert_int_equal(report.units_blank, 1);
	assert_int_equal(f.units_erased, 0);
	assert_int_equal(f.calls[FAKE_WRITE], 4); /* page 1's four blocks only */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

static void preserve_keeps_what_the_erase_would_destroy(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	uint8_t *page = fake_target_flash_at(&f, FLASH);
	for (size_t i = 0; i < 1024; i++)
		page[i] = (uint8_t)(0xA0 ^ i);
	uint8_t before[1024];
	memcpy(before, page, sizeof before);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH + 0x100, 64, 9);
	struct stm32_plan plan;
	plan_for(&f, &image, false, true, &plan);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, &report, &err), STM32_OK);
	assert_holds(&f, &image);
	assert_memory_equal(page, before, 0x100);
	assert_memory_equal(page + 0x140, before + 0x140, 1024 - 0x140);
	assert_int_equal(report.bytes_kept, 1024 - 64);
	assert_int_equal(f.units_erased, 1);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

/* Option bytes go through their own entry, after everything else. */
static void option_bytes_are_written_last_through_their_entry(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, STM32_CAP_OPTION_BYTES, true);
	const struct stm32_device *dev = f.device;
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 256, 10);
	uint8_t user_byte[2] = { 0xFB, 0x04 }; /* USER at opt_start + 2 and its complement */
	assert_int_equal(stm32_image_add(&image, dev->opt_start + 2, user_byte, 2, NULL), STM32_OK);
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	assert_true(plan.writes_option_bytes);
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, NULL, &err), STM32_OK);
	assert_int_equal(f.calls[FAKE_OPTION], 1);
	assert_memory_equal(f.option_bytes + 2, user_byte, 2);
	assert_memory_equal(fake_target_flash_at(&f, FLASH), image.segments[0].data, 256);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

/* A back end without the entry: the plan is refused before anything runs. */
static void back_end_that_cannot_erase_is_refused_before_anything_is_sent(void **state)
{
	(void)state;
	struct fake_target f;
	fake_target_init(&f, F103, 0, true);
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, FLASH, 256, 11);
	struct stm32_plan plan;
	plan_for(&f, &image, false, false, &plan);
	f.target.desc.caps &= ~STM32_CAP_ERASE;
	struct stm32_error err;
	assert_int_equal(run(&f, &plan, 3, NULL, &err), STM32_E_UNSUPPORTED);
	assert_int_equal(err.op, STM32_OP_PLAN);
	assert_int_equal(f.calls[FAKE_WRITE] + f.calls[FAKE_ERASE] + f.calls[FAKE_READ], 0);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	fake_target_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_erases_touched_units_and_verifies),
		cmocka_unit_test(verifies_by_crc_where_the_back_end_has_one),
		cmocka_unit_test(refused_write_is_retried_after_recovering),
		cmocka_unit_test(block_whose_reply_was_lost_is_not_rewritten),
		cmocka_unit_test(refusal_after_a_lost_reply_is_checked_against_the_chip),
		cmocka_unit_test(persistent_refusal_fails_naming_the_operation_and_address),
		cmocka_unit_test(unit_that_fails_verify_is_rewritten),
		cmocka_unit_test(diff_leaves_equal_units_alone_and_writes_blank_ones_unerased),
		cmocka_unit_test(preserve_keeps_what_the_erase_would_destroy),
		cmocka_unit_test(option_bytes_are_written_last_through_their_entry),
		cmocka_unit_test(back_end_that_cannot_erase_is_refused_before_anything_is_sent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
