/* The F2/F4/F7 sector flash controller at register level against RM0090:
 * keys and lock, PSIZE and its errors, sector and mass erase over the
 * device row's layout, busy time, write protection, OPTCR + OPTSTRT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define FLASH_R 0x40023C00u
#define KEYR    (FLASH_R + 0x04u)
#define OPTKEYR (FLASH_R + 0x08u)
#define SR      (FLASH_R + 0x0Cu)
#define CR      (FLASH_R + 0x10u)
#define OPTCR   (FLASH_R + 0x14u)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define SR_EOP    (1u << 0)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY    (1u << 16)
#define CR_PG  (1u << 0)
#define CR_SER (1u << 1)
#define CR_MER (1u << 2)
#define CR_MER1 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_EOPIE (1u << 24)
#define CR_LOCK (1u << 31)
#define SNB(n) ((uint32_t)(n) << 3)
#define PSIZE(n) ((uint32_t)(n) << 8)

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static void wait_ms(struct rig *r, uint64_t ms) { r->soc.env.now_ps += ms * 1000000000ull; }
static uint32_t flash32(const struct rig *r, uint32_t offset)
{
	const uint8_t *p = r->chip.flash + offset;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void unlock(struct rig *r)
{
	wr(r, KEYR, KEY1);
	wr(r, KEYR, KEY2);
}

static void unlock_options(struct rig *r)
{
	wr(r, OPTKEYR, OPTKEY1);
	wr(r, OPTKEYR, OPTKEY2);
}

static void f4_keys_unlock_and_a_wrong_key_is_a_bus_error_until_reset(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	assert_int_equal(rd(&r, CR), CR_LOCK); /* RM0090 reset value 0x80000000 */
	unlock(&r);
	assert_int_equal(rd(&r, CR), 0);
	wr(&r, CR, CR_LOCK);
	assert_true(rd(&r, CR) & CR_LOCK);
	wr(&r, KEYR, KEY2); /* the keys in the wrong order */
	assert_non_null(r.soc.env.fault_request);
	unlock(&r);
	assert_true(rd(&r, CR) & CR_LOCK); /* locked until reset */
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	unlock(&r);
	assert_false(rd(&r, CR) & CR_LOCK);
	rig_down(&r);
}

static void f4_program_by_psize_and_its_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	store(&r, 0x08000000u, 4, 0x11111111u); /* locked, no PG */
	assert_true(rd(&r, SR) & SR_PGSERR);
	assert_int_equal(flash32(&r, 0), 0xFFFFFFFFu);
	unlock(&r);
	wr(&r, SR, 0xF3u);
	wr(&r, CR, CR_PG | PSIZE(2)); /* x32 */
	store(&r, 0x08000000u, 4, 0x12345678u);
	assert_int_equal(flash32(&r, 0), 0x12345678u);
	assert_true(rd(&r, SR) & SR_BSY);
	wait_ms(&r, 1);
	assert_int_equal(rd(&r, SR), 0); /* no EOP without EOPIE */
	store(&r, 0x08000004u, 2, 0xAAAAu); /* half-word under x32 */
	assert_int_equal(rd(&r, SR), SR_PGPERR);
	assert_int_equal(flash32(&r, 4), 0xFFFFFFFFu);
	wr(&r, SR, SR_PGPERR);
	store(&r, 0x08000006u, 4, 0u); /* not word aligned */
	assert_int_equal(rd(&r, SR), SR_PGAERR);
	wr(&r, SR, SR_PGAERR);
	/* Programming again clears bits only: no error (RM0090). */
	wr(&r, CR, CR_PG | PSIZE(2) | CR_EOPIE);
	store(&r, 0x08000000u, 4, 0x0F0F0F0Fu);
	assert_int_equal(flash32(&r, 0), 0x02040608u);
	wait_ms(&r, 1);
	assert_int_equal(rd(&r, SR), SR_EOP);
	wr(&r, SR, SR_EOP);
	wr(&r, CR, CR_PG | PSIZE(0)); /* x8 */
	store(&r, 0x08000011u, 1, 0x5Au);
	assert_int_equal(r.chip.flash[0x11], 0x5A);
	store(&r, 0x08000012u, 4, 0u);
	wait_ms(&r, 1);
	assert_int_equal(rd(&r, SR), SR_PGPERR);
	wr(&r, SR, SR_PGPERR);
	wr(&r, CR, CR_PG | PSIZE(3)); /* x64: two words, written on the second */
	store(&r, 0x08000020u, 4, 0x01020304u);
	assert_int_equal(flash32(&r, 0x20), 0xFFFFFFFFu);
	store(&r, 0x08000024u, 4, 0x05060708u);
	assert_int_equal(flash32(&r, 0x20), 0x01020304u);
	assert_int_equal(flash32(&r, 0x24), 0x05060708u);
	assert_int_equal(rd(&r, SR) & ~SR_BSY, 0);
	rig_down(&r);
}

