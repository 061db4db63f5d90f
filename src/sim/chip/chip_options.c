/* Option bytes: read-out protection (RDP) and write protection (WRP).
 *
 * Where the option area is memory mapped the state lives in the option
 * bytes themselves, so it survives in the image file and a host can read it
 * back. Decoded layouts: F0/F1/F3 (WRP0..3 at offsets 8..14, one bit per
 * 4 KiB group, 0 = protected) and F2/F4/F7 (nWRP bits 0..11 at offsets 8..9,
 * one bit per sector, complement halfword at 10..11); G0/G4/WB/WL write-protected areas (WRP1AR at offset
 * 0x18, WRP1BR at 0x20, on G0 also WRP2AR/WRP2BR at 0x48/0x50 for bank 2),
 * see wrp_area_family(); L0/L1 WRPROT bits, 16 a word from offset 8 (1 =
 * protected), see wrprot_option_family(). Other families keep WRP in an internal flag per
 * sector, and devices without a mapped option area keep RDP internally. */
#include <string.h>

#include "base/bytes.h"
#include "stm32boot/option_bytes.h"
#include "chip/chip_private.h"

#define family_is sim_chip_family_is

static bool halfword_option_family(const struct sim_chip *chip)
{
	return family_is(chip, "F0", "F1", "F3") && chip->options && chip->dev->opt_size >= 16;
}

/* L0/L1 (RM0377, RM0038; ST's CMSIS OB_TypeDef and HAL): WRPROT bits, 1 =
 * protected, one per 4 KiB sector, 16 to a word from offset 8 (WRP01 bits
 * 0-15, WRP23 at 12 bits 16-31, WRP45 at 16 ...), the low halfword holding
 * the bits and the high one their complement. An L1 cat 5 keeps bits 96-127
 * at 0x80, past the 32 bytes mapped here: those sectors cannot be
 * protected through this model. */
static bool wrprot_option_family(const struct sim_chip *chip)
{
	return family_is(chip, "L0", "L1", NULL) && chip->options && chip->dev->opt_size >= 16;
}

static unsigned wrprot_offset(unsigned bit)
{
	return 8u + 4u * (bit / 16u) + (bit % 16u) / 8u;
}

static unsigned wrprot_mapped_bits(const struct sim_chip *chip)
{
	return (unsigned)((chip->dev->opt_size - 8u) / 4u * 16u);
}

static bool f2f4_option_family(const struct sim_chip *chip)
{
	return family_is(chip, "F2", "F4", "F7") && chip->options && chip->dev->opt_size >= 16;
}

/* Where each family keeps the complement of a value in its option words. */
static unsigned complement_distance(const struct sim_chip *chip)
{
	if (family_is(chip, "F0", "F1", "F3"))
		return 1;
	if (family_is(chip, "F2", "F4", "F7") || family_is(chip, "L0", "L1", NULL))
		return 2;
	return 4;
}

static void put_option(struct sim_chip *chip, unsigned offset, uint8_t value)
{
	unsigned pair = offset + complement_distance(chip);
	if (offset < chip->dev->opt_size)
		chip->options[offset] = value;
	if (pair < chip->dev->opt_size)
		chip->options[pair] = (uint8_t)~value;
}

static bool rdp_mapped(const struct sim_chip *chip)
{
	return chip->options && chip->dev->rdp_offset >= 0 &&
	       (uint32_t)chip->dev->rdp_offset < chip->dev->opt_size;
}

int sim_chip_rdp_level(const struct sim_chip *chip)
{
	if (!rdp_mapped(chip))
		return chip->unmapped_rdp_level;
	uint8_t rdp = chip->options[chip->dev->rdp_offset];
	if (rdp == chip->dev->rdp_level0)
		return 0;
	if (rdp == 0xCC && strcmp(chip->dev->family, "F1") != 0)
		return 2;
	return 1;
}

void sim_chip_set_rdp_level(struct sim_chip *chip, int level)
{
	if (!rdp_mapped(chip)) {
		chip->unmapped_rdp_level = level;
		return;
	}
	bool f1 = strcmp(chip->dev->family, "F1") == 0;
	uint8_t value = level == 0 ? chip->dev->rdp_level0 :
			level == 2 && !f1 ? 0xCC :
			f1 ? 0x00 : 0xBB;
	put_option(chip, (unsigned)chip->dev->rdp_offset, value);
}

/* F0/F1/F3: one WRP bit per 4 KiB (at least one page); bit 31 covers the rest. */
static size_t pages_per_wrp_group(const struct sim_chip *chip)
{
	uint32_t address, size;
	if (!stm32_device_sector(chip->dev, 0, &address, &size) || size >= 4096)
		return 1;
	return 4096 / size;
}

