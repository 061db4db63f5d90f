/* Flash driver for the 64-bit controllers of G0 (RM0444), G4 (RM0440) and
 * L4 (RM0351), all at 0x40022000, and of WB (RM0434) and WL (RM0453) at
 * 0x58004000 (STUB_PARAM_DWORD_WB; the same register offsets, one bank):
 * double-word programming (two word stores, the second starting it), page
 * erase by number (PNB, BKER for bank 2: bit 13 on G0, 11 on G4/L4),
 * MER1/MER2. */
#include "flash.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))
#define FLASH_BASE_L4 0x40022000u
#define FLASH_BASE_WB 0x58004000u
#define KEYR (regs + 0x08u)
#define SR   (regs + 0x10u)
#define CR   (regs + 0x14u)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_EOP 0x01u
#define SR_ERRORS 0x83FAu /* OPERR, PROGERR, WRPERR, PGAERR, SIZERR, PGSERR, MISSERR, FASTERR, OPTVERR */
#define SR_BSY (1u << 16)
#define SR_CFGBSY (1u << 18) /* G0 only; reads 0 elsewhere */
#define CR_PG 0x01u
#define CR_PER 0x02u
#define CR_MER1 0x04u
#define CR_PNB_SHIFT 3u
#define CR_MER2 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)

static uint32_t base(const struct flash_ctl *ctl)
{
	return (ctl->flags & STUB_PARAM_DWORD_WB) ? FLASH_BASE_WB : FLASH_BASE_L4;
}

static uint32_t bker(const struct flash_ctl *ctl)
{
	return (ctl->flags & STUB_PARAM_BKER_13) ? 1u << 13 : 1u << 11;
}

static int finish(struct flash_ctl *ctl, uint32_t address)
{
	uint32_t regs = base(ctl);
	flash_wait_while(ctl, SR, SR_BSY | SR_CFGBSY);
	uint32_t sr = REG32(SR);
	REG32(SR) = SR_EOP | SR_ERRORS;
	REG32(CR) = 0;
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
	return 8;
}

int flash_unlock(struct flash_ctl *ctl)
{
	uint32_t regs = base(ctl);
	if (REG32(CR) & CR_LOCK) {
		REG32(KEYR) = KEY1;
		REG32(KEYR) = KEY2;
	}
	if (REG32(CR) & CR_LOCK) {
		ctl->error_sr = REG32(SR);
		ctl->error_address = 0;
		return -1;
	}
	/* A flag left set (by the ROM's own work) fails the next operation
	 * with PGSERR. */
	REG32(SR) = SR_EOP | SR_ERRORS;
	return 0;
}

void flash_lock(struct flash_ctl *ctl)
{
	uint32_t regs = base(ctl);
	REG32(CR) = CR_LOCK;
}

int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t regs = base(ctl);
	uint32_t per_bank = ctl->bank2_start && ctl->page_size
				    ? (ctl->bank2_start - ctl->flash_start) / ctl->page_size
				    : ctl->unit_count;
	uint32_t cr = CR_PER;
	uint32_t address = ctl->flash_start + unit * ctl->page_size; /* before unit becomes bank 2's */
	if (unit >= per_bank) {
		cr |= bker(ctl);
		unit -= per_bank;
	}
	cr |= unit << CR_PNB_SHIFT;
	REG32(CR) = cr;
	REG32(CR) = cr | CR_STRT;
	return finish(ctl, address);
}

static int erase_with(struct flash_ctl *ctl, uint32_t bits)
{
	uint32_t regs = base(ctl);
	REG32(CR) = bits;
	REG32(CR) = bits | CR_STRT;
	return finish(ctl, ctl->flash_start);
}

int flash_erase_mass(struct flash_ctl *ctl)
{
	return erase_with(ctl, ctl->bank2_start ? CR_MER1 | CR_MER2 : CR_MER1);
}

int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank)
{
	if (bank == 1)
		return erase_with(ctl, CR_MER1);
	if (bank == 2 && ctl->bank2_start)
		return erase_with(ctl, CR_MER2);
	ctl->error_sr = 0;
	ctl->error_address = 0;
	return -1;
}

static uint32_t word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length)
{
	uint32_t regs = base(ctl);
	for (uint32_t i = 0; i + 7 < length; i += 8) {
		uint32_t at = address + i;
		uint32_t lo = word_at(data + i), hi = word_at(data + i + 4);
		volatile uint32_t *cell = (volatile uint32_t *)at;
		if (cell[0] == lo && cell[1] == hi) {
			if ((i & 0x18u) == 0)
				flash_wait(ctl);
			continue; /* already there: see flash_f1.c */
		}
		REG32(CR) = CR_PG;
		cell[0] = lo;
		cell[1] = hi; /* the second word starts the programming */
		if (finish(ctl, at) != 0)
			return -1;
		if (cell[0] != lo || cell[1] != hi) {
			ctl->error_sr = REG32(SR);
			ctl->error_address = at;
			return -1;
		}
	}
	return 0;
}
