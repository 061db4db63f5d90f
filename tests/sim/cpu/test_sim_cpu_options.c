/* Option-byte programming by the flash controllers: F1 (RM0008/PM0075:
 * OPTKEYR -> OPTWRE, OPTER, OPTPG with the complement written by the
 * controller) and the 64-bit controller (RM0444 G0: option registers,
 * OPTSTRT with computed complements, OBL_LAUNCH reload). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/cpu.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define FLASH_R 0x40022000u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
/* F1 */
#define F1_KEYR    (FLASH_R + 0x04u)
#define F1_OPTKEYR (FLASH_R + 0x08u)
#define F1_SR      (FLASH_R + 0x0Cu)
#define F1_CR      (FLASH_R + 0x10u)
#define F1_PGERR  (1u << 2)
#define F1_EOP    (1u << 5)
#define F1_OPTPG  (1u << 4)
#define F1_OPTER  (1u << 5)
#define F1_STRT   (1u << 6)
#define F1_OPTWRE (1u << 9)
#define F1_OPT    0x1FFFF800u
/* G0 */
#define G0_KEYR    (FLASH_R + 0x08u)
#define G0_OPTKEYR (FLASH_R + 0x0Cu)
#define G0_SR      (FLASH_R + 0x10u)
#define G0_CR      (FLASH_R + 0x14u)
#define G0_OPTR    (FLASH_R + 0x20u)
#define G0_WRP1AR  (FLASH_R + 0x2Cu)
#define G0_OPTSTRT (1u << 17)
#define G0_EOPIE   (1u << 24)
#define G0_OBL_LAUNCH (1u << 27)
#define G0_OPTLOCK (1u << 30)

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void wait_ms(struct rig *r, uint64_t ms) { r->soc.env.now_ps += ms * 1000000000ull; }
static void opt_store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_option_write(&r->soc.flash, a, size, v);
}
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void f1_open_options(struct rig *r)
{
	wr(r, F1_KEYR, KEY1);
	wr(r, F1_KEYR, KEY2);
	wr(r, F1_OPTKEYR, KEY1);
	wr(r, F1_OPTKEYR, KEY2);
}

static void f1_erase_options(struct rig *r)
{
	wr(r, F1_CR, F1_OPTER | F1_OPTWRE);
	wr(r, F1_CR, F1_OPTER | F1_OPTWRE | F1_STRT);
	wait_ms(r, 100);
}

static void f1_opter_then_optpg_write_the_option_bytes(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	wr(&r, F1_CR, F1_OPTPG); /* locked: nothing */
	opt_store(&r, F1_OPT + 4, 2, 0x42);
	assert_int_equal(r.chip.options[4], 0xFF); /* factory Data0 */
	f1_open_options(&r);
	assert_true(rd(&r, F1_CR) & F1_OPTWRE);
	wr(&r, F1_CR, F1_OPTPG | F1_OPTWRE);
	opt_store(&r, F1_OPT + 4, 2, 0x42); /* 0x00FF there: not erased */
	assert_true(rd(&r, F1_SR) & F1_PGERR);
	assert_int_equal(r.chip.options[4], 0xFF);
	wr(&r, F1_SR, F1_PGERR | F1_EOP);
	f1_erase_options(&r);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(r.chip.options[i], 0xFF);
	assert_true(rd(&r, F1_SR) & F1_EOP);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 1); /* erased RDP: protected */
	wr(&r, F1_CR, F1_OPTPG | F1_OPTWRE);
	opt_store(&r, F1_OPT + 0, 2, 0x00A5);
	opt_store(&r, F1_OPT + 8, 2, 0xFFFE); /* WRP0 bit 0: pages 0-3 */
	assert_int_equal(r.chip.options[0], 0xA5);
	assert_int_equal(r.chip.options[1], 0x5A); /* the complement, by the controller */
	assert_int_equal(r.chip.options[8], 0xFE);
	assert_int_equal(r.chip.options[9], 0x01);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_true(sim_chip_sector_protected(&r.chip, 0));
	assert_false(sim_chip_sector_protected(&r.chip, 4));
	opt_store(&r, F1_OPT + 1, 2, 0x00); /* odd address */
	assert_true(rd(&r, F1_SR) & F1_PGERR);
	rig_down(&r);
}

static void f1_unprotecting_a_protected_chip_mass_erases_it(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	memset(r.chip.flash, 0x00, 0x800);
	f1_open_options(&r);
	f1_erase_options(&r);
	wr(&r, F1_CR, F1_OPTPG | F1_OPTWRE);
	opt_store(&r, F1_OPT, 2, 0x00A5); /* level 0 at the last reset: kept */
	assert_int_equal(r.chip.flash[0], 0x00);
	sim_chip_set_rdp_level(&r.chip, 1);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ); /* loads level 1 */
	f1_open_options(&r);
	f1_erase_options(&r);
	wr(&r, F1_CR, F1_OPTPG | F1_OPTWRE);
	opt_store(&r, F1_OPT, 2, 0x00A5);
	assert_int_equal(r.chip.flash[0], 0xFF);
	assert_int_equal(r.chip.flash[0x7FF], 0xFF);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	rig_down(&r);
}

static void g0_unlock_all(struct rig *r)
{
	wr(r, G0_KEYR, KEY1);
	wr(r, G0_KEYR, KEY2);
	wr(r, G0_OPTKEYR, OPTKEY1);
	wr(r, G0_OPTKEYR, OPTKEY2);
}