static unsigned halfword_wrp_bit(const struct sim_chip *chip, size_t sector)
{
	size_t group = sector / pages_per_wrp_group(chip);
	return group > 31 ? 31 : (unsigned)group;
}

#define F2F4_WRP_BITS 12u

/* ---- WRP areas (G0, G4, WB, WL, dual-bank L4) ----
 * RM0444 (G0), like RM0351 (L4): an area protects the pages from its
 * STRT field to its END field, both included, counted from the bank's first
 * page; STRT > END means no area. The host programs the register value and
 * the controller writes its complement. The L41x-L49x rows map bank 1's
 * option bytes up to WRP1BR (40 bytes); on the dual-bank L47x/L49x the
 * areas cover bank 1 only: bank 2's (at 0x1FFFF800) are not mapped, and a
 * page there cannot be protected. L4R5/L4P5 map only OPTR and keep the
 * internal flags. */

#define WRP1AR 0x18u
#define WRP1BR 0x20u
#define WRP2AR 0x48u
#define WRP2BR 0x50u
#define G0_BANK_PAGES 128u /* RM0444: each G0B1/C1 bank holds 128 pages */
#define MAX_AREAS 4u

struct wrp_area {
	unsigned offset;   /* of the register value in the option block */
	size_t first_page; /* page the fields count from */
	size_t page_limit; /* pages of the bank: [first_page, page_limit) */
};

static bool wrp_area_family(const struct sim_chip *chip)
{
	return chip->options && chip->dev->opt_size >= WRP1BR + 8u && sim_chip_dword_controller(chip);
}

/* Field width: 7 bits address the 128 pages of a G0, G4 or WL bank, 8 the 256
 * pages of a WB or an L47x/L49x bank. */
static uint32_t wrp_field_mask(const struct sim_chip *chip)
{
	return family_is(chip, "WB", "L4", NULL) ? 0xFFu : 0x7Fu;
}

static size_t wrp_areas(const struct sim_chip *chip, struct wrp_area *areas)
{
	size_t pages = chip->sector_count;
	bool two_banks = family_is(chip, "G0", NULL, NULL) && pages > G0_BANK_PAGES &&
			 chip->dev->opt_size >= WRP2BR + 8u;
	size_t bank1 = two_banks ? G0_BANK_PAGES : pages;
	if (!two_banks && chip->dev->bank_count > 1 && chip->dev->bank2_first_sector < pages)
		bank1 = chip->dev->bank2_first_sector; /* L4: bank 2's areas are not mapped */
	areas[0] = (struct wrp_area){WRP1AR, 0, bank1};
	areas[1] = (struct wrp_area){WRP1BR, 0, bank1};
	if (!two_banks)
		return 2;
	areas[2] = (struct wrp_area){WRP2AR, G0_BANK_PAGES, pages};
	areas[3] = (struct wrp_area){WRP2BR, G0_BANK_PAGES, pages};
	return 4;
}

/* The pages an area protects; false when it protects none. A register
 * reading 0xFFFFFFFF is taken as no area: that is how the device table's
 * factory option bytes leave these words (the factory value on silicon has
 * STRT > END), and reading it as page 127 would protect a page no chip
 * protects. */
static bool wrp_area_pages(const struct sim_chip *chip, const struct wrp_area *area,
			   size_t *first, size_t *last)
{
	uint32_t value = sim_get_le32(chip->options + area->offset);
	uint32_t mask = wrp_field_mask(chip);
	uint32_t start = value & mask, end = (value >> 16) & mask;
	if (value == 0xFFFFFFFFu || start > end)
		return false;
	*first = area->first_page + start;
	*last = area->first_page + end;
	return true;
}

static void put_wrp_register(struct sim_chip *chip, unsigned offset, uint32_t value)
{
	sim_put_le32(chip->options + offset, value);
	sim_put_le32(chip->options + offset + 4u, ~value);
}

static bool area_protects(const struct sim_chip *chip, size_t sector)
{
	struct wrp_area areas[MAX_AREAS];
	size_t count = wrp_areas(chip, areas);
	for (size_t i = 0; i < count; i++) {
		size_t first, last;
		if (wrp_area_pages(chip, &areas[i], &first, &last) && sector >= first && sector <= last)
			return true;
	}
	return false;
}

/* Protect the pages already protected plus those listed, expressed as the
 * bank's two areas: each run of consecutive pages takes one area. A set that
 * needs more runs than a bank has areas cannot be written: false, nothing
 * changed. Areas no run needs are left as they are if already empty. */
