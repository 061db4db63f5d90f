/* The 64-bit flash controller of G0 (RM0444 §3), L4 (RM0351 §3), G4
 * (RM0440), WB (RM0434, at 0x58004000), WL (RM0453, likewise) and its
 * TrustZone successors L5 (RM0438) and U5 (RM0456), seen from the
 * non-secure side (NSKEYR, NSSR, NSCR); what differs between them is in
 * the variant table below (register offsets, page-number width, CFGBSY,
 * WDW) and the row's program unit (8 bytes, U5 16):
 *  - KEYR as on F1 (a wrong key locks CR until reset and is a bus error:
 *    the core stops with a fault); OPTKEYR 0x08192A3B, 0x4C5D6E7F clears
 *    OPTLOCK;
 *  - CR.PG then word stores one after the other over a double word (U5: a
 *    quad word) program it after the last one: SIZERR for a byte/half-word
 *    store, PGAERR for a first word off the unit's alignment or a later one
 *    out of sequence, PGSERR for a store without PG or while an earlier
 *    error flag is still set, PROGERR if the unit is not erased (unless
 *    writing zeros), WRPERR if protected;
 *  - CR.PER + PNB (+ BKER) + STRT erases a page, MER1/MER2 + STRT a bank;
 *    STRT with an error flag set gives PGSERR and does nothing;
 *  - EOP only with EOPIE (RM: "set only if EOPIE = 1"); BSY while busy,
 *    CFGBSY (G0, WB, WL) while a unit is partly written or busy, WDW (U5)
 *    while a quad word is partly written; PESD (WB/WL: CPU2 suspended the
 *    operation) never, as nothing runs on CPU2 here, and the C2 registers
 *    read 0;
 *  - OBL_LAUNCH (OPTLOCK clear) reloads the option bytes: a reset;
 *  - PEMPTY (L45x/L46x, SR bit 17) toggles when written with 1; ACR.EMPTY
 *    (G0, WB, WL: bit 16, per the SVD register tables) reads the same
 *    empty-check latch and sets or clears it when written; the rest of ACR
 *    (LATENCY, the cache bits) reads back, from 0 at reset;
 *  - rows with an option area: the option registers OPTR (0x20),
 *    PCROP1(A)SR, PCROP1(A)ER, WRP1AR, WRP1BR (to 0x30) read the option
 *    bytes (the register at 0x20 + 4k is the word at 8k of the option area)
 *    until the program writes them with LOCK and OPTLOCK clear; OPTSTRT
 *    programs the written ones into the option bytes, the controller
 *    computing each complement word; RDP from level 1 back to 0xAA
 *    mass-erases the flash, at level 2 nothing changes. They act after
 *    OBL_LAUNCH or a reset, which reload the registers from the option
 *    bytes;
 *  - rows without one (L5, U5): OPTR (0x40) only, RDP (7:0: 0xAA level 0,
 *    0xCC level 2, else 1; the TrustZone level 0.5 counts as 1) from the
 *    chip, the other bits kept by the controller across resets; OPTSTRT
 *    sets them at once, with the same regression and level-2 rules;
 *  - readout protection (level 1, code not booted from flash): a store
 *    into flash is a bus error (RM0351, RM0440: "a read or write access
 *    to the Flash generates a bus error"), an erase sets WRPERR (an
 *    emulator choice: the RMs speak of accesses only); reads fault in the
 *    core.
 * Not modelled: fast and burst programming, the secure registers and
 * watermarks, the G0B1 bank-2 option registers, the L5/U5 boot addresses
 * and WRP registers. */
#include <string.h>

#include "cpu/flash_keys.h"
#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

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
#define SR_WDW     (1u << 17)
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
#define DWORD_ACR 0x00u
#define ACR_EMPTY (1u << 16) /* G0, WB, WL */
/* WB FLASH_SFR (RM0434): SFSA, FSD, DDS as the option word at 0x70 holds
 * them (k = 14 of option_register); only read, nothing enforced. */
#define WB_SFR 0x80u
#define WB_SFR_OPTION_WORD 14u

/* One row per controller variant, as OpenOCD's stm32l4x driver keeps them. */
struct sim_dword_variant {
	const char *family;
	uint32_t keyr, optkeyr, sr, cr, optr; /* register offsets */
	unsigned opt_count;                   /* option registers from optr, 4 bytes apart */
	unsigned pnb_bits;                    /* CR.PNB width from bit 3; BKER: family.c */
	bool cfgbsy;                          /* SR.CFGBSY (bit 18) */
	bool wdw;                             /* SR.WDW (bit 17) */
	bool acr_empty;                       /* ACR.EMPTY (bit 16) */
};

