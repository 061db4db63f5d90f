/* Flash driver for the F0/F1/F3 controller (RM0008 §3, PM0075; RM0360 and
 * RM0316 use the same registers): half-word programming, page erase by
 * address, mass erase; F1 XL-density parts have a second register bank at
 * +0x40 for addresses from bank2_start. */
#include "flash.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))
#define FLASH_BASE 0x40022000u
#define KEYR 0x04u
#define SR   0x0Cu
#define CR   0x10u
#define AR   0x14u
#define BANK2_REGS 0x40u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_BSY 0x01u
#define SR_PGERR 0x04u
#define SR_WRPRTERR 0x10u
#define SR_EOP 0x20u
#define CR_PG 0x01u
#define CR_PER 0x02u
#define CR_MER 0x04u
#define CR_STRT 0x40u
#define CR_LOCK 0x80u

static uint32_t regs_for(const struct flash_ctl *ctl, uint32_t address)
{
#ifdef STUB_SMALL
	(void)ctl, (void)address;
	return FLASH_BASE; /* the small images: one-bank parts only (stub_place) */
#endif
	if (ctl->bank2_start && address >= ctl->bank2_start)
		return FLASH_BASE + BANK2_REGS;
	return FLASH_BASE;
}

static int banks(const struct flash_ctl *ctl)
{
#ifdef STUB_SMALL
	(void)ctl;
	return 1;
#endif
	return ctl->bank2_start ? 2 : 1;
}

/* Waits for BSY to clear, then reports and clears the error bits. */
static int finish(struct flash_ctl *ctl, uint32_t regs, uint32_t address)
{
	flash_wait_while(ctl, regs + SR, SR_BSY);
	uint32_t sr = REG32(regs + SR);
	REG32(regs + SR) = SR_PGERR | SR_WRPRTERR | SR_EOP;
	if (sr & (SR_PGERR | SR_WRPRTERR)) {
		ctl->error_sr = sr;
		ctl->error_address = address;
		REG32(regs + CR) = 0;
		return -1;
	}
	return 0;
}

uint32_t flash_program_unit(const struct flash_ctl *ctl)
{
	(void)ctl;
	return 2;
}

int flash_unlock(struct flash_ctl *ctl)
{
	for (int b = 0; b < banks(ctl); b++) {
		uint32_t regs = FLASH_BASE + (b ? BANK2_REGS : 0u);
		if (REG32(regs + CR) & CR_LOCK) {
			REG32(regs + KEYR) = KEY1;
			REG32(regs + KEYR) = KEY2;
		}
		if (REG32(regs + CR) & CR_LOCK) {
			ctl->error_sr = REG32(regs + SR);
			ctl->error_address = 0;
			return -1;
		}
	}
	return 0;
}

void flash_lock(struct flash_ctl *ctl)
{
	for (int b = 0; b < banks(ctl); b++)
		REG32(FLASH_BASE + (b ? BANK2_REGS : 0u) + CR) = CR_LOCK;
}

int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t address = ctl->flash_start + unit * ctl->page_size;
	uint32_t regs = regs_for(ctl, address);
	REG32(regs + CR) = CR_PER;
	REG32(regs + AR) = address;
	REG32(regs + CR) = CR_PER | CR_STRT;
	int rc = finish(ctl, regs, address);
	REG32(regs + CR) = 0;
	return rc;
}

static int erase_bank_regs(struct flash_ctl *ctl, uint32_t regs, uint32_t address)
{
	REG32(regs + CR) = CR_MER;
	REG32(regs + CR) = CR_MER | CR_STRT;
	int rc = finish(ctl, regs, address);
	REG32(regs + CR) = 0;
	return rc;
}

int flash_erase_mass(struct flash_ctl *ctl)
{
	if (erase_bank_regs(ctl, FLASH_BASE, ctl->flash_start) != 0)
		return -1;
	if (banks(ctl) == 2)
		return erase_bank_regs(ctl, FLASH_BASE + BANK2_REGS, ctl->bank2_start);
	return 0;
}

int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank)
{
	if (bank == 1)
		return erase_bank_regs(ctl, FLASH_BASE, ctl->flash_start);
	if (bank == 2 && banks(ctl) == 2)
		return erase_bank_regs(ctl, FLASH_BASE + BANK2_REGS, ctl->bank2_start);
	ctl->error_sr = 0;
	ctl->error_address = 0;
	return -1;
}

/* PG stays set over a run of half-words in one bank (RM0008 §3.3.3 only
 * asks that BSY be clear before the next store): per half-word the store,
 * the wait and two checks. The SWD loader runs on the chip's 8 MHz reset
 * clock, where the per-half-word work was a tenth of the 52 us of
 * programming. */
int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length)
{
	uint32_t regs = 0;
	int rc = 0;
	for (uint32_t i = 0; i + 1 < length; i += 2) {
		uint32_t at = address + i;
		uint16_t value = (uint16_t)(data[i] | data[i + 1] << 8);
		volatile uint16_t *cell = (volatile uint16_t *)at;
		if (*cell == value) {
			if ((i & 0x6u) == 0)
				flash_wait(ctl); /* skipping is fast, but not unheard */
			/* Already there (an erased gap, or a write sent again after
			 * its reply was lost): programming it again would fail. */
			continue;
		}
		uint32_t bank_regs = regs_for(ctl, at);
		if (bank_regs != regs) {
			if (regs)
				REG32(regs + CR) = 0;
			regs = bank_regs;
			REG32(regs + CR) = CR_PG;
		}
		*cell = value;
		flash_wait_while(ctl, regs + SR, SR_BSY);
		uint32_t sr = REG32(regs + SR);
		if ((sr & (SR_PGERR | SR_WRPRTERR)) || *cell != value) {
			ctl->error_sr = sr;
			ctl->error_address = at;
			rc = -1;
			break;
		}
	}
	if (regs) {
		REG32(regs + SR) = SR_PGERR | SR_WRPRTERR | SR_EOP;
		REG32(regs + CR) = 0;
	}
	return rc;
}
