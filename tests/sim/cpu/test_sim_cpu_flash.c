/* The flash controllers at register level against RM0008 (F1), RM0444
 * (G0), RM0434 (WB) and RM0453 (WL): keys and lock, programming errors,
 * page erase, busy time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define FLASH_R 0x40022000u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static void wait_ms(struct rig *r, uint64_t ms) { r->soc.env.now_ps += ms * 1000000000ull; }

/* F1 offsets: KEYR 4, SR 0xC, CR 0x10, AR 0x14. */
static void f1_unlock(struct rig *r)
{
	wr(r, FLASH_R + 4, KEY1);
	wr(r, FLASH_R + 4, KEY2);
}

static void f1_keys_unlock_and_wrong_key_locks_until_reset(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	assert_true(rd(&r, FLASH_R + 0x10) & 0x80); /* LOCK at reset */
	f1_unlock(&r);
	assert_false(rd(&r, FLASH_R + 0x10) & 0x80);
	wr(&r, FLASH_R + 0x10, 0x80); /* LOCK again */
	wr(&r, FLASH_R + 4, KEY1);
	wr(&r, FLASH_R + 4, 0x12345678u); /* wrong second key */
	f1_unlock(&r);
	assert_true(rd(&r, FLASH_R + 0x10) & 0x80); /* stays locked */
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	f1_unlock(&r);
	assert_false(rd(&r, FLASH_R + 0x10) & 0x80);
	rig_down(&r);
}

static void f1_program_sets_pgerr_on_non_erased_and_busy_then_eop(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	f1_unlock(&r);
	wr(&r, FLASH_R + 0x10, 1); /* PG */
	store(&r, 0x08000400u, 2, 0x1234);
	assert_int_equal(r.chip.flash[0x400], 0x34);
	assert_int_equal(r.chip.flash[0x401], 0x12);
	uint32_t sr = rd(&r, FLASH_R + 0xC);
	assert_true(sr & 1);      /* BSY during t_prog_us */
	wait_ms(&r, 1);
	sr = rd(&r, FLASH_R + 0xC);
	assert_false(sr & 1);
	assert_true(sr & 0x20);   /* EOP */
	assert_false(sr & 0x04);
	store(&r, 0x08000400u, 2, 0x0F0F); /* not erased, not zero */
	assert_true(rd(&r, FLASH_R + 0xC) & 0x04); /* PGERR */
	assert_int_equal(r.chip.flash[0x400], 0x34); /* unchanged */
	wr(&r, FLASH_R + 0xC, 0x24); /* write 1 to clear */
	assert_int_equal(rd(&r, FLASH_R + 0xC) & 0x24, 0);
	store(&r, 0x08000400u, 2, 0x0000); /* zero is always allowed */
	assert_false(rd(&r, FLASH_R + 0xC) & 0x04);
	assert_int_equal(r.chip.flash[0x400], 0x00);
	rig_down(&r);
}

static void f1_locked_controller_ignores_pg(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	wr(&r, FLASH_R + 0x10, 1); /* ignored: locked */
	store(&r, 0x08000000u, 2, 0x1111);
	assert_int_equal(r.chip.flash[0], 0xFF);
	rig_down(&r);
}

static void f1_page_erase_erases_the_page_of_ar_only(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	memset(r.chip.flash, 0x00, 0x1000);
	f1_unlock(&r);
	wr(&r, FLASH_R + 0x10, 2);              /* PER */
	wr(&r, FLASH_R + 0x14, 0x08000404u);    /* AR inside page 1 */
	wr(&r, FLASH_R + 0x10, 2 | 0x40);       /* STRT */
	assert_true(rd(&r, FLASH_R + 0xC) & 1); /* busy for the erase time */
	wait_ms(&r, 100);
	assert_true(rd(&r, FLASH_R + 0xC) & 0x20);
	assert_int_equal(r.chip.flash[0x3FF], 0x00);
	assert_int_equal(r.chip.flash[0x400], 0xFF);
	assert_int_equal(r.chip.flash[0x7FF], 0xFF);
	assert_int_equal(r.chip.flash[0x800], 0x00);
	rig_down(&r);
}

/* RM0008 XL density: bank 2 (from 512 KiB) has its own KEYR2 0x44, SR2
 * 0x4C, CR2 0x50, AR2 0x54. */
#define XL_BANK2 0x08080000u