static void g0_optstrt_programs_the_registers_with_their_complements(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	assert_int_equal(rd(&r, G0_OPTR), le32(r.chip.options));
	wr(&r, G0_KEYR, KEY1);
	wr(&r, G0_KEYR, KEY2);
	wr(&r, G0_WRP1AR, 0x00020001u); /* OPTLOCK still set: ignored */
	assert_int_equal(rd(&r, G0_WRP1AR), le32(r.chip.options + 0x18));
	wr(&r, G0_OPTKEYR, OPTKEY1);
	wr(&r, G0_OPTKEYR, OPTKEY2);
	assert_false(rd(&r, G0_CR) & G0_OPTLOCK);
	wr(&r, G0_WRP1AR, 0x00020001u); /* pages 1..2 */
	assert_int_equal(rd(&r, G0_WRP1AR), 0x00020001u);
	assert_false(sim_chip_sector_protected(&r.chip, 1)); /* not before OPTSTRT */
	wr(&r, G0_CR, G0_OPTSTRT | G0_EOPIE);
	assert_int_equal(le32(r.chip.options + 0x18), 0x00020001u);
	assert_int_equal(le32(r.chip.options + 0x1C), 0xFFFDFFFEu);
	assert_true(sim_chip_sector_protected(&r.chip, 1));
	assert_true(sim_chip_sector_protected(&r.chip, 2));
	assert_false(sim_chip_sector_protected(&r.chip, 3));
	assert_true(rd(&r, G0_SR) & (1u << 16)); /* BSY1 */
	wait_ms(&r, 100);
	assert_true(rd(&r, G0_SR) & 1u); /* EOP */
	wr(&r, G0_CR, G0_OBL_LAUNCH);
	assert_int_equal(r.soc.env.reset_request, SIM_RESET_OBL_LAUNCH);
	rig_down(&r);
}

static void g0_rdp_regression_mass_erases_and_reset_reloads(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	sim_chip_set_rdp_level(&r.chip, 1);
	memset(r.chip.flash, 0x00, 0x1000);
	sim_flash_derive_programmed(&r.chip);
	g0_unlock_all(&r);
	uint32_t optr = rd(&r, G0_OPTR);
	assert_int_not_equal(optr & 0xFFu, 0xAA);
	wr(&r, G0_OPTR, (optr & ~0xFFu) | 0xAAu);
	wr(&r, G0_CR, G0_OPTSTRT);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_int_equal(r.chip.flash[0], 0xFF);
	assert_int_equal(r.chip.flash[0xFFF], 0xFF);
	assert_int_equal(le32(r.chip.options + 4), ~le32(r.chip.options));
	/* A register written but not started: the reset reloads the bytes. */
	wait_ms(&r, 1000);
	wr(&r, G0_OPTR, 0x12345678u);
	sim_soc_reset(&r.soc, SIM_RESET_OBL_LAUNCH);
	assert_int_equal(rd(&r, G0_OPTR), le32(r.chip.options));
	rig_down(&r);
}

/* A program on the core stores into the option area: it reaches OPTPG. */
static void f1_optpg_store_by_a_program(void **state)
{
	(void)state;
	static const uint16_t code[] = {0x4805, 0x4906, 0x6081, 0x4906, 0x6081, 0x2121,
					0x0109, 0x6101, 0x4a04, 0x2142, 0x8011, 0xe7fe};
	static const uint32_t literals[] = {FLASH_R, KEY1, KEY2, F1_OPT + 4};
	struct sim_chip chip;
	assert_true(sim_chip_init(&chip, stm32_device_find("stm32f103xb")));
	memset(chip.options, 0xFF, chip.dev->opt_size);
	char err[128];
	struct sim_cpu *cpu = sim_cpu_new(&chip, NULL, err, sizeof(err));
	assert_non_null(cpu);
	uint32_t base = chip.dev->ram_start;
	uint8_t *vec = chip.ram + (base - SIM_RAM_BASE), *p = vec + 8;
	const uint32_t vectors[2] = {chip.dev->ram_end & ~7u, (base + 8) | 1u};
	for (size_t i = 0; i < 8; i++)
		vec[i] = (uint8_t)(vectors[i / 4] >> (8 * (i % 4)));
	for (size_t i = 0; i < sizeof(code) / 2; i++) {
		p[2 * i] = (uint8_t)code[i];
		p[2 * i + 1] = (uint8_t)(code[i] >> 8);
	}
	for (size_t i = 0; i < 4; i++)
		for (size_t b = 0; b < 4; b++)
			p[sizeof(code) + 4 * i + b] = (uint8_t)(literals[i] >> (8 * b));
	sim_cpu_memory_changed(cpu, base, 64);
	sim_cpu_rom_handoff(cpu, 115200); /* the controller unlocked */
	assert_true(sim_cpu_go(cpu, base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(cpu, 200);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(chip.options[4], 0x42);
	assert_int_equal(chip.options[5], 0xBD);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_opter_then_optpg_write_the_option_bytes),
		cmocka_unit_test(f1_unprotecting_a_protected_chip_mass_erases_it),
		cmocka_unit_test(f1_optpg_store_by_a_program),
		cmocka_unit_test(g0_optstrt_programs_the_registers_with_their_complements),
		cmocka_unit_test(g0_rdp_regression_mass_erases_and_reset_reloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
