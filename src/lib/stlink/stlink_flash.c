/* Register-level flash programming over SWD (stlink_flash.h). Register
 * offsets and bits: stlink.md §5 (RM0008, RM0090, RM0351, RM0444). */
#include <string.h>

#include "stlink/stlink_flash.h"

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define PAGE_ERASE_LIMIT_MS 10000u
#define MASS_ERASE_LIMIT_MS 120000u
#define PROGRAM_LIMIT_MS 5000u
#define F1_OPTKEYR 0x08u
#define F1_CR_OPTPG (1u << 4)
#define F1_CR_OPTER (1u << 5)
#define F1_CR_OPTWRE (1u << 9)
#define F1_CR_OBL_LAUNCH (1u << 13)
#define OPTION_MAX 128u
#define RDP_LEVEL1 0x00u

/* Per kind: register offsets from the controller's base and the bits. */
struct controller {
	uint32_t keyr, sr, cr, ar;
	uint32_t sr_busy, sr_errors, sr_clear;
	uint32_t cr_pg, cr_erase, cr_mass, cr_start, cr_lock, cr_program_extra;
	unsigned unit;
};

static const struct controller controllers[] = {
	[STLINK_FLASH_F1] = {.keyr = 0x04, .sr = 0x0C, .cr = 0x10, .ar = 0x14,
			     .sr_busy = 1u << 0, .sr_errors = (1u << 2) | (1u << 4),
			     .sr_clear = (1u << 2) | (1u << 4) | (1u << 5),
			     .cr_pg = 1u << 0, .cr_erase = 1u << 1, .cr_mass = 1u << 2,
			     .cr_start = 1u << 6, .cr_lock = 1u << 7, .unit = 2},
	[STLINK_FLASH_F4] = {.keyr = 0x04, .sr = 0x0C, .cr = 0x10,
			     .sr_busy = 1u << 16, .sr_errors = 0xF2u, .sr_clear = 0xF3u,
			     .cr_pg = 1u << 0, .cr_erase = 1u << 1, .cr_mass = 1u << 2,
			     .cr_start = 1u << 16, .cr_lock = 1u << 31,
			     .cr_program_extra = 2u << 8 /* PSIZE x32 */, .unit = 4},
	[STLINK_FLASH_DWORD] = {.keyr = 0x08, .sr = 0x10, .cr = 0x14,
				.sr_busy = 1u << 16, .sr_errors = 0xFAu, .sr_clear = 0xFBu,
				.cr_pg = 1u << 0, .cr_erase = 1u << 1, .cr_mass = 1u << 2,
				.cr_start = 1u << 16, .cr_lock = 1u << 31, .unit = 8},
	[STLINK_FLASH_H7] = {.unit = 0}, /* stlink_flash_h7.c has its own registers */
	[STLINK_FLASH_PECR] = {.unit = 4}, /* stlink_flash_pecr.c: its own registers too */
};

static const struct { const char *family; enum stlink_flash_kind kind; uint32_t base; } families[] = {
	{"F0", STLINK_FLASH_F1, 0x40022000u}, {"F1", STLINK_FLASH_F1, 0x40022000u},
	{"F3", STLINK_FLASH_F1, 0x40022000u}, {"F2", STLINK_FLASH_F4, 0x40023C00u},
	{"F4", STLINK_FLASH_F4, 0x40023C00u}, {"F7", STLINK_FLASH_F4, 0x40023C00u},
	{"G0", STLINK_FLASH_DWORD, 0x40022000u}, {"G4", STLINK_FLASH_DWORD, 0x40022000u},
	{"L4", STLINK_FLASH_DWORD, 0x40022000u}, {"WB", STLINK_FLASH_DWORD, 0x58004000u},
	{"WL", STLINK_FLASH_DWORD, 0x58004000u}, {"H7", STLINK_FLASH_H7, 0x52002000u},
	{"L0", STLINK_FLASH_PECR, 0x40022000u}, {"L1", STLINK_FLASH_PECR, 0x40023C00u},
};

bool stlink_flash_init(struct stlink_flash *f, const struct stm32_device *device)
{
	memset(f, 0, sizeof *f);
	f->device = device;
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strcmp(device->family, families[i].family) == 0) {
			f->kind = families[i].kind;
			f->base = families[i].base;
			f->bker_bit = strcmp(device->family, "G0") == 0 ? 13 : 11;
			return true;
		}
	return false;
}

