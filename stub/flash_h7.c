/* Flash driver for the H7 controller at 0x52002000 (RM0433 H74x/H75x,
 * RM0468 H72x/H73x; RM0455 H7A3/B3 with STUB_PARAM_H7_RM0455): a register
 * set per bank (bank 2's at +0x100: KEYR, CR, SR, CCR), programming in
 * flash words (32 bytes; 16 on RM0455) collected by the bank's write
 * buffer from word stores with CR.PG and programmed once the last byte of
 * the word is in (QW until it is done), sector erase (SER + SNB) and bank
 * erase (BER) per bank. page_size is the sector size (128 KiB; 8 KiB on
 * RM0455), so unit n is sector n % per-bank of bank n / per-bank + 1.
 * The application may have left the Cortex-M7 data cache on: the lines
 * of what was erased or programmed are invalidated so reads see flash. */
#include "flash.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))
#define FLASH_BASE 0x52002000u
#define BANK_STRIDE 0x100u
#define KEYR 0x04u
#define CR   0x0Cu
#define SR   0x10u
#define CCR  0x14u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define CR_LOCK (1u << 0)
#define CR_PG   (1u << 1)
#define CR_SER  (1u << 2)
#define CR_BER  (1u << 3)
#define CR_PSIZE_X64 (3u << 4) /* RM0433/RM0468 only: RM0455 has FW and START there */
#define CR_START_RM0433 (1u << 7)
#define CR_SNB_SHIFT_RM0433 8u
#define CR_START_RM0455 (1u << 5)
#define CR_SNB_SHIFT_RM0455 6u
#define SR_BSY  (1u << 0)
#define SR_WBNE (1u << 1)
#define SR_QW   (1u << 2)
#define SR_EOP  (1u << 16)
#define SR_WRPERR  (1u << 17)
#define SR_PGSERR  (1u << 18)
#define SR_STRBERR (1u << 19)
#define SR_INCERR  (1u << 21)
#define SR_OPERR   (1u << 22)
#define SR_ERRORS (SR_WRPERR | SR_PGSERR | SR_STRBERR | SR_INCERR | SR_OPERR)
#define SR_CLEAR  (SR_ERRORS | SR_EOP)
#define WORD_RM0433 32u
#define WORD_RM0455 16u
#define SCB_CCR 0xE000ED14u
#define SCB_CCR_DC (1u << 16)
#define SCB_DCIMVAC 0xE000EF5Cu
#define CACHE_LINE 32u

static int rm0455(const struct flash_ctl *ctl)
{
	return (ctl->flags & STUB_PARAM_H7_RM0455) != 0;
}

static uint32_t regs_of_bank(uint32_t bank)
{
	return FLASH_BASE + (bank == 2 ? BANK_STRIDE : 0u);
}

static uint32_t bank_of(const struct flash_ctl *ctl, uint32_t address)
{
	return ctl->bank2_start && address >= ctl->bank2_start ? 2u : 1u;
}

static uint32_t banks(const struct flash_ctl *ctl)
{
	return ctl->bank2_start ? 2u : 1u;
}

static uint32_t cr_start(const struct flash_ctl *ctl)
{
	return rm0455(ctl) ? CR_START_RM0455 : CR_START_RM0433;
}

static uint32_t cr_psize(const struct flash_ctl *ctl)
{
	return rm0455(ctl) ? 0u : CR_PSIZE_X64;
}

static void invalidate(uint32_t address, uint32_t length)
{
	if (!(REG32(SCB_CCR) & SCB_CCR_DC))
		return;
	__asm volatile("dsb" ::: "memory");
	for (uint32_t at = address & ~(CACHE_LINE - 1u); at < address + length; at += CACHE_LINE)
		REG32(SCB_DCIMVAC) = at;
	__asm volatile("dsb\n\tisb" ::: "memory");
}

/* Waits for the bank's queue and operation to end; reports and clears
 * its error bits; CR back to idle either way. */
static int finish(struct flash_ctl *ctl, uint32_t bank, uint32_t address)
{
	uint32_t regs = regs_of_bank(bank);
	flash_wait_while(ctl, regs + SR, SR_QW | SR_BSY);
	uint32_t sr = REG32(regs + SR);
	REG32(regs + CCR) = SR_CLEAR;
	REG32(regs + CR) = 0;
	if (sr & SR_ERRORS) {
		ctl->error_sr = sr;
		ctl->error_address = address;
		return -1;
	}
	return 0;
}

