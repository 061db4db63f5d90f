/* The adapter to the chip model: the only file of src/sim/cpu that calls
 * src/sim/chip.h functions or reads struct sim_chip fields. */
#include "cpu/memory_port.h"

#include "chip/chip.h"

const struct stm32_device *sim_port_device(const struct sim_chip *chip)
{
	return chip->dev;
}

bool sim_port_pll_stuck(const struct sim_chip *chip)
{
	return chip->pll_stuck;
}

struct sim_memory_view sim_port_memory(struct sim_chip *chip)
{
	return (struct sim_memory_view){chip->flash, chip->dev->flash_start, chip->dev->flash_size,
					chip->ram, SIM_RAM_BASE, chip->ram_size};
}

void sim_port_read(const struct sim_chip *chip, uint32_t address, uint8_t *out, size_t length)
{
	sim_chip_read(chip, address, out, length);
}

bool sim_port_in_flash(const struct sim_chip *chip, uint32_t address, uint32_t length)
{
	return stm32_device_in_flash(chip->dev, address, length);
}

bool sim_port_program(struct sim_chip *chip, uint32_t address, const uint8_t *data, size_t length)
{
	return sim_flash_program(chip, address, data, length) == SIM_PROGRAM_OK;
}

bool sim_port_protected(const struct sim_chip *chip, uint32_t address)
{
	long sector = stm32_device_sector_at(chip->dev, address);
	return sector >= 0 && sim_chip_sector_protected(chip, (size_t)sector);
}

bool sim_port_erase_page_at(struct sim_chip *chip, uint32_t address, uint32_t *start,
			    uint32_t *size)
{
	long sector = stm32_device_sector_at(chip->dev, address);
	if (sector < 0 || !stm32_device_sector(chip->dev, (size_t)sector, start, size))
		return false;
	return sim_flash_erase_sector(chip, (size_t)sector);
}

bool sim_port_erase_page(struct sim_chip *chip, uint32_t index, uint32_t *address, uint32_t *size)
{
	if (!stm32_device_sector(chip->dev, index, address, size))
		return false;
	return sim_flash_erase_sector(chip, index);
}

void sim_port_erase_all(struct sim_chip *chip)
{
	sim_flash_erase_all(chip);
}

void sim_port_erase_bank(struct sim_chip *chip, unsigned bank)
{
	sim_flash_erase_bank(chip, bank);
}

uint32_t sim_port_program_us(const struct sim_chip *chip)
{
	return chip->dev->t_prog_us;
}

uint32_t sim_port_erase_ms(const struct sim_chip *chip, uint32_t size)
{
	return stm32_device_erase_ms(chip->dev, size);
}

uint32_t sim_port_mass_ms(const struct sim_chip *chip)
{
	return chip->dev->t_mass_ms;
}

int sim_port_rdp_level(const struct sim_chip *chip)
{
	return sim_chip_rdp_level(chip);
}

void sim_port_set_rdp_level(struct sim_chip *chip, int level)
{
	sim_chip_set_rdp_level(chip, level);
}

bool sim_port_write_options(struct sim_chip *chip, const uint8_t *image, size_t length)
{
	if (!chip->options || length != chip->dev->opt_size)
		return false;
	sim_chip_write_options(chip, 0, image, length);
	return true;
}

bool sim_port_hardware_watchdog(const struct sim_chip *chip)
{
	return sim_chip_hardware_watchdog(chip);
}

uint8_t *sim_port_register_options(struct sim_chip *chip, size_t *size)
{
	*size = chip->register_options_size;
	return chip->register_options;
}