static void f1_xl_bank_2_has_its_own_registers(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f10x-xl");
	assert_true(rd(&r, FLASH_R + 0x50) & 0x80); /* CR2.LOCK at reset */
	f1_unlock(&r);
	assert_true(rd(&r, FLASH_R + 0x50) & 0x80); /* KEYR unlocks bank 1 only */
	wr(&r, FLASH_R + 0x10, 1);                  /* CR.PG */
	store(&r, XL_BANK2, 2, 0x1234);             /* bank 2 is not in PG mode */
	assert_int_equal(r.chip.flash[0x80000], 0xFF);
	wr(&r, FLASH_R + 0x44, KEY1);
	wr(&r, FLASH_R + 0x44, KEY2);
	assert_false(rd(&r, FLASH_R + 0x50) & 0x80);
	wr(&r, FLASH_R + 0x50, 1); /* CR2.PG */
	store(&r, XL_BANK2, 2, 0x1234);
	assert_int_equal(r.chip.flash[0x80000], 0x34);
	assert_true(rd(&r, FLASH_R + 0x4C) & 1);  /* SR2.BSY */
	assert_false(rd(&r, FLASH_R + 0x0C) & 1); /* bank 1 idle */
	wait_ms(&r, 1);
	assert_true(rd(&r, FLASH_R + 0x4C) & 0x20); /* SR2.EOP */
	assert_false(rd(&r, FLASH_R + 0x0C) & 0x20);
	memset(r.chip.flash, 0x00, 1024 * 1024);
	wr(&r, FLASH_R + 0x50, 2);                /* CR2.PER */
	wr(&r, FLASH_R + 0x54, 0x08000800u);      /* AR2 in bank 1: not its bank */
	wr(&r, FLASH_R + 0x50, 2 | 0x40);
	assert_int_equal(r.chip.flash[0x800], 0x00);
	wr(&r, FLASH_R + 0x54, XL_BANK2 + 0x1000u);
	wr(&r, FLASH_R + 0x50, 2 | 0x40);
	assert_int_equal(r.chip.flash[0x81000], 0xFF);
	assert_int_equal(r.chip.flash[0x817FF], 0xFF);
	assert_int_equal(r.chip.flash[0x81800], 0x00);
	wait_ms(&r, 100);
	wr(&r, FLASH_R + 0x10, 4 | 0x40); /* CR.MER: bank 1 only */
	assert_int_equal(r.chip.flash[0], 0xFF);
	assert_int_equal(r.chip.flash[0x7FFFF], 0xFF);
	assert_int_equal(r.chip.flash[0x80000], 0x00);
	wr(&r, FLASH_R + 0x50, 4 | 0x40); /* CR2.MER: bank 2 */
	assert_int_equal(r.chip.flash[0x80000], 0xFF);
	assert_int_equal(r.chip.flash[0xFFFFF], 0xFF);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	wr(&r, FLASH_R + 0x44, 0x11111111u); /* a wrong KEYR2: bank 2 locked until reset */
	wr(&r, FLASH_R + 0x44, KEY1);
	wr(&r, FLASH_R + 0x44, KEY2);
	assert_true(rd(&r, FLASH_R + 0x50) & 0x80);
	f1_unlock(&r);
	assert_false(rd(&r, FLASH_R + 0x10) & 0x80); /* bank 1 unaffected */
	rig_down(&r);
}

/* PM0075: at RDP level 1 the first 4 KiB of an F1 stay write protected
 * (even for code booted from flash); F0 has no such rule. */
static void f1_rdp_level_1_write_protects_the_first_4_kib(void **state)
{
	(void)state;
	const char *devices[] = {"stm32f103xb", "stm32f030xc"};
	for (int d = 0; d < 2; d++) {
		struct rig r;
		rig_up(&r, devices[d]);
		sim_chip_set_rdp_level(&r.chip, 1);
		sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ); /* the level is loaded */
		f1_unlock(&r);
		wr(&r, FLASH_R + 0x10, 1); /* PG */
		store(&r, 0x08000800u, 2, 0x1234);
		bool f1 = d == 0;
		assert_int_equal(rd(&r, FLASH_R + 0xC) & 0x10, f1 ? 0x10 : 0); /* WRPRTERR */
		assert_int_equal(r.chip.flash[0x800], f1 ? 0xFF : 0x34);
		wait_ms(&r, 1);
		store(&r, 0x08001000u, 2, 0x5678); /* past 4 KiB */
		assert_int_equal(r.chip.flash[0x1000], 0x78);
		wait_ms(&r, 1);
		wr(&r, FLASH_R + 0xC, 0x34);
		memset(r.chip.flash + 0xC00, 0, 4);
		wr(&r, FLASH_R + 0x10, 2);           /* PER */
		wr(&r, FLASH_R + 0x14, 0x08000C00u); /* a page under 4 KiB */
		wr(&r, FLASH_R + 0x10, 2 | 0x40);
		assert_int_equal(rd(&r, FLASH_R + 0xC) & 0x10, f1 ? 0x10 : 0);
		assert_int_equal(r.chip.flash[0xC00], f1 ? 0x00 : 0xFF);
		rig_down(&r);
	}
}

