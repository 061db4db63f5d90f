/* Flash physics: programming only clears bits, and each family refuses a
 * second program of a unit in its own way:
 *  - half-word families (F0/F1/F3): PGERR unless the half-word reads 0xFFFF,
 *    except that writing 0x0000 is always allowed;
 *  - word families (F2/F4/F7): bits may be cleared at will; L0/L1 erase to
 *    zeros instead (stm32_device_erased_byte) and programming sets bits;
 *  - ECC families (8, 16 or 32-byte units): a unit programs once per erase,
 *    and the bootloader pads the part of a unit the write does not cover
 *    with 0xFF. The 64-bit controllers (L4, G0, G4, WB, WL) also accept
 *    all zeros over a programmed double word (their PROGERR rule: RM0444,
 *    RM0351, RM0440, RM0434, RM0453).
 * OTP has the unit of the family and is never erased: an ECC unit holding
 * any 0 bit refuses every later program, zeros included (RM0444 "OTP area");
 * on word families bits only clear. */
#include <string.h>

#include "base/bytes.h"
#include "chip/chip_private.h"

static bool address_protected(const struct sim_chip *chip, uint32_t address)
{
	long sector = stm32_device_sector_at(chip->dev, address);
	return sector >= 0 && sim_chip_sector_protected(chip, (size_t)sector);
}

static enum sim_program_result program_halfwords(struct sim_chip *chip, uint32_t offset,
						 const uint8_t *data, size_t length)
{
	for (size_t i = 0; i + 1 < length; i += 2) {
		uint32_t at = offset + (uint32_t)i;
		if (address_protected(chip, chip->dev->flash_start + at))
			continue;
		uint16_t old = (uint16_t)(chip->flash[at] | chip->flash[at + 1] << 8);
		uint16_t new = (uint16_t)(data[i] | data[i + 1] << 8);
		if (old != 0xFFFF && new != 0x0000)
			return SIM_PROGRAM_FAILED;
		chip->flash[at] = (uint8_t)new;
		chip->flash[at + 1] = (uint8_t)(new >> 8);
	}
	return SIM_PROGRAM_OK;
}

static enum sim_program_result program_words(struct sim_chip *chip, uint32_t offset,
					     const uint8_t *data, size_t length)
{
	bool sets_bits = stm32_device_erased_byte(chip->dev) == 0x00;
	for (size_t i = 0; i < length; i++) {
		uint32_t at = offset + (uint32_t)i;
		if (address_protected(chip, chip->dev->flash_start + at))
			continue;
		if (sets_bits)
			chip->flash[at] |= data[i];
		else
			chip->flash[at] &= data[i];
	}
	return SIM_PROGRAM_OK;
}

static bool all_zero(const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (data[i])
			return false;
	return true;
}

static enum sim_program_result program_ecc_units(struct sim_chip *chip, uint32_t offset,
						 const uint8_t *data, size_t length)
{
	uint32_t unit = chip->dev->program_unit;
	uint32_t first = offset - offset % unit;
	uint64_t end = (uint64_t)offset + length;
	uint8_t buffer[64];

	for (uint64_t u = first; u < end; u += unit) {
		memset(buffer, 0xFF, unit);
		for (uint32_t k = 0; k < unit; k++) {
			uint64_t at = u + k;
			if (at >= offset && at < end)
				buffer[k] = data[at - offset];
		}
		if (address_protected(chip, chip->dev->flash_start + (uint32_t)u))
			continue;
		size_t index = (size_t)(u / unit);
		bool zeros = sim_chip_dword_controller(chip) && all_zero(buffer, unit);
		if (chip->unit_programmed[index] && !zeros)
			return SIM_PROGRAM_FAILED;
		for (uint32_t k = 0; k < unit; k++)
			chip->flash[u + k] &= buffer[k];
		chip->unit_programmed[index] = 1;
	}
	return SIM_PROGRAM_OK;
}

enum sim_program_result sim_flash_program(struct sim_chip *chip, uint32_t address,
					  const uint8_t *data, size_t length)
{
	uint32_t offset = address - chip->dev->flash_start;
	switch (chip->dev->program_unit) {
	case 2:
		return program_halfwords(chip, offset, data, length);
	case 4:
		return program_words(chip, offset, data, length);
	default:
		return program_ecc_units(chip, offset, data, length);
	}
}

bool sim_flash_erase_sector(struct sim_chip *chip, size_t sector)
{
	uint32_t address, size;
	if (!stm32_device_sector(chip->dev, sector, &address, &size))
		return false;
	if (sim_chip_sector_protected(chip, sector))
		return false;
	uint32_t offset = address - chip->dev->flash_start;
	memset(chip->flash + offset, stm32_device_erased_byte(chip->dev), size);
	memset(chip->unit_programmed + offset / chip->dev->program_unit, 0,
	       size / chip->dev->program_unit);
	return true;
}

void sim_flash_erase_all(struct sim_chip *chip)
{
	for (size_t s = 0; s < chip->sector_count; s++)
		sim_flash_erase_sector(chip, s);
}

void sim_flash_erase_bank(struct sim_chip *chip, unsigned bank)
{
	size_t split = chip->dev->bank_count > 1 ? chip->dev->bank2_first_sector : chip->sector_count;
	size_t from = bank == 2 ? split : 0;
	size_t to = bank == 2 ? chip->sector_count : split;
	for (size_t s = from; s < to; s++)
		sim_flash_erase_sector(chip, s);
}

void sim_flash_derive_programmed(struct sim_chip *chip)
{
	uint32_t unit = chip->dev->program_unit;
	for (size_t i = 0; i < chip->unit_count; i++) {
		chip->unit_programmed[i] = !sim_all_ff(chip->flash + i * unit, unit);
	}
}

enum sim_program_result sim_otp_program(struct sim_chip *chip, uint32_t address,
					const uint8_t *data, size_t length)
{
	uint32_t offset = address - chip->dev->otp_start;
	uint32_t unit = chip->dev->program_unit;
	if (unit < 8) {
		for (size_t i = 0; i < length; i++)
			chip->otp[offset + i] &= data[i];
		return SIM_PROGRAM_OK;
	}
	uint32_t first = offset - offset % unit;
	uint64_t end = (uint64_t)offset + length;
	uint8_t buffer[64];
	for (uint64_t u = first; u < end && u + unit <= chip->otp_size; u += unit) {
		memset(buffer, 0xFF, unit);
		for (uint32_t k = 0; k < unit; k++) {
			uint64_t at = u + k;
			if (at >= offset && at < end)
				buffer[k] = data[at - offset];
		}
		if (!sim_all_ff(chip->otp + u, unit))
			return SIM_PROGRAM_FAILED;
		memcpy(chip->otp + u, buffer, unit);
	}
	return SIM_PROGRAM_OK;
}
