/* Flash driver for the PECR controller of L0 (RM0377 §3, at 0x40022000)
 * and L1 (RM0038 §3, at 0x40023C00; STUB_PARAM_PECR_L1): two locks
 * (PEKEYR clears PECR.PELOCK, then PRGKEYR PRGLOCK), page erase by a word
 * store into the page with PROG + ERASE, word programming, and half-page
 * programming (PROG + FPRG, word stores in order over 64 bytes on L0, 128
 * on L1) where a whole erased half page is written. Erased flash reads
 * 0x00 on these parts. There is no mass-erase bit for program memory
 * (only an RDP regression erases it all), so a mass or bank erase is a
 * page erase of every page concerned. */
#include "flash.h"
#include "flash_pecr_regs.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))
/* The stub's USART holds one byte: at 1 Mbaud one arrives every 160
 * cycles of HSI16, so no loop here goes more than a few words without the
 * hook. */
#define WORDS_PER_HOOK 4u

static uint32_t base(const struct flash_ctl *ctl)
{
	return (ctl->flags & STUB_PARAM_PECR_L1) ? L1_BASE : L0_BASE;
}

static uint32_t half_page(const struct flash_ctl *ctl)
{
	return (ctl->flags & STUB_PARAM_PECR_L1) ? L1_HALF_PAGE : L0_HALF_PAGE;
}

/* Waits for BSY to clear, then reports and clears the error bits; PECR
 * goes back to plain word programming either way. */
static int finish(struct flash_ctl *ctl, uint32_t address)
{
	uint32_t regs = base(ctl);
	flash_wait_while(ctl, regs + SR, SR_BSY);
	uint32_t sr = REG32(regs + SR);
	REG32(regs + SR) = SR_CLEAR;
	REG32(regs + PECR) = 0;
	if (sr & SR_ERRORS) {
		ctl->error_sr = sr;
		ctl->error_address = address;
		return -1;
	}
	return 0;
}

uint32_t flash_program_unit(const struct flash_ctl *ctl)
{
	(void)ctl;
	return 4;
}

int flash_unlock(struct flash_ctl *ctl)
{
	uint32_t regs = base(ctl);
	if (REG32(regs + PECR) & PECR_PELOCK) {
		REG32(regs + PEKEYR) = PEKEY1;
		REG32(regs + PEKEYR) = PEKEY2;
	}
	/* PRGKEYR written while PELOCK is still set is a bus error that locks
	 * the controller until reset: only after PELOCK is seen clear. */
	if (!(REG32(regs + PECR) & PECR_PELOCK) && (REG32(regs + PECR) & PECR_PRGLOCK)) {
		REG32(regs + PRGKEYR) = PRGKEY1;
		REG32(regs + PRGKEYR) = PRGKEY2;
	}
	if (REG32(regs + PECR) & (PECR_PELOCK | PECR_PRGLOCK)) {
		ctl->error_sr = REG32(regs + SR);
		ctl->error_address = 0;
		return -1;
	}
	REG32(regs + SR) = SR_CLEAR; /* left over from the ROM's or the application's work */
	return 0;
}

void flash_lock(struct flash_ctl *ctl)
{
	REG32(base(ctl) + PECR) = PECR_PELOCK; /* locks program memory too */
}

int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t address = ctl->flash_start + unit * ctl->page_size;
	REG32(base(ctl) + PECR) = PECR_ERASE | PECR_PROG;
	*(volatile uint32_t *)address = 0; /* any word of the page starts its erase */
	return finish(ctl, address);
}

static uint32_t units_per_bank(const struct flash_ctl *ctl)
{
	if (ctl->bank2_start && ctl->page_size)
		return (ctl->bank2_start - ctl->flash_start) / ctl->page_size;
	return ctl->unit_count;
}

static int erase_units(struct flash_ctl *ctl, uint32_t first, uint32_t end)
{
	for (uint32_t unit = first; unit < end; unit++)
		if (flash_erase_unit(ctl, unit) != 0)
			return -1;
	return 0;
}

int flash_erase_mass(struct flash_ctl *ctl)
{
	return erase_units(ctl, 0, ctl->unit_count);
}

int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank)
{
	uint32_t split = units_per_bank(ctl);
	if (bank == 1)
		return erase_units(ctl, 0, split);
	if (bank == 2 && ctl->bank2_start)
		return erase_units(ctl, split, ctl->unit_count);
	ctl->error_sr = 0;
	ctl->error_address = 0;
	return -1;
}

static uint32_t word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1: the cells already hold data; 0: every cell is erased and some data
 * is not 0 (worth a half-page write); -1: something to program over a
 * programmed cell (the word path decides). */
static int half_page_state(struct flash_ctl *ctl, const uint8_t *data,
			   volatile const uint32_t *cell, uint32_t words)
{
	int all_equal = 1, all_erased = 1;
	for (uint32_t w = 0; w < words; w++) {
		if (w % WORDS_PER_HOOK == 0)
			flash_wait(ctl);
		uint32_t value = word_at(data + 4 * w);
		if (cell[w] != value)
			all_equal = 0;
		if (cell[w] != 0)
			all_erased = 0;
	}
	return all_equal ? 1 : all_erased ? 0 : -1;
}

static int verify(struct flash_ctl *ctl, uint32_t at, const uint8_t *data, uint32_t length)
{
	volatile const uint32_t *cell = (volatile const uint32_t *)at;
	for (uint32_t i = 0; i < length; i += 4) {
		if ((i / 4) % WORDS_PER_HOOK == 0)
			flash_wait(ctl);
		if (cell[i / 4] != word_at(data + i)) {
			ctl->error_sr = REG32(base(ctl) + SR);
			ctl->error_address = at + i;
			return -1;
		}
	}
	return 0;
}

/* The whole half page in one programming time instead of one per word
 * (3.2 ms each on L0). No flash may be read until it is done: the data
 * comes from RAM, the loop only stores, and the hook between stores
 * touches no flash (the stub's drains the USART into RAM). */
static int program_half_page(struct flash_ctl *ctl, uint32_t at, const uint8_t *data)
{
	uint32_t words = half_page(ctl) / 4u;
	volatile uint32_t *cell = (volatile uint32_t *)at;
	REG32(base(ctl) + PECR) = PECR_PROG | PECR_FPRG;
	for (uint32_t w = 0; w < words; w++) {
		cell[w] = word_at(data + 4 * w);
		if (w % WORDS_PER_HOOK == WORDS_PER_HOOK - 1u)
			flash_wait(ctl);
	}
	if (finish(ctl, at) != 0)
		return -1;
	return verify(ctl, at, data, half_page(ctl));
}

static int program_word(struct flash_ctl *ctl, uint32_t at, const uint8_t *data)
{
	volatile uint32_t *cell = (volatile uint32_t *)at;
	uint32_t value = word_at(data);
	if (*cell == value)
		return 0; /* already there: see flash_f1.c */
	*cell = value;
	if (finish(ctl, at) != 0)
		return -1;
	return verify(ctl, at, data, 4);
}

int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length)
{
	uint32_t half = half_page(ctl);
	for (uint32_t i = 0; i + 3 < length;) {
		uint32_t at = address + i;
		flash_wait(ctl);
		if (at % half == 0 && i + half <= length) {
			int state = half_page_state(ctl, data + i, (volatile const uint32_t *)at,
						    half / 4u);
			if (state == 1 || (state == 0 && program_half_page(ctl, at, data + i) == 0)) {
				i += half;
				continue;
			}
			if (state == 0)
				return -1;
		}
		if (program_word(ctl, at, data + i) != 0)
			return -1;
		i += 4;
	}
	return 0;
}
