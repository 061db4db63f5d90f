/* The core's one door into the chip model (src/sim/chip.h): every call to
 * a sim_chip_* or sim_flash_* function from src/sim/cpu goes through
 * memory_port.c, so a rename in the chip model touches that file only. */
#ifndef STM32SIM_CPU_MEMORY_PORT_H
#define STM32SIM_CPU_MEMORY_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_chip;
struct stm32_device;

struct sim_memory_view {
	uint8_t *flash;
	uint32_t flash_start, flash_size;
	uint8_t *ram;
	uint32_t ram_start, ram_size;
};

const struct stm32_device *sim_port_device(const struct sim_chip *chip);
/* --faults pll-stuck=1: the RCC's PLLs never lock (rcc.c). */
bool sim_port_pll_stuck(const struct sim_chip *chip);
struct sim_memory_view sim_port_memory(struct sim_chip *chip);
/* Through the chip's memory map (system memory, option bytes, flash-size
 * and UID registers); unmapped bytes read 0. */
void sim_port_read(const struct sim_chip *chip, uint32_t address, uint8_t *out, size_t length);
bool sim_port_in_flash(const struct sim_chip *chip, uint32_t address, uint32_t length);
/* The chip's program physics; false = the chip refused (PGERR/ECC unit). */
bool sim_port_program(struct sim_chip *chip, uint32_t address, const uint8_t *data, size_t length);
bool sim_port_protected(const struct sim_chip *chip, uint32_t address);
/* Erase the page/sector holding address; false if protected or outside. */
bool sim_port_erase_page_at(struct sim_chip *chip, uint32_t address, uint32_t *start,
			    uint32_t *size);
bool sim_port_erase_page(struct sim_chip *chip, uint32_t index, uint32_t *address, uint32_t *size);
void sim_port_erase_all(struct sim_chip *chip);
void sim_port_erase_bank(struct sim_chip *chip, unsigned bank);
/* Typical busy times from the device row. */
uint32_t sim_port_program_us(const struct sim_chip *chip);
uint32_t sim_port_erase_ms(const struct sim_chip *chip, uint32_t size);
uint32_t sim_port_mass_ms(const struct sim_chip *chip);
int sim_port_rdp_level(const struct sim_chip *chip);
/* Devices whose RDP is a register (H7): the level the option change sets. */
void sim_port_set_rdp_level(struct sim_chip *chip, int level);
/* Devices whose option bytes are controller registers (H7): the chip's
 * register image (data/option_bytes.tsv's H7 offsets), *size bytes, or
 * NULL. The controller reads and programs it in place. */
uint8_t *sim_port_register_options(struct sim_chip *chip, size_t *size);
/* WDG_SW/IWDG_SW = 0: the IWDG runs from reset. */
bool sim_port_hardware_watchdog(const struct sim_chip *chip);
/* The flash controller programs the whole option area (opt_size bytes of
 * the device row) with image; false when the device maps none. */
bool sim_port_write_options(struct sim_chip *chip, const uint8_t *image, size_t length);

#endif
