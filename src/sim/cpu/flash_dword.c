/* The 64-bit flash controller of G0 (RM0444 §3), L4 (RM0351 §3), G4, WB
 * (RM0434, at 0x58004000) and WL (RM0453, likewise); what differs between
 * them is in the variant table below (page-number width, BKER, CFGBSY):
 *  - KEYR as on F1 (a wrong key locks CR until reset and is a bus error:
 *    the core stops with a fault); OPTKEYR 0x08192A3B, 0x4C5D6E7F clears
 *    OPTLOCK;
 *  - CR.PG then two word stores, the second at the first + 4, program one
 *    double word: SIZERR for a byte/half-word store, PGAERR for a first
 *    word not 8-aligned or a second one elsewhere, PGSERR for a store
 *    without PG or while an earlier error flag is still set, PROGERR if the
 *    double word is not erased (unless writing zeros), WRPERR if protected;
 *  - CR.PER + PNB (+ BKER) + STRT erases a page, MER1/MER2 + STRT a bank;
 *    STRT with an error flag set gives PGSERR and does nothing;
 *  - EOP only with EOPIE (RM: "set only if EOPIE = 1"); BSY1 while busy,
 *    CFGBSY (G0, WB, WL) while a double word is half written or busy;
 *    PESD (WB/WL: CPU2 suspended the operation) never, as nothing runs on
 *    CPU2 here, and the C2 registers read 0;
 *  - OBL_LAUNCH (OPTLOCK clear) reloads the option bytes: a reset;
 *  - PEMPTY (L45x/L46x, SR bit 17) toggles when written with 1;
 *  - the option registers OPTR (0x20), PCROP1(A)SR, PCROP1(A)ER, WRP1AR,
 *    WRP1BR (to 0x30) read the option bytes (the register at 0x20 + 4k is
 *    the word at 8k of the option area) until the program writes them with
 *    LOCK and OPTLOCK clear; OPTSTRT programs the written ones into the
 *    option bytes, the controller computing each complement word; RDP from
 *    level 1 back to 0xAA mass-erases the flash, at level 2 nothing
 *    changes. They act after OBL_LAUNCH or a reset, which reload the
 *    registers from the option bytes.
 *  - readout protection (level 1, code not booted from flash): a store
 *    into flash is a bus error (RM0351, RM0440: "a read or write access
 *    to the Flash generates a bus error"), an erase sets WRPERR (an
 *    emulator choice: the RMs speak of accesses only); reads fault in the
 *    core.
 * Fast programming and the G0B1 bank-2 option registers are not modelled. */
#include <string.h>

#include "cpu/flash_keys.h"
#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

#define DW_KEYR    0x08u
#define DW_OPTKEYR 0x0Cu
#define DW_SR      0x10u
#define DW_CR      0x14u
#define DW_OPTR    0x20u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define SR_EOP     (1u << 0)
#define SR_OPERR   (1u << 1)
#define SR_PROGERR (1u << 3)
#define SR_WRPERR  (1u << 4)
#define SR_PGAERR  (1u << 5)
#define SR_SIZERR  (1u << 6)
#define SR_PGSERR  (1u << 7)
#define SR_MISERR  (1u << 8)
#define SR_FASTERR (1u << 9)
#define SR_OPTVERR (1u << 15)
#define SR_BSY1    (1u << 16)
#define SR_PEMPTY  (1u << 17)
#define SR_CFGBSY  (1u << 18)
#define SR_W1C (SR_EOP | SR_OPERR | SR_PROGERR | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_PGSERR | \
		SR_MISERR | SR_FASTERR | SR_OPTVERR)
#define SR_PROGRAM_ERRORS (SR_PROGERR | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_PGSERR | SR_MISERR | \
			   SR_FASTERR)
#define CR_PG   (1u << 0)
#define CR_PER  (1u << 1)
#define CR_MER1 (1u << 2)
#define CR_MER2 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_OPTSTRT (1u << 17)
#define CR_EOPIE (1u << 24)
#define CR_OBL_LAUNCH (1u << 27)
#define CR_OPTLOCK (1u << 30)
#define CR_LOCK (1u << 31)

#define DW_OPT_LAST 0x30u

/* One row per controller variant, as OpenOCD's stm32l4x driver keeps them. */
struct sim_dword_variant {
	const char *family;
	unsigned pnb_bits;  /* CR.PNB width from bit 3; BKER (family.c) follows it */
	bool cfgbsy;        /* SR.CFGBSY (bit 18) exists */
};

