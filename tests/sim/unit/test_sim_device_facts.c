/* The emulator uses the device facts corrected in issue 11 (docs/devices.md,
 * "Corrections"): each address is written out here, not taken from the
 * table, so a row changed back fails. */
#include <stdio.h>
#include <stdlib.h>

#include "test_sim_harness.h"

static struct sim_chip *chip_new(const char *device)
{
	struct sim_chip *chip = calloc(1, sizeof(*chip));
	assert_non_null(chip);
	assert_true(sim_chip_init(chip, stm32_device_find(device)));
	return chip;
}

static void chip_delete(struct sim_chip *chip)
{
	sim_chip_free(chip);
	free(chip);
}

/* The flash-size register answers at `now` (the chip's size in KiB) and no
 * longer at `before`. */
static void check_flash_size_register(const char *device, uint32_t now, uint32_t before)
{
	struct sim_chip *c = chip_new(device);
	assert_int_equal(sim_chip_area(c, now), SIM_AREA_FLASH_SIZE_REG);
	assert_int_not_equal(sim_chip_area(c, before), SIM_AREA_FLASH_SIZE_REG);
	uint8_t size[2];
	sim_chip_read(c, now, size, 2);
	assert_int_equal(size[0] | size[1] << 8, c->dev->flash_size / 1024);
	chip_delete(c);
	/* and through the protocol, as a host reads it */
	struct harness *h = harness_new(device, false);
	harness_sync(h);
	uint8_t got[2];
	assert_true(harness_read(h, now, got, 2));
	assert_int_equal(got[0] | got[1] << 8, h->chip.dev->flash_size / 1024);
	harness_free(h);
}

static void test_l1_cat3_4_5_flash_size_register(void **state)
{
	(void)state;
	check_flash_size_register("stm32l1-cat3", 0x1FF800CC, 0x1FF8004C);
	check_flash_size_register("stm32l1-cat4", 0x1FF800CC, 0x1FF8004C);
	check_flash_size_register("stm32l1-cat5", 0x1FF800CC, 0x1FF8004C);
}

static void test_f72x_flash_size_register(void **state)
{
	(void)state;
	check_flash_size_register("stm32f72x", 0x1FF07A22, 0x1FF0F442);
}

static void test_h7a3_flash_size_register(void **state)
{
	(void)state;
	check_flash_size_register("stm32h7a3", 0x08FFF80C, 0x1FF1E880);
}

static void test_h563_system_memory(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32h563zi");
	assert_int_equal(sim_chip_area(c, 0x0BF97000), SIM_AREA_SYSMEM);
	assert_int_equal(sim_chip_area(c, 0x0BF9FFFF), SIM_AREA_SYSMEM);
	assert_int_not_equal(sim_chip_area(c, 0x0BF80000), SIM_AREA_SYSMEM);
	assert_int_not_equal(sim_chip_area(c, 0x0BF96FFF), SIM_AREA_SYSMEM);
	chip_delete(c);
}

/* H7A3/H7B3 program a 128-bit (16-byte) flash word: the second 16 bytes are
 * a fresh word, not the rest of a 32-byte one. */
static void test_h7a3_flash_word_is_16_bytes(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32h7a3");
	uint8_t four[4] = {1, 2, 3, 4};
	assert_int_equal(sim_flash_program(c, 0x08000000, four, 4), SIM_PROGRAM_OK);
	assert_int_equal(sim_flash_program(c, 0x08000004, four, 4), SIM_PROGRAM_FAILED);
	assert_int_equal(sim_flash_program(c, 0x08000010, four, 4), SIM_PROGRAM_OK);
	chip_delete(c);
}

/* Write Memory into RAM: refused at `kept` (the bootloader's own RAM, by the
 * safe reading of AN2606), accepted at `first`. */
static void check_ram_start(const char *device, uint32_t kept, uint32_t first)
{
	struct harness *h = harness_new(device, false);
	harness_sync(h);
	const uint8_t word[4] = {1, 2, 3, 4};
	assert_int_not_equal(harness_write(h, kept, word, 4), 0x79);
	assert_int_equal(harness_write(h, first, word, 4), 0x79);
	harness_free(h);
}

static void test_ram_the_bootloader_keeps(void **state)
{
	(void)state;
	check_ram_start("stm32g071rb", 0x20002FFC, 0x20003000);
	check_ram_start("stm32l476rg", 0x200033FC, 0x20003400);
	check_ram_start("stm32wb55", 0x20004FFC, 0x20005000);
	check_ram_start("stm32wb15", 0x20004FFC, 0x20005000);
}

/* WB15's usable RAM ends where the smaller of the two WB rows does. */
static void test_wb15_ram_end(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32wb15", false);
	harness_sync(h);
	const uint8_t word[4] = {1, 2, 3, 4};
	assert_int_equal(harness_write(h, 0x2000BFFC, word, 4), 0x79);
	assert_int_not_equal(harness_write(h, 0x2000C000, word, 4), 0x79);
	harness_free(h);
}

/* AN2606: the L031/L041 bootloader's Read/Write commands do not support
 * SRAM. */
static void test_l031_bootloader_cannot_reach_sram(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32l031", false);
	harness_sync(h);
	uint8_t got[4];
	assert_false(harness_read(h, 0x20000000, got, 4));
	assert_false(harness_read(h, 0x20001000, got, 4));
	const uint8_t word[4] = {1, 2, 3, 4};
	assert_int_not_equal(harness_write(h, 0x20001000, word, 4), 0x79);
	/* flash is still read */
	assert_true(harness_read(h, 0x08000000, got, 4));
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l1_cat3_4_5_flash_size_register),
		cmocka_unit_test(test_f72x_flash_size_register),
		cmocka_unit_test(test_h7a3_flash_size_register),
		cmocka_unit_test(test_h563_system_memory),
		cmocka_unit_test(test_h7a3_flash_word_is_16_bytes),
		cmocka_unit_test(test_ram_the_bootloader_keeps),
		cmocka_unit_test(test_wb15_ram_end),
		cmocka_unit_test(test_l031_bootloader_cannot_reach_sram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
