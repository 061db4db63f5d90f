/* The PECR flash controller at register level against RM0377 (L0) and
 * RM0038 (L1): three locks and their keys, word, half-page and page-erase
 * stores, their errors, busy time in emulated time, option words, RDP
 * regression and OBL_LAUNCH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"

#define L0_FLASH 0x40022000u
#define L1_FLASH 0x40023C00u
#define PECR    0x04u
#define PEKEYR  0x0Cu
#define PRGKEYR 0x10u
#define OPTKEYR 0x14u
#define SR      0x18u
#define OPTR    0x1Cu
#define PELOCK  (1u << 0)
#define PRGLOCK (1u << 1)
#define OPTLOCK (1u << 2)
#define PROG    (1u << 3)
#define ERASE   (1u << 9)
#define FPRG    (1u << 10)
#define OBL_LAUNCH (1u << 18)
#define BSY     (1u << 0)
#define EOP     (1u << 1)
#define WRPERR  (1u << 8)
#define PGAERR  (1u << 9)
#define SIZERR  (1u << 10)
#define NOTZEROERR (1u << 16)
#define OPT_AREA 0x1FF80000u
#define FLASH 0x08000000u

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_soc soc;
	uint32_t base;
};

static void rig_up(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	sim_soc_init(&r->soc, sim_family_info(dev->family), &r->chip, &r->stats, NULL);
	r->base = strcmp(dev->family, "L0") == 0 ? L0_FLASH : L1_FLASH;
}

static void rig_down(struct rig *r) { sim_chip_free(&r->chip); }
static void wr(struct rig *r, uint32_t off, uint32_t v) { sim_mmio_write(&r->soc.bus, r->base + off, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t off) { return sim_mmio_read(&r->soc.bus, r->base + off, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static void wait_us(struct rig *r, uint64_t us) { r->soc.env.now_ps += us * 1000000ull; }

static void unlock_program(struct rig *r)
{
	wr(r, PEKEYR, 0x89ABCDEFu);
	wr(r, PEKEYR, 0x02030405u);
	wr(r, PRGKEYR, 0x8C9DAEBFu);
	wr(r, PRGKEYR, 0x13141516u);
}

static void unlock_options(struct rig *r)
{
	wr(r, PEKEYR, 0x89ABCDEFu);
	wr(r, PEKEYR, 0x02030405u);
	wr(r, OPTKEYR, 0xFBEAD9C8u);
	wr(r, OPTKEYR, 0x24252627u);
}

static uint32_t flash_word(struct rig *r, uint32_t a)
{
	const uint8_t *p = r->chip.flash + (a - FLASH);
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void l0_three_locks_open_in_order_and_a_wrong_key_locks_until_reset(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	assert_int_equal(rd(&r, PECR) & 7u, PELOCK | PRGLOCK | OPTLOCK);
	wr(&r, PEKEYR, 0x89ABCDEFu);
	wr(&r, PEKEYR, 0x02030405u);
	assert_int_equal(rd(&r, PECR) & 7u, PRGLOCK | OPTLOCK);
	wr(&r, PRGKEYR, 0x8C9DAEBFu);
	wr(&r, PRGKEYR, 0x13141516u);
	assert_int_equal(rd(&r, PECR) & 7u, OPTLOCK);
	wr(&r, PECR, PELOCK); /* PELOCK locks all three again */
	assert_int_equal(rd(&r, PECR) & 7u, PELOCK | PRGLOCK | OPTLOCK);
	assert_null(r.soc.env.fault_request);
	wr(&r, PRGKEYR, 0x8C9DAEBFu); /* before PECR is unlocked: a bus error */
	assert_non_null(r.soc.env.fault_request);
	unlock_program(&r);
	assert_int_equal(rd(&r, PECR) & 7u, PELOCK | PRGLOCK | OPTLOCK);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	wr(&r, PEKEYR, 0x89ABCDEFu);
	wr(&r, PEKEYR, 0x12345678u); /* wrong second key */
	assert_non_null(r.soc.env.fault_request);
	unlock_program(&r);
	assert_true(rd(&r, PECR) & PELOCK);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	unlock_program(&r);
	assert_int_equal(rd(&r, PECR) & 7u, OPTLOCK);
	rig_down(&r);
}