static const struct sim_dword_variant variants[] = {
	{"G0", 10, true},  /* RM0444: BKER 13 */
	{"L4", 8, false},  /* RM0351: BKER 11 */
	{"G4", 8, false},  /* RM0440: BKER 11 */
	{"WB", 8, true},   /* RM0434: PNB 10:3, one bank */
	{"WL", 7, true},   /* RM0453: PNB 9:3, one bank */
};

void sim_flash_dword_reset(struct sim_flashctl *fc, const char *family)
{
	fc->dword = &variants[1];
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (strcmp(variants[i].family, family) == 0)
			fc->dword = &variants[i];
}
#define OPT_MAX 256u
#define RDP_LEVEL0 0xAAu

static bool busy(const struct sim_flashctl *fc)
{
	return fc->env->now_ps < fc->busy_until_ps;
}

static void finish(struct sim_flashctl *fc, uint64_t us)
{
	fc->busy_until_ps = fc->env->now_ps + us * 1000000ull;
	if (fc->cr & CR_EOPIE)
		fc->sr |= SR_EOP;
}

static void changed(struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	if (fc->flash_changed)
		fc->flash_changed(fc->owner, address, length);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Option register k: the program's value, else the word at 8k of the
 * option area (OPTR of a device without a mapped area reads level 0). */
static uint32_t option_register(const struct sim_flashctl *fc, unsigned k)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t b[4] = {0xAA, 0xFF, 0xFF, 0xFF};
	if (fc->opt_written & (1u << k))
		return fc->opt_regs[k];
	if (dev->opt_start && 8u * k + 4u <= dev->opt_size)
		sim_port_read(fc->chip, dev->opt_start + 8u * k, b, 4);
	else if (k)
		return 0;
	return le32(b);
}

uint32_t sim_flash_dword_read(struct sim_flashctl *fc, uint32_t offset)
{
	switch (offset) {
	case DW_SR: {
		uint32_t sr = fc->sr | (busy(fc) ? SR_BSY1 : 0);
		if (fc->pempty_device && fc->pempty)
			sr |= SR_PEMPTY;
		if (fc->dword->cfgbsy && (busy(fc) || fc->dword_half))
			sr |= SR_CFGBSY;
		return sr;
	}
	case DW_CR:
		return fc->cr | (fc->locked ? CR_LOCK : 0) | (fc->optlocked ? CR_OPTLOCK : 0);
	}
	if (offset >= DW_OPTR && offset <= DW_OPT_LAST)
		return option_register(fc, (offset - DW_OPTR) / 4);
	return 0;
}

static uint32_t page_number(const struct sim_flashctl *fc)
{
	return (fc->cr >> 3) & ((1u << fc->dword->pnb_bits) - 1u);
}

static void erase_page(struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint32_t index = page_number(fc);
	if (dev->bank_count > 1 && fc->bker_bit && (fc->cr & (1u << fc->bker_bit)))
		index += dev->bank2_first_sector;
	uint32_t address, size;
	if (!stm32_device_sector(dev, index, &address, &size))
		return; /* past the last page: nothing to erase */
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	sim_port_erase_page(fc->chip, index, &address, &size);
	changed(fc, address, size);
	finish(fc, 1000ull * sim_port_erase_ms(fc->chip, size));
}

static void start(struct sim_flashctl *fc)
{
	if (fc->sr & SR_PROGRAM_ERRORS) {
		fc->sr |= SR_PGSERR;
		return;
	}
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	if ((fc->cr & (CR_MER1 | CR_MER2)) && fc->rdp_blocked) {
		fc->sr |= SR_WRPERR;
	} else if (fc->cr & (CR_MER1 | CR_MER2)) {
		const struct stm32_device *dev = sim_port_device(fc->chip);
		if (dev->bank_count < 2 || ((fc->cr & CR_MER1) && (fc->cr & CR_MER2)))
			sim_port_erase_all(fc->chip);
		else
			sim_port_erase_bank(fc->chip, (fc->cr & CR_MER1) ? 1 : 2);
		changed(fc, m.flash_start, m.flash_size);
		finish(fc, 1000ull * sim_port_mass_ms(fc->chip));
	} else if (fc->cr & CR_PER) {
		erase_page(fc);
	}
}