static bool protect_with_areas(struct sim_chip *chip, const uint8_t *pages, size_t count)
{
	struct wrp_area areas[MAX_AREAS];
	size_t area_count = wrp_areas(chip, areas);
	for (size_t i = 0; i < count; i++)
		if (pages[i] >= areas[area_count - 1].page_limit)
			return false; /* in a bank whose areas are not mapped */
	uint8_t wanted[256 + G0_BANK_PAGES] = {0};
	size_t limit = chip->sector_count < sizeof(wanted) ? chip->sector_count : sizeof(wanted);
	for (size_t s = 0; s < limit; s++)
		wanted[s] = area_protects(chip, s);
	for (size_t i = 0; i < count; i++)
		if (pages[i] < limit)
			wanted[pages[i]] = 1;
	uint32_t mask = wrp_field_mask(chip);
	uint32_t values[MAX_AREAS];
	bool used[MAX_AREAS] = {false};
	for (size_t a = 0; a < area_count; a += 2) { /* the two areas of one bank */
		size_t next = a;
		const struct wrp_area *bank = &areas[a];
		for (size_t s = bank->first_page; s < bank->page_limit && s < limit; s++) {
			if (!wanted[s] || (s > bank->first_page && wanted[s - 1]))
				continue;
			size_t end = s;
			while (end + 1 < bank->page_limit && end + 1 < limit && wanted[end + 1])
				end++;
			if (next == a + 2 || end - bank->first_page > mask)
				return false;
			values[next] = (uint32_t)((end - bank->first_page) << 16 | (s - bank->first_page));
			used[next++] = true;
		}
	}
	for (size_t a = 0; a < area_count; a++) {
		size_t first, last;
		if (used[a])
			put_wrp_register(chip, areas[a].offset, values[a]);
		else if (wrp_area_pages(chip, &areas[a], &first, &last))
			put_wrp_register(chip, areas[a].offset, mask); /* STRT > END: empty */
	}
	return true;
}

static void clear_areas(struct sim_chip *chip)
{
	struct wrp_area areas[MAX_AREAS];
	size_t count = wrp_areas(chip, areas);
	for (size_t a = 0; a < count; a++) {
		size_t first, last;
		if (wrp_area_pages(chip, &areas[a], &first, &last))
			put_wrp_register(chip, areas[a].offset, wrp_field_mask(chip));
	}
}

/* The register image (H7): the table's wrp_low field covering a sector,
 * and the bit; a bit covers one sector, or 32 KiB of them (H7A3). */
static const struct stm32_option_field *register_wrp_bit(const struct sim_chip *chip,
							  size_t sector, unsigned *bit)
{
	uint32_t address, size;
	if (!chip->register_options || !stm32_device_sector(chip->dev, 0, &address, &size))
		return NULL;
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *f = stm32_option_field_at(i);
		if (f->kind != STM32_OPTION_KIND_WRP_LOW || f->offset < 0 ||
		    !stm32_option_field_applies(f, chip->dev))
			continue;
		size_t per = f->unit == STM32_OPTION_UNIT_32K && size < 32768u ? 32768u / size : 1;
		size_t group = sector / per;
		if (group >= f->first && group < (size_t)f->first + f->width) {
			*bit = (unsigned)(group - f->first);
			return f;
		}
	}
	return NULL;
}

/* One bit of a register-image field (no complements there). */
static void put_register_bit(struct sim_chip *chip, const struct stm32_option_field *f,
			     unsigned bit, bool value)
{
	unsigned at = f->shift + bit;
	uint8_t *byte = chip->register_options + f->offset + at / 8u;
	if ((size_t)f->offset + at / 8u >= chip->register_options_size)
		return;
	*byte = value ? (uint8_t)(*byte | 1u << (at % 8u)) : (uint8_t)(*byte & ~(1u << (at % 8u)));
}

static bool register_protected(const struct sim_chip *chip, size_t sector)
{
	unsigned bit;
	const struct stm32_option_field *f = register_wrp_bit(chip, sector, &bit);
	return f && !((stm32_option_field_get(f, chip->register_options,
					      chip->register_options_size) >> bit) & 1u);
}

size_t sim_chip_wrp_code_count(const struct sim_chip *chip)
{
	if (halfword_option_family(chip) || wrprot_option_family(chip)) {
		size_t groups = (chip->sector_count + pages_per_wrp_group(chip) - 1) /
				pages_per_wrp_group(chip);
		size_t bits = wrprot_option_family(chip) ? wrprot_mapped_bits(chip) : 32u;
		return groups > bits ? bits : groups;
	}
	return chip->sector_count;
}

static void set_wrp_bit(struct sim_chip *chip, unsigned offset, unsigned bit, bool protect)
{
	uint8_t value = chip->options[offset];
	if (protect)
		value &= (uint8_t)~(1u << bit);
	else
		value |= (uint8_t)(1u << bit);
	put_option(chip, offset, value);
}