static void l0_word_program_busy_then_eop_and_its_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	store(&r, FLASH + 0x100, 4, 0x11223344u); /* locked */
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(flash_word(&r, FLASH + 0x100), 0x00000000u);
	wr(&r, SR, WRPERR);
	unlock_program(&r);
	store(&r, FLASH + 0x100, 4, 0x11223344u);
	assert_int_equal(flash_word(&r, FLASH + 0x100), 0x11223344u);
	assert_true(rd(&r, SR) & BSY); /* t_prog_us of the row: 200 us */
	wait_us(&r, 199);
	assert_true(rd(&r, SR) & BSY);
	wait_us(&r, 2);
	assert_false(rd(&r, SR) & BSY);
	assert_true(rd(&r, SR) & EOP);
	store(&r, FLASH + 0x100, 4, 0x01020304u); /* programmed already */
	assert_true(rd(&r, SR) & NOTZEROERR);
	assert_int_equal(flash_word(&r, FLASH + 0x100), 0x11223344u);
	store(&r, FLASH + 0x104, 2, 0xAAAAu); /* half-word */
	assert_true(rd(&r, SR) & SIZERR);
	store(&r, FLASH + 0x106, 4, 0xAAAAAAAAu); /* not word-aligned */
	assert_true(rd(&r, SR) & PGAERR);
	assert_int_equal(flash_word(&r, FLASH + 0x104), 0x00000000u);
	wr(&r, SR, NOTZEROERR | SIZERR | PGAERR | EOP);
	assert_int_equal(rd(&r, SR) & (NOTZEROERR | SIZERR | PGAERR | EOP), 0);
	rig_down(&r);
}

static void l0_page_erase_is_erase_prog_and_a_store_into_the_page(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	memset(r.chip.flash, 0x5A, 0x400); /* erased L0 flash reads 0: make it show */
	unlock_program(&r);
	wr(&r, PECR, ERASE | PROG);
	store(&r, FLASH + 0x184, 4, 0); /* inside page 3 (128-byte pages) */
	assert_true(rd(&r, SR) & BSY);  /* the row's 3 ms per page */
	wait_us(&r, 3001);
	assert_true(rd(&r, SR) & EOP);
	assert_int_equal(r.chip.flash[0x17F], 0x5A);
	assert_int_equal(r.chip.flash[0x180], 0x00);
	assert_int_equal(r.chip.flash[0x1FF], 0x00);
	assert_int_equal(r.chip.flash[0x200], 0x5A);
	rig_down(&r);
}

static void half_page(struct rig *r, uint32_t address, unsigned words)
{
	for (unsigned i = 0; i < words; i++)
		store(r, address + 4 * i, 4, 0xA0000000u | i);
}

static void l0_half_page_programs_after_its_last_word_and_refuses_misuse(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	unlock_program(&r);
	wr(&r, PECR, FPRG | PROG);
	half_page(&r, FLASH + 0x40, 15);
	assert_int_equal(flash_word(&r, FLASH + 0x40), 0x00000000u); /* not yet */
	store(&r, FLASH + 0x7C, 4, 0xA000000Fu);                    /* 16th word of 64 bytes */
	assert_int_equal(flash_word(&r, FLASH + 0x40), 0xA0000000u);
	assert_int_equal(flash_word(&r, FLASH + 0x7C), 0xA000000Fu);
	assert_int_equal(flash_word(&r, FLASH + 0x80), 0x00000000u);
	assert_int_equal(rd(&r, SR) & PGAERR, 0);
	store(&r, FLASH + 0x84, 4, 1); /* not on a half-page boundary */
	assert_true(rd(&r, SR) & PGAERR);
	wr(&r, SR, PGAERR);
	store(&r, FLASH + 0x80, 4, 1);
	store(&r, FLASH + 0x88, 4, 2); /* skips a word */
	assert_true(rd(&r, SR) & PGAERR);
	half_page(&r, FLASH + 0xC0, 16); /* a fresh half page still works */
	assert_int_equal(flash_word(&r, FLASH + 0x80), 0x00000000u);
	assert_int_equal(flash_word(&r, FLASH + 0xFC), 0xA000000Fu);
	rig_down(&r);
}