unsigned stlink_flash_unit(const struct stlink_flash *f)
{
	if (f->kind == STLINK_FLASH_H7)
		return f->device->program_unit;
	return controllers[f->kind].unit;
}

static enum stm32_status reg_read(struct stlink_link *l, const struct stlink_flash *f,
				  uint32_t offset, uint32_t *value, struct stm32_error *err)
{
	return stlink_read_word(l, f->base + offset, value, err);
}

static enum stm32_status reg_write(struct stlink_link *l, const struct stlink_flash *f,
				   uint32_t offset, uint32_t value, struct stm32_error *err)
{
	return stlink_write_word(l, f->base + offset, value, err);
}

static enum stm32_status unlock(struct stlink_link *l, const struct stlink_flash *f,
				struct stm32_error *err)
{
	const struct controller *c = &controllers[f->kind];
	uint32_t cr;
	enum stm32_status s = reg_read(l, f, c->cr, &cr, err);
	if (s != STM32_OK || !(cr & c->cr_lock))
		return s;
	if ((s = reg_write(l, f, c->keyr, KEY1, err)) == STM32_OK)
		s = reg_write(l, f, c->keyr, KEY2, err);
	if (s == STM32_OK && (s = reg_read(l, f, c->cr, &cr, err)) == STM32_OK && (cr & c->cr_lock))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "the flash controller stayed locked after its key sequence "
				    "(a wrong key locks it until the next reset)");
	return s;
}

/* Wait for BSY to clear, then check and clear the error bits. */
static enum stm32_status wait_idle(struct stlink_link *l, const struct stlink_flash *f,
				   unsigned limit_ms, const char *what, uint32_t address,
				   struct stm32_error *err)
{
	const struct controller *c = &controllers[f->kind];
	uint32_t sr = 0;
	enum stm32_status s = stlink_poll_clear(l, f->base + c->sr, c->sr_busy, limit_ms, what,
						     &sr, err);
	if (s != STM32_OK)
		return s;
	if ((s = reg_write(l, f, c->sr, sr & c->sr_clear, err)) != STM32_OK)
		return s;
	if (sr & c->sr_errors) {
		s = stm32_error_set(err, STM32_E_NACK, "the flash controller refused %s (SR 0x%08X%s)",
				    what, sr, (sr & (1u << 4)) ? ": write protected" : "");
		stm32_error_address(err, address);
	}
	return s;
}

static enum stm32_status finish(struct stlink_link *l, const struct stlink_flash *f,
				enum stm32_status s, struct stm32_error *err)
{
	struct stm32_error ignored;
	/* Leave the controller locked whatever happened; keep the first error. */
	enum stm32_status lock = reg_write(l, f, controllers[f->kind].cr,
					   controllers[f->kind].cr_lock, s == STM32_OK ? err : &ignored);
	return s == STM32_OK ? lock : s;
}

enum stm32_status stlink_flash_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					  uint32_t unit, struct stm32_error *err)
{
	if (f->kind == STLINK_FLASH_H7)
		return stlink_flash_h7_erase_unit(l, f, unit, err);
	if (f->kind == STLINK_FLASH_PECR)
		return stlink_flash_pecr_erase_unit(l, f, unit, err);
	const struct controller *c = &controllers[f->kind];
	uint32_t address, size;
	if (!stm32_device_sector(f->device, unit, &address, &size))
		return stm32_error_set(err, STM32_E_RANGE, "no erase unit %u", unit);
	enum stm32_status s = unlock(l, f, err);
	uint32_t cr = c->cr_erase;
	if (f->kind == STLINK_FLASH_F4) /* SNB; sectors of a 2 MiB part's bank 2 from 16 */
		cr |= (unit >= 12 && stm32_device_sector_count(f->device) > 12 ? unit + 4 : unit) << 3;
	else if (f->kind == STLINK_FLASH_DWORD)
		cr |= unit << 3; /* PNB (single bank) */
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, cr, err);
	if (s == STM32_OK && f->kind == STLINK_FLASH_F1)
		s = reg_write(l, f, c->ar, address, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, cr | c->cr_start, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, PAGE_ERASE_LIMIT_MS, "a page erase", address, err);
	return finish(l, f, s, err);
}

