/* The emulator's chip model without the protocol: flash physics per family,
 * option bytes, image files, fault specs, wiring and control requests. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_sim_harness.h"
#include "link/control.h"
#include "base/faults.h"
#include "chip/image_file.h"
#include "link/wiring.h"

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

static void test_f1_halfword_rules(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f103xb");
	const uint32_t base = 0x08000000;
	uint8_t a[4] = {0x34, 0x12, 0x78, 0x56};
	assert_int_equal(sim_flash_program(c, base, a, 4), SIM_PROGRAM_OK);
	assert_memory_equal(c->flash, a, 4);
	uint8_t b[4] = {0x30, 0x10, 0x78, 0x56}; /* would only clear bits, still PGERR */
	assert_int_equal(sim_flash_program(c, base, b, 4), SIM_PROGRAM_FAILED);
	assert_memory_equal(c->flash, a, 4);
	uint8_t zero[4] = {0, 0, 0, 0}; /* 0x0000 over anything is allowed */
	assert_int_equal(sim_flash_program(c, base, zero, 4), SIM_PROGRAM_OK);
	assert_memory_equal(c->flash, zero, 4);
	assert_true(sim_flash_erase_sector(c, 0));
	assert_int_equal(c->flash[0], 0xFF);
	assert_int_equal(sim_flash_program(c, base, b, 4), SIM_PROGRAM_OK);
	chip_delete(c);
}

static void test_f4_bits_only_clear(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f407xg");
	uint8_t a[4] = {0xF0, 0xF0, 0xFF, 0x00}, b[4] = {0x3C, 0xFF, 0x0F, 0xFF};
	assert_int_equal(sim_flash_program(c, 0x08000000, a, 4), SIM_PROGRAM_OK);
	assert_int_equal(sim_flash_program(c, 0x08000000, b, 4), SIM_PROGRAM_OK);
	assert_memory_equal(c->flash, ((uint8_t[]){0x30, 0xF0, 0x0F, 0x00}), 4);
	chip_delete(c);
}

static void check_ecc_family(const char *device, uint32_t unit)
{
	struct sim_chip *c = chip_new(device);
	assert_int_equal(c->dev->program_unit, unit);
	uint8_t four[4] = {1, 2, 3, 4};
	assert_int_equal(sim_flash_program(c, 0x08000000, four, 4), SIM_PROGRAM_OK);
	/* the rest of the unit was padded with 0xFF and the unit is now used */
	for (uint32_t i = 4; i < unit; i++)
		assert_int_equal(c->flash[i], 0xFF);
	assert_int_equal(sim_flash_program(c, 0x08000004, four, 4), SIM_PROGRAM_FAILED);
	assert_int_equal(c->flash[4], 0xFF);
	/* the next unit is fresh */
	assert_int_equal(sim_flash_program(c, 0x08000000 + unit, four, 4), SIM_PROGRAM_OK);
	assert_true(sim_flash_erase_sector(c, 0));
	assert_int_equal(sim_flash_program(c, 0x08000004, four, 4), SIM_PROGRAM_OK);
	assert_int_equal(c->flash[0], 0xFF);
	assert_int_equal(c->flash[4], 1);
	chip_delete(c);
}

static void test_ecc_units(void **state)
{
	(void)state;
	check_ecc_family("stm32l476rg", 8);
	check_ecc_family("stm32g071rb", 8);
	check_ecc_family("stm32u575", 16);
	check_ecc_family("stm32h743zi", 32);
}

static void test_memory_map(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f407xg");
	assert_int_equal(sim_chip_area(c, 0x08000000), SIM_AREA_FLASH);
	assert_int_equal(sim_chip_area(c, 0x080FFFFF), SIM_AREA_FLASH);
	assert_int_equal(sim_chip_area(c, 0x08100000), SIM_AREA_NONE);
	assert_int_equal(sim_chip_area(c, 0x2001FFFF), SIM_AREA_RAM);
	assert_int_equal(sim_chip_area(c, 0x1FFF0000), SIM_AREA_SYSMEM);
	assert_int_equal(sim_chip_area(c, 0x1FFFC000), SIM_AREA_OPTIONS);
	assert_int_equal(sim_chip_area(c, 0x1FFF7A22), SIM_AREA_FLASH_SIZE_REG);
	assert_int_equal(sim_chip_area(c, 0x1FFF7A10), SIM_AREA_UID_REG);
	assert_false(sim_chip_span_in_area(c, 0x080FFFFC, 8));
	uint8_t size[2], sys1[8], sys2[8];
	sim_chip_read(c, 0x1FFF7A22, size, 2);
	assert_int_equal(size[0] | size[1] << 8, 1024);
	sim_chip_read(c, 0x1FFF0000, sys1, 8);
	struct sim_chip *again = chip_new("stm32f407xg");
	sim_chip_read(again, 0x1FFF0000, sys2, 8);
	assert_memory_equal(sys1, sys2, 8); /* deterministic system memory */
	chip_delete(again);
	chip_delete(c);
}

