/* The H7 flash controller at register level against RM0433 (H743, two
 * banks, 256-bit flash words) and RM0455 (H7A3: 128-bit words, 8 KiB
 * sectors, START at bit 5): per-bank keys, the write buffer and its errors,
 * sector, bank and mass erase, OPTSR_PRG/OPTSTART and readout protection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define H7 0x52002000u
#define KEYR 0x04u
#define OPTKEYR 0x08u
#define CR 0x0Cu
#define SR 0x10u
#define CCR 0x14u
#define OPTCR 0x18u
#define OPTSR_CUR 0x1Cu
#define OPTSR_PRG 0x20u
#define BANK2 0x100u
#define LOCK (1u << 0)
#define PG (1u << 1)
#define SER (1u << 2)
#define BER (1u << 3)
#define FW (1u << 6)
#define START (1u << 7)
#define BSY (1u << 0)
#define WBNE (1u << 1)
#define QW (1u << 2)
#define EOP (1u << 16)
#define WRPERR (1u << 17)
#define PGSERR (1u << 18)
#define STRBERR (1u << 19)
#define INCERR (1u << 21)
#define OPERR (1u << 22)
#define OPTLOCK (1u << 0)
#define OPTSTART (1u << 1)
#define MER (1u << 4)
#define OPTCHANGEERR (1u << 30)
#define FLASH 0x08000000u
#define BANK2_FLASH 0x08100000u

static void wr(struct rig *r, uint32_t off, uint32_t v) { sim_mmio_write(&r->soc.bus, H7 + off, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t off) { return sim_mmio_read(&r->soc.bus, H7 + off, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static void wait_us(struct rig *r, uint64_t us) { r->soc.env.now_ps += us * 1000000ull; }
static uint8_t at(struct rig *r, uint32_t a) { return r->chip.flash[a - FLASH]; }

static void unlock(struct rig *r, uint32_t bank)
{
	wr(r, bank + KEYR, 0x45670123u);
	wr(r, bank + KEYR, 0xCDEF89ABu);
}

static void unlock_options(struct rig *r)
{
	wr(r, OPTKEYR, 0x08192A3Bu);
	wr(r, OPTKEYR, 0x4C5D6E7Fu);
}

static void words(struct rig *r, uint32_t address, unsigned count, uint32_t value)
{
	for (unsigned i = 0; i < count; i++)
		store(r, address + 4 * i, 4, value + i);
}

static void h743_banks_have_their_own_keys(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	assert_true(rd(&r, CR) & LOCK);
	assert_true(rd(&r, BANK2 + CR) & LOCK);
	unlock(&r, 0);
	assert_false(rd(&r, CR) & LOCK);
	assert_true(rd(&r, BANK2 + CR) & LOCK);
	assert_null(r.soc.env.fault_request);
	wr(&r, BANK2 + KEYR, 0x11111111u); /* wrong key: bus error, bank 2 locked until reset */
	assert_non_null(r.soc.env.fault_request);
	unlock(&r, BANK2);
	assert_true(rd(&r, BANK2 + CR) & LOCK);
	assert_false(rd(&r, CR) & LOCK);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_true(rd(&r, CR) & LOCK);
	unlock(&r, BANK2);
	assert_false(rd(&r, BANK2 + CR) & LOCK);
	rig_down(&r);
}

static void h743_flash_word_programs_when_its_32_bytes_are_written(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	unlock(&r, 0);
	store(&r, FLASH, 4, 0x11111111u); /* no PG */
	assert_true(rd(&r, SR) & PGSERR);
	wr(&r, CCR, PGSERR);
	assert_false(rd(&r, SR) & PGSERR);
	wr(&r, CR, PG);
	words(&r, FLASH + 0x20, 7, 0xA0000000u);
	assert_int_equal(at(&r, FLASH + 0x20), 0xFF); /* waits for the whole flash word */
	assert_int_equal(rd(&r, SR) & (WBNE | QW), WBNE | QW);
	store(&r, FLASH + 0x3C, 4, 0xA0000007u);
	assert_int_equal(at(&r, FLASH + 0x20), 0x00);
	assert_int_equal(at(&r, FLASH + 0x3C), 0x07);
	assert_int_equal(at(&r, FLASH + 0x40), 0xFF);
	assert_int_equal(rd(&r, SR) & (WBNE | BSY), BSY); /* t_prog_us of the row: 100 us */
	wait_us(&r, 101);
	assert_int_equal(rd(&r, SR) & (WBNE | QW | BSY | EOP), EOP);
	words(&r, FLASH + 0x20, 8, 0); /* programmed already: the chip refuses it */
	assert_true(rd(&r, SR) & OPERR);
	rig_down(&r);
}