static void f4_sector_erase_follows_the_layout_and_its_time(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg"); /* 16K x4, 64K, 128K x7 */
	memset(r.chip.flash, 0x00, 0x60000);
	unlock(&r);
	wr(&r, CR, CR_SER | SNB(4) | CR_EOPIE | CR_STRT); /* the 64 KiB sector */
	assert_int_equal(r.chip.flash[0xFFFF], 0x00);
	assert_int_equal(r.chip.flash[0x10000], 0xFF);
	assert_int_equal(r.chip.flash[0x1FFFF], 0xFF);
	assert_int_equal(r.chip.flash[0x20000], 0x00);
	wait_ms(&r, 500);
	assert_true(rd(&r, SR) & SR_BSY); /* 550 ms for 64 KiB (device row) */
	wr(&r, CR, CR_SER | SNB(5) | CR_STRT); /* ignored while busy */
	assert_int_equal(r.chip.flash[0x20000], 0x00);
	wait_ms(&r, 100);
	assert_int_equal(rd(&r, SR), SR_EOP);
	wr(&r, CR, CR_SER | SNB(5) | CR_STRT); /* 128 KiB at 0x20000 */
	assert_int_equal(r.chip.flash[0x1FFFF], 0xFF);
	assert_int_equal(r.chip.flash[0x20000], 0xFF);
	assert_int_equal(r.chip.flash[0x3FFFF], 0xFF);
	assert_int_equal(r.chip.flash[0x40000], 0x00);
	wait_ms(&r, 1000);
	wr(&r, CR, CR_SER | SNB(1) | CR_STRT); /* 16 KiB at 0x4000 */
	assert_int_equal(r.chip.flash[0x3FFF], 0x00);
	assert_int_equal(r.chip.flash[0x4000], 0xFF);
	assert_int_equal(r.chip.flash[0x7FFF], 0xFF);
	assert_int_equal(r.chip.flash[0x8000], 0x00);
	wait_ms(&r, 1000);
	wr(&r, CR, CR_MER | CR_STRT);
	assert_int_equal(r.chip.flash[0], 0xFF);
	assert_int_equal(r.chip.flash[0x5FFFF], 0xFF);
	rig_down(&r);
}

static void f4_two_banks_snb_16_and_mer1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f429zi"); /* bank 2 from 0x08100000, sector 12 */
	memset(r.chip.flash, 0x00, 0x200000);
	unlock(&r);
	wr(&r, CR, CR_SER | SNB(16) | CR_STRT);
	assert_int_equal(r.chip.flash[0x0FFFFF], 0x00);
	assert_int_equal(r.chip.flash[0x100000], 0xFF);
	assert_int_equal(r.chip.flash[0x103FFF], 0xFF);
	assert_int_equal(r.chip.flash[0x104000], 0x00);
	assert_int_equal(r.chip.flash[0], 0x00); /* not sector 0 */
	wait_ms(&r, 1000);
	wr(&r, CR, CR_MER1 | CR_STRT); /* bank 2 only */
	assert_int_equal(r.chip.flash[0x0FFFFF], 0x00);
	assert_int_equal(r.chip.flash[0x1FFFFF], 0xFF);
	rig_down(&r);
}