static const struct sim_dword_variant variants[] = {
	{"G0", 0x08, 0x0C, 0x10, 0x14, 0x20, 5, 10, true, false, true}, /* RM0444: BKER 13 */
	{"L4", 0x08, 0x0C, 0x10, 0x14, 0x20, 5, 8, false, false, false}, /* RM0351: BKER 11 */
	{"G4", 0x08, 0x0C, 0x10, 0x14, 0x20, 5, 8, false, false, false}, /* RM0440: BKER 11 */
	{"WB", 0x08, 0x0C, 0x10, 0x14, 0x20, 5, 8, true, false, true},  /* RM0434: one bank */
	{"WL", 0x08, 0x0C, 0x10, 0x14, 0x20, 5, 7, true, false, true},  /* RM0453: one bank */
	{"L5", 0x08, 0x10, 0x20, 0x28, 0x40, 1, 7, false, false, false}, /* RM0438: BKER 11 */
	{"U5", 0x08, 0x10, 0x20, 0x28, 0x40, 1, 8, false, true, false},  /* RM0456: BKER 11 */
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
#define RDP_LEVEL2 0xCCu
/* L5/U5 OPTR bits other than RDP on a factory part, as this emulator takes
 * them: all set but TZEN (31). */
#define OPTR_FACTORY 0x7FFFFF00u

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

static uint32_t rdp_byte(int level)
{
	return level == 0 ? RDP_LEVEL0 : level == 2 ? RDP_LEVEL2 : 0xBBu;
}

static int level_of(uint32_t rdp)
{
	return rdp == RDP_LEVEL0 ? 0 : rdp == RDP_LEVEL2 ? 2 : 1;
}

/* Option register k: the program's value, else the word at 8k of the
 * option area; without one, OPTR from the chip's RDP and the kept bits. */
static uint32_t option_register(const struct sim_flashctl *fc, unsigned k)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t b[4];
	if (k < SIM_FLASH_OPT_REGS && (fc->opt_written & (1u << k))) /* WB's SFR word is past them */
		return fc->opt_regs[k];
	if (dev->opt_start && 8u * k + 4u <= dev->opt_size) {
		sim_port_read(fc->chip, dev->opt_start + 8u * k, b, 4);
		return le32(b);
	}
	if (k)
		return 0;
	uint32_t user = fc->reg_options_set ? fc->reg_options : OPTR_FACTORY;
	return (user & ~0xFFu) | rdp_byte(sim_port_rdp_level(fc->chip));
}

static bool is_option_register(const struct sim_flashctl *fc, uint32_t offset)
{
	const struct sim_dword_variant *v = fc->dword;
	return offset >= v->optr && offset < v->optr + 4u * v->opt_count && offset % 4 == 0;
}

