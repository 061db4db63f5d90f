/* The emulated chip: allocation and the memory map. */
#include <stdlib.h>
#include <string.h>

#include "chip/chip_private.h"
#include "stm32boot/option_bytes.h"

/* FNV-1a: a stable per-device seed for the fills that must look like data
 * but stay identical from run to run. */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;
	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 16777619u;
	}
	return h;
}

static void fill_deterministic(uint8_t *out, size_t length, uint32_t seed)
{
	uint32_t x = seed ? seed : 1u;
	for (size_t i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)(x >> 11);
	}
}

bool sim_chip_family_is(const struct sim_chip *chip, const char *a, const char *b, const char *c)
{
	const char *f = chip->dev->family;
	return strcmp(f, a) == 0 || (b && strcmp(f, b) == 0) || (c && strcmp(f, c) == 0);
}

bool sim_chip_dword_controller(const struct sim_chip *chip)
{
	return chip->dev->program_unit == 8 && (sim_chip_family_is(chip, "L4", "G0", "G4") ||
						sim_chip_family_is(chip, "WB", "WL", NULL));
}

bool sim_chip_is_ecc_family(const struct sim_chip *chip)
{
	return chip->dev->program_unit >= 8;
}

bool sim_chip_init(struct sim_chip *chip, const struct stm32_device *dev)
{
	memset(chip, 0, sizeof(*chip));
	chip->dev = dev;
	chip->unit_count = dev->flash_size / dev->program_unit;
	chip->ram_size = dev->ram_end > SIM_RAM_BASE ? dev->ram_end - SIM_RAM_BASE : 0;
	chip->sector_count = stm32_device_sector_count(dev);
	size_t sysmem_size = dev->sysmem_end > dev->sysmem_start ?
			     dev->sysmem_end - dev->sysmem_start : 0;

	chip->flash = malloc(dev->flash_size);
	chip->unit_programmed = calloc(chip->unit_count ? chip->unit_count : 1, 1);
	chip->ram = calloc(chip->ram_size ? chip->ram_size : 1, 1);
	chip->sysmem = malloc(sysmem_size ? sysmem_size : 1);
	size_t sysmem2_size = dev->sysmem2_end > dev->sysmem2_start ?
			      dev->sysmem2_end - dev->sysmem2_start : 0;
	if (sysmem2_size)
		chip->sysmem2 = malloc(sysmem2_size);
	chip->otp_size = dev->otp_end > dev->otp_start ? dev->otp_end - dev->otp_start : 0;
	if (chip->otp_size)
		chip->otp = malloc(chip->otp_size);
	chip->wrp_unmapped = calloc(chip->sector_count ? chip->sector_count : 1, 1);
	if (dev->opt_size)
		chip->options = malloc(dev->opt_size);
	chip->register_options_size = (uint32_t)stm32_option_register_image(dev, NULL, 0);
	if (chip->register_options_size)
		chip->register_options = malloc(chip->register_options_size);
	if (!chip->flash || !chip->unit_programmed || !chip->ram || !chip->sysmem ||
	    !chip->wrp_unmapped || (dev->opt_size && !chip->options) ||
	    (chip->register_options_size && !chip->register_options) ||
	    (sysmem2_size && !chip->sysmem2) || (chip->otp_size && !chip->otp)) {
		sim_chip_free(chip);
		return false;
	}
	memset(chip->flash, stm32_device_erased_byte(dev), dev->flash_size);
	if (chip->options) {
		if (dev->opt_factory)
			memcpy(chip->options, dev->opt_factory, dev->opt_size);
		else
			memset(chip->options, 0xFF, dev->opt_size);
	}
	if (chip->register_options)
		(void)stm32_option_register_image(dev, chip->register_options,
						  chip->register_options_size);
	if (chip->otp)
		memset(chip->otp, 0xFF, chip->otp_size); /* shipped blank */
	uint32_t seed = name_hash(dev->name);
	fill_deterministic(chip->sysmem, sysmem_size, seed);
	if (chip->sysmem2)
		fill_deterministic(chip->sysmem2, sysmem2_size, seed ^ 0xA5A5A5A5u);
	fill_deterministic(chip->uid, sizeof(chip->uid), seed ^ 0x5A5A5A5Au);
	return true;
}