static void h743_buffer_misuse_incerr_strberr_and_forced_write(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	unlock(&r, 0);
	wr(&r, CR, PG);
	store(&r, FLASH + 0x40, 4, 0x12345678u);
	store(&r, FLASH + 0x80, 4, 0x12345678u); /* another flash word */
	assert_true(rd(&r, SR) & INCERR);
	assert_false(rd(&r, SR) & WBNE); /* the buffer was dropped */
	store(&r, FLASH + 0x40, 2, 0x5678u);
	store(&r, FLASH + 0x41, 1, 0x56u); /* the same byte twice */
	assert_true(rd(&r, SR) & STRBERR);
	wr(&r, CR, PG | FW); /* force the partial word: the rest stays erased */
	assert_int_equal(at(&r, FLASH + 0x40), 0x78);
	assert_int_equal(at(&r, FLASH + 0x41), 0x56);
	assert_int_equal(at(&r, FLASH + 0x42), 0xFF);
	assert_false(rd(&r, SR) & WBNE);
	rig_down(&r);
}

static void h743_sector_erase_in_bank_2_and_bank_erase_of_bank_1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	memset(r.chip.flash, 0x00, 2u * 1024 * 1024);
	sim_flash_derive_programmed(&r.chip);
	unlock(&r, BANK2);
	wr(&r, BANK2 + CR, SER | 1u << 8 | START); /* bank 2, sector 1 */
	assert_true(rd(&r, BANK2 + SR) & BSY);
	wait_us(&r, 1000001);
	assert_true(rd(&r, BANK2 + SR) & EOP);
	assert_int_equal(at(&r, BANK2_FLASH + 0x20000 - 1), 0x00);
	assert_int_equal(at(&r, BANK2_FLASH + 0x20000), 0xFF);
	assert_int_equal(at(&r, BANK2_FLASH + 0x3FFFF), 0xFF);
	assert_int_equal(at(&r, BANK2_FLASH + 0x40000), 0x00);
	assert_int_equal(at(&r, FLASH + 0x20000), 0x00); /* bank 1's sector 1 untouched */
	wr(&r, CR, BER | START);                          /* bank 1 still locked: ignored */
	assert_int_equal(at(&r, FLASH), 0x00);
	unlock(&r, 0);
	wr(&r, CR, BER | START);
	assert_int_equal(at(&r, FLASH), 0xFF);
	assert_int_equal(at(&r, FLASH + 0xFFFFF), 0xFF);
	assert_int_equal(at(&r, BANK2_FLASH), 0x00);
	rig_down(&r);
}

static void h743_wpsn_reads_the_write_protection_and_a_protected_sector_is_wrperr(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	assert_int_equal(rd(&r, 0x38), 0xFFu);         /* WPSN_CUR1: 8 sectors, none protected */
	assert_int_equal(rd(&r, BANK2 + 0x38), 0xFFu); /* WPSN_CUR2 */
	const uint8_t sector[] = {10};                 /* bank 2's sector 2 */
	assert_true(sim_chip_wrp_protect(&r.chip, sector, 1));
	assert_int_equal(rd(&r, BANK2 + 0x38), 0xFBu);
	assert_int_equal(rd(&r, 0x38), 0xFFu);
	memset(r.chip.flash + 0x140000, 0x00, 16);
	unlock(&r, BANK2);
	wr(&r, BANK2 + CR, SER | 2u << 8 | START);
	assert_true(rd(&r, BANK2 + SR) & WRPERR);
	assert_int_equal(at(&r, 0x08140000u), 0x00);
	wr(&r, BANK2 + CR, BER | START); /* the bank holds it: nothing erased */
	assert_int_equal(at(&r, 0x08140000u), 0x00);
	wr(&r, BANK2 + CCR, WRPERR);
	assert_false(rd(&r, BANK2 + SR) & WRPERR);
	rig_down(&r);
}

/* Readout protection with the code not booted from flash (the core sets
 * rdp_blocked): the flash word and the erase are refused with WRPERR. */
static void h743_readout_protection_refuses_program_and_erase(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	memset(r.chip.flash, 0x00, 16);
	r.soc.flash.rdp_blocked = true;
	unlock(&r, 0);
	wr(&r, CR, PG);
	words(&r, FLASH + 0x40, 8, 0x11111111u);
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(at(&r, FLASH + 0x40), 0xFF);
	wr(&r, CCR, WRPERR);
	wr(&r, CR, SER | START); /* sector 0 */
	assert_true(rd(&r, SR) & WRPERR);
	assert_int_equal(at(&r, FLASH), 0x00);
	rig_down(&r);
}