/* G0 offsets: KEYR 8, SR 0x10, CR 0x14; PNB from bit 3, EOPIE bit 24. */
static void g0_unlock(struct rig *r)
{
	wr(r, FLASH_R + 8, KEY1);
	wr(r, FLASH_R + 8, KEY2);
}

static void g0_wrong_key_is_a_bus_error_and_locks_until_reset(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	assert_true(rd(&r, FLASH_R + 0x14) & 0x80000000u);
	wr(&r, FLASH_R + 8, 0xDEADBEEFu);
	assert_non_null(r.soc.env.fault_request);
	g0_unlock(&r);
	assert_true(rd(&r, FLASH_R + 0x14) & 0x80000000u);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	g0_unlock(&r);
	assert_false(rd(&r, FLASH_R + 0x14) & 0x80000000u);
	rig_down(&r);
}

static void g0_double_word_program_and_its_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	g0_unlock(&r);
	store(&r, 0x08000000u, 4, 0x11111111u); /* no PG */
	assert_true(rd(&r, FLASH_R + 0x10) & 0x80); /* PGSERR */
	wr(&r, FLASH_R + 0x10, 0xFFu);               /* clear errors */
	wr(&r, FLASH_R + 0x14, 1u | 1u << 24);       /* PG, EOPIE */
	store(&r, 0x08000000u, 4, 0x11111111u);
	assert_int_equal(r.chip.flash[0], 0xFF);     /* nothing until the 2nd word */
	store(&r, 0x08000004u, 4, 0x22222222u);
	assert_int_equal(r.chip.flash[0], 0x11);
	assert_int_equal(r.chip.flash[4], 0x22);
	wait_ms(&r, 1);
	assert_int_equal(rd(&r, FLASH_R + 0x10) & 0xFB, 0x01); /* EOP only */
	wr(&r, FLASH_R + 0x10, 1);
	store(&r, 0x08000000u, 4, 0x01010101u);  /* not erased */
	store(&r, 0x08000004u, 4, 0x02020202u);
	assert_true(rd(&r, FLASH_R + 0x10) & 0x08); /* PROGERR */
	assert_int_equal(r.chip.flash[0], 0x11);
	wr(&r, FLASH_R + 0x10, 0xFFu);
	store(&r, 0x08000010u, 2, 0xAAAA);       /* half-word */
	assert_true(rd(&r, FLASH_R + 0x10) & 0x40); /* SIZERR */
	wr(&r, FLASH_R + 0x10, 0xFFu);
	store(&r, 0x08000014u, 4, 0xAAAAAAAAu);  /* first word not 8-aligned */
	assert_true(rd(&r, FLASH_R + 0x10) & 0x20); /* PGAERR */
	rig_down(&r);
}

static void g0_page_erase_by_pnb_and_pgserr_with_pending_error(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	memset(r.chip.flash, 0x00, 0x3000);
	sim_flash_derive_programmed(&r.chip);
	g0_unlock(&r);
	wr(&r, FLASH_R + 0x14, 2u | 3u << 3 | 1u << 24 | 1u << 16); /* PER, PNB 3, STRT */
	wait_ms(&r, 100);
	assert_int_equal(r.chip.flash[3 * 2048 - 1], 0x00);
	assert_int_equal(r.chip.flash[3 * 2048], 0xFF);
	assert_int_equal(r.chip.flash[4 * 2048 - 1], 0xFF);
	assert_int_equal(r.chip.flash[4 * 2048], 0x00);
	assert_true(rd(&r, FLASH_R + 0x10) & 1); /* EOP */
	store(&r, 0x08000000u, 2, 0);             /* SIZERR (and PGSERR) pending */
	wr(&r, FLASH_R + 0x14, 2u | 1u << 3 | 1u << 16); /* erase page 1 */
	assert_true(rd(&r, FLASH_R + 0x10) & 0x80);
	assert_int_equal(r.chip.flash[2048], 0x00); /* not erased */
	rig_down(&r);
}

