/* The executor with a back end that writes behind (target.h: write_behind
 * and finish): the fake's blocks land two calls late (as through a
 * two-slot loader), so a failure shows up at a later block's call or at
 * finish. The executor must still end
 * with the image on the chip, name the address that failed, retry only
 * what is worth it, finish before anything else talks to the chip, and
 * never report success after a failed finish. */
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

#define F103 "stm32f103xb"
#define FLASH 0x08000000u
#define BLOCK 256u /* the fake's max_write: the planner's block */

static void add_pattern(struct stm32_image *image, uint32_t address, size_t length, uint8_t seed)
{
	fake_image_add_pattern(image, address, length, 7, seed);
}

static void plan_for(struct fake_target *f, const struct stm32_image *image, bool verify,
		     struct stm32_plan *plan)
{
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.verify = verify;
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

static bool holds(struct fake_target *f, const struct stm32_image *image)
{
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *s = &image->segments[i];
		if (memcmp(fake_target_flash_at(f, s->address), s->data, s->length) != 0)
			return false;
	}
	return true;
}

/* 3 KiB from the start: 12 blocks of 256 bytes in pages 0-2. */
struct setup {
	struct fake_target f;
	struct stm32_image image;
	struct stm32_plan plan;
};

static void set_up(struct setup *s, unsigned caps, bool behind, bool verify)
{
	fake_target_init(&s->f, F103, caps, true);
	if (behind)
		fake_target_behind(&s->f);
	stm32_image_init(&s->image);
	add_pattern(&s->image, FLASH, 3 * 1024, 5);
	plan_for(&s->f, &s->image, verify, &s->plan);
}

static void tear_down(struct setup *s)
{
	stm32_plan_free(&s->plan);
	stm32_image_free(&s->image);
	fake_target_free(&s->f);
}

static void blocks_go_behind_and_are_finished_before_the_verify(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, STM32_CAP_CRC, true, true);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, &report, &err), STM32_OK);
	assert_true(holds(&s.f, &s.image));
	assert_int_equal(s.f.behind_calls, 12);
	assert_int_equal(s.f.calls[FAKE_WRITE], 0);
	assert_int_equal(s.f.finishes, 1);
	assert_int_equal(s.f.touched_in_flight, 0); /* the CRC verify came after finish */
	assert_true(report.verified_by_crc);
	assert_int_equal(report.blocks_written, 12);
	tear_down(&s);
}

static void without_both_entries_the_plain_write_is_used(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, STM32_CAP_CRC, false, true);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, NULL, &err), STM32_OK);
	assert_true(holds(&s.f, &s.image));
	assert_int_equal(s.f.behind_calls + s.f.finishes, 0);
	assert_int_equal(s.f.calls[FAKE_WRITE], 12);
	/* write_behind alone (no finish) is not write-behind either. */
	struct fake_target g;
	fake_target_init(&g, F103, 0, true);
	fake_target_behind(&g);
	struct stm32_target_ops half = *g.target.ops;
	half.finish = NULL;
	g.target.ops = &half;
	assert_false(stm32_target_can_write_behind(&g.target));
	assert_int_equal(run(&g, &s.plan, 3, NULL, &err), STM32_OK);
	assert_true(holds(&g, &s.image));
	assert_int_equal(g.behind_calls, 0);
	assert_int_equal(g.calls[FAKE_WRITE], 12);
	fake_target_free(&g);
	tear_down(&s);
}

/* The last block fails as it lands, seen only by finish: without verify
 * nothing else would notice, so the run must fail, naming that block. */
static void flash_error_at_finish_fails_the_run_at_the_last_block(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, STM32_CAP_CRC, true, false);
	fake_target_fault(&s.f, FAKE_LAND, 12, 1, FAKE_FLASH_ERROR);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, NULL, &err), STM32_E_VERIFY);
	assert_int_equal(err.op, STM32_OP_WRITE);
	assert_true(err.has_address);
	assert_int_equal(err.address, FLASH + 11 * BLOCK);
	assert_int_equal(s.f.finishes, 1);
	assert_int_equal(s.f.recovers, 0); /* a flash error is not retried */
	tear_down(&s);
}

/* Block 2 fails as it lands, reported by block 4's call: the error names
 * block 2, not the block in hand, and the run stops there. */
static void flash_error_of_an_earlier_block_names_that_block(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, 0, true, true);
	fake_target_fault(&s.f, FAKE_LAND, 2, 1, FAKE_FLASH_ERROR);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, NULL, &err), STM32_E_VERIFY);
	assert_int_equal(err.op, STM32_OP_WRITE);
	assert_int_equal(err.address, FLASH + 1 * BLOCK);
	assert_int_equal(s.f.behind_calls, 4);
	assert_int_equal(s.f.touched_in_flight, 0);
	tear_down(&s);
}

