/* Flash driver for the F2/F4/F7 controller (RM0033, RM0090, RM0385): word
 * programming (PSIZE x32, which needs VDD 2.7-3.6 V), sector erase by
 * number, mass or bank erase. 2 MiB F42x/F43x parts number bank 2's
 * sectors from 16 (STUB_PARAM_DUAL_BANK), 12 units per bank. */
#include "flash.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))
#define FLASH_BASE 0x40023C00u
#define ACR  (FLASH_BASE + 0x00u)
#define KEYR (FLASH_BASE + 0x04u)
#define SR   (FLASH_BASE + 0x0Cu)
#define CR   (FLASH_BASE + 0x10u)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_EOP 0x01u
#define SR_ERRORS 0xF2u /* OPERR, WRPERR, PGAERR, PGPERR, PGSERR */
#define SR_BSY (1u << 16)
#define CR_PG 0x01u
#define CR_SER 0x02u
#define CR_MER 0x04u
#define CR_SNB_SHIFT 3u
#define CR_PSIZE_X32 (2u << 8)
#define CR_MER1 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#define ACR_DCEN (1u << 10)
#define ACR_DCRST (1u << 12)
#define UNITS_PER_BANK_2M 12u

static int finish(struct flash_ctl *ctl, uint32_t address)
{
	flash_wait_while(ctl, SR, SR_BSY);
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

/* After an erase the data cache may still hold the old words (RM0090
 * §3.5.2): reset it so reads and CRCs see the flash. */
static void flush_data_cache(void)
{
	uint32_t acr = REG32(ACR);
	if (!(acr & ACR_DCEN))
		return;
	REG32(ACR) = acr & ~ACR_DCEN;
	REG32(ACR) = (acr & ~ACR_DCEN) | ACR_DCRST;
	REG32(ACR) = acr;
}

uint32_t flash_program_unit(const struct flash_ctl *ctl)
{
	(void)ctl;
	return 4;
}

int flash_unlock(struct flash_ctl *ctl)
{
	if (REG32(CR) & CR_LOCK) {
		REG32(KEYR) = KEY1;
		REG32(KEYR) = KEY2;
	}
	if (REG32(CR) & CR_LOCK) {
		ctl->error_sr = REG32(SR);
		ctl->error_address = 0;
		return -1;
	}
	REG32(SR) = SR_EOP | SR_ERRORS; /* left over from the ROM's work */
	return 0;
}

void flash_lock(struct flash_ctl *ctl)
{
	(void)ctl;
	REG32(CR) = CR_LOCK;
}

static uint32_t sector_number(const struct flash_ctl *ctl, uint32_t unit)
{
	if ((ctl->flags & STUB_PARAM_DUAL_BANK) && unit >= UNITS_PER_BANK_2M)
		return unit - UNITS_PER_BANK_2M + 16u;
	return unit;
}

/* A failed erase reports the sector's first address, as the other drivers
 * report their page's. ctl->page_size is sector 0's size (16 KiB; 32 KiB
 * on F74x/F76x): four sectors of it, one of four times it, then eight times
 * it each (RM0090 §3.3, RM0385 §3.3); bank 2 of a 2 MiB part starts half
 * way. 0 (not given): the bank's start. */
static uint32_t sector_address(const struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t at = ctl->flash_start, size0 = ctl->page_size;
	if ((ctl->flags & STUB_PARAM_DUAL_BANK) && unit >= UNITS_PER_BANK_2M) {
		at += ctl->flash_size / 2u;
		unit -= UNITS_PER_BANK_2M;
	}
	return at + (unit <= 4u ? unit * size0 : 8u * size0 * (unit - 4u));
}

int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit)
{
	uint32_t cr = CR_SER | CR_PSIZE_X32 | sector_number(ctl, unit) << CR_SNB_SHIFT;
	REG32(CR) = cr;
	REG32(CR) = cr | CR_STRT;
	int rc = finish(ctl, sector_address(ctl, unit));
	flush_data_cache();
	return rc;
}

static int erase_with(struct flash_ctl *ctl, uint32_t bits)
{
	REG32(CR) = bits | CR_PSIZE_X32;
	REG32(CR) = bits | CR_PSIZE_X32 | CR_STRT;
	int rc = finish(ctl, ctl->flash_start);
	flush_data_cache();
	return rc;
}

int flash_erase_mass(struct flash_ctl *ctl)
{
	return erase_with(ctl, (ctl->flags & STUB_PARAM_DUAL_BANK) ? CR_MER | CR_MER1 : CR_MER);
}

int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank)
{
	if (!(ctl->flags & STUB_PARAM_DUAL_BANK) || (bank != 1 && bank != 2)) {
		ctl->error_sr = 0;
		ctl->error_address = 0;
		return -1;
	}
	return erase_with(ctl, bank == 1 ? CR_MER : CR_MER1);
}

int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length)
{
	for (uint32_t i = 0; i + 3 < length; i += 4) {
		uint32_t at = address + i;
		uint32_t value = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
				 (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
		volatile uint32_t *cell = (volatile uint32_t *)at;
		if (*cell == value) {
			if ((i & 0xCu) == 0)
				flash_wait(ctl);
			continue;
		}
		REG32(CR) = CR_PG | CR_PSIZE_X32;
		*cell = value;
		if (finish(ctl, at) != 0)
			return -1;
		if (*cell != value) {
			ctl->error_sr = REG32(SR);
			ctl->error_address = at;
			return -1;
		}
	}
	return 0;
}
