/* The L0/L1 flash controller over SWD (stlink_flash.h, STLINK_FLASH_PECR):
 * RM0377 §3 (L0, at 0x40022000), RM0038 §3 (L1, at 0x40023C00). For the
 * parts whose SRAM cannot hold the RAM loader (L011/L021: 2 KiB); the
 * others program through the loader (stub/flash_pecr.c).
 *
 * Two locks stand before program memory: PEKEYR's pair clears PECR.PELOCK,
 * then PRGKEYR's clears PRGLOCK; setting PELOCK again locks both. Flash
 * erases to zeros. A page is erased by a word store into it with PROG and
 * ERASE set; with FPRG and PROG set, word stores over a half page (L0 64
 * bytes, L1 128) in order program it in one go after the last, in the time
 * one word takes alone: the debugger's memory command writes them back to
 * back, and the halted core fetches nothing from flash in between (which
 * would abort the half page, FWWERR). What is not whole half pages goes a
 * word at a time, PROG clear. The option bytes are words at 0x1FF80000,
 * each a half-word and its complement, written by a word store once
 * OPTKEYR's pair has cleared OPTLOCK, and loaded by PECR.OBL_LAUNCH, which
 * resets the chip. */
#include "stlink/stlink_flash.h"

#include <string.h>

#include "flash_pecr_regs.h"

#define ERASE_LIMIT_MS 1000u   /* a page: 3.2 ms (L0, L1 datasheets) */
#define PROGRAM_LIMIT_MS 1000u /* a word or half page: 3.2 ms */
#define OPTION_LIMIT_MS 120000u /* level 1 to 0 erases the whole flash first */

static unsigned half_page(const struct stlink_flash *f)
{
	return strcmp(f->device->family, "L0") == 0 ? L0_HALF_PAGE : L1_HALF_PAGE;
}

static enum stm32_status write_reg(struct stlink_link *l, const struct stlink_flash *f,
				   uint32_t offset, uint32_t value, struct stm32_error *err)
{
	return stlink_write_word(l, f->base + offset, value, err);
}

static enum stm32_status key_pair(struct stlink_link *l, const struct stlink_flash *f,
				  uint32_t keyr, uint32_t first, uint32_t second,
				  struct stm32_error *err)
{
	enum stm32_status s = write_reg(l, f, keyr, first, err);
	return s == STM32_OK ? write_reg(l, f, keyr, second, err) : s;
}

/* PELOCK by PEKEYR's pair, then the lock of what (PRGLOCK: program
 * memory; OPTLOCK: the option bytes) by its own pair at keyr. */
static enum stm32_status unlock_for(struct stlink_link *l, const struct stlink_flash *f,
				    uint32_t lock_bit, uint32_t keyr, uint32_t key1, uint32_t key2,
				    const char *what, struct stm32_error *err)
{
	uint32_t pecr;
	enum stm32_status s = stlink_read_word(l, f->base + PECR, &pecr, err);
	if (s == STM32_OK && (pecr & PECR_PELOCK))
		s = key_pair(l, f, PEKEYR, PEKEY1, PEKEY2, err);
	if (s == STM32_OK && (pecr & (PECR_PELOCK | lock_bit)))
		s = key_pair(l, f, keyr, key1, key2, err);
	if (s == STM32_OK && (s = stlink_read_word(l, f->base + PECR, &pecr, err)) == STM32_OK &&
	    (pecr & (PECR_PELOCK | lock_bit)))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "%s stayed locked after the key sequences (PECR 0x%08X; a wrong "
				    "key locks it until the next reset)", what, pecr);
	return s;
}

static enum stm32_status unlock(struct stlink_link *l, const struct stlink_flash *f,
				struct stm32_error *err)
{
	return unlock_for(l, f, PECR_PRGLOCK, PRGKEYR, PRGKEY1, PRGKEY2, "the flash controller", err);
}

/* PECR back to nothing but PELOCK (both locks set again); the first error kept. */
static enum stm32_status lock(struct stlink_link *l, const struct stlink_flash *f,
			      enum stm32_status s, struct stm32_error *err)
{
	struct stm32_error ignored;
	enum stm32_status locked = write_reg(l, f, PECR, PECR_PELOCK, s == STM32_OK ? err : &ignored);
	return s == STM32_OK ? locked : s;
}

static const char *error_name(uint32_t sr)
{
	if (sr & SR_WRPERR)
		return ": write protected";
	if (sr & SR_NOTZEROERR)
		return ": not erased";
	if (sr & SR_FWWERR)
		return ": a flash fetch broke the half page";
	if (sr & (SR_PGAERR | SR_SIZERR))
		return ": misaligned or not a word";
	return "";
}

