/* The flash planner: what is erased, how blocks are cut, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/plan.h"
#include "plan_test_util.h"

static const struct stm32_device *device(const char *name)
{
	const struct stm32_device *dev = stm32_device_find(name);
	assert_non_null(dev);
	return dev;
}

/* An image with one segment of length bytes at address, byte i = seed + i. */
static void add_pattern(struct stm32_image *image, uint32_t address, size_t length, uint8_t seed)
{
	uint8_t *data = malloc(length);
	assert_non_null(data);
	for (size_t i = 0; i < length; i++)
		data[i] = (uint8_t)(seed + i);
	assert_int_equal(stm32_image_add(image, address, data, length, NULL), STM32_OK);
	free(data);
}

static enum stm32_status plan_one(const char *dev, uint32_t address, size_t length,
				  const struct stm32_plan_options *opts, struct stm32_plan *plan,
				  struct stm32_error *err)
{
	struct stm32_image image;
	stm32_image_init(&image);
	add_pattern(&image, address, length, 0x10);
	enum stm32_status status = stm32_plan_write(rom_target(device(dev)), &image, opts, plan, err);
	stm32_image_free(&image);
	return status;
}

static void assert_sectors(const struct stm32_plan *plan, const uint32_t *indexes, size_t count)
{
	assert_int_equal(plan->sector_count, count);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(plan->sectors[i].index, indexes[i]);
}

static void f1_pages_and_blocks(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	stm32_plan_options_default(&opts);
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 3001, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_sectors(&plan, (const uint32_t[]){ 0, 1, 2 }, 3);
	assert_int_equal(plan.sectors[2].address, 0x08000800);
	assert_int_equal(plan.sectors[2].size, 1024);
	assert_int_equal(plan.erase_chunk, STM32_ERASE_CHUNK_LEGACY); /* F1 offers only 0x43 */
	assert_int_equal(plan.block_count, 12);
	for (size_t i = 0; i < 11; i++) {
		assert_int_equal(plan.blocks[i].address, 0x08000000 + 256 * i);
		assert_int_equal(plan.blocks[i].length, 256);
		assert_int_equal(plan.blocks[i].region, STM32_REGION_FLASH);
	}
	/* 3001 - 2816 = 185 bytes, padded to 188 with 0xFF */
	const struct stm32_plan_block *last = &plan.blocks[11];
	assert_int_equal(last->address, 0x08000B00);
	assert_int_equal(last->length, 188);
	assert_int_equal(last->data[184], (uint8_t)(0x10 + 3000));
	assert_int_equal(last->data[185], 0xFF);
	assert_int_equal(last->data[187], 0xFF);
	assert_int_equal(plan.image_bytes, 3001);
	assert_int_equal(plan.write_bytes, 11 * 256 + 188);
	assert_true(plan.writes_flash);
	assert_false(plan.writes_option_bytes);
	/* verify covers the image bytes only, not the padding */
	assert_int_equal(plan.range_count, 1);
	assert_int_equal(plan.range_bytes, 3001);
	assert_int_equal(plan.ranges[0].expected[3000], (uint8_t)(0x10 + 3000));
	stm32_plan_free(&plan);
}