bool sim_chip_wrp_set(struct sim_chip *chip, uint8_t code)
{
	if (code >= sim_chip_wrp_code_count(chip))
		return false;
	if (wrp_area_family(chip))
		return protect_with_areas(chip, &code, 1);
	if (halfword_option_family(chip))
		set_wrp_bit(chip, 8u + 2u * (code / 8u), code % 8u, true);
	else if (wrprot_option_family(chip))
		set_wrp_bit(chip, wrprot_offset(code), code % 8u, false); /* 1 protects */
	else if (f2f4_option_family(chip) && code < F2F4_WRP_BITS)
		set_wrp_bit(chip, 8u + code / 8u, code % 8u, true);
	else if (chip->register_options) {
		unsigned bit;
		const struct stm32_option_field *f = register_wrp_bit(chip, code, &bit);
		if (f)
			put_register_bit(chip, f, bit, false); /* 0 protects */
	} else
		chip->wrp_unmapped[code] = 1;
	return true;
}

bool sim_chip_wrp_protect(struct sim_chip *chip, const uint8_t *codes, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (codes[i] >= sim_chip_wrp_code_count(chip))
			return false;
	if (wrp_area_family(chip))
		return protect_with_areas(chip, codes, count);
	for (size_t i = 0; i < count; i++)
		sim_chip_wrp_set(chip, codes[i]);
	return true;
}

void sim_chip_wrp_clear_all(struct sim_chip *chip)
{
	if (wrp_area_family(chip)) {
		clear_areas(chip);
	} else if (halfword_option_family(chip)) {
		for (unsigned i = 0; i < 4; i++)
			put_option(chip, 8u + 2u * i, 0xFF);
	} else if (wrprot_option_family(chip)) {
		for (unsigned bit = 0; bit < wrprot_mapped_bits(chip); bit += 8u)
			put_option(chip, wrprot_offset(bit), 0x00);
	} else if (f2f4_option_family(chip)) {
		for (unsigned bit = 0; bit < F2F4_WRP_BITS; bit++)
			set_wrp_bit(chip, 8u + bit / 8u, bit % 8u, false);
	}
	for (size_t s = 0; chip->register_options && s < chip->sector_count; s++) {
		unsigned bit;
		const struct stm32_option_field *f = register_wrp_bit(chip, s, &bit);
		if (f)
			put_register_bit(chip, f, bit, true);
	}
	memset(chip->wrp_unmapped, 0, chip->sector_count);
}

bool sim_chip_sector_protected(const struct sim_chip *chip, size_t sector)
{
	if (sector >= chip->sector_count)
		return false;
	if (halfword_option_family(chip)) {
		unsigned bit = halfword_wrp_bit(chip, sector);
		return !(chip->options[8u + 2u * (bit / 8u)] & (1u << (bit % 8u)));
	}
	if (f2f4_option_family(chip) && sector < F2F4_WRP_BITS)
		return !(chip->options[8u + sector / 8u] & (1u << (sector % 8u)));
	if (wrprot_option_family(chip)) {
		size_t group = sector / pages_per_wrp_group(chip);
		unsigned bit = (unsigned)group;
		if (group >= wrprot_mapped_bits(chip))
			return false;
		return (chip->options[wrprot_offset(bit)] & (1u << (bit % 8u))) != 0;
	}
	if (wrp_area_family(chip))
		return area_protects(chip, sector);
	if (chip->register_options)
		return register_protected(chip, sector);
	return chip->wrp_unmapped[sector] != 0;
}

/* F0/F1/F3 erase the whole option block before programming it; on the
 * other families the bootloader loads the option registers from the bytes
 * given, so bytes the host does not send keep their value. The 64-bit
 * controllers then program each register with the complement they compute
 * themselves (RM0444 "Modifying user options": complementary values are
 * computed and written on OPTSTRT; likewise RM0351, RM0440, RM0434, RM0453):
 * whatever the host wrote in a complement word is not kept. */
void sim_chip_write_options(struct sim_chip *chip, uint32_t offset,
			    const uint8_t *data, size_t length)
{
	if (!chip->options || offset >= chip->dev->opt_size)
		return;
	if (family_is(chip, "F0", "F1", "F3"))
		memset(chip->options, 0xFF, chip->dev->opt_size);
	size_t room = chip->dev->opt_size - offset;
	memcpy(chip->options + offset, data, length < room ? length : room);
	if (sim_chip_dword_controller(chip))
		for (size_t dword = 0; dword + 8u <= chip->dev->opt_size; dword += 8u)
			sim_put_le32(chip->options + dword + 4u,
				     ~sim_get_le32(chip->options + dword));
}
