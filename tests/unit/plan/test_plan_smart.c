/* Planner: diff candidates, preserve keeps, blank blocks, verify method,
 * option-byte lock checks, diff estimates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/plan.h"
#include "plan_test_util.h"

static void add_bytes(struct stm32_image *image, uint32_t address, size_t length, uint8_t value)
{
	uint8_t *data = malloc(length);
	assert_non_null(data);
	for (size_t i = 0; i < length; i++)
		data[i] = value == 0xFF ? 0xFF : (uint8_t)(value + i * 7);
	assert_int_equal(stm32_image_add(image, address, data, length, NULL), STM32_OK);
	free(data);
}

static enum stm32_status plan_with(const char *name, struct stm32_image *image,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err)
{
	const struct stm32_device *dev = stm32_device_find(name);
	assert_non_null(dev);
	stm32_error_clear(err);
	return stm32_plan_write(rom_target(dev), image, opts, plan, err);
}

static void test_diff_lists_touched_units_never_mass(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	add_bytes(&image, 0x08000000, 128 * 1024, 1); /* every page of F103xB */
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.diff = true;
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.sector_count, 128);
	assert_int_equal(plan.unit_count, 128);
	assert_true(plan.diff);
	assert_int_equal(plan.verify_method, STM32_VERIFY_READ); /* F1 has no 0xA1 */
	/* compares cut at page boundaries: one 1 KiB run per page */
	assert_int_equal(plan.compare_count, 128);
	assert_int_equal(plan.units[5].compare_count, 1);
	assert_int_equal(plan.compares[plan.units[5].first_compare].address, 0x08001400);
	assert_int_equal(plan.units[5].block_count, 4);
	struct stm32_plan_estimate_diff estimate;
	estimate_diff_at(&plan, 115200, &estimate);
	assert_true(estimate.compare_ms > 0);
	assert_true(estimate.best_ms < estimate.worst_ms);
	stm32_plan_free(&plan);

	opts.diff = false;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void test_diff_refuses_no_erase(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	add_bytes(&image, 0x08000000, 1024, 1);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.diff = true;
	opts.erase = STM32_ERASE_NO;
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_E_INVALID);
	assert_int_equal(plan.block_count, 0);
	stm32_image_free(&image);
}

