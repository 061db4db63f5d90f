/* The H7 flash controller over SWD (stlink_flash.h, STLINK_FLASH_H7):
 * RM0433 (H74x/H75x), RM0468 (H72x/H73x), RM0455 (H7A3/B3), stlink.md §5.
 * Each bank has its own KEYR, CR, SR and CCR (bank 2's 0x100 on); flash
 * is programmed a flash word at a time (the row's program_unit: 32 bytes,
 * 16 on RM0455 parts) through the bank's write buffer, and QW says when
 * the word has left it. Erase is by sector (SNB) or by bank (BER). */
#include <string.h>

#include "stlink/stlink_flash.h"

#define H7_KEYR 0x04u
#define H7_CR 0x0Cu
#define H7_SR 0x10u
#define H7_CCR 0x14u
#define H7_BANK_STRIDE 0x100u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define CR_LOCK (1u << 0)
#define CR_PG (1u << 1)
#define CR_SER (1u << 2)
#define CR_BER (1u << 3)
#define SR_BSY (1u << 0)
#define SR_WBNE (1u << 1)
#define SR_QW (1u << 2)
#define SR_WRPERR (1u << 17)
#define SR_PGSERR (1u << 18)
#define SR_STRBERR (1u << 19)
#define SR_INCERR (1u << 21)
#define SR_OPERR (1u << 22)
#define SR_ERRORS (SR_WRPERR | SR_PGSERR | SR_STRBERR | SR_INCERR | SR_OPERR)
#define SR_CLEAR (SR_ERRORS | (1u << 16) /* EOP */)
#define ERASE_LIMIT_MS 20000u
#define BANK_ERASE_LIMIT_MS 120000u
#define PROGRAM_LIMIT_MS 1000u
#define WORD_MAX 32u

/* RM0433/RM0468 against RM0455: where START, FW and the sector number sit,
 * and whether CR has PSIZE (x64 there; RM0455 has none). */
struct h7_layout {
	uint32_t start, fw, snb_shift, snb_mask, psize;
};
static const struct h7_layout layout_h74x = {1u << 7, 1u << 6, 8, 0x7u, 3u << 4};
static const struct h7_layout layout_h7a3 = {1u << 5, 1u << 4, 6, 0x7Fu, 0};

static const struct h7_layout *layout_of(const struct stlink_flash *f)
{
	return f->device->program_unit == 16 ? &layout_h7a3 : &layout_h74x;
}

static uint32_t bank_reg(const struct stlink_flash *f, unsigned bank, uint32_t reg)
{
	return f->base + reg + (bank ? H7_BANK_STRIDE : 0);
}

/* Which bank a sector index is in, and its number there. */
static unsigned bank_of_unit(const struct stlink_flash *f, uint32_t unit, uint32_t *snb)
{
	const struct stm32_device *dev = f->device;
	bool second = dev->bank_count > 1 && unit >= dev->bank2_first_sector;
	*snb = second ? unit - dev->bank2_first_sector : unit;
	return second ? 1 : 0;
}

static unsigned bank_of_address(const struct stlink_flash *f, uint32_t address)
{
	const struct stm32_device *dev = f->device;
	uint32_t start, size;
	if (dev->bank_count < 2 || !stm32_device_sector(dev, dev->bank2_first_sector, &start, &size))
		return 0;
	return address >= start;
}

static enum stm32_status unlock_bank(struct stlink_link *l, const struct stlink_flash *f,
				     unsigned bank, struct stm32_error *err)
{
	uint32_t cr;
	enum stm32_status s = stlink_read_word(l, bank_reg(f, bank, H7_CR), &cr, err);
	if (s != STM32_OK || !(cr & CR_LOCK))
		return s;
	if ((s = stlink_write_word(l, bank_reg(f, bank, H7_KEYR), KEY1, err)) == STM32_OK)
		s = stlink_write_word(l, bank_reg(f, bank, H7_KEYR), KEY2, err);
	if (s == STM32_OK && (s = stlink_read_word(l, bank_reg(f, bank, H7_CR), &cr, err)) == STM32_OK &&
	    (cr & CR_LOCK))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "flash bank %u stayed locked after its key sequence (a wrong key "
				    "locks it until the next reset)", bank + 1);
	return s;
}

