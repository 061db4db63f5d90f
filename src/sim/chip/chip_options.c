/* Option bytes: read-out protection (RDP) and write protection (WRP).
 *
 * Where the option area is memory mapped the state lives in the option
 * bytes themselves, so it survives in the image file and a host can read it
 * back. Decoded layouts: F0/F1/F3 (WRP0..3 at offsets 8..14, one bit per
 * 4 KiB group, 0 = protected) and F2/F4 (nWRP bits 0..11 at offsets 8..9,
 * one bit per sector). Other families keep WRP in an internal flag per
 * sector, and devices without a mapped option area keep RDP internally. */
#include <string.h>

#include "chip/chip.h"

static bool family_is(const struct sim_chip *chip, const char *a, const char *b, const char *c)
{
	const char *f = chip->dev->family;
	return strcmp(f, a) == 0 || (b && strcmp(f, b) == 0) || (c && strcmp(f, c) == 0);
}

static bool halfword_option_family(const struct sim_chip *chip)
{
	return family_is(chip, "F0", "F1", "F3") && chip->options && chip->dev->opt_size >= 16;
}

static bool f2f4_option_family(const struct sim_chip *chip)
{
	return family_is(chip, "F2", "F4", NULL) && chip->options && chip->dev->opt_size >= 16;
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

size_t sim_chip_wrp_code_count(const struct sim_chip *chip)
{
	if (halfword_option_family(chip)) {
		size_t groups = (chip->sector_count + pages_per_wrp_group(chip) - 1) /
				pages_per_wrp_group(chip);
		return groups > 32 ? 32 : groups;
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
	if (halfword_option_family(chip))
		set_wrp_bit(chip, 8u + 2u * (code / 8u), code % 8u, true);
	else if (f2f4_option_family(chip) && code < F2F4_WRP_BITS)
		set_wrp_bit(chip, 8u + code / 8u, code % 8u, true);
	else
		chip->wrp_unmapped[code] = 1;
	return true;
}

void sim_chip_wrp_clear_all(struct sim_chip *chip)
{
	if (halfword_option_family(chip)) {
		for (unsigned i = 0; i < 4; i++)
			put_option(chip, 8u + 2u * i, 0xFF);
	} else if (f2f4_option_family(chip)) {
		for (unsigned bit = 0; bit < F2F4_WRP_BITS; bit++)
			set_wrp_bit(chip, 8u + bit / 8u, bit % 8u, false);
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
	return chip->wrp_unmapped[sector] != 0;
}

/* F0/F1/F3 erase the whole option block before programming it; on the
 * other families the bootloader loads the option registers from the bytes
 * given, so bytes the host does not send keep their value. */
void sim_chip_write_options(struct sim_chip *chip, uint32_t offset,
			    const uint8_t *data, size_t length)
{
	if (!chip->options || offset >= chip->dev->opt_size)
		return;
	if (family_is(chip, "F0", "F1", "F3"))
		memset(chip->options, 0xFF, chip->dev->opt_size);
	size_t room = chip->dev->opt_size - offset;
	memcpy(chip->options + offset, data, length < room ? length : room);
}