enum stm32_status stlink_flash_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					  struct stm32_error *err)
{
	if (f->kind == STLINK_FLASH_H7)
		return stlink_flash_h7_mass_erase(l, f, err);
	if (f->kind == STLINK_FLASH_PECR)
		return stlink_flash_pecr_mass_erase(l, f, err);
	const struct controller *c = &controllers[f->kind];
	enum stm32_status s = unlock(l, f, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, c->cr_mass, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, c->cr_mass | c->cr_start, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, MASS_ERASE_LIMIT_MS, "the mass erase", f->device->flash_start, err);
	return finish(l, f, s, err);
}

enum stm32_status stlink_flash_program(struct stlink_link *l, const struct stlink_flash *f,
				       uint32_t address, const uint8_t *data, size_t length,
				       struct stm32_error *err)
{
	if (f->kind == STLINK_FLASH_H7)
		return stlink_flash_h7_program(l, f, address, data, length, err);
	if (f->kind == STLINK_FLASH_PECR)
		return stlink_flash_pecr_program(l, f, address, data, length, err);
	const struct controller *c = &controllers[f->kind];
	enum stm32_status s = unlock(l, f, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, c->cr_pg | c->cr_program_extra, err);
	/* The bus holds each access while the previous one programs, so a
	 * block goes in one memory command; BSY is checked at its end. */
	if (s == STM32_OK)
		s = stlink_write(l, address, data, length, f->kind == STLINK_FLASH_F1 ? 2 : 4, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, PROGRAM_LIMIT_MS, "programming", address, err);
	return finish(l, f, s, err);
}

/* The option bytes as the factory left them, RDP at level 0: one
 * half-word per byte pair, the low byte (the controller writes the
 * complement into the high one). */
static size_t factory_options(const struct stm32_device *dev, uint8_t *out)
{
	size_t n = dev->opt_size < OPTION_MAX ? dev->opt_size : OPTION_MAX;
	for (size_t i = 0; i + 1 < n; i += 2) {
		out[i] = dev->opt_factory ? dev->opt_factory[i] : 0xFF;
		out[i + 1] = 0x00;
	}
	if (dev->rdp_offset >= 0 && (size_t)dev->rdp_offset + 1 < n) {
		out[dev->rdp_offset] = dev->rdp_level0;
		out[dev->rdp_offset + 1] = 0x00;
	}
	return n & ~(size_t)1;
}

static enum stm32_status options_unsupported(const struct stm32_device *dev,
					     struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "changing readout protection over SWD on the %s family is not done yet",
			       dev->family);
}

static bool has_f1_options(const struct stlink_flash *f)
{
	const struct stm32_device *dev = f->device;
	return f->kind == STLINK_FLASH_F1 && dev->opt_size && dev->opt_size <= OPTION_MAX &&
	       dev->rdp_offset >= 0;
}

/* The F0/F1/F3 option-byte sequence (PM0075): both key pairs, OPTER, then
 * OPTPG and the half-words (their low bytes; the controller adds the
 * complements), then the reload: OBL_LAUNCH on F0/F3 (the chip resets,
 * *reset set), the caller's reset on F1. */
static enum stm32_status write_f1_options(struct stlink_link *l, const struct stlink_flash *f,
					  const uint8_t *options, size_t length, bool *reset,
					  struct stm32_error *err)
{
	const struct stm32_device *dev = f->device;
	const struct controller *c = &controllers[f->kind];
	*reset = false;
	enum stm32_status s = unlock(l, f, err);
	if (s == STM32_OK)
		s = reg_write(l, f, F1_OPTKEYR, KEY1, err);
	if (s == STM32_OK)
		s = reg_write(l, f, F1_OPTKEYR, KEY2, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, F1_CR_OPTER | F1_CR_OPTWRE, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, F1_CR_OPTER | F1_CR_OPTWRE | c->cr_start, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, PAGE_ERASE_LIMIT_MS, "the option-byte erase", dev->opt_start, err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, F1_CR_OPTPG | F1_CR_OPTWRE, err);
	/* RDP first among them: a mass erase it triggers then runs before the
	 * rest are programmed. */
	if (s == STM32_OK)
		s = stlink_write(l, dev->opt_start, options, length, 2, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, MASS_ERASE_LIMIT_MS, "programming the option bytes",
			      dev->opt_start, err);
	if (s == STM32_OK && ((dev->flags & STM32_DEV_OBL_LAUNCH) || strcmp(dev->family, "F1") != 0)) {
		/* F0/F3: reload the option bytes now; the chip resets, and the
		 * write's own answer may be lost with it. */
		struct stm32_error ignored;
		(void)reg_write(l, f, c->cr, F1_CR_OBL_LAUNCH, &ignored);
		*reset = true;
		return STM32_OK;
	}
	return finish(l, f, s, err);
}