/* OPTSTRT: the written option registers into the option bytes. */
static void start_options(struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t image[OPT_MAX];
	int level = sim_port_rdp_level(fc->chip);
	if (!dev->opt_start || dev->opt_size > OPT_MAX || level == 2)
		return; /* level 2: the option bytes no longer change */
	sim_port_read(fc->chip, dev->opt_start, image, dev->opt_size);
	for (unsigned k = 0; k < SIM_FLASH_OPT_REGS && 8u * k + 8u <= dev->opt_size; k++)
		if (fc->opt_written & (1u << k))
			for (unsigned i = 0; i < 4; i++)
				image[8u * k + i] = (uint8_t)(fc->opt_regs[k] >> (8 * i));
	bool regression = level == 1 && image[0] == RDP_LEVEL0;
	if (regression) {
		const struct sim_memory_view m = sim_port_memory(fc->chip);
		sim_port_erase_all(fc->chip);
		changed(fc, m.flash_start, m.flash_size);
	}
	sim_port_write_options(fc->chip, image, dev->opt_size);
	finish(fc, 1000ull * (sim_port_erase_ms(fc->chip, 2048) +
			      (regression ? sim_port_mass_ms(fc->chip) : 0)));
}

static void write_cr(struct sim_flashctl *fc, uint32_t value)
{
	if (fc->locked)
		return;
	fc->cr = value & ~(CR_LOCK | CR_OPTLOCK | CR_STRT | CR_OPTSTRT | CR_OBL_LAUNCH);
	if ((value & CR_OBL_LAUNCH) && !fc->optlocked)
		sim_env_request_reset(fc->env, SIM_RESET_OBL_LAUNCH);
	if ((value & CR_STRT) && !busy(fc))
		start(fc);
	if ((value & CR_OPTSTRT) && !fc->optlocked && !busy(fc))
		start_options(fc);
	if (value & CR_OPTLOCK)
		fc->optlocked = true;
	if (value & CR_LOCK) {
		fc->locked = true;
		fc->optlocked = true;
	}
}

void sim_flash_dword_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case DW_KEYR:
		if (!fc->locked_until_reset)
			sim_flash_write_key(fc, &fc->key_step, value, KEY1, KEY2, false, false);
		break;
	case DW_OPTKEYR:
		if (!fc->locked)
			sim_flash_write_key(fc, &fc->optkey_step, value, OPTKEY1, OPTKEY2, true, false);
		break;
	case DW_SR:
		fc->sr &= ~(value & SR_W1C);
		if (fc->pempty_device && (value & SR_PEMPTY))
			fc->pempty = !fc->pempty;
		break;
	case DW_CR: write_cr(fc, value); break;
	default:
		if (offset >= DW_OPTR && offset <= DW_OPT_LAST && !fc->locked && !fc->optlocked) {
			fc->opt_regs[(offset - DW_OPTR) / 4] = value;
			fc->opt_written |= 1u << ((offset - DW_OPTR) / 4);
		}
		break;
	}
}

static void program_dword(struct sim_flashctl *fc, uint32_t address, uint32_t low, uint32_t high)
{
	if (sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	uint8_t old[8], data[8];
	sim_port_read(fc->chip, address, old, 8);
	bool erased = true;
	for (int i = 0; i < 8; i++)
		erased = erased && old[i] == 0xFF;
	for (int i = 0; i < 4; i++) {
		data[i] = (uint8_t)(low >> (8 * i));
		data[4 + i] = (uint8_t)(high >> (8 * i));
	}
	bool zeros = low == 0 && high == 0;
	if ((!erased && !zeros) || !sim_port_program(fc->chip, address, data, 8)) {
		fc->sr |= SR_PROGERR;
		return;
	}
	changed(fc, address, 8);
	finish(fc, sim_port_program_us(fc->chip));
}

void sim_flash_dword_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size,
				  uint32_t value)
{
	if (fc->rdp_blocked) {
		sim_env_request_fault(fc->env, "bus error: flash write under readout protection", address);
		return;
	}
	if (fc->locked || !(fc->cr & CR_PG) || (fc->sr & SR_PROGRAM_ERRORS)) {
		fc->sr |= SR_PGSERR;
		fc->dword_half = false;
		return;
	}
	if (size != 4) {
		fc->sr |= SR_SIZERR | SR_PGSERR;
		fc->dword_half = false;
		return;
	}
	if (!fc->dword_half) {
		if (address % 8 != 0) {
			fc->sr |= SR_PGAERR;
			return;
		}
		fc->dword_half = true;
		fc->dword_address = address;
		fc->dword_low = value;
		return;
	}
	fc->dword_half = false;
	if (address != fc->dword_address + 4) {
		fc->sr |= SR_PGAERR;
		return;
	}
	program_dword(fc, fc->dword_address, fc->dword_low, value);
}