static void gaps_stay_unwritten(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	stm32_plan_options_default(&opts);
	stm32_image_init(&image);
	add_pattern(&image, 0x08001000, 512, 0);
	add_pattern(&image, 0x08003000, 256, 0);
	assert_int_equal(stm32_plan_write(rom_target(device("stm32f103xb")), &image, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.block_count, 3); /* stm32flash writes 33 blocks here */
	assert_int_equal(plan.blocks[0].address, 0x08001000);
	assert_int_equal(plan.blocks[1].address, 0x08001100);
	assert_int_equal(plan.blocks[2].address, 0x08003000);
	assert_sectors(&plan, (const uint32_t[]){ 4, 12 }, 2);
	assert_int_equal(plan.range_count, 2);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void small_gap_inside_a_window(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	stm32_plan_options_default(&opts);
	stm32_image_init(&image);
	add_pattern(&image, 0x08000000, 8, 0);
	add_pattern(&image, 0x08000080, 8, 0);
	assert_int_equal(stm32_plan_write(rom_target(device("stm32f103xb")), &image, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.block_count, 2);
	assert_int_equal(plan.blocks[0].length, 8);
	assert_int_equal(plan.blocks[1].address, 0x08000080);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void wide_program_unit_is_never_split(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	stm32_plan_options_default(&opts);
	stm32_image_init(&image);
	/* H7: 32-byte program unit; bytes at +5 and +40 sit in touching units */
	add_pattern(&image, 0x08000005, 1, 0xA0);
	add_pattern(&image, 0x08000028, 1, 0xB0);
	add_pattern(&image, 0x08000064, 4, 0xC0);
	assert_int_equal(stm32_plan_write(rom_target(device("stm32h743zi")), &image, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.block_count, 2);
	assert_int_equal(plan.blocks[0].address, 0x08000000);
	assert_int_equal(plan.blocks[0].length, 64);
	assert_int_equal(plan.blocks[0].data[0], 0xFF);
	assert_int_equal(plan.blocks[0].data[5], 0xA0);
	assert_int_equal(plan.blocks[0].data[40], 0xB0);
	assert_int_equal(plan.blocks[1].address, 0x08000060);
	assert_int_equal(plan.blocks[1].length, 32);
	assert_int_equal(plan.blocks[1].data[4], 0xC0);
	for (size_t i = 0; i < plan.block_count; i++) {
		assert_int_equal(plan.blocks[i].address % 32, 0);
		assert_int_equal(plan.blocks[i].length % 32, 0);
	}
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void block_size_option(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	opts.block_size = 128;
	assert_int_equal(plan_one("stm32f407xg", 0x08000000, 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.block_count, 8);
	assert_int_equal(plan.blocks[1].address, 0x08000080);
	stm32_plan_free(&plan);
	opts.block_size = 20; /* would split H7's 32-byte unit */
	assert_int_equal(plan_one("stm32h743zi", 0x08000000, 64, &opts, &plan, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "program unit"));
	opts.block_size = 258;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 64, &opts, &plan, &err), STM32_E_INVALID);
}

static void f4_sectors_straddling_boundaries(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	stm32_plan_options_default(&opts);
	/* 16K sector 3 ends at 0x08010000, the 64K sector 4 follows */
	assert_int_equal(plan_one("stm32f407xg", 0x0800F000, 0x2000, &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 3, 4 }, 2);
	assert_int_equal(plan.sectors[1].address, 0x08010000);
	assert_int_equal(plan.sectors[1].size, 64 * 1024);
	assert_int_equal(plan.erase_chunk, STM32_ERASE_CHUNK_EXTENDED);
	stm32_plan_free(&plan);
	/* 64K sector 4 into the first 128K sector 5 */
	assert_int_equal(plan_one("stm32f407xg", 0x0801FFF0, 0x20, &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 4, 5 }, 2);
	assert_int_equal(plan.sectors[1].size, 128 * 1024);
	stm32_plan_free(&plan);
	/* all of the F429's bank 2 starts at sector 12 */
	assert_int_equal(plan_one("stm32f429zi", 0x08100000, 0x100, &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 12 }, 1);
	stm32_plan_free(&plan);
}

static void dual_bank_erase(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	stm32_plan_options_default(&opts);
	/* L476: the whole of bank 2 -> one bank erase, no page list */
	assert_int_equal(plan_one("stm32l476rg", 0x08080000, 512 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.erase_banks, 2);
	assert_int_equal(plan.sector_count, 0);
	assert_int_equal(stm32_plan_erase_commands(&plan), 1);
	stm32_plan_free(&plan);
	/* bank 1 plus one page of bank 2 */
	assert_int_equal(plan_one("stm32l476rg", 0x08000000, 512 * 1024 + 1, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_banks, 1);
	assert_sectors(&plan, (const uint32_t[]){ 256 }, 1);
	stm32_plan_free(&plan);
	/* the whole flash -> mass erase */
	assert_int_equal(plan_one("stm32l476rg", 0x08000000, 1024 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	stm32_plan_free(&plan);
	/* mass and bank erase not allowed: 512 pages in chunks of 511 */
	opts.allow_mass_erase = false;
	assert_int_equal(plan_one("stm32l476rg", 0x08000000, 1024 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.erase_banks, 0);
	assert_int_equal(plan.sector_count, 512);
	assert_int_equal(stm32_plan_erase_commands(&plan), 2);
	stm32_plan_free(&plan);
	/* H7 dual bank: bank 2 sectors are numbered on from bank 1's */
	stm32_plan_options_default(&opts);
	assert_int_equal(plan_one("stm32h743zi", 0x08120000, 0x100, &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 9 }, 1);
	stm32_plan_free(&plan);
}

static void no_mass_erase_device(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	stm32_plan_options_default(&opts);
	opts.erase = STM32_ERASE_ALL;
	assert_int_equal(plan_one("stm32l07x", 0x08000000, 64, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_true(plan.mass_erase_unavailable);
	assert_int_equal(plan.sector_count, 1536);
	assert_int_equal(plan.sectors[1535].address, 0x08000000 + 1535 * 128);
	assert_int_equal(stm32_plan_erase_commands(&plan), 4); /* 511 + 511 + 511 + 3 */
	stm32_plan_free(&plan);
	assert_int_equal(stm32_plan_erase(rom_target(device("stm32l07x")), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.sector_count, 1536);
	stm32_plan_free(&plan);
	/* an F1 erases everything with one command */
	assert_int_equal(stm32_plan_erase(rom_target(device("stm32f103xb")), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	assert_false(plan.mass_erase_unavailable);
	stm32_plan_free(&plan);
}

static void erase_modes(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	stm32_plan_options_default(&opts);
	opts.erase = STM32_ERASE_NO;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 2048, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_NONE);
	assert_int_equal(stm32_plan_erase_commands(&plan), 0);
	assert_int_equal(plan.block_count, 8);
	stm32_plan_free(&plan);
	/* the image covers all flash -> mass erase */
	stm32_plan_options_default(&opts);
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 128 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	stm32_plan_free(&plan);
	opts.allow_mass_erase = false;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 128 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	assert_int_equal(plan.sector_count, 128);
	stm32_plan_free(&plan);
	opts.erase_chunk = 100;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 128 * 1024, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_chunk, 100);
	assert_int_equal(stm32_plan_erase_commands(&plan), 2);
	stm32_plan_free(&plan);
}

static void refuses_beyond_flash(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	stm32_error_clear(&err);
	assert_int_equal(plan_one("stm32f103xb", 0x0801FFF0, 32, &opts, &plan, &err), STM32_E_RANGE);
	assert_true(err.has_address);
	assert_int_equal(err.address, 0x08020000);
	assert_non_null(strstr(err.message, "0x08020000"));
	assert_non_null(strstr(err.message, "0x08000000-0x0801FFFF"));
	assert_null(plan.blocks);
	assert_int_equal(plan.block_count, 0);
}

static void refuses_reserved_ram_but_takes_free_ram(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	assert_int_equal(plan_one("stm32f103xb", 0x20000100, 16, &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x20000100);
	assert_non_null(strstr(err.message, "bootloader"));
	assert_int_equal(plan_one("stm32f103xb", 0x20000200, 16, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_NONE);
	assert_true(plan.writes_ram);
	assert_false(plan.writes_flash);
	assert_int_equal(plan.blocks[0].region, STM32_REGION_RAM);
	stm32_plan_free(&plan);
	/* system memory is readable, not writable */
	assert_int_equal(plan_one("stm32f103xb", 0x1FFFF000, 16, &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x1FFFF000);
}

static void refuses_outside_limit_range(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	opts.has_range = true;
	opts.range_address = 0x08000000;
	opts.range_length = 0x100;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 0x200, &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x08000100);
	assert_non_null(strstr(err.message, "0x08000000-0x080000FF"));
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 0x100, &opts, &plan, &err), STM32_OK);
	stm32_plan_free(&plan);
	opts.range_address = 0x08000002;
	assert_int_equal(plan_one("stm32f103xb", 0x08000004, 4, &opts, &plan, &err), STM32_E_INVALID);
	/* no length: up to the end of the region holding the address */
	opts.range_address = 0x08001000;
	opts.range_length = 0;
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 4, &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x08000000);
	assert_int_equal(plan_one("stm32f103xb", 0x0801F000, 0x1000, &opts, &plan, &err), STM32_OK);
	stm32_plan_free(&plan);
}

static void option_bytes_are_flagged_and_last(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	stm32_plan_options_default(&opts);
	stm32_image_init(&image);
	const uint8_t rdp[2] = { 0xA5, 0x5A };
	assert_int_equal(stm32_image_add(&image, 0x1FFFF800, rdp, 2, NULL), STM32_OK);
	add_pattern(&image, 0x08000000, 16, 0);
	assert_int_equal(stm32_plan_write(rom_target(device("stm32f103xb")), &image, &opts, &plan, NULL), STM32_OK);
	assert_true(plan.writes_option_bytes);
	assert_int_equal(plan.block_count, 2);
	assert_int_equal(plan.blocks[0].region, STM32_REGION_FLASH);
	const struct stm32_plan_block *opt = &plan.blocks[1];
	assert_int_equal(opt->region, STM32_REGION_OPTION);
	assert_int_equal(opt->address, 0x1FFFF800);
	/* the chip's current option bytes not given: the image's bytes alone,
	 * in a whole word whose rest keeps the factory values, not 0xFF */
	assert_int_equal(opt->length, 4);
	assert_int_equal(opt->data[0], 0xA5);
	assert_int_equal(opt->data[1], 0x5A);
	assert_int_equal(opt->data[2], 0xFF);
	assert_int_equal(opt->data[3], 0x00);
	/* only the flash bytes are verified */
	assert_int_equal(plan.range_count, 1);
	assert_int_equal(plan.ranges[0].region, STM32_REGION_FLASH);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void empty_image_is_refused(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	stm32_plan_options_default(&opts);
	stm32_image_init(&image);
	assert_int_equal(stm32_plan_write(rom_target(device("stm32f103xb")), &image, &opts, &plan, NULL),
			 STM32_E_INVALID);
}

static void erase_only_ranges(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	const struct stm32_device *f1 = device("stm32f103xb");
	stm32_plan_options_default(&opts);
	opts.has_range = true;
	opts.range_address = 0x08000400;
	opts.range_length = 0x800;
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.action, STM32_PLAN_ERASE);
	assert_sectors(&plan, (const uint32_t[]){ 1, 2 }, 2);
	stm32_plan_free(&plan);
	opts.range_address = 0x08000200; /* not on a page boundary */
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x08000200);
	assert_non_null(strstr(err.message, "aligned"));
	opts.range_address = 0x08000400;
	opts.range_length = 0x500; /* ends mid-page */
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, &err), STM32_E_RANGE);
	/* F4: a range must end on a sector end, however large the sector */
	opts.range_address = 0x08010000;
	opts.range_length = 0x10000;
	assert_int_equal(stm32_plan_erase(rom_target(device("stm32f407xg")), &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 4 }, 1);
	stm32_plan_free(&plan);
	/* -s 4 -e 2 */
	stm32_plan_options_default(&opts);
	opts.has_pages = true;
	opts.first_page = 4;
	opts.page_count = 2;
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, NULL), STM32_OK);
	assert_sectors(&plan, (const uint32_t[]){ 4, 5 }, 2);
	stm32_plan_free(&plan);
	opts.first_page = 127;
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, &err), STM32_E_RANGE);
	/* the whole flash by range is a mass erase, as with stm32flash */
	stm32_plan_options_default(&opts);
	opts.has_range = true;
	opts.range_address = 0x08000000;
	assert_int_equal(stm32_plan_erase(rom_target(f1), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_MASS);
	stm32_plan_free(&plan);
}

/* G0B1: its OTP area and second system-memory block read like any region;
 * writing OTP is refused by name before anything is sent. */
static void otp_and_second_system_block_are_readable_not_writable(void **state)
{
	(void)state;
	const struct stm32_device *g0 = device("stm32g0b1");
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	opts.has_range = true;
	opts.range_address = 0x1FFF7000; /* OTP, to its end */
	assert_int_equal(stm32_plan_read(rom_target(g0), &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.ranges[0].region, STM32_REGION_OTP);
	assert_int_equal(plan.ranges[0].length, 0x400);
	assert_string_equal(stm32_region_name(plan.ranges[0].region), "OTP");
	stm32_plan_free(&plan);
	opts.range_address = 0x1FFF8000; /* the second system-memory block */
	assert_int_equal(stm32_plan_read(rom_target(g0), &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.ranges[0].region, STM32_REGION_SYSTEM);
	stm32_plan_free(&plan);

	struct stm32_image image;
	stm32_image_init(&image);
	const uint8_t word[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(stm32_image_add(&image, 0x1FFF7010, word, sizeof word, NULL), STM32_OK);
	stm32_plan_options_default(&opts);
	assert_int_equal(stm32_plan_write(rom_target(g0), &image, &opts, &plan, &err), STM32_E_RANGE);
	assert_non_null(strstr(err.message, "one-time programmable"));
	assert_int_equal(err.address, 0x1FFF7010);
	stm32_image_free(&image);
}

static void read_and_checksum_ranges(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_error err;
	const struct stm32_device *f1 = device("stm32f103xb");
	stm32_plan_options_default(&opts);
	assert_int_equal(stm32_plan_read(rom_target(f1), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.ranges[0].address, 0x08000000);
	assert_int_equal(plan.ranges[0].length, 128 * 1024);
	stm32_plan_free(&plan);
	opts.has_range = true;
	opts.range_address = 0x1FFFF000; /* system memory, to its end */
	assert_int_equal(stm32_plan_read(rom_target(f1), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(plan.ranges[0].region, STM32_REGION_SYSTEM);
	assert_int_equal(plan.ranges[0].length, 0x800);
	stm32_plan_free(&plan);
	opts.range_address = 0x0801FF00;
	opts.range_length = 0x200; /* passes the end of flash */
	assert_int_equal(stm32_plan_read(rom_target(f1), &opts, &plan, &err), STM32_E_RANGE);
	assert_int_equal(err.address, 0x08020000);
	opts.range_address = 0x08000000;
	opts.range_length = 0x102;
	assert_int_equal(stm32_plan_checksum(rom_target(f1), &opts, &plan, &err), STM32_E_INVALID);
	opts.range_length = 0x100;
	assert_int_equal(stm32_plan_checksum(rom_target(f1), &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.action, STM32_PLAN_CHECKSUM);
	stm32_plan_free(&plan);
}

static void estimate_grows_with_bytes_and_shrinks_with_baud(void **state)
{
	(void)state;
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	uint64_t previous = 0;
	stm32_plan_options_default(&opts);
	for (size_t kib = 1; kib <= 64; kib *= 2) {
		assert_int_equal(plan_one("stm32f103xb", 0x08000000, kib * 1024, &opts, &plan, NULL), STM32_OK);
		uint64_t ms = estimate_ms_at(&plan, 115200);
		assert_true(ms > previous);
		previous = ms;
		struct stm32_plan_estimate slow, fast;
		estimate_at(&plan, 57600, &slow);
		estimate_at(&plan, 921600, &fast);
		assert_true(slow.write_ms > fast.write_ms);
		assert_true(slow.verify_ms > fast.verify_ms);
		assert_int_equal(slow.total_ms, slow.erase_ms + slow.write_ms + slow.verify_ms);
		assert_true(slow.erase_ms >= 20); /* at least one 1K page at 20 ms */
		stm32_plan_free(&plan);
	}
	/* 8 KiB at 115200 8E1 needs at least 2 * 8192 * 11 / 115200 s on the wire */
	assert_int_equal(plan_one("stm32f103xb", 0x08000000, 8192, &opts, &plan, NULL), STM32_OK);
	assert_true(estimate_ms_at(&plan, 115200) >= 2 * 8192 * 11 * 1000 / 115200);
	stm32_plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_pages_and_blocks),
		cmocka_unit_test(gaps_stay_unwritten),
		cmocka_unit_test(small_gap_inside_a_window),
		cmocka_unit_test(wide_program_unit_is_never_split),
		cmocka_unit_test(block_size_option),
		cmocka_unit_test(f4_sectors_straddling_boundaries),
		cmocka_unit_test(dual_bank_erase),
		cmocka_unit_test(no_mass_erase_device),
		cmocka_unit_test(erase_modes),
		cmocka_unit_test(refuses_beyond_flash),
		cmocka_unit_test(refuses_reserved_ram_but_takes_free_ram),
		cmocka_unit_test(refuses_outside_limit_range),
		cmocka_unit_test(option_bytes_are_flagged_and_last),
		cmocka_unit_test(empty_image_is_refused),
		cmocka_unit_test(erase_only_ranges),
		cmocka_unit_test(read_and_checksum_ranges),
		cmocka_unit_test(otp_and_second_system_block_are_readable_not_writable),
		cmocka_unit_test(estimate_grows_with_bytes_and_shrinks_with_baud),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