/* Until the bank is idle (BSY and QW clear), then its error bits. */
static enum stm32_status wait_bank(struct stlink_link *l, const struct stlink_flash *f,
				   unsigned bank, unsigned limit_ms, const char *what,
				   uint32_t address, struct stm32_error *err)
{
	uint32_t sr = 0;
	enum stm32_status s = stlink_poll_clear(l, bank_reg(f, bank, H7_SR), SR_BSY | SR_QW,
						     limit_ms, what, &sr, err);
	if (s != STM32_OK) {
		if (s == STM32_E_TIMEOUT)
			stm32_error_set(err, s, "flash bank %u stayed busy for %u ms during %s",
					bank + 1, limit_ms, what);
		return s;
	}
	if ((s = stlink_write_word(l, bank_reg(f, bank, H7_CCR), sr & SR_CLEAR, err)) != STM32_OK)
		return s;
	if (sr & SR_ERRORS) {
		s = stm32_error_set(err, STM32_E_NACK, "the flash controller refused %s (SR%u 0x%08X%s)",
				    what, bank + 1, sr,
				    (sr & SR_WRPERR) ? ": write protected"
				    : (sr & SR_OPERR) ? ": not erased" : "");
		stm32_error_address(err, address);
	}
	return s;
}

static enum stm32_status lock_bank(struct stlink_link *l, const struct stlink_flash *f,
				   unsigned bank, enum stm32_status s, struct stm32_error *err)
{
	struct stm32_error ignored;
	enum stm32_status lock = stlink_write_word(l, bank_reg(f, bank, H7_CR), CR_LOCK,
						   s == STM32_OK ? err : &ignored);
	return s == STM32_OK ? lock : s;
}

/* CR with the operation, then with START as well. */
static enum stm32_status start_operation(struct stlink_link *l, const struct stlink_flash *f,
					 unsigned bank, uint32_t cr, struct stm32_error *err)
{
	enum stm32_status s = stlink_write_word(l, bank_reg(f, bank, H7_CR), cr, err);
	return s == STM32_OK ? stlink_write_word(l, bank_reg(f, bank, H7_CR), cr | layout_of(f)->start,
						 err)
			     : s;
}

enum stm32_status stlink_flash_h7_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					     uint32_t unit, struct stm32_error *err)
{
	const struct h7_layout *lay = layout_of(f);
	uint32_t address, size, snb;
	if (!stm32_device_sector(f->device, unit, &address, &size))
		return stm32_error_set(err, STM32_E_RANGE, "no erase unit %u", unit);
	unsigned bank = bank_of_unit(f, unit, &snb);
	if (snb > lay->snb_mask)
		return stm32_error_set(err, STM32_E_RANGE, "sector %u is past bank %u's numbering",
				       unit, bank + 1);
	enum stm32_status s = unlock_bank(l, f, bank, err);
	if (s == STM32_OK)
		s = start_operation(l, f, bank, CR_SER | lay->psize | snb << lay->snb_shift, err);
	if (s == STM32_OK)
		s = wait_bank(l, f, bank, ERASE_LIMIT_MS, "a sector erase", address, err);
	return lock_bank(l, f, bank, s, err);
}

enum stm32_status stlink_flash_h7_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					     struct stm32_error *err)
{
	enum stm32_status s = STM32_OK;
	for (unsigned bank = 0; s == STM32_OK && bank < f->device->bank_count && bank < 2; bank++) {
		s = unlock_bank(l, f, bank, err);
		if (s == STM32_OK)
			s = start_operation(l, f, bank, CR_BER | layout_of(f)->psize, err);
		if (s == STM32_OK)
			s = wait_bank(l, f, bank, BANK_ERASE_LIMIT_MS, "a bank erase",
				      f->device->flash_start, err);
		s = lock_bank(l, f, bank, s, err);
	}
	return s;
}