static void test_rdp_encoding(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32l476rg");
	assert_int_equal(sim_chip_rdp_level(c), 0);
	sim_chip_set_rdp_level(c, 1);
	assert_int_equal(c->options[0], 0xBB);
	assert_int_equal(c->options[4], 0x44); /* complement word */
	assert_int_equal(sim_chip_rdp_level(c), 1);
	c->options[0] = 0xCC;
	assert_int_equal(sim_chip_rdp_level(c), 2);
	chip_delete(c);
	c = chip_new("stm32f103xb");
	c->options[0] = 0xCC; /* no level 2 on F1 */
	assert_int_equal(sim_chip_rdp_level(c), 1);
	chip_delete(c);
}

static void test_f4_write_protect_bits(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f407xg");
	assert_true(sim_chip_wrp_set(c, 5));
	assert_int_equal(c->options[8], 0xDF);
	assert_true(sim_chip_sector_protected(c, 5));
	assert_false(sim_flash_erase_sector(c, 5));
	assert_true(sim_flash_erase_sector(c, 4));
	assert_false(sim_chip_wrp_set(c, 12));
	sim_chip_wrp_clear_all(c);
	assert_false(sim_chip_sector_protected(c, 5));
	chip_delete(c);
}

/* G4 OPTR (RM0440): nSWBOOT0 bit 26, nBOOT0 bit 27, in byte 3 of the area. */
/* L0/L1: Write Protect codes are 4 KiB sectors and land in the WRPROT bits
 * of the option bytes (1 protects), 16 a word from offset 8, the complement
 * halfword 2 bytes on (ST's OB_TypeDef: WRP01, WRP23, WRP45 ...). */
static void test_l0_l1_write_protect_in_option_bytes(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32l07x"); /* 128-byte pages: 32 a sector, 48 sectors */
	assert_int_equal(sim_chip_wrp_code_count(c), 48);
	assert_true(sim_chip_wrp_set(c, 2));
	assert_true(sim_chip_wrp_set(c, 20));
	assert_false(sim_chip_wrp_set(c, 48));
	assert_int_equal(c->options[8], 0x04);
	assert_int_equal(c->options[10], 0xFB);
	assert_int_equal(c->options[12], 0x10);
	assert_int_equal(c->options[14], 0xEF);
	assert_false(sim_chip_sector_protected(c, 63));
	assert_true(sim_chip_sector_protected(c, 64));
	assert_true(sim_chip_sector_protected(c, 95));
	assert_false(sim_chip_sector_protected(c, 96));
	assert_true(sim_chip_sector_protected(c, 20 * 32));
	assert_false(sim_chip_sector_protected(c, 40 * 32));
	assert_true(sim_chip_wrp_set(c, 40)); /* WRP45, bit 32 + 8 */
	assert_int_equal(c->options[17], 0x01);
	assert_int_equal(c->options[19], 0xFE);
	assert_true(sim_chip_sector_protected(c, 40 * 32));
	sim_chip_wrp_clear_all(c);
	assert_int_equal(c->options[8], 0x00);
	assert_int_equal(c->options[10], 0xFF);
	assert_int_equal(c->options[12], 0x00);
	assert_int_equal(c->options[14], 0xFF);
	assert_int_equal(c->options[17], 0x00);
	assert_int_equal(c->options[19], 0xFF);
	assert_false(sim_chip_sector_protected(c, 64));
	assert_false(sim_chip_sector_protected(c, 40 * 32));
	chip_delete(c);
	/* L1 cat 5: 128 sectors, of which the 32 mapped bytes reach bit 95. */
	c = chip_new("stm32l1-cat5");
	assert_int_equal(sim_chip_wrp_code_count(c), 96);
	assert_true(sim_chip_wrp_set(c, 95)); /* WRP1011 at 0x1C, bit 15 */
	assert_int_equal(c->options[29], 0x80);
	assert_int_equal(c->options[31], 0x7F);
	assert_false(sim_chip_wrp_set(c, 96));
	chip_delete(c);
	c = chip_new("stm32l1-cat2"); /* 256-byte pages: 16 a sector */
	assert_true(sim_chip_wrp_set(c, 9));
	assert_int_equal(c->options[9], 0x02);
	assert_int_equal(c->options[11], 0xFD);
	assert_true(sim_chip_sector_protected(c, 9 * 16));
	assert_false(sim_chip_sector_protected(c, 9 * 16 - 1));
	chip_delete(c);
}