enum stm32_status stlink_flash_readout_unprotect(struct stlink_link *l,
						 const struct stlink_flash *f, bool *reset,
						 struct stm32_error *err)
{
	*reset = false;
	if (!has_f1_options(f))
		return options_unsupported(f->device, err);
	uint8_t options[OPTION_MAX];
	size_t length = factory_options(f->device, options);
	return write_f1_options(l, f, options, length, reset, err);
}

enum stm32_status stlink_flash_readout_protect(struct stlink_link *l, const struct stlink_flash *f,
					       bool *reset, struct stm32_error *err)
{
	const struct stm32_device *dev = f->device;
	*reset = false;
	if (!has_f1_options(f))
		return options_unsupported(dev, err);
	/* The option bytes as they are, RDP 0x00: level 1 on F0/F1/F3 (never
	 * 0xCC, F0/F3's permanent level 2). */
	uint8_t options[OPTION_MAX];
	size_t length = dev->opt_size & ~(size_t)1;
	enum stm32_status s = stlink_read(l, dev->opt_start, options, length, err);
	if (s != STM32_OK)
		return s;
	for (size_t i = 1; i < length; i += 2)
		options[i] = 0x00;
	options[dev->rdp_offset] = RDP_LEVEL1;
	return write_f1_options(l, f, options, length, reset, err);
}

/* ---- The whole option area through the option registers ---- */

#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
/* F2/F4/F7 (RM0090 §3.6, RM0410 §3.4): OPTCR holds the option bytes'
 * working copy; its own key pair clears OPTLOCK, OPTSTRT programs it. The
 * area as mapped: USER at 0, RDP at 1, OPTCR[31:16] at 8 and 9 (each with
 * its complement two bytes on). OPTCR1 (F42x bank 2, F7 boot addresses)
 * is not written. */
#define F4_OPTKEYR 0x08u
#define F4_OPTCR 0x14u
#define F4_OPTCR_OPTLOCK (1u << 0)
#define F4_OPTCR_OPTSTRT (1u << 1)
#define F4_OPTCR_BYTES 10u
/* G0/G4/L4/WB/WL (RM0444 §3.4, RM0351 §3.4): OPTR, PCROP1(A)SR,
 * PCROP1(A)ER, WRP1AR, WRP1BR at 0x20 + 4k hold the double words at 8k of
 * the area (the complement in the upper word, made by the controller);
 * OPTKEYR clears CR.OPTLOCK, CR.OPTSTRT programs them, CR.OBL_LAUNCH
 * reloads them, which resets the chip. */
#define DW_OPTKEYR 0x0Cu
#define DW_OPTR 0x20u
#define DW_OPTION_REGISTERS 5u
#define DW_CR_OPTSTRT (1u << 17)
#define DW_CR_OBL_LAUNCH (1u << 27)
#define DW_CR_OPTLOCK (1u << 30)

size_t stlink_flash_option_reach(const struct stlink_flash *f)
{
	const struct stm32_device *dev = f->device;
	size_t reach = 0;
	if (f->kind == STLINK_FLASH_F1 && has_f1_options(f))
		reach = dev->opt_size;
	else if (f->kind == STLINK_FLASH_F4)
		reach = F4_OPTCR_BYTES;
	else if (f->kind == STLINK_FLASH_DWORD)
		reach = 8u * DW_OPTION_REGISTERS;
	else if (f->kind == STLINK_FLASH_PECR)
		reach = dev->opt_size & ~(size_t)3;
	else if (f->kind == STLINK_FLASH_H7 && dev->opt_start == STLINK_H7_OPTION_START)
		reach = STLINK_H7_OPTION_IMAGE;
	return dev->opt_size && reach <= dev->opt_size && dev->opt_size <= OPTION_MAX ? reach : 0;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Clears an option lock (OPTLOCK, bit lock_bit of register lock_reg) with
 * the option key pair at keyr. */
static enum stm32_status unlock_options(struct stlink_link *l, const struct stlink_flash *f,
					uint32_t lock_reg, uint32_t lock_bit, uint32_t keyr,
					struct stm32_error *err)
{
	uint32_t value;
	enum stm32_status s = reg_read(l, f, lock_reg, &value, err);
	if (s != STM32_OK || !(value & lock_bit))
		return s;
	if ((s = reg_write(l, f, keyr, OPTKEY1, err)) == STM32_OK)
		s = reg_write(l, f, keyr, OPTKEY2, err);
	if (s == STM32_OK && (s = reg_read(l, f, lock_reg, &value, err)) == STM32_OK &&
	    (value & lock_bit))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "the option bytes stayed locked after their key sequence "
				    "(a wrong key locks them until the next reset)");
	return s;
}