static void l1_half_page_is_128_bytes_and_reprogramming_only_sets_bits(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l1-cat3");
	unlock_program(&r);
	wr(&r, PECR, FPRG | PROG);
	half_page(&r, FLASH + 0x80, 16);
	assert_int_equal(flash_word(&r, FLASH + 0x80), 0x00000000u); /* 64 of 128 bytes */
	half_page(&r, FLASH + 0xC0, 16);                            /* words 16..31 */
	assert_int_equal(rd(&r, SR) & PGAERR, 0);
	assert_int_equal(flash_word(&r, FLASH + 0x80), 0xA0000000u);
	assert_int_equal(flash_word(&r, FLASH + 0xC0), 0xA0000000u);
	assert_int_equal(flash_word(&r, FLASH + 0xFC), 0xA000000Fu);
	wait_us(&r, 1000);
	wr(&r, PECR, 0); /* word programming */
	store(&r, FLASH + 0x80, 4, 0x0F0F0F0Fu);
	assert_int_equal(rd(&r, SR) & (NOTZEROERR | WRPERR | PGAERR | SIZERR), 0); /* no NOTZEROERR on L1 */
	assert_int_equal(flash_word(&r, FLASH + 0x80), 0xAF0F0F0Fu); /* erased is 0: bits only set */
	rig_down(&r);
}

static void l0_option_words_rdp_regression_and_obl_launch(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	assert_int_equal(rd(&r, OPTR), 0x807000AAu); /* the row's factory option words */
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF4400BBu); /* locked */
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	wr(&r, SR, WRPERR);
	unlock_options(&r);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 2, 0x00BBu);
	assert_true(rd(&r, SR) & SIZERR);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF4400BBu); /* RDP 0xBB: level 1 */
	assert_int_equal(sim_chip_rdp_level(&r.chip), 1);
	assert_int_equal(rd(&r, OPTR) & 0xFFu, 0xBBu);
	memset(r.chip.flash, 0x12, 256);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF5500AAu); /* not protected at reset */
	assert_int_equal(r.chip.flash[0], 0x12);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF4400BBu);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ); /* level 1 is loaded */
	unlock_options(&r);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF5500AAu);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_int_equal(r.chip.flash[0], 0x00); /* mass-erased on the way back */
	assert_int_equal(r.chip.flash[255], 0x00);
	assert_int_equal(r.soc.env.reset_request, SIM_RESET_NONE);
	wr(&r, PECR, OBL_LAUNCH);
	assert_int_equal(r.soc.env.reset_request, SIM_RESET_OBL_LAUNCH);
	rig_down(&r);
}

/* Readout protection with the code not booted from flash (the core sets
 * rdp_blocked): no program, no erase; the option words stay writable. */
static void l0_readout_protection_refuses_program_and_erase_not_options(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	memset(r.chip.flash, 0x5A, 0x100); /* not what an erase leaves */
	r.soc.flash.rdp_blocked = true;
	unlock_program(&r);
	store(&r, FLASH + 0x200, 4, 0x11223344u);
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(flash_word(&r, FLASH + 0x200), 0x00000000u);
	wr(&r, SR, WRPERR);
	wr(&r, PECR, ERASE | PROG);
	store(&r, FLASH, 4, 0);
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(r.chip.flash[0], 0x5A);
	unlock_options(&r);
	sim_flashctl_option_write(&r.soc.flash, OPT_AREA, 4, 0xFF4400BBu);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 1);
	rig_down(&r);
}

static void l0_obl_launch_needs_the_option_lock_open(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l05x");
	unlock_program(&r);
	wr(&r, PECR, OBL_LAUNCH);
	assert_int_equal(r.soc.env.reset_request, SIM_RESET_NONE);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l0_three_locks_open_in_order_and_a_wrong_key_locks_until_reset),
		cmocka_unit_test(l0_word_program_busy_then_eop_and_its_errors),
		cmocka_unit_test(l0_page_erase_is_erase_prog_and_a_store_into_the_page),
		cmocka_unit_test(l0_half_page_programs_after_its_last_word_and_refuses_misuse),
		cmocka_unit_test(l1_half_page_is_128_bytes_and_reprogramming_only_sets_bits),
		cmocka_unit_test(l0_option_words_rdp_regression_and_obl_launch),
		cmocka_unit_test(l0_readout_protection_refuses_program_and_erase_not_options),
		cmocka_unit_test(l0_obl_launch_needs_the_option_lock_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
