/* The SWD RAM loader: the per-family flash driver (flash.h) run by a
 * debugger instead of by the stub's frames. No USART; the core runs on
 * whatever clock it had when the debugger halted it, raised to the PLL
 * on F0/F1/F3 when that was HSI with the PLL unused (LOADER_CLOCK_KIND;
 * raise_clock knows the F2/F4/F7 RCC too, for an image built with it).
 * It serves the two mailbox slots of loader_protocol.h in turn until the
 * host halts the core, parking on BKPT when no work comes. Every flash command unlocks the controller and
 * locks it again, so a halt between commands never leaves it open. */
#include "flash.h"
#include "loader_protocol.h"
#ifdef LOADER_RAISES_CLOCK
#include <stdbool.h>

#include "clock.h"
#include "stub_protocol.h"
#endif

#define REG32(a) (*(volatile uint32_t *)(a))
#ifndef LOADER_IWDG_KR
#define LOADER_IWDG_KR 0x40003000u /* every family served here but H7 (its IWDG1: 0x58004800) */
#endif
#define IWDG_REFRESH 0xAAAAu
#define CRC_DR 0x00u
#define CRC_CR 0x08u
#define CRC_INIT 0x10u
#define CRC_POL 0x14u
#define CRC_CR_RESET 0x1u
#define CRC_POLY 0x04C11DB7u
#define CRC_WORDS_PER_HOOK 32u
#define IDLE_POLLS_PER_HOOK 256u

int flash_wait_hook(void *context)
{
	(void)context;
	/* An IWDG started by its option byte must not reset the chip under
	 * a long erase (or while the loader waits); harmless when it is off. */
	REG32(LOADER_IWDG_KR) = IWDG_REFRESH;
	return 0;
}

void flash_wait_work(void *context)
{
	(void)context; /* the loader has nothing else to do while the flash works */
}

void flash_wait_while(struct flash_ctl *ctl, uint32_t sr, uint32_t busy)
{
	while (REG32(sr) & busy)
		flash_wait_hook(ctl->hook_context);
}

static uint32_t word(const volatile uint32_t *block, uint32_t offset)
{
	return block[offset / 4u];
}

static void set(volatile uint32_t *block, uint32_t offset, uint32_t value)
{
	block[offset / 4u] = value;
}

static uint32_t crc_software(uint32_t address, uint32_t length)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (uint32_t i = 0; i < length; i += 4) {
		crc ^= *(const volatile uint32_t *)(address + i);
		for (int bit = 0; bit < 32; bit++)
			crc = (crc & 0x80000000u) ? (crc << 1) ^ CRC_POLY : crc << 1;
		if ((i / 4u) % CRC_WORDS_PER_HOOK == 0)
			flash_wait_hook(0);
	}
	return crc;
}

static uint32_t crc_unit(uint32_t base, uint32_t options, uint32_t address, uint32_t length)
{
	if (options & LOADER_OPT_CRC_INIT) {
		/* The application may have left its own seed or polynomial. */
		REG32(base + CRC_INIT) = 0xFFFFFFFFu;
		REG32(base + CRC_POL) = CRC_POLY;
	}
	REG32(base + CRC_CR) = CRC_CR_RESET; /* also clears REV_IN, REV_OUT, POLYSIZE */
	for (uint32_t i = 0; i < length; i += 4) {
		REG32(base + CRC_DR) = *(const volatile uint32_t *)(address + i);
		if ((i / 4u) % CRC_WORDS_PER_HOOK == 0)
			flash_wait_hook(0);
	}
	return REG32(base + CRC_DR);
}

static uint32_t crc_command(const volatile uint32_t *control, volatile uint32_t *slot)
{
	uint32_t address = word(slot, LOADER_SLOT_ADDRESS), length = word(slot, LOADER_SLOT_LENGTH);
	if (address % 4u || length % 4u)
		return LOADER_E_ALIGN;
	uint32_t options = word(control, LOADER_OPTIONS);
	set(slot, LOADER_SLOT_RESULT,
	    (options & LOADER_OPT_CRC_UNIT)
		    ? crc_unit(word(control, LOADER_CRC_BASE), options, address, length)
		    : crc_software(address, length));
	return LOADER_OK;
}

/* On a failure the slot's result names the unit's index in the list (the
 * drivers do not agree on what error_address means for an erase). */
/* One CRC per block (the slot's result word gives its size, a multiple
 * of 4) into the slot's buffer: a verify's per-unit checks in one run. */
static uint32_t crc_blocks_command(const volatile uint32_t *control, volatile uint32_t *slot)
{
	uint32_t address = word(slot, LOADER_SLOT_ADDRESS), length = word(slot, LOADER_SLOT_LENGTH);
	uint32_t block = word(slot, LOADER_SLOT_RESULT);
	volatile uint32_t *out = (volatile uint32_t *)word(slot, LOADER_SLOT_BUFFER);
	if (address % 4u || block == 0 || block % 4u || length % block)
		return LOADER_E_ALIGN;
	uint32_t options = word(control, LOADER_OPTIONS);
	for (uint32_t at = 0; at < length; at += block)
		*out++ = (options & LOADER_OPT_CRC_UNIT)
				 ? crc_unit(word(control, LOADER_CRC_BASE), options, address + at, block)
				 : crc_software(address + at, block);
	return LOADER_OK;
}