/* F7: nWRP in the halfword at offset 8, 0 protects, complement at 10. */
static void test_f7_write_protect_bits(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f74x");
	assert_false(sim_chip_sector_protected(c, 0));
	assert_true(sim_chip_wrp_set(c, 3));
	assert_int_equal(c->options[8], 0xF7);
	assert_int_equal(c->options[10], 0x08);
	assert_true(sim_chip_sector_protected(c, 3));
	assert_false(sim_chip_sector_protected(c, 4));
	sim_chip_wrp_clear_all(c);
	assert_int_equal(c->options[8], 0xFF);
	assert_int_equal(c->options[10], 0x00);
	chip_delete(c);
}

static void test_boot0_from_option_bits(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32g431");
	assert_true(sim_chip_boot0_level(c, true));   /* factory: the pin decides */
	assert_false(sim_chip_boot0_level(c, false));
	uint8_t optr[4];
	memcpy(optr, c->options, 4);
	optr[3] &= (uint8_t)~0x04u;                      /* nSWBOOT0 = 0, nBOOT0 = 1 */
	sim_chip_write_options(c, 0, optr, 4);
	assert_false(sim_chip_boot0_level(c, true));  /* boots main flash, pin ignored */
	optr[3] &= (uint8_t)~0x08u;                      /* nBOOT0 = 0 */
	sim_chip_write_options(c, 0, optr, 4);
	assert_true(sim_chip_boot0_level(c, false));  /* boots the bootloader, pin ignored */
	chip_delete(c);
	/* G0: the factory nBOOT_SEL = 1 already hands the boot to nBOOT0 = 1. */
	c = chip_new("stm32g071rb");
	assert_false(sim_chip_boot0_level(c, true));
	chip_delete(c);
}

static void set_optr_bits(struct sim_chip *c, uint32_t clear, uint32_t set)
{
	uint32_t optr = (uint32_t)c->options[0] | (uint32_t)c->options[1] << 8 |
			(uint32_t)c->options[2] << 16 | (uint32_t)c->options[3] << 24;
	optr = (optr & ~clear) | set;
	uint8_t b[4] = {(uint8_t)optr, (uint8_t)(optr >> 8), (uint8_t)(optr >> 16), (uint8_t)(optr >> 24)};
	sim_chip_write_options(c, 0, b, 4);
}

#define G0_NBOOT_SEL (1u << 24)
#define G0_NBOOT1 (1u << 25)
#define G0_NBOOT0 (1u << 26)

/* RM0444 "Boot configuration", every row of the table. */
static void test_g0_boot_table(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32g071rb");
	uint32_t vectors;
	static const struct {
		uint32_t nboot_sel, nboot1, nboot0;
		bool pin;
		enum sim_boot_memory memory;
	} rows[] = {
		{0, 1, 1, false, SIM_BOOT_FLASH}, {0, 1, 0, false, SIM_BOOT_FLASH},
		{0, 1, 1, true, SIM_BOOT_SYSTEM}, {0, 0, 1, true, SIM_BOOT_SRAM},
		{1, 1, 1, true, SIM_BOOT_FLASH},  {1, 0, 1, false, SIM_BOOT_FLASH},
		{1, 1, 0, false, SIM_BOOT_SYSTEM}, {1, 0, 0, true, SIM_BOOT_SRAM},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		set_optr_bits(c, G0_NBOOT_SEL | G0_NBOOT1 | G0_NBOOT0,
			      (rows[i].nboot_sel ? G0_NBOOT_SEL : 0) | (rows[i].nboot1 ? G0_NBOOT1 : 0) |
				      (rows[i].nboot0 ? G0_NBOOT0 : 0));
		assert_int_equal(sim_chip_boot_memory(c, rows[i].pin, &vectors), rows[i].memory);
		assert_int_equal(vectors, rows[i].memory == SIM_BOOT_SRAM ? 0x20000000u : 0x08000000u);
	}
	chip_delete(c);
}