/* One flash word per memory command, then QW: the word has been
 * programmed (or refused) before the next one fills the buffer. */
static enum stm32_status program_bank(struct stlink_link *l, const struct stlink_flash *f,
				      unsigned bank, uint32_t address, const uint8_t *data,
				      size_t length, struct stm32_error *err)
{
	uint32_t word = f->device->program_unit;
	enum stm32_status s = unlock_bank(l, f, bank, err);
	if (s == STM32_OK)
		s = stlink_write_word(l, bank_reg(f, bank, H7_CR), CR_PG | layout_of(f)->psize, err);
	for (size_t done = 0; s == STM32_OK && done < length; done += word) {
		s = stlink_write(l, address + (uint32_t)done, data + done, word, 4, err);
		if (s == STM32_OK)
			s = wait_bank(l, f, bank, PROGRAM_LIMIT_MS, "programming",
				      address + (uint32_t)done, err);
	}
	return lock_bank(l, f, bank, s, err);
}

enum stm32_status stlink_flash_h7_program(struct stlink_link *l, const struct stlink_flash *f,
					  uint32_t address, const uint8_t *data, size_t length,
					  struct stm32_error *err)
{
	uint32_t word = f->device->program_unit;
	if (word == 0 || word > WORD_MAX || address % word || length % word)
		return stm32_error_set(err, STM32_E_INVALID,
				       "0x%08X+%zu is not in whole %u-byte flash words", address,
				       length, (unsigned)word);
	/* A request may cross from bank 1 into bank 2. */
	size_t first = length;
	for (size_t at = 0; at < length; at += word)
		if (bank_of_address(f, address + (uint32_t)at) != bank_of_address(f, address)) {
			first = at;
			break;
		}
	enum stm32_status s = program_bank(l, f, bank_of_address(f, address), address, data, first,
					   err);
	if (s == STM32_OK && first < length)
		s = program_bank(l, f, 1, address + (uint32_t)first, data + first, length - first, err);
	return s;
}

/* ---- Option bytes: FLASH_OPTSR, WPSN per bank and BOOT, as a register
 * image (stlink_flash.h, docs/option-bytes.md "H7 over SWD") ---- */