/* A timeout as block 5 lands (in block 7's call): after recovering, blocks
 * 5, 6 and 7 are looked at and those that did not land are written again;
 * then the run goes on without write-behind and the flash ends up right. */
static void timeout_in_flight_is_retried_and_the_flash_ends_right(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, STM32_CAP_CRC, true, false);
	fake_target_fault(&s.f, FAKE_LAND, 5, 1, FAKE_TIMEOUT);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, NULL, &err), STM32_OK);
	assert_true(holds(&s.f, &s.image));
	assert_int_equal(s.f.recovers, 1);
	assert_int_equal(s.f.behind_calls, 7);
	/* 5, 6 and 7 again (none landed), then 8..12 synchronously. */
	assert_int_equal(s.f.calls[FAKE_WRITE], 3 + 5);
	assert_int_equal(s.f.touched_in_flight, 0);
	tear_down(&s);
}

/* The last block landed but its answer was lost at finish: it is read
 * back, found there and not written twice. */
static void lost_answer_at_finish_is_checked_against_the_chip(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, 0, true, false);
	fake_target_fault(&s.f, FAKE_LAND, 12, 1, FAKE_REPLY_LOST);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, NULL, &err), STM32_OK);
	assert_true(holds(&s.f, &s.image));
	assert_int_equal(s.f.recovers, 1);
	assert_int_equal(s.f.calls[FAKE_WRITE], 0);
	assert_true(s.f.calls[FAKE_READ] >= 2); /* the last two blocks looked at */
	tear_down(&s);
}

static void timeout_at_finish_without_retries_fails(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, 0, true, false);
	fake_target_fault(&s.f, FAKE_LAND, 12, 1, FAKE_TIMEOUT);
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 0, NULL, &err), STM32_E_TIMEOUT);
	assert_int_equal(err.op, STM32_OP_WRITE);
	assert_int_equal(err.address, FLASH + 11 * BLOCK);
	assert_false(holds(&s.f, &s.image));
	tear_down(&s);
}

/* A block that lands with a wrong bit: write-behind reports nothing, the
 * CRC verify finds the unit and the repair rewrites it. */
static void bad_landing_is_caught_by_the_verify_and_repaired(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, STM32_CAP_CRC, true, true);
	fake_target_fault(&s.f, FAKE_LAND, 6, 1, FAKE_FLIP_BIT);
	struct stm32_flash_report report;
	struct stm32_error err;
	assert_int_equal(run(&s.f, &s.plan, 3, &report, &err), STM32_OK);
	assert_true(holds(&s.f, &s.image));
	assert_int_equal(report.units_rewritten, 1);
	assert_int_equal(s.f.touched_in_flight, 0);
	tear_down(&s);
}

static bool cancel_at_third(void *user, enum stm32_phase phase, uint64_t done, uint64_t total,
			    uint32_t address)
{
	(void)total;
	(void)address;
	unsigned *steps = user;
	return phase != STM32_PHASE_WRITE || done == 0 || ++*steps < 3;
}

/* Cancelled with a block in flight: finish still runs (nothing may be
 * left in flight), and the cancel is what the run reports. */
static void cancel_in_flight_still_finishes(void **state)
{
	(void)state;
	struct setup s;
	set_up(&s, 0, true, true);
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	unsigned steps = 0;
	options.progress = cancel_at_third;
	options.progress_user = &steps;
	struct stm32_error err;
	assert_int_equal(stm32_flash_execute(&s.f.target, &s.plan, &options, NULL, &err),
			 STM32_E_CANCELLED);
	assert_int_equal(s.f.finishes, 1);
	assert_int_equal(s.f.pending, 0);
	tear_down(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_go_behind_and_are_finished_before_the_verify),
		cmocka_unit_test(without_both_entries_the_plain_write_is_used),
		cmocka_unit_test(flash_error_at_finish_fails_the_run_at_the_last_block),
		cmocka_unit_test(flash_error_of_an_earlier_block_names_that_block),
		cmocka_unit_test(timeout_in_flight_is_retried_and_the_flash_ends_right),
		cmocka_unit_test(lost_answer_at_finish_is_checked_against_the_chip),
		cmocka_unit_test(timeout_at_finish_without_retries_fails),
		cmocka_unit_test(bad_landing_is_caught_by_the_verify_and_repaired),
		cmocka_unit_test(cancel_in_flight_still_finishes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