/* RM0091: nBOOT1 = 0 with BOOT0 high boots the SRAM; F1 has no such bit. */
static void test_nboot1_boots_sram(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f030x8");
	uint32_t vectors;
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SYSTEM);
	uint8_t user = c->options[2] & (uint8_t)~0x10u; /* nBOOT1 = 0 */
	uint8_t block[4] = {c->options[0], c->options[1], user, (uint8_t)~user};
	sim_chip_write_options(c, 0, block, sizeof(block));
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SRAM);
	assert_int_equal(vectors, 0x20000000u);
	assert_int_equal(sim_chip_boot_memory(c, false, &vectors), SIM_BOOT_FLASH);
	chip_delete(c);
	c = chip_new("stm32f103xb");
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SYSTEM);
	chip_delete(c);
}

static void put_f7_boot_address(struct sim_chip *c, unsigned offset, uint16_t value)
{
	uint8_t slot[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)~value, (uint8_t)(~value >> 8)};
	sim_chip_write_options(c, offset, slot, sizeof(slot));
}

/* RM0385: BOOT_ADD0 (BOOT0 low) and BOOT_ADD1 (high) hold address bits 29:14. */
static void test_f7_boot_addresses(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f74x");
	uint32_t vectors;
	/* Factory: flash on ITCM with BOOT0 low, system memory with BOOT0 high. */
	assert_int_equal(sim_chip_boot_memory(c, false, &vectors), SIM_BOOT_FLASH);
	assert_int_equal(vectors, 0x08000000u);
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SYSTEM);
	put_f7_boot_address(c, 24, 0x2008); /* 0x08020000: sector 4, on AXIM */
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_FLASH);
	assert_int_equal(vectors, 0x08020000u);
	put_f7_boot_address(c, 16, 0x0040); /* BOOT0 low now boots the bootloader */
	assert_int_equal(sim_chip_boot_memory(c, false, &vectors), SIM_BOOT_SYSTEM);
	put_f7_boot_address(c, 16, 0x8000); /* 0x20000000: DTCM RAM */
	assert_int_equal(sim_chip_boot_memory(c, false, &vectors), SIM_BOOT_SRAM);
	assert_int_equal(vectors, 0x20000000u);
	put_f7_boot_address(c, 16, 0xFFFF); /* outside every memory: the default, ITCM flash */
	assert_int_equal(sim_chip_boot_memory(c, false, &vectors), SIM_BOOT_FLASH);
	assert_int_equal(vectors, 0x08000000u);
	put_f7_boot_address(c, 24, 0xFFFF); /* ... and ITCM RAM for BOOT_ADD1 */
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SRAM);
	assert_int_equal(vectors, 0u);
	chip_delete(c);
}

/* WL BOOT_LOCK = 1: main flash, whatever BOOT0 and nBOOT0 say (RM0453). */
static void test_wl_boot_lock(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32wl55");
	uint32_t vectors;
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_SYSTEM);
	set_optr_bits(c, 0, 1u << 30);
	assert_int_equal(sim_chip_boot_memory(c, true, &vectors), SIM_BOOT_FLASH);
	chip_delete(c);
}

/* WDG_SW (F1 USER bit 0) and IWDG_SW (G0 OPTR bit 16) = 0: hardware watchdog. */
static void test_hardware_watchdog_option(void **state)
{
	(void)state;
	struct sim_chip *c = chip_new("stm32f103xb");
	assert_false(sim_chip_hardware_watchdog(c));
	uint8_t block[4] = {c->options[0], c->options[1], 0xFE, 0x01};
	sim_chip_write_options(c, 0, block, sizeof(block));
	assert_true(sim_chip_hardware_watchdog(c));
	chip_delete(c);
	c = chip_new("stm32g071rb");
	assert_false(sim_chip_hardware_watchdog(c));
	set_optr_bits(c, 1u << 16, 0);
	assert_true(sim_chip_hardware_watchdog(c));
	chip_delete(c);
	c = chip_new("stm32h743zi"); /* no mapped option area */
	assert_false(sim_chip_hardware_watchdog(c));
	chip_delete(c);
}