static void test_verify_method_by_device(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	add_bytes(&image, 0x08000000, 1024, 1);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32h563zi", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.verify_method, STM32_VERIFY_CRC);
	uint64_t by_crc = estimate_ms_at(&plan, 115200);
	stm32_plan_free(&plan);
	opts.verify_method = STM32_VERIFY_READ;
	assert_int_equal(plan_with("stm32h563zi", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.verify_method, STM32_VERIFY_READ);
	assert_true(estimate_ms_at(&plan, 115200) > by_crc);
	stm32_plan_free(&plan);
	opts.verify_method = STM32_VERIFY_CRC;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.verify_method, STM32_VERIFY_READ); /* no 0xA1 there */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void test_blank_blocks_counted_only_on_erased_flash(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	add_bytes(&image, 0x08000000, 256, 1);
	add_bytes(&image, 0x08000100, 512, 0xFF);
	add_bytes(&image, 0x08000300, 256, 2);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.block_count, 4);
	assert_int_equal(plan.blank_blocks, 2);
	assert_int_equal(plan.blank_bytes, 512);
	stm32_plan_free(&plan);
	opts.erase = STM32_ERASE_NO;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.blank_blocks, 0);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void test_preserve_widens_to_units_and_keeps_the_rest(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	add_bytes(&image, 0x08004100, 1024, 3); /* inside F407 sector 1 (16 KiB) */
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.preserve = true;
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32f407xg", &image, &opts, &plan, &err), STM32_OK);
	assert_true(plan.preserve);
	assert_int_equal(plan.unit_count, 1);
	assert_int_equal(plan.units[0].address, 0x08004000);
	assert_int_equal(plan.block_count, 64); /* 16 KiB in 256-byte blocks */
	assert_int_equal(plan.keep_count, 2);
	assert_int_equal(plan.keeps[0].address, 0x08004000);
	assert_int_equal(plan.keeps[0].length, 0x100);
	assert_int_equal(plan.keeps[1].address, 0x08004500);
	assert_int_equal(plan.keep_bytes, 16 * 1024 - 1024);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void test_option_risk_rules(void **state)
{
	(void)state;
	const struct stm32_device *g0 = stm32_device_find("stm32g071rb");
	const struct stm32_device *g4 = stm32_device_find("stm32g431");
	const struct stm32_device *f1 = stm32_device_find("stm32f103xb");
	assert_non_null(g0);
	assert_non_null(g4);
	assert_non_null(f1);
	uint8_t old_bytes[128], new_bytes[128];
	uint32_t address = 0;
	memcpy(old_bytes, g0->opt_factory, g0->opt_size);
	memcpy(new_bytes, old_bytes, g0->opt_size);
	assert_int_equal(stm32_option_bytes_risk(g0, old_bytes, new_bytes, &address), STM32_OPTION_SAFE);
	new_bytes[0] = 0xCC;
	assert_int_equal(stm32_option_bytes_risk(g0, old_bytes, new_bytes, &address),
			 STM32_OPTION_RDP_LEVEL2);
	assert_int_equal(address, g0->opt_start);
	new_bytes[0] = 0xBB; /* level 1 can be undone */
	assert_int_equal(stm32_option_bytes_risk(g0, old_bytes, new_bytes, &address), STM32_OPTION_SAFE);

	/* F1 has no level 2: 0xCC is just level 1. */
	memcpy(old_bytes, f1->opt_factory, f1->opt_size);
	memcpy(new_bytes, old_bytes, f1->opt_size);
	new_bytes[0] = 0xCC;
	assert_int_equal(stm32_option_bytes_risk(f1, old_bytes, new_bytes, &address), STM32_OPTION_SAFE);

	/* G4: nSWBOOT0 cleared with nBOOT0 set locks the pin out. */
	memcpy(old_bytes, g4->opt_factory, g4->opt_size);
	memcpy(new_bytes, old_bytes, g4->opt_size);
	new_bytes[3] &= (uint8_t)~0x04;
	assert_int_equal(stm32_option_bytes_risk(g4, old_bytes, new_bytes, &address),
			 STM32_OPTION_BOOT_LOCKED);
	new_bytes[3] &= (uint8_t)~0x08; /* nBOOT0 = 0: boots the bootloader */
	assert_int_equal(stm32_option_bytes_risk(g4, old_bytes, new_bytes, &address), STM32_OPTION_SAFE);
}

static void test_option_write_refused_without_permission(void **state)
{
	(void)state;
	const struct stm32_device *g0 = stm32_device_find("stm32g071rb");
	struct stm32_image image;
	stm32_image_init(&image);
	uint8_t rdp2[4] = { 0xCC, 0xFE, 0xFF, 0xFF };
	assert_int_equal(stm32_image_add(&image, g0->opt_start, rdp2, 4, NULL), STM32_OK);
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32g071rb", &image, &opts, &plan, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "level 2"));
	opts.allow_permanent_lock = true;
	assert_int_equal(plan_with("stm32g071rb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.option_risk, STM32_OPTION_RDP_LEVEL2);
	assert_non_null(plan.option_old);
	assert_int_equal(plan.option_old[0], 0xAA);
	stm32_plan_free(&plan);
	/* The chip already at level 2 (as read): writing it again is no change. */
	uint8_t current[128];
	memcpy(current, g0->opt_factory, g0->opt_size);
	current[0] = 0xCC;
	opts.allow_permanent_lock = false;
	opts.current_option_bytes = current;
	assert_int_equal(plan_with("stm32g071rb", &image, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.option_risk, STM32_OPTION_SAFE);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

/* A file that sets only the RDP byte, the chip's option bytes read first:
 * the whole option area is written (F1 erases it all first), the rest as
 * the chip holds it now, not as the factory left it. */
static void test_option_span_keeps_the_chips_other_bytes(void **state)
{
	(void)state;
	const struct stm32_device *f1 = stm32_device_find("stm32f103xb");
	struct stm32_image image;
	stm32_image_init(&image);
	uint8_t rdp[2] = { 0x00, 0xFF }; /* level 1 (any value but 0xA5) */
	assert_int_equal(stm32_image_add(&image, f1->opt_start, rdp, 2, NULL), STM32_OK);
	uint8_t current[64];
	memcpy(current, f1->opt_factory, f1->opt_size);
	current[2] = 0x06; /* USER: software watchdog off, as some board set it */
	current[3] = 0xF9;
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	opts.current_option_bytes = current;
	struct stm32_plan plan;
	struct stm32_error err;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	const struct stm32_plan_block *block = NULL;
	for (size_t i = 0; i < plan.block_count; i++)
		if (plan.blocks[i].region == STM32_REGION_OPTION)
			block = &plan.blocks[i];
	assert_non_null(block);
	assert_int_equal(block->address, f1->opt_start);
	assert_int_equal(block->length, f1->opt_size);
	assert_int_equal(block->data[0], 0x00);
	assert_int_equal(block->data[1], 0xFF);
	assert_memory_equal(block->data + 2, current + 2, f1->opt_size - 2);
	stm32_plan_free(&plan);
	/* Not read from the chip: the image's word alone, the factory values
	 * filling it in. */
	opts.current_option_bytes = NULL;
	assert_int_equal(plan_with("stm32f103xb", &image, &opts, &plan, &err), STM32_OK);
	for (size_t i = 0; i < plan.block_count; i++)
		if (plan.blocks[i].region == STM32_REGION_OPTION) {
			assert_int_equal(plan.blocks[i].length, 4);
			assert_int_equal(plan.blocks[i].data[2], f1->opt_factory[2]);
		}
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_lists_touched_units_never_mass),
		cmocka_unit_test(test_diff_refuses_no_erase),
		cmocka_unit_test(test_verify_method_by_device),
		cmocka_unit_test(test_blank_blocks_counted_only_on_erased_flash),
		cmocka_unit_test(test_preserve_widens_to_units_and_keeps_the_rest),
		cmocka_unit_test(test_option_risk_rules),
		cmocka_unit_test(test_option_write_refused_without_permission),
		cmocka_unit_test(test_option_span_keeps_the_chips_other_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