static void f4_write_protected_sector_sets_wrperr(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	memset(r.chip.flash, 0x00, 0x10000);
	assert_true(sim_chip_wrp_set(&r.chip, 1));
	unlock(&r);
	wr(&r, CR, CR_SER | SNB(1) | CR_STRT);
	assert_int_equal(rd(&r, SR), SR_WRPERR);
	assert_int_equal(r.chip.flash[0x4000], 0x00);
	wr(&r, SR, SR_WRPERR);
	wr(&r, CR, CR_MER | CR_STRT); /* a protected sector: no mass erase */
	assert_int_equal(rd(&r, SR), SR_WRPERR);
	assert_int_equal(r.chip.flash[0], 0x00);
	wr(&r, SR, SR_WRPERR);
	memset(r.chip.flash + 0x4000, 0xFF, 4);
	wr(&r, CR, CR_PG | PSIZE(2));
	store(&r, 0x08004000u, 4, 0u);
	assert_int_equal(rd(&r, SR), SR_WRPERR);
	assert_int_equal(flash32(&r, 0x4000), 0xFFFFFFFFu);
	rig_down(&r);
}

static void f4_optcr_reads_the_option_bytes_and_optstrt_programs_them(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	assert_int_equal(rd(&r, OPTCR), 0x0FFFAAEDu); /* RM0090 reset value */
	wr(&r, OPTCR, 0x0FFBAAE6u); /* locked: ignored */
	assert_int_equal(rd(&r, OPTCR), 0x0FFFAAEDu);
	unlock_options(&r);
	assert_int_equal(rd(&r, OPTCR), 0x0FFFAAECu);
	/* nWRP2 cleared (sector 2 protected), BOR_LEV 01, then OPTSTRT. */
	wr(&r, OPTCR, 0x0FFBAAE4u);
	assert_false(sim_chip_sector_protected(&r.chip, 2)); /* not yet */
	wr(&r, OPTCR, 0x0FFBAAE6u);
	assert_true(rd(&r, SR) & SR_BSY);
	assert_int_equal(r.chip.options[0], 0xE4);
	assert_int_equal(r.chip.options[2], 0x1B);
	assert_int_equal(r.chip.options[8], 0xFB);
	assert_int_equal(r.chip.options[10], 0x04);
	assert_true(sim_chip_sector_protected(&r.chip, 2));
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	wr(&r, OPTCR, 1u); /* OPTLOCK */
	assert_true(rd(&r, OPTCR) & 1u);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_int_equal(rd(&r, OPTCR), 0x0FFBAAE5u); /* loaded again */
	rig_down(&r);
}

static void f4_rdp_back_to_level0_mass_erases_and_level2_is_final(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	sim_chip_set_rdp_level(&r.chip, 1);
	memset(r.chip.flash, 0x00, 0x100);
	unlock_options(&r);
	wr(&r, OPTCR, 0x0FFFAAEEu); /* RDP 0xAA, OPTSTRT */
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_int_equal(r.chip.flash[0], 0xFF);
	wait_ms(&r, 10000);
	wr(&r, OPTCR, 0x0FFFCCEEu); /* level 2 */
	assert_int_equal(sim_chip_rdp_level(&r.chip), 2);
	wait_ms(&r, 10000);
	wr(&r, OPTCR, 0x0FFFAAEEu);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 2);
	rig_down(&r);
}

static void f4_wrong_option_key_locks_optcr_until_reset(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	wr(&r, OPTKEYR, OPTKEY1);
	wr(&r, OPTKEYR, KEY2);
	assert_non_null(r.soc.env.fault_request);
	unlock_options(&r);
	assert_true(rd(&r, OPTCR) & 1u);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	unlock_options(&r);
	assert_false(rd(&r, OPTCR) & 1u);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f4_keys_unlock_and_a_wrong_key_is_a_bus_error_until_reset),
		cmocka_unit_test(f4_program_by_psize_and_its_errors),
		cmocka_unit_test(f4_sector_erase_follows_the_layout_and_its_time),
		cmocka_unit_test(f4_two_banks_snb_16_and_mer1),
		cmocka_unit_test(f4_write_protected_sector_sets_wrperr),
		cmocka_unit_test(f4_optcr_reads_the_option_bytes_and_optstrt_programs_them),
		cmocka_unit_test(f4_rdp_back_to_level0_mass_erases_and_level2_is_final),
		cmocka_unit_test(f4_wrong_option_key_locks_optcr_until_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