static void h743_mass_erase_by_optcr_mer(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	memset(r.chip.flash, 0x00, 2u * 1024 * 1024);
	unlock(&r, 0);
	unlock(&r, BANK2);
	wr(&r, OPTCR, MER); /* OPTCR locked */
	assert_int_equal(at(&r, FLASH), 0x00);
	unlock_options(&r);
	assert_false(rd(&r, OPTCR) & OPTLOCK);
	wr(&r, OPTCR, MER);
	assert_int_equal(at(&r, FLASH), 0xFF);
	assert_int_equal(at(&r, BANK2_FLASH + 0xFFFFF), 0xFF);
	rig_down(&r);
}

static void h7a3_has_16_byte_words_8k_sectors_and_start_at_bit_5(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h7a3");
	memset(r.chip.flash, 0x00, 0x10000);
	sim_flash_derive_programmed(&r.chip);
	unlock(&r, 0);
	wr(&r, CR, SER | 5u << 6 | 1u << 5); /* sector 5, START (RM0455 layout) */
	assert_int_equal(at(&r, FLASH + 0xA000 - 1), 0x00);
	assert_int_equal(at(&r, FLASH + 0xA000), 0xFF);
	assert_int_equal(at(&r, FLASH + 0xBFFF), 0xFF);
	assert_int_equal(at(&r, FLASH + 0xC000), 0x00);
	wait_us(&r, 200000);
	wr(&r, CR, PG);
	words(&r, FLASH + 0xA000, 3, 0x01010101u);
	assert_int_equal(at(&r, FLASH + 0xA000), 0xFF);
	store(&r, FLASH + 0xA00C, 4, 0x04040404u); /* the 16th byte */
	assert_int_equal(at(&r, FLASH + 0xA000), 0x01);
	assert_int_equal(at(&r, FLASH + 0xA00C), 0x04);
	assert_int_equal(at(&r, FLASH + 0xA010), 0xFF);
	rig_down(&r);
}

static void h743_option_start_sets_rdp_and_the_way_back_mass_erases(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	assert_int_equal((rd(&r, OPTSR_CUR) >> 8) & 0xFF, 0xAA);
	wr(&r, OPTSR_PRG, 0x0006BBF0u); /* OPTLOCK set: ignored */
	assert_int_equal((rd(&r, OPTSR_PRG) >> 8) & 0xFF, 0xAA);
	unlock_options(&r);
	wr(&r, OPTSR_PRG, 0x0006BBF0u);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0); /* not before OPTSTART */
	wr(&r, OPTCR, OPTSTART);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 1);
	assert_true(rd(&r, OPTSR_CUR) & 1u); /* OPT_BUSY */
	memset(r.chip.flash, 0x33, 64);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_int_equal((rd(&r, OPTSR_CUR) >> 8) & 0xFF, 0xBB);
	assert_int_equal(rd(&r, OPTSR_CUR) & 0xF0u, 0xF0u); /* user bits kept across the reset */
	unlock_options(&r);
	wr(&r, OPTSR_PRG, 0x0006AAF0u);
	wr(&r, OPTCR, OPTSTART);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 0);
	assert_int_equal(at(&r, FLASH), 0xFF);
	wait_us(&r, 20000000);
	wr(&r, OPTSR_PRG, 0x0006CCF0u); /* level 2 */
	wr(&r, OPTCR, OPTSTART);
	assert_int_equal(sim_chip_rdp_level(&r.chip), 2);
	wait_us(&r, 20000000);
	wr(&r, OPTSR_PRG, 0x0006AAF0u);
	wr(&r, OPTCR, OPTSTART); /* level 2 is for good */
	assert_int_equal(sim_chip_rdp_level(&r.chip), 2);
	assert_true(rd(&r, OPTSR_CUR) & OPTCHANGEERR);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h743_banks_have_their_own_keys),
		cmocka_unit_test(h743_flash_word_programs_when_its_32_bytes_are_written),
		cmocka_unit_test(h743_buffer_misuse_incerr_strberr_and_forced_write),
		cmocka_unit_test(h743_sector_erase_in_bank_2_and_bank_erase_of_bank_1),
		cmocka_unit_test(h743_wpsn_reads_the_write_protection_and_a_protected_sector_is_wrperr),
		cmocka_unit_test(h743_readout_protection_refuses_program_and_erase),
		cmocka_unit_test(h743_mass_erase_by_optcr_mer),
		cmocka_unit_test(h7a3_has_16_byte_words_8k_sectors_and_start_at_bit_5),
		cmocka_unit_test(h743_option_start_sets_rdp_and_the_way_back_mass_erases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