static int erase_units(struct flash_ctl *ctl, const volatile uint32_t *units, uint32_t count,
		       volatile uint32_t *slot)
{
	for (uint32_t i = 0; i < count; i++) {
		if (flash_erase_unit(ctl, units[i]) != 0) {
			set(slot, LOADER_SLOT_RESULT, i);
			return -1;
		}
	}
	return 0;
}

static uint32_t flash_command(struct flash_ctl *ctl, uint32_t command, volatile uint32_t *slot)
{
	uint32_t address = word(slot, LOADER_SLOT_ADDRESS), length = word(slot, LOADER_SLOT_LENGTH);
	uint32_t buffer = word(slot, LOADER_SLOT_BUFFER);
	uint32_t unit = flash_program_unit(ctl);
	if (command == LOADER_CMD_PROGRAM && (address % unit || length % unit))
		return LOADER_E_ALIGN;
	if (flash_unlock(ctl) != 0)
		return LOADER_E_FLASH;
	int rc;
	switch (command) {
	case LOADER_CMD_ERASE_UNITS:
		rc = erase_units(ctl, (const volatile uint32_t *)buffer, length, slot);
		break;
	case LOADER_CMD_ERASE_MASS: rc = flash_erase_mass(ctl); break;
	case LOADER_CMD_ERASE_BANK: rc = flash_erase_bank(ctl, length); break;
	default: rc = flash_program(ctl, address, (const uint8_t *)buffer, length); break;
	}
	flash_lock(ctl);
	return rc != 0 ? LOADER_E_FLASH : LOADER_OK;
}

static void serve(struct flash_ctl *ctl, const volatile uint32_t *control, volatile uint32_t *slot)
{
	uint32_t command = word(slot, LOADER_SLOT_COMMAND);
	uint32_t status;
	ctl->error_sr = ctl->error_address = 0;
	if (command == LOADER_CMD_CRC)
		status = crc_command(control, slot);
	else if (command == LOADER_CMD_CRC_BLOCKS)
		status = crc_blocks_command(control, slot);
	else if (command >= LOADER_CMD_ERASE_UNITS && command <= LOADER_CMD_PROGRAM)
		status = flash_command(ctl, command, slot);
	else
		status = LOADER_E_COMMAND;
	set(slot, LOADER_SLOT_ERROR_SR, ctl->error_sr);
	set(slot, LOADER_SLOT_ERROR_ADDRESS, ctl->error_address);
	set(slot, LOADER_SLOT_COMMAND, 0);
	set(slot, LOADER_SLOT_STATUS, status); /* last: the host polls it */
}

/* Nothing to do: halt for the host, who starts the loader again from its
 * entry when there is (a BKPT without a debugger would lock the core up,
 * but only a debugger runs this). */
__attribute__((noreturn)) static void park(volatile uint32_t *control, uint32_t next)
{
	set(control, LOADER_NEXT, next);
	set(control, LOADER_ALIVE, LOADER_PARKED);
	for (;;)
		__asm volatile("bkpt #0");
}

/* r0: the control block. The host set SP; nothing is returned to. */
#ifdef LOADER_RAISES_CLOCK
#define RCC_CR_PLLON (1u << 24)
#define RCC_CFGR_SWS (3u << 2)

/* Only from the reset clock: SYSCLK on HSI (SWS 0) and the PLL off. A
 * restart after parking finds the PLL on and leaves it. */
static void raise_clock(uint32_t kind)
{
	bool f4 = kind == STUB_CHIP_F2 || kind == STUB_CHIP_F4 || kind == STUB_CHIP_F7;
	bool f1 = kind == STUB_CHIP_F0 || kind == STUB_CHIP_F1 || kind == STUB_CHIP_F3;
	if (!f1 && !f4)
		return;
	uint32_t rcc = f4 ? 0x40023800u : 0x40021000u, cfgr = rcc + (f4 ? 0x08u : 0x04u);
	if ((REG32(cfgr) & RCC_CFGR_SWS) == 0 && !(REG32(rcc) & RCC_CR_PLLON))
		(void)clock_raise(kind);
}
#endif

__attribute__((section(".loader_entry"), noreturn, used)) void loader_entry(volatile uint32_t *control);
void loader_entry(volatile uint32_t *control)
{
	struct flash_ctl ctl = {
		.flash_start = word(control, LOADER_FLASH_START),
		.flash_size = word(control, LOADER_FLASH_SIZE),
		.page_size = word(control, LOADER_PAGE_SIZE),
		.unit_count = word(control, LOADER_UNIT_COUNT),
		.bank2_start = word(control, LOADER_BANK2_START),
		.flags = word(control, LOADER_DRIVER_FLAGS),
	};
#ifdef LOADER_RAISES_CLOCK
	raise_clock(word(control, LOADER_CLOCK_KIND));
#endif
	set(control, LOADER_UNIT, flash_program_unit(&ctl));
	set(control, LOADER_ALIVE, LOADER_MAGIC);
	for (uint32_t next = word(control, LOADER_NEXT) & 1u;; next ^= 1u) {
		volatile uint32_t *slot = control + (LOADER_SLOTS + next * LOADER_SLOT_BYTES) / 4u;
		for (uint32_t idle = 1; word(slot, LOADER_SLOT_COMMAND) == 0; idle++) {
			if (idle % IDLE_POLLS_PER_HOOK == 0)
				flash_wait_hook(0);
			if (idle >= LOADER_IDLE_POLLS)
				park(control, next);
		}
		serve(&ctl, control, slot);
	}
}
