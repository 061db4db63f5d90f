/* What a reset boots, with the core running it: nBOOT1 = 0 boots the SRAM
 * (RM0091), the F7 BOOT_ADD1 boot address moves the boot into flash
 * (RM0385), and WDG_SW = 0 runs the IWDG from reset (RM0008 "Hardware
 * watchdog") while the ROM's handover leaves it refreshed at /256 (AN2606). */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_sim_harness.h"
#include "cpu/soc.h"

#define FLASH_START 0x08000000u
#define MARK_OFFSET 0x40u /* the programs below store 0x5A at RAM + 0x40 */

/* MOVS r0,#0x5A; MOVS r1,#0x20; LSLS r1,r1,#24; STR r0,[r1,#0x40]; B . */
static const uint8_t mark_program[] = {0x5A, 0x20, 0x20, 0x21, 0x09, 0x06, 0x08, 0x64, 0xFE, 0xE7, 0xFF, 0xFF};

/* A vector table at base (MSP, reset handler just after it), then the program. */
static void build_marker(uint8_t out[20], uint32_t base, uint32_t msp)
{
	uint32_t reset = (base + 8u) | 1u;
	for (unsigned i = 0; i < 4; i++) {
		out[i] = (uint8_t)(msp >> (8 * i));
		out[4 + i] = (uint8_t)(reset >> (8 * i));
	}
	memcpy(out + 8, mark_program, sizeof(mark_program));
}

static void write_options(struct harness *h, uint32_t address, const uint8_t *bytes, size_t length)
{
	/* The write reloads the option bytes: the chip resets at once. */
	assert_int_equal(harness_write(h, address, bytes, length), 0x79);
	harness_run_program(h);
	harness_collect(h);
}

static void f0_nboot1_zero_boots_the_sram(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f030x8", false);
	harness_sync(h);
	/* Below the bootloader's RAM floor: what a program or debugger left there. */
	build_marker(h->chip.ram, SIM_RAM_BASE, SIM_RAM_BASE + 0x1000u);
	const uint8_t options[16] = {0xAA, 0x55, 0xEF, 0x10, 0xFF, 0x00, 0xFF, 0x00,
				     0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};
	write_options(h, 0x1FFFF800u, options, sizeof(options));
	assert_string_equal(h->stats.last_boot, "sram");
	assert_int_equal(h->stats.boots_sram, 1);
	assert_int_equal(h->chip.ram[MARK_OFFSET], 0x5A);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	/* BOOT0 low boots main flash (the F030x8 has no empty check). */
	sim_engine_set_boot0(&h->engine, false);
	sim_engine_hold_reset(&h->engine);
	sim_engine_release_reset(&h->engine);
	assert_string_equal(h->stats.last_boot, "flash");
	harness_free(h);
}

static void f7_boot_add1_boots_flash_at_its_address(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f74x", false);
	harness_sync(h);
	uint8_t image[20];
	build_marker(image, 0x08020000u, 0x20010000u);
	assert_int_equal(harness_write(h, 0x08020000u, image, sizeof(image)), 0x79);
	const uint8_t boot_add1[4] = {0x08, 0x20, 0xF7, 0xDF}; /* 0x2008: 0x08020000 */
	write_options(h, 0x1FFF0018u, boot_add1, sizeof(boot_add1));
	assert_string_equal(h->stats.last_boot, "flash");
	assert_int_equal(h->stats.boots_bootloader, 1); /* the power-on only */
	assert_int_equal(h->chip.ram[MARK_OFFSET], 0x5A);
	harness_free(h);
}

#define BANNER_F103 "hello from STM32F103 (stm32boot example firmware)\r\n"

static void load_banner(struct harness *h)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/f103_banner.bin", TEST_FIRMWARE_DIR);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t image[4096];
	memset(image, 0xFF, sizeof(image));
	size_t n = (fread(image, 1, sizeof(image), f) + 3) & ~(size_t)3;
	fclose(f);
	for (size_t at = 0; at < n; at += 256)
		assert_int_equal(harness_write(h, FLASH_START + (uint32_t)at, image + at,
					       n - at < 256 ? n - at : 256), 0x79);
}