#define H7_OPTKEYR 0x08u
#define H7_OPTCR 0x18u
#define H7_OPTSR_CUR 0x1Cu
#define H7_OPTSR_PRG 0x20u
#define H7_OPTCCR 0x24u
#define H7_WPSN_CUR 0x38u
#define H7_WPSN_PRG 0x3Cu
#define H7_BOOT_CUR 0x40u
#define H7_BOOT_PRG 0x44u
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTART (1u << 1)
#define OPTSR_OPT_BUSY (1u << 0)
#define OPTSR_OPTCHANGEERR (1u << 30)
#define OPTSR_READ_ONLY (OPTSR_OPT_BUSY | OPTSR_OPTCHANGEERR)
#define OPTION_LIMIT_MS 120000u /* RDP 1 to 0 erases both banks first */
#define NO_BANK_PROTECTION 0xFFFFFFFFu

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The image's words, in its order, and the registers that read and
 * program each (bank 2's WPSN only on two-bank rows). */
static const struct { uint32_t cur, prg; bool bank2; } option_words[STLINK_H7_OPTION_IMAGE / 4] = {
	{H7_OPTSR_CUR, H7_OPTSR_PRG, false},
	{H7_WPSN_CUR, H7_WPSN_PRG, false},
	{H7_WPSN_CUR + H7_BANK_STRIDE, H7_WPSN_PRG + H7_BANK_STRIDE, true},
	{H7_BOOT_CUR, H7_BOOT_PRG, false},
};

static bool word_present(const struct stlink_flash *f, size_t k)
{
	return !option_words[k].bank2 || f->device->bank_count > 1;
}

enum stm32_status stlink_flash_h7_read_options(struct stlink_link *l, const struct stlink_flash *f,
					       uint8_t *image, struct stm32_error *err)
{
	enum stm32_status s = STM32_OK;
	for (size_t k = 0; s == STM32_OK && k < STLINK_H7_OPTION_IMAGE / 4; k++) {
		uint32_t v = NO_BANK_PROTECTION;
		if (word_present(f, k))
			s = stlink_read_word(l, f->base + option_words[k].cur, &v, err);
		if (k == 0)
			v &= ~OPTSR_READ_ONLY;
		put_le32(image + 4 * k, v);
	}
	return s;
}

static enum stm32_status wait_options(struct stlink_link *l, const struct stlink_flash *f,
				      uint32_t *optsr, struct stm32_error *err)
{
	return stlink_poll_clear(l, f->base + H7_OPTSR_CUR, OPTSR_OPT_BUSY, OPTION_LIMIT_MS,
				      "the option-byte change", optsr, err);
}

static enum stm32_status unlock_options(struct stlink_link *l, const struct stlink_flash *f,
					struct stm32_error *err)
{
	uint32_t optcr;
	enum stm32_status s = stlink_read_word(l, f->base + H7_OPTCR, &optcr, err);
	if (s != STM32_OK || !(optcr & OPTCR_OPTLOCK))
		return s;
	if ((s = stlink_write_word(l, f->base + H7_OPTKEYR, OPTKEY1, err)) == STM32_OK)
		s = stlink_write_word(l, f->base + H7_OPTKEYR, OPTKEY2, err);
	if (s == STM32_OK && (s = stlink_read_word(l, f->base + H7_OPTCR, &optcr, err)) == STM32_OK &&
	    (optcr & OPTCR_OPTLOCK))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "the option bytes stayed locked after their key sequence (a wrong "
				    "key locks them until the next reset)");
	return s;
}

/* RM0433 §4.4.3 (RM0455 alike): OPTLOCK cleared by OPTKEYR, the _PRG
 * registers written, OPTSTART, then OPT_BUSY until the controller has
 * programmed them and made them current: they are in force on return, no
 * reset needed. OPTCHANGEERR: the change was refused. */
enum stm32_status stlink_flash_h7_write_options(struct stlink_link *l, const struct stlink_flash *f,
						const uint8_t *image, struct stm32_error *err)
{
	uint32_t optsr = 0;
	enum stm32_status s = unlock_options(l, f, err);
	if (s == STM32_OK)
		s = wait_options(l, f, &optsr, err);
	if (s == STM32_OK)
		s = stlink_write_word(l, f->base + H7_OPTCCR, OPTSR_OPTCHANGEERR, err);
	for (size_t k = 0; s == STM32_OK && k < STLINK_H7_OPTION_IMAGE / 4; k++) {
		uint32_t v = get_le32(image + 4 * k);
		if (word_present(f, k))
			s = stlink_write_word(l, f->base + option_words[k].prg,
					      k == 0 ? v & ~OPTSR_READ_ONLY : v, err);
	}
	if (s == STM32_OK)
		s = stlink_write_word(l, f->base + H7_OPTCR, OPTCR_OPTSTART, err);
	if (s == STM32_OK)
		s = wait_options(l, f, &optsr, err);
	if (s == STM32_OK && (optsr & OPTSR_OPTCHANGEERR))
		s = stm32_error_set(err, STM32_E_NACK,
				    "the flash controller refused the option-byte change (OPTSR_CUR "
				    "0x%08X: OPTCHANGEERR)", optsr);
	struct stm32_error ignored;
	enum stm32_status lock = stlink_write_word(l, f->base + H7_OPTCR, OPTCR_OPTLOCK,
						   s == STM32_OK ? err : &ignored);
	return s == STM32_OK ? lock : s;
}
