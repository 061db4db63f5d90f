/* The flash controllers of the TrustZone parts, non-secure side, at
 * 0x40022000: L5 (RM0438, double words) and U5 (RM0456, quad words) on the
 * 64-bit controller's register table (NSKEYR 0x08, OPTKEYR 0x10, NSSR 0x20,
 * NSCR 0x28, OPTR 0x40), and H5 (RM0481) on the H7 controller's (NSKEYR
 * 0x04, NSSR 0x20, NSCR 0x28, NSCCR 0x30; START bit 5, SNB 12:6, BKSEL 31,
 * MER 15, INCERR 20, 128-bit words). */
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
#define FLASH 0x08000000u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
/* L5/U5 */
#define NSKEYR  0x08u
#define OPTKEYR 0x10u
#define NSSR    0x20u
#define NSCR    0x28u
#define OPTR    0x40u
#define PG      (1u << 0)
#define PER     (1u << 1)
#define MER1    (1u << 2)
#define BKER    (1u << 11)
#define STRT    (1u << 16)
#define OPTSTRT (1u << 17)
#define EOPIE   (1u << 24)
#define LOCK    (1u << 31)
#define EOP     (1u << 0)
#define PROGERR (1u << 3)
#define PGAERR  (1u << 5)
#define SIZERR  (1u << 6)
#define PGSERR  (1u << 7)
#define BSY     (1u << 16)
#define WDW     (1u << 17)
/* H5 */
#define H5_NSKEYR 0x04u
#define H5_NSCCR  0x30u
#define H5_LOCK   (1u << 0)
#define H5_PG     (1u << 1)
#define H5_SER    (1u << 2)
#define H5_BER    (1u << 3)
#define H5_STRT   (1u << 5)
#define H5_MER    (1u << 15)
#define H5_BKSEL  (1u << 31)
#define H5_BSY    (1u << 0)
#define H5_WBNE   (1u << 1)
#define H5_EOP    (1u << 16)
#define H5_INCERR (1u << 20)

static void wr(struct rig *r, uint32_t off, uint32_t v) { sim_mmio_write(&r->soc.bus, FLASH_R + off, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t off) { return sim_mmio_read(&r->soc.bus, FLASH_R + off, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static void wait_ms(struct rig *r, uint64_t ms) { r->soc.env.now_ps += ms * 1000000000ull; }
static uint8_t at(struct rig *r, uint32_t a) { return r->chip.flash[a - FLASH]; }

static void unlock(struct rig *r, uint32_t keyr)
{
	wr(r, keyr, KEY1);
	wr(r, keyr, KEY2);
}

static void l5_double_word_and_bank_2_page_erase(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l552");
	assert_true(rd(&r, NSCR) & LOCK);
	unlock(&r, NSKEYR);
	assert_false(rd(&r, NSCR) & LOCK);
	wr(&r, NSCR, PG | EOPIE);
	store(&r, FLASH + 0x10, 4, 0x11111111u);
	assert_int_equal(at(&r, FLASH + 0x10), 0xFF);
	store(&r, FLASH + 0x14, 4, 0x22222222u);
	assert_int_equal(at(&r, FLASH + 0x10), 0x11);
	assert_int_equal(at(&r, FLASH + 0x14), 0x22);
	assert_true(rd(&r, NSSR) & BSY);
	wait_ms(&r, 1);
	assert_int_equal(rd(&r, NSSR) & (BSY | EOP), EOP);
	memset(r.chip.flash, 0x00, 512 * 1024);
	sim_flash_derive_programmed(&r.chip);
	wr(&r, NSCR, PER | BKER | 5u << 3 | STRT); /* bank 2, page 5: 2 KiB pages */
	uint32_t page = FLASH + 0x40000 + 5 * 2048;
	assert_int_equal(at(&r, page - 1), 0x00);
	assert_int_equal(at(&r, page), 0xFF);
	assert_int_equal(at(&r, page + 2047), 0xFF);
	assert_int_equal(at(&r, page + 2048), 0x00);
	assert_int_equal(at(&r, FLASH + 5 * 2048), 0x00); /* bank 1's page 5 untouched */
	rig_down(&r);
}

static void l5_optr_register_sets_rdp_and_the_way_back_mass_erases(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32l552");
	assert_int_equal(rd(&r, OPTR), 0x7FFFFFAAu);
	unlock(&r, NSKEYR);
	wr(&r, OPTKEYR, 0x08192A3Bu);
	wr(&r, OPTKEYR, 0x4C5D6E7Fu);
	wr(&r, OPTR, 0x7FFFFFBBu);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0); /* not before OPTSTRT */
	wr(&r, NSCR, OPTSTRT);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 1);
	memset(r.chip.flash, 0x21, 64);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_int_equal(rd(&r, OPTR), 0x7FFFFFBBu);
	unlock(&r, NSKEYR);
	wr(&r, OPTKEYR, 0x08192A3Bu);
	wr(&r, OPTKEYR, 0x4C5D6E7Fu);
	wr(&r, OPTR, 0x7FFFFFAAu);
	wr(&r, NSCR, OPTSTRT);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_int_equal(at(&r, FLASH), 0xFF);
	rig_down(&r);
}

static void u5_quad_word_programming_and_its_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32u575");
	unlock(&r, NSKEYR);
	store(&r, FLASH, 4, 1); /* no PG */
	assert_true(rd(&r, NSSR) & PGSERR);
	wr(&r, NSSR, 0xFFu);
	wr(&r, NSCR, PG);
	store(&r, FLASH + 0x20, 4, 0xA0u);
	store(&r, FLASH + 0x24, 4, 0xA1u);
	store(&r, FLASH + 0x28, 4, 0xA2u);
	assert_true(rd(&r, NSSR) & WDW); /* three of four words */
	assert_int_equal(at(&r, FLASH + 0x20), 0xFF);
	store(&r, FLASH + 0x2C, 4, 0xA3u);
	assert_false(rd(&r, NSSR) & WDW);
	assert_int_equal(at(&r, FLASH + 0x20), 0xA0);
	assert_int_equal(at(&r, FLASH + 0x2C), 0xA3);
	wait_ms(&r, 1);
	store(&r, FLASH + 0x38, 4, 0); /* 8-aligned but not 16-aligned */
	assert_true(rd(&r, NSSR) & PGAERR);
	wr(&r, NSSR, 0xFFu);
	store(&r, FLASH + 0x40, 2, 0); /* half-word */
	assert_true(rd(&r, NSSR) & SIZERR);
	wr(&r, NSSR, 0xFFu);
	for (uint32_t i = 0; i < 4; i++)
		store(&r, FLASH + 0x20 + 4 * i, 4, 0x5Au); /* programmed already, not zeros */
	assert_true(rd(&r, NSSR) & PROGERR);
	assert_int_equal(at(&r, FLASH + 0x20), 0xA0);
	rig_down(&r);
}