static void test_image_round_trip(void **state)
{
	(void)state;
	char path[] = "/tmp/test_sim_imageXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	char why[300];
	bool existed = true;
	struct sim_chip *c = chip_new("stm32h743zi");
	assert_true(sim_image_load(c, path, &existed, why, sizeof(why)));
	assert_false(existed);
	uint8_t data[32] = {0xAB};
	assert_int_equal(sim_flash_program(c, 0x08000040, data, 32), SIM_PROGRAM_OK);
	c->unmapped_rdp_level = 1;
	assert_true(sim_image_save(c, path, why, sizeof(why)));
	chip_delete(c);

	c = chip_new("stm32h743zi");
	assert_true(sim_image_load(c, path, &existed, why, sizeof(why)));
	assert_true(existed);
	assert_int_equal(c->flash[0x40], 0xAB);
	assert_int_equal(c->unmapped_rdp_level, 1);
	/* the loaded unit counts as programmed (ECC) */
	assert_int_equal(sim_flash_program(c, 0x08000040, data, 32), SIM_PROGRAM_FAILED);
	chip_delete(c);

	c = chip_new("stm32f103xb"); /* different sizes: refused with a reason */
	assert_false(sim_image_load(c, path, &existed, why, sizeof(why)));
	assert_non_null(strstr(why, "flash size"));
	assert_null(strchr(why, '\n'));
	chip_delete(c);
	unlink(path);
}

static void test_fault_spec(void **state)
{
	(void)state;
	struct sim_fault_spec spec;
	char why[200];
	assert_true(sim_faults_parse("corrupt-in=1e-4,drop-out=0.5,stall=0.1:20,reset-after=7",
				     &spec, why, sizeof(why)));
	assert_true(spec.corrupt_in == 1e-4);
	assert_true(spec.drop_out == 0.5);
	assert_int_equal(spec.stall_ms, 20);
	assert_int_equal(spec.reset_after, 7);
	assert_true(sim_faults_parse("", &spec, why, sizeof(why)));
	assert_false(sim_faults_parse("drop-in=2", &spec, why, sizeof(why)));
	assert_false(sim_faults_parse("bogus=1", &spec, why, sizeof(why)));
	assert_false(sim_faults_parse("stall=0.1", &spec, why, sizeof(why)));
	assert_false(sim_faults_parse("nack=0.1x", &spec, why, sizeof(why)));
	assert_true(sim_faults_parse("drop-in=0.1;pll-stuck=1", &spec, why, sizeof(why)));
	assert_true(spec.pll_stuck);
	assert_true(sim_faults_parse("pll-stuck=0", &spec, why, sizeof(why)));
	assert_false(spec.pll_stuck);
	assert_false(sim_faults_parse("pll-stuck=2", &spec, why, sizeof(why)));
	assert_false(sim_faults_parse("pll-stuck", &spec, why, sizeof(why)));
}

static uint64_t run_faults(uint64_t seed, uint8_t *out)
{
	struct sim_fault_spec spec;
	char why[200];
	assert_true(sim_faults_parse("corrupt-in=0.2,drop-in=0.1,corrupt-out=0.2,drop-out=0.1,nack=0.3",
				     &spec, why, sizeof(why)));
	struct sim_fault_counts counts = {0};
	struct sim_faults faults;
	sim_faults_init(&faults, &spec, seed, &counts);
	uint64_t mix = 0;
	for (int i = 0; i < 200; i++) {
		uint8_t b = (uint8_t)i;
		struct sim_rx_fault r = sim_faults_on_rx(&faults, &b);
		out[i] = r.drop ? 0 : b;
		uint8_t t = (uint8_t)(255 - i);
		mix = mix * 31 + (sim_faults_on_tx(&faults, &t) ? t : 0x100u);
		mix = mix * 31 + sim_faults_take_nack(&faults);
	}
	return mix ^ counts.corrupt_in << 8 ^ counts.drop_in << 16 ^ counts.nack << 24;
}

static void test_fault_determinism(void **state)
{
	(void)state;
	uint8_t a[200], b[200], c[200];
	uint64_t ma = run_faults(42, a), mb = run_faults(42, b), mc = run_faults(43, c);
	assert_true(ma == mb);
	assert_memory_equal(a, b, sizeof(a));
	assert_true(ma != mc || memcmp(a, c, sizeof(a)) != 0);
}