uint32_t sim_flash_dword_read(struct sim_flashctl *fc, uint32_t offset)
{
	const struct sim_dword_variant *v = fc->dword;
	if (offset == DWORD_ACR)
		return (fc->acr & ~ACR_EMPTY) | (v->acr_empty && fc->pempty ? ACR_EMPTY : 0);
	if (offset == v->sr) {
		uint32_t sr = fc->sr | (busy(fc) ? SR_BSY1 : 0);
		if (fc->pempty_device && fc->pempty)
			sr |= SR_PEMPTY;
		if (v->cfgbsy && (busy(fc) || fc->latch_count))
			sr |= SR_CFGBSY;
		if (v->wdw && fc->latch_count)
			sr |= SR_WDW;
		return sr;
	}
	if (offset == v->cr)
		return fc->cr | (fc->locked ? CR_LOCK : 0) | (fc->optlocked ? CR_OPTLOCK : 0);
	if (is_option_register(fc, offset))
		return option_register(fc, (offset - v->optr) / 4);
	if (offset == WB_SFR && strcmp(v->family, "WB") == 0)
		return option_register(fc, WB_SFR_OPTION_WORD);
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

static void mass_erase_for_regression(struct sim_flashctl *fc)
{
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	sim_port_erase_all(fc->chip);
	changed(fc, m.flash_start, m.flash_size);
}

/* OPTSTRT on a row without an option area: OPTR at once. */
static void start_register_options(struct sim_flashctl *fc, int level)
{
	uint32_t optr = option_register(fc, 0);
	int new_level = level_of(optr & 0xFFu);
	bool regression = level == 1 && new_level == 0;
	if (regression)
		mass_erase_for_regression(fc);
	sim_port_set_rdp_level(fc->chip, new_level);
	fc->reg_options = optr;
	fc->reg_options_set = true;
	fc->opt_written = 0;
	finish(fc, 1000ull * (sim_port_erase_ms(fc->chip, 2048) +
			      (regression ? sim_port_mass_ms(fc->chip) : 0)));
}

/* OPTSTRT: the written option registers into the option bytes. */
static void start_options(struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t image[OPT_MAX];
	int level = sim_port_rdp_level(fc->chip);
	if (level == 2)
		return; /* level 2: the option bytes no longer change */
	if (!dev->opt_start) {
		start_register_options(fc, level);
		return;
	}
	if (dev->opt_size > OPT_MAX)
		return;
	sim_port_read(fc->chip, dev->opt_start, image, dev->opt_size);
	for (unsigned k = 0; k < SIM_FLASH_OPT_REGS && 8u * k + 8u <= dev->opt_size; k++)
		if (fc->opt_written & (1u << k))
			for (unsigned i = 0; i < 4; i++)
				image[8u * k + i] = (uint8_t)(fc->opt_regs[k] >> (8 * i));
	bool regression = level == 1 && image[0] == RDP_LEVEL0;
	if (regression)
		mass_erase_for_regression(fc);
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
	const struct sim_dword_variant *v = fc->dword;
	if (offset == DWORD_ACR) {
		/* EMPTY is the empty-check latch; the program may set or clear it
		 * (RM0444 "Empty check"), which the next boot then follows. */
		fc->acr = value & ~ACR_EMPTY;
		if (v->acr_empty)
			fc->pempty = (value & ACR_EMPTY) != 0;
	} else if (offset == v->keyr) {
		if (!fc->locked_until_reset)
			sim_flash_write_key(fc, &fc->key_step, value, KEY1, KEY2, false, false);
	} else if (offset == v->optkeyr) {
		if (!fc->locked)
			sim_flash_write_key(fc, &fc->optkey_step, value, OPTKEY1, OPTKEY2, true, false);
	} else if (offset == v->sr) {
		fc->sr &= ~(value & SR_W1C);
		if (fc->pempty_device && (value & SR_PEMPTY))
			fc->pempty = !fc->pempty;
	} else if (offset == v->cr) {
		write_cr(fc, value);
	} else if (is_option_register(fc, offset) && !fc->locked && !fc->optlocked) {
		fc->opt_regs[(offset - v->optr) / 4] = value;
		fc->opt_written |= 1u << ((offset - v->optr) / 4);
	}
}

static bool all_equal(const uint8_t *b, uint32_t n, uint8_t value)
{
	for (uint32_t i = 0; i < n; i++)
		if (b[i] != value)
			return false;
	return true;
}

/* The collected unit (8 or 16 bytes) at fc->latch_address. */
static void program_unit(struct sim_flashctl *fc, uint32_t n)
{
	uint32_t address = fc->latch_address;
	if (sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	uint8_t old[SIM_FLASH_LATCH_BYTES];
	sim_port_read(fc->chip, address, old, n);
	bool zeros = all_equal(fc->latch, n, 0x00);
	if ((!all_equal(old, n, 0xFF) && !zeros) || !sim_port_program(fc->chip, address, fc->latch, n)) {
		fc->sr |= SR_PROGERR;
		return;
	}
	changed(fc, address, n);
	finish(fc, sim_port_program_us(fc->chip));
}

void sim_flash_dword_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size,
				  uint32_t value)
{
	uint32_t n = sim_port_device(fc->chip)->program_unit;
	if (fc->rdp_blocked) {
		sim_env_request_fault(fc->env, "bus error: flash write under readout protection", address);
		return;
	}
	if (fc->locked || !(fc->cr & CR_PG) || (fc->sr & SR_PROGRAM_ERRORS)) {
		fc->sr |= SR_PGSERR;
		fc->latch_count = 0;
		return;
	}
	if (size != 4) {
		fc->sr |= SR_SIZERR | SR_PGSERR;
		fc->latch_count = 0;
		return;
	}
	if (fc->latch_count == 0) {
		if (address % n != 0) {
			fc->sr |= SR_PGAERR;
			return;
		}
		fc->latch_address = address;
	} else if (address != fc->latch_address + 4u * fc->latch_count) {
		fc->sr |= SR_PGAERR;
		fc->latch_count = 0;
		return;
	}
	for (unsigned i = 0; i < 4; i++)
		fc->latch[4u * fc->latch_count + i] = (uint8_t)(value >> (8 * i));
	if (4u * ++fc->latch_count < n)
		return;
	fc->latch_count = 0;
	program_unit(fc, n);
}

/* RM0444/RM0351/RM0440/RM0434/RM0453 FLASH_CR, RM0438/RM0456 NSCR: EOPIE
 * (24) raises the flash interrupt on EOP, ERRIE (25) on OPERR; at the
 * operation's end. */
bool sim_flash_dword_irq(const struct sim_flashctl *fc)
{
	if (busy(fc))
		return false;
	return ((fc->cr & CR_EOPIE) && (fc->sr & SR_EOP)) ||
	       ((fc->cr & (1u << 25)) && (fc->sr & SR_OPERR));
}

bool sim_flash_dword_acr_empty(const struct sim_flashctl *fc)
{
	return fc->dword && fc->dword->acr_empty;
}