void sim_chip_free(struct sim_chip *chip)
{
	free(chip->flash);
	free(chip->unit_programmed);
	free(chip->ram);
	free(chip->sysmem);
	free(chip->sysmem2);
	free(chip->otp);
	free(chip->options);
	free(chip->wrp_unmapped);
	free(chip->register_options);
	memset(chip, 0, sizeof(*chip));
}

static bool in_range(uint32_t address, uint32_t start, uint64_t size)
{
	return size && address >= start && (uint64_t)address < (uint64_t)start + size;
}

/* Start and size of an area; registers first, as they may sit inside
 * system memory (F0/F1/F3). */
static enum sim_area area_bounds(const struct sim_chip *chip, uint32_t address,
				 uint32_t *start, uint64_t *size)
{
	const struct stm32_device *dev = chip->dev;
	struct {
		enum sim_area area;
		uint32_t start;
		uint64_t size;
	} map[] = {
		{SIM_AREA_FLASH_SIZE_REG, dev->flash_size_reg, dev->flash_size_reg ? 2 : 0},
		{SIM_AREA_UID_REG, dev->uid_reg, dev->uid_reg ? SIM_UID_BYTES : 0},
		{SIM_AREA_FLASH, dev->flash_start, dev->flash_size},
		{SIM_AREA_RAM, SIM_RAM_BASE, chip->ram_size},
		{SIM_AREA_SYSMEM, dev->sysmem_start,
		 dev->sysmem_end > dev->sysmem_start ? dev->sysmem_end - dev->sysmem_start : 0},
		{SIM_AREA_OPTIONS, dev->opt_start, chip->options ? dev->opt_size : 0},
		{SIM_AREA_OTP, dev->otp_start, chip->otp_size},
		{SIM_AREA_SYSMEM2, dev->sysmem2_start,
		 chip->sysmem2 ? dev->sysmem2_end - dev->sysmem2_start : 0},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (in_range(address, map[i].start, map[i].size)) {
			*start = map[i].start;
			*size = map[i].size;
			return map[i].area;
		}
	}
	*start = 0;
	*size = 0;
	return SIM_AREA_NONE;
}

enum sim_area sim_chip_area(const struct sim_chip *chip, uint32_t address)
{
	uint32_t start;
	uint64_t size;
	return area_bounds(chip, address, &start, &size);
}

bool sim_chip_span_in_area(const struct sim_chip *chip, uint32_t address, uint64_t length)
{
	uint32_t start;
	uint64_t size;
	if (area_bounds(chip, address, &start, &size) == SIM_AREA_NONE)
		return false;
	return (uint64_t)address + length <= (uint64_t)start + size;
}

static uint8_t read_byte(const struct sim_chip *chip, uint32_t address)
{
	const struct stm32_device *dev = chip->dev;
	uint32_t start;
	uint64_t size;
	switch (area_bounds(chip, address, &start, &size)) {
	case SIM_AREA_FLASH_SIZE_REG: {
		uint32_t kib = dev->flash_size / 1024u;
		return (uint8_t)(address == start ? kib : kib >> 8);
	}
	case SIM_AREA_UID_REG:
		return chip->uid[address - start];
	case SIM_AREA_FLASH:
		return chip->flash[address - start];
	case SIM_AREA_RAM:
		return chip->ram[address - start];
	case SIM_AREA_SYSMEM:
		return chip->sysmem[address - start];
	case SIM_AREA_OPTIONS:
		return chip->options[address - start];
	case SIM_AREA_OTP:
		return chip->otp[address - start];
	case SIM_AREA_SYSMEM2:
		return chip->sysmem2[address - start];
	case SIM_AREA_NONE:
		break;
	}
	return 0x00;
}

void sim_chip_read(const struct sim_chip *chip, uint32_t address, uint8_t *out, size_t length)
{
	for (size_t i = 0; i < length; i++)
		out[i] = read_byte(chip, address + (uint32_t)i);
}