/* Until BSY clears, then the error bits (cleared by writing them back). */
static enum stm32_status wait_done(struct stlink_link *l, const struct stlink_flash *f,
				   unsigned limit_ms, const char *what, uint32_t address,
				   struct stm32_error *err)
{
	uint32_t sr = 0;
	enum stm32_status s = stlink_poll_clear(l, f->base + SR, SR_BSY, limit_ms, what, &sr, err);
	if (s != STM32_OK)
		return s;
	if ((s = write_reg(l, f, SR, sr & SR_CLEAR, err)) != STM32_OK)
		return s;
	if (sr & SR_ERRORS) {
		s = stm32_error_set(err, STM32_E_NACK, "the flash controller refused %s (SR 0x%08X%s)",
				    what, sr, error_name(sr));
		stm32_error_address(err, address);
	}
	return s;
}

static enum stm32_status erase_page(struct stlink_link *l, const struct stlink_flash *f,
				    uint32_t address, struct stm32_error *err)
{
	enum stm32_status s = write_reg(l, f, PECR, PECR_ERASE | PECR_PROG, err);
	if (s == STM32_OK)
		s = stlink_write_word(l, address, 0, err);
	return s == STM32_OK ? wait_done(l, f, ERASE_LIMIT_MS, "a page erase", address, err) : s;
}

enum stm32_status stlink_flash_pecr_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					       uint32_t unit, struct stm32_error *err)
{
	uint32_t address, size;
	if (!stm32_device_sector(f->device, unit, &address, &size))
		return stm32_error_set(err, STM32_E_RANGE, "no erase unit %u", unit);
	enum stm32_status s = unlock(l, f, err);
	if (s == STM32_OK)
		s = erase_page(l, f, address, err);
	return lock(l, f, s, err);
}

/* No mass-erase bit on L0/L1 (that is what an RDP regression does): every page. */
enum stm32_status stlink_flash_pecr_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					       struct stm32_error *err)
{
	enum stm32_status s = unlock(l, f, err);
	size_t pages = stm32_device_sector_count(f->device);
	for (size_t unit = 0; s == STM32_OK && unit < pages; unit++) {
		uint32_t address, size;
		if (!stm32_device_sector(f->device, (uint32_t)unit, &address, &size))
			break;
		s = erase_page(l, f, address, err);
	}
	return lock(l, f, s, err);
}

/* One half page (FPRG) or one word (PROG clear) per memory command. */
static enum stm32_status program_piece(struct stlink_link *l, const struct stlink_flash *f,
				       uint32_t address, const uint8_t *data, size_t length,
				       struct stm32_error *err)
{
	bool half = length == half_page(f);
	enum stm32_status s = write_reg(l, f, PECR, half ? PECR_FPRG | PECR_PROG : 0, err);
	if (s == STM32_OK)
		s = stlink_write(l, address, data, length, 4, err);
	return s == STM32_OK ? wait_done(l, f, PROGRAM_LIMIT_MS, "programming", address, err) : s;
}

enum stm32_status stlink_flash_pecr_program(struct stlink_link *l, const struct stlink_flash *f,
					    uint32_t address, const uint8_t *data, size_t length,
					    struct stm32_error *err)
{
	unsigned half = half_page(f);
	enum stm32_status s = unlock(l, f, err);
	for (size_t done = 0; s == STM32_OK && done < length;) {
		uint32_t at = address + (uint32_t)done;
		size_t piece = at % half == 0 && length - done >= half ? half : 4u;
		s = program_piece(l, f, at, data + done, piece, err);
		done += piece;
	}
	return lock(l, f, s, err);
}

static uint32_t option_word(const uint8_t *area)
{
	uint32_t low = (uint32_t)area[0] | (uint32_t)area[1] << 8;
	return low | (~low & 0xFFFFu) << 16; /* the complement, made here, never taken as given */
}

static enum stm32_status write_option_word(struct stlink_link *l, const struct stlink_flash *f,
					   uint32_t address, const uint8_t *area,
					   struct stm32_error *err)
{
	enum stm32_status s = stlink_write_word(l, address, option_word(area), err);
	return s == STM32_OK ? wait_done(l, f, OPTION_LIMIT_MS, "programming the option bytes",
					 address, err)
			     : s;
}

enum stm32_status stlink_flash_pecr_write_options(struct stlink_link *l, const struct stlink_flash *f,
						  const uint8_t *area, size_t length,
						  struct stm32_error *err)
{
	uint32_t start = f->device->opt_start;
	enum stm32_status s =
		unlock_for(l, f, PECR_OPTLOCK, OPTKEYR, OPTKEY1, OPTKEY2, "the option bytes", err);
	/* RDP's word first: from level 1 it erases the flash before the rest
	 * are written. */
	size_t rdp = f->device->rdp_offset >= 0 ? (size_t)f->device->rdp_offset & ~(size_t)3 : 0;
	if (s == STM32_OK && rdp + 4 <= length)
		s = write_option_word(l, f, start + (uint32_t)rdp, area + rdp, err);
	for (size_t at = 0; s == STM32_OK && at + 4 <= length; at += 4)
		if (at != rdp)
			s = write_option_word(l, f, start + (uint32_t)at, area + at, err);
	if (s != STM32_OK)
		return lock(l, f, s, err);
	/* The reload resets the chip; the write's own answer may be lost. */
	struct stm32_error ignored;
	(void)write_reg(l, f, PECR, PECR_OBL_LAUNCH, &ignored);
	return STM32_OK;
}