static void u5_mer1_erases_bank_1_only(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32u575");
	memset(r.chip.flash, 0x00, 2u * 1024 * 1024);
	unlock(&r, NSKEYR);
	wr(&r, NSCR, MER1 | STRT);
	assert_int_equal(at(&r, FLASH), 0xFF);
	assert_int_equal(at(&r, FLASH + 0xFFFFF), 0xFF);
	assert_int_equal(at(&r, FLASH + 0x100000), 0x00);
	rig_down(&r);
}

static void h5_one_register_set_bksel_and_128_bit_words(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h563zi");
	assert_true(rd(&r, NSCR) & H5_LOCK);
	unlock(&r, H5_NSKEYR);
	assert_false(rd(&r, NSCR) & H5_LOCK);
	wr(&r, NSCR, H5_PG);
	for (uint32_t i = 0; i < 3; i++)
		store(&r, FLASH + 0x100000 + 4 * i, 4, 0x11111111u * (i + 1)); /* bank 2 */
	assert_true(rd(&r, NSSR) & H5_WBNE);
	store(&r, FLASH + 0x10000C, 4, 0x44444444u);
	assert_int_equal(at(&r, FLASH + 0x100000), 0x11);
	assert_int_equal(at(&r, FLASH + 0x10000C), 0x44);
	assert_true(rd(&r, NSSR) & H5_BSY);
	wait_ms(&r, 1);
	assert_true(rd(&r, NSSR) & H5_EOP);
	wr(&r, H5_NSCCR, H5_EOP);
	assert_false(rd(&r, NSSR) & H5_EOP);
	store(&r, FLASH + 0x20, 4, 1);
	store(&r, FLASH + 0x40, 4, 1); /* another flash word */
	assert_true(rd(&r, NSSR) & H5_INCERR);
	memset(r.chip.flash, 0x00, 2u * 1024 * 1024);
	sim_flash_derive_programmed(&r.chip);
	wr(&r, NSCR, H5_SER | H5_BKSEL | 3u << 6 | H5_STRT); /* bank 2, sector 3: 8 KiB */
	uint32_t sector = FLASH + 0x100000 + 3 * 8192;
	assert_int_equal(at(&r, sector - 1), 0x00);
	assert_int_equal(at(&r, sector), 0xFF);
	assert_int_equal(at(&r, sector + 8191), 0xFF);
	assert_int_equal(at(&r, sector + 8192), 0x00);
	assert_int_equal(at(&r, FLASH + 3 * 8192), 0x00);
	wait_ms(&r, 100);
	wr(&r, NSCR, H5_BER | H5_STRT); /* BKSEL clear: bank 1 */
	assert_int_equal(at(&r, FLASH), 0xFF);
	assert_int_equal(at(&r, FLASH + 0x100000), 0x00);
	wait_ms(&r, 100);
	wr(&r, NSCR, H5_MER | H5_STRT);
	assert_int_equal(at(&r, FLASH + 0x100000), 0xFF);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l5_double_word_and_bank_2_page_erase),
		cmocka_unit_test(l5_optr_register_sets_rdp_and_the_way_back_mass_erases),
		cmocka_unit_test(u5_quad_word_programming_and_its_errors),
		cmocka_unit_test(u5_mer1_erases_bank_1_only),
		cmocka_unit_test(h5_one_register_set_bksel_and_128_bit_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