/* Run the program for up to a second of emulated time, or until it resets. */
static uint64_t run_until_reset(struct harness *h)
{
	uint64_t before = h->stats.resets;
	for (int i = 0; i < 200 && h->stats.resets == before; i++) {
		h->clock_us += 5000;
		harness_run_program(h);
	}
	harness_collect(h);
	return h->stats.resets - before;
}

static void f1_hardware_watchdog_resets_a_program_that_does_not_refresh(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	load_banner(h);
	sim_engine_set_boot0(&h->engine, false);
	sim_engine_hold_reset(&h->engine);
	h->reply_length = 0;
	sim_engine_release_reset(&h->engine);
	/* Software watchdog (factory): the banner program runs on. */
	assert_int_equal(run_until_reset(h), 0);
	h->reply[h->reply_length] = 0;
	assert_string_equal((const char *)h->reply, BANNER_F103);
	/* WDG_SW = 0, through the bootloader (BOOT0 high for that). */
	sim_engine_set_boot0(&h->engine, true);
	sim_engine_hold_reset(&h->engine);
	sim_engine_release_reset(&h->engine);
	harness_sync(h);
	const uint8_t options[16] = {0xA5, 0x5A, 0xFE, 0x01, 0xFF, 0x00, 0xFF, 0x00,
				     0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};
	write_options(h, 0x1FFFF800u, options, sizeof(options));
	/* In the bootloader the ROM refreshes it: no reset however long. */
	uint64_t resets = h->stats.resets;
	assert_string_equal(sim_engine_state_name(&h->engine), "bootloader");
	h->clock_us += 2000000;
	harness_run_program(h);
	assert_int_equal(h->stats.resets, resets);
	harness_sync(h);
	sim_engine_set_boot0(&h->engine, false);
	sim_engine_hold_reset(&h->engine);
	h->reply_length = 0;
	sim_engine_release_reset(&h->engine);
	assert_int_equal(run_until_reset(h), 1);
	assert_int_equal(h->stats.core.resets[1], 1); /* by the IWDG */
	h->reply[h->reply_length] = 0;
	/* The banner, the watchdog's reset, the banner of the next boot. */
	assert_string_equal((const char *)h->reply, BANNER_F103 BANNER_F103);
	harness_free(h);
}

/* The model itself: 4096 periods of LSI/4 from reset, of LSI/256 after the ROM. */
static void hardware_watchdog_counts_from_reset_and_after_the_rom(void **state)
{
	(void)state;
	struct sim_chip chip;
	struct sim_cpu_stats stats = {0};
	struct sim_soc soc;
	const struct stm32_device *dev = stm32_device_find("stm32f103xb");
	assert_true(sim_chip_init(&chip, dev));
	sim_soc_init(&soc, sim_family_info(dev->family), &chip, &stats, NULL);
	assert_int_equal(sim_iwdg_deadline(&soc.iwdg), UINT64_MAX); /* software watchdog */
	chip.options[2] = 0xFE, chip.options[3] = 0x01;               /* WDG_SW = 0 */
	sim_soc_reset(&soc, SIM_RESET_NONE);
	const uint64_t lsi_period_ps = 25000000u; /* 40 kHz */
	assert_int_equal(sim_iwdg_deadline(&soc.iwdg), 4096u * 4u * lsi_period_ps);
	soc.env.now_ps = 1000000;
	sim_iwdg_rom_handoff(&soc.iwdg);
	assert_int_equal(sim_iwdg_deadline(&soc.iwdg), 1000000u + 4096u * 256u * lsi_period_ps);
	/* The start key does not stop or restart it; a reload counts from RLR. */
	sim_iwdg_write(&soc.iwdg, 0, 0xCCCC, 0xFFFFFFFFu);
	assert_int_equal(sim_iwdg_deadline(&soc.iwdg), 1000000u + 4096u * 256u * lsi_period_ps);
	sim_chip_free(&chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f0_nboot1_zero_boots_the_sram),
		cmocka_unit_test(f7_boot_add1_boots_flash_at_its_address),
		cmocka_unit_test(f1_hardware_watchdog_resets_a_program_that_does_not_refresh),
		cmocka_unit_test(hardware_watchdog_counts_from_reset_and_after_the_rom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