static enum stm32_status write_f4_options(struct stlink_link *l, const struct stlink_flash *f,
					  const uint8_t *area, struct stm32_error *err)
{
	uint32_t optcr = (area[0] & 0xFCu) | (uint32_t)area[1] << 8 | (uint32_t)area[8] << 16 |
			 (uint32_t)area[9] << 24;
	uint32_t where = f->device->opt_start;
	enum stm32_status s = unlock_options(l, f, F4_OPTCR, F4_OPTCR_OPTLOCK, F4_OPTKEYR, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, PROGRAM_LIMIT_MS, "an earlier operation", where, err);
	if (s == STM32_OK)
		s = reg_write(l, f, F4_OPTCR, optcr, err);
	if (s == STM32_OK)
		s = reg_write(l, f, F4_OPTCR, optcr | F4_OPTCR_OPTSTRT, err);
	/* RDP from level 1 to 0 mass-erases first. */
	if (s == STM32_OK)
		s = wait_idle(l, f, MASS_ERASE_LIMIT_MS, "programming the option bytes", where, err);
	struct stm32_error ignored;
	enum stm32_status lock = reg_write(l, f, F4_OPTCR, optcr | F4_OPTCR_OPTLOCK,
					   s == STM32_OK ? err : &ignored);
	return s == STM32_OK ? lock : s;
}

static enum stm32_status write_dword_options(struct stlink_link *l, const struct stlink_flash *f,
					     const uint8_t *area, bool *reset,
					     struct stm32_error *err)
{
	const struct controller *c = &controllers[f->kind];
	uint32_t where = f->device->opt_start;
	enum stm32_status s = unlock(l, f, err);
	if (s == STM32_OK)
		s = unlock_options(l, f, c->cr, DW_CR_OPTLOCK, DW_OPTKEYR, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, PROGRAM_LIMIT_MS, "an earlier operation", where, err);
	for (unsigned k = 0; s == STM32_OK && k < DW_OPTION_REGISTERS; k++)
		s = reg_write(l, f, DW_OPTR + 4u * k, le32_at(area + 8u * k), err);
	if (s == STM32_OK)
		s = reg_write(l, f, c->cr, DW_CR_OPTSTRT, err);
	if (s == STM32_OK)
		s = wait_idle(l, f, MASS_ERASE_LIMIT_MS, "programming the option bytes", where, err);
	if (s != STM32_OK)
		return finish(l, f, s, err);
	/* The reload resets the chip; the write's own answer may be lost. */
	struct stm32_error ignored;
	(void)reg_write(l, f, c->cr, DW_CR_OBL_LAUNCH, &ignored);
	*reset = true;
	return STM32_OK;
}

enum stm32_status stlink_flash_write_options(struct stlink_link *l, const struct stlink_flash *f,
					     const uint8_t *area, size_t length, bool *reset,
					     struct stm32_error *err)
{
	*reset = false;
	size_t reach = stlink_flash_option_reach(f);
	if (!reach)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "writing the option bytes over SWD on the %s family is not "
				       "done yet", f->device->family);
	if (length < reach)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%zu option bytes given, the %s's option registers take %zu",
				       length, f->device->name, reach);
	if (f->kind == STLINK_FLASH_F4)
		return write_f4_options(l, f, area, err);
	if (f->kind == STLINK_FLASH_DWORD)
		return write_dword_options(l, f, area, reset, err);
	if (f->kind == STLINK_FLASH_PECR) {
		enum stm32_status s = stlink_flash_pecr_write_options(l, f, area, reach, err);
		*reset = s == STM32_OK;
		return s;
	}
	if (f->kind == STLINK_FLASH_H7) {
		enum stm32_status s = stlink_flash_h7_write_options(l, f, area, err);
		*reset = s == STM32_OK; /* in force already: no reset to make */
		return s;
	}
	uint8_t low_bytes[OPTION_MAX];
	memcpy(low_bytes, area, reach);
	for (size_t i = 1; i < reach; i += 2)
		low_bytes[i] = 0x00; /* the controller writes the complements */
	return write_f1_options(l, f, low_bytes, reach & ~(size_t)1, reset, err);
}