/* WB/WL: the 64-bit controller at 0x58004000, PNB 8 bits wide on WB
 * (256 pages of 4 KiB), 7 on WL (128 of 2 KiB), CFGBSY bit 18. */
#define WBWL_R 0x58004000u

static void wbwl_unlock(struct rig *r)
{
	wr(r, WBWL_R + 8, KEY1);
	wr(r, WBWL_R + 8, KEY2);
}

static void wb55_controller_at_0x58004000_with_an_8_bit_page_number(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32wb55");
	assert_true(rd(&r, WBWL_R + 0x14) & 0x80000000u); /* LOCK */
	assert_int_equal(rd(&r, WBWL_R + 0x20), 0xFFEFF8AAu); /* OPTR: the row's factory word 0 */
	assert_int_equal(rd(&r, 0x40022014u), 0);             /* nothing at the L4 address */
	memset(r.chip.flash, 0x00, 1024 * 1024);
	sim_flash_derive_programmed(&r.chip);
	wbwl_unlock(&r);
	assert_false(rd(&r, WBWL_R + 0x14) & 0x80000000u);
	wr(&r, WBWL_R + 0x14, 2u | 200u << 3 | 1u << 16); /* PER, PNB 200, STRT */
	assert_true(rd(&r, WBWL_R + 0x10) & (1u << 18));  /* CFGBSY while busy */
	assert_int_equal(r.chip.flash[200 * 4096 - 1], 0x00);
	assert_int_equal(r.chip.flash[200 * 4096], 0xFF);
	assert_int_equal(r.chip.flash[201 * 4096 - 1], 0xFF);
	assert_int_equal(r.chip.flash[201 * 4096], 0x00);
	assert_int_equal(r.chip.flash[72 * 4096], 0x00); /* not 200 cut to 7 bits */
	wait_ms(&r, 100);
	wr(&r, WBWL_R + 0x14, 1); /* PG */
	store(&r, 0x080C8000u, 4, 0x11111111u);
	assert_true(rd(&r, WBWL_R + 0x10) & (1u << 18)); /* CFGBSY: half a double word */
	store(&r, 0x080C8004u, 4, 0x22222222u);
	assert_int_equal(r.chip.flash[200 * 4096], 0x11);
	assert_int_equal(r.chip.flash[200 * 4096 + 4], 0x22);
	wait_ms(&r, 1);
	assert_false(rd(&r, WBWL_R + 0x10) & ((1u << 18) | (1u << 16)));
	rig_down(&r);
}

static void wl55_page_number_is_7_bits(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32wl55");
	memset(r.chip.flash, 0x00, 256 * 1024);
	sim_flash_derive_programmed(&r.chip);
	wbwl_unlock(&r);
	wr(&r, WBWL_R + 0x14, 2u | (100u | 0x80u) << 3 | 1u << 16); /* bit 10 is not PNB */
	assert_int_equal(r.chip.flash[100 * 2048 - 1], 0x00);
	assert_int_equal(r.chip.flash[100 * 2048], 0xFF);
	assert_int_equal(r.chip.flash[101 * 2048], 0x00);
	wr(&r, WBWL_R + 8, 0x1u); /* a wrong key: bus error */
	assert_non_null(r.soc.env.fault_request);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_keys_unlock_and_wrong_key_locks_until_reset),
		cmocka_unit_test(f1_program_sets_pgerr_on_non_erased_and_busy_then_eop),
		cmocka_unit_test(f1_locked_controller_ignores_pg),
		cmocka_unit_test(f1_page_erase_erases_the_page_of_ar_only),
		cmocka_unit_test(f1_rdp_level_1_write_protects_the_first_4_kib),
		cmocka_unit_test(f1_xl_bank_2_has_its_own_registers),
		cmocka_unit_test(g0_wrong_key_is_a_bus_error_and_locks_until_reset),
		cmocka_unit_test(g0_double_word_program_and_its_errors),
		cmocka_unit_test(g0_page_erase_by_pnb_and_pgserr_with_pending_error),
		cmocka_unit_test(wb55_controller_at_0x58004000_with_an_8_bit_page_number),
		cmocka_unit_test(wl55_page_number_is_7_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