uint32_t flash_program_unit(const struct flash_ctl *ctl)
{
	return rm0455(ctl) ? WORD_RM0455 : WORD_RM0433;
}

int flash_unlock(struct flash_ctl *ctl)
{
	for (uint32_t bank = 1; bank <= banks(ctl); bank++) {
		uint32_t regs = regs_of_bank(bank);
		if (REG32(regs + CR) & CR_LOCK) {
			REG32(regs + KEYR) = KEY1;
			REG32(regs + KEYR) = KEY2;
		}
		if (REG32(regs + CR) & CR_LOCK) {
			ctl->error_sr = REG32(regs + SR);
			ctl->error_address = 0;
			return -1;
		}
		REG32(regs + CCR) = SR_CLEAR; /* a flag left by earlier work would fail the next */
	}
	return 0;
}

void flash_lock(struct flash_ctl *ctl)
{
	for (uint32_t bank = 1; bank <= banks(ctl); bank++)
		REG32(regs_of_bank(bank) + CR) = CR_LOCK;
}

static uint32_t sectors_per_bank(const struct flash_ctl *ctl)
{
	return ctl->unit_count / banks(ctl);
}

int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t per_bank = sectors_per_bank(ctl);
	uint32_t bank = unit >= per_bank ? 2u : 1u, sector = unit % per_bank;
	uint32_t regs = regs_of_bank(bank);
	uint32_t shift = rm0455(ctl) ? CR_SNB_SHIFT_RM0455 : CR_SNB_SHIFT_RM0433;
	uint32_t cr = CR_SER | cr_psize(ctl) | sector << shift;
	uint32_t address = ctl->flash_start + unit * ctl->page_size;
	REG32(regs + CR) = cr;
	REG32(regs + CR) = cr | cr_start(ctl);
	int rc = finish(ctl, bank, address);
	invalidate(address, ctl->page_size);
	return rc;
}

int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank)
{
	if (bank != 1 && !(bank == 2 && banks(ctl) == 2)) {
		ctl->error_sr = 0;
		ctl->error_address = 0;
		return -1;
	}
	uint32_t regs = regs_of_bank(bank);
	uint32_t cr = CR_BER | cr_psize(ctl);
	uint32_t start = bank == 2 ? ctl->bank2_start : ctl->flash_start;
	REG32(regs + CR) = cr;
	REG32(regs + CR) = cr | cr_start(ctl);
	int rc = finish(ctl, bank, start);
	invalidate(start, ctl->flash_size / banks(ctl));
	return rc;
}

int flash_erase_mass(struct flash_ctl *ctl)
{
	for (uint32_t bank = 1; bank <= banks(ctl); bank++)
		if (flash_erase_bank(ctl, bank) != 0)
			return -1;
	return 0;
}

static uint32_t word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int holds(volatile const uint32_t *cell, const uint8_t *data, uint32_t words)
{
	for (uint32_t w = 0; w < words; w++)
		if (cell[w] != word_at(data + 4 * w))
			return 0;
	return 1;
}

int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length)
{
	uint32_t unit = flash_program_unit(ctl), words = unit / 4u;
	for (uint32_t i = 0; i + unit <= length; i += unit) {
		uint32_t at = address + i, bank = bank_of(ctl, at);
		volatile uint32_t *cell = (volatile uint32_t *)at;
		flash_wait(ctl);
		if (holds(cell, data + i, words))
			continue; /* already there: a flash word is programmed once (ECC) */
		uint32_t regs = regs_of_bank(bank);
		REG32(regs + CR) = CR_PG | cr_psize(ctl);
		for (uint32_t w = 0; w < words; w++)
			cell[w] = word_at(data + i + 4 * w);
		__asm volatile("dsb" ::: "memory"); /* the last store reaches the buffer first */
		if (finish(ctl, bank, at) != 0)
			return -1;
		invalidate(at, unit);
		if (!holds(cell, data + i, words)) {
			ctl->error_sr = REG32(regs + SR);
			ctl->error_address = at;
			return -1;
		}
	}
	return 0;
}