static void test_wiring_and_control(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	struct sim_wiring wiring = {.boot0 = SIM_LINE_DTR, .reset = SIM_LINE_RTS};
	struct sim_line_settings settings = {0, true};
	struct sim_control_target target = {&h->engine, &wiring, &settings, NULL};
	char reply[64];
	sim_control_request(&target, "STATE", reply, sizeof(reply));
	assert_string_equal(reply, "STATE bootloader");
	/* RTS asserted drives NRST low: held in reset */
	sim_control_request(&target, "LINES rts=1 dtr=1", reply, sizeof(reply));
	assert_string_equal(reply, "OK");
	sim_control_request(&target, "STATE", reply, sizeof(reply));
	assert_string_equal(reply, "STATE reset");
	/* release with DTR asserted: BOOT0 low, the application runs */
	sim_control_request(&target, "LINES rts=0 dtr=1", reply, sizeof(reply));
	sim_control_request(&target, "STATE", reply, sizeof(reply));
	assert_string_equal(reply, "STATE application");
	sim_control_request(&target, "LINES rts=1 dtr=0", reply, sizeof(reply));
	sim_control_request(&target, "LINES rts=0 dtr=0", reply, sizeof(reply));
	sim_control_request(&target, "STATE", reply, sizeof(reply));
	assert_string_equal(reply, "STATE bootloader");
	assert_int_equal(h->stats.resets, 2);
	harness_sync(h);
	/* 8N1 framing: the chip sees garbage and answers nothing */
	sim_control_request(&target, "TERMIOS baud=115200 bits=8 parity=n stop=1", reply,
			    sizeof(reply));
	assert_string_equal(reply, "OK");
	SEND(h, 0x02, 0xFD);
	assert_int_equal(h->reply_length, 0);
	sim_control_request(&target, "TERMIOS baud=115200 bits=8 parity=e stop=1", reply,
			    sizeof(reply));
	SEND(h, 0x02, 0xFD);
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x10, 0x79);
	sim_control_request(&target, "LINES rts=2 dtr=0", reply, sizeof(reply));
	assert_string_equal(reply, "ERR bad request");
	harness_free(h);
}

static void test_break_resets_with_brk_wiring(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	struct sim_wiring wiring = {.boot0 = SIM_LINE_NONE, .reset = SIM_LINE_BRK};
	struct sim_line_settings settings = {0, true};
	struct sim_control_target target = {&h->engine, &wiring, &settings, NULL};
	char reply[64];
	harness_sync(h);
	sim_control_request(&target, "BREAK 10", reply, sizeof(reply));
	assert_string_equal(reply, "OK");
	assert_int_equal(h->stats.resets, 1);
	assert_int_equal(h->stats.boots_bootloader, 2);
	harness_sync(h); /* needs auto-baud again */
	harness_free(h);
}

static void test_inverted_wiring(void **state)
{
	(void)state;
	struct sim_wiring wiring = {.boot0 = SIM_LINE_RTS, .reset = SIM_LINE_DTR,
				    .invert_boot0 = true, .invert_reset = true};
	assert_false(sim_wiring_boot0_high(&wiring)); /* de-asserted, inverted: low */
	assert_false(sim_wiring_nrst_high(&wiring));
	wiring.rts = wiring.dtr = true;
	assert_true(sim_wiring_boot0_high(&wiring));
	assert_true(sim_wiring_nrst_high(&wiring));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f1_halfword_rules),
		cmocka_unit_test(test_f4_bits_only_clear),
		cmocka_unit_test(test_ecc_units),
		cmocka_unit_test(test_memory_map),
		cmocka_unit_test(test_rdp_encoding),
		cmocka_unit_test(test_f4_write_protect_bits),
		cmocka_unit_test(test_l0_l1_write_protect_in_option_bytes),
		cmocka_unit_test(test_f7_write_protect_bits),
		cmocka_unit_test(test_boot0_from_option_bits),
		cmocka_unit_test(test_g0_boot_table),
		cmocka_unit_test(test_nboot1_boots_sram),
		cmocka_unit_test(test_f7_boot_addresses),
		cmocka_unit_test(test_hardware_watchdog_option),
		cmocka_unit_test(test_wl_boot_lock),
		cmocka_unit_test(test_image_round_trip),
		cmocka_unit_test(test_fault_spec),
		cmocka_unit_test(test_fault_determinism),
		cmocka_unit_test(test_wiring_and_control),
		cmocka_unit_test(test_break_resets_with_brk_wiring),
		cmocka_unit_test(test_inverted_wiring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
