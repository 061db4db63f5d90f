/* What a reset boots: the BOOT0 pin or the option bits that stand in for
 * it, nBOOT1 (system memory or SRAM), and the F7 boot addresses. The empty
 * check and readout protection are the ROM's reset model (rom/boot.c);
 * this file only reads the option bytes through data/option_bytes.tsv. */
#include "stm32boot/option_bytes.h"
#include "chip/chip_private.h"

/* The field a kind names on this chip, or NULL. */
static const struct stm32_option_field *field_of_kind(const struct sim_chip *chip,
						      enum stm32_option_kind kind)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (field->kind == kind && stm32_option_field_applies(field, chip->dev) &&
		    stm32_option_field_reachable(field, chip->dev))
			return field;
	}
	return NULL;
}

static bool field_value(const struct sim_chip *chip, const char *name, uint32_t *value)
{
	const struct stm32_option_field *field = stm32_option_field_find(chip->dev, name);
	if (!chip->options || !field || !stm32_option_field_reachable(field, chip->dev))
		return false;
	*value = stm32_option_field_get(field, chip->options, chip->dev->opt_size);
	return true;
}

/* G0 (RM0444 "Boot configuration"), G4, L4 (not L47x/L48x), F04x/F09x:
 * with the selection bit at its software value (nBOOT_SEL = 1, nSWBOOT0 =
 * 0, BOOT_SEL = 0) the nBOOT0 bit stands in for the pin, inverted. */
bool sim_chip_boot0_level(const struct sim_chip *chip, bool pin_high)
{
	const struct stm32_option_field *select = field_of_kind(chip, STM32_OPTION_KIND_BOOT_SELECT);
	const struct stm32_option_field *nboot0 = field_of_kind(chip, STM32_OPTION_KIND_BOOT_FROM_FLASH);
	if (!chip->options || !select || !nboot0)
		return pin_high;
	if (stm32_option_field_get(select, chip->options, chip->dev->opt_size) != select->kind_value)
		return pin_high;
	return stm32_option_field_get(nboot0, chip->options, chip->dev->opt_size) == 0;
}

/* F7 (RM0385 "Boot configuration"): BOOT_ADDx holds bits 29:14 of the boot
 * address. Out of the memories, the RM's defaults: flash on ITCM for
 * BOOT_ADD0, ITCM RAM for BOOT_ADD1 (as remembered: the manual text was
 * not reached; a board whose BOOT_ADD1 read 0xFFFF never reached the
 * bootloader). ITCM RAM is not modelled: a boot there reads no vectors. */
#define F7_ITCM_SYSMEM 0x00100000u
#define F7_ITCM_FLASH 0x00200000u
#define F7_AXIM_SYSMEM 0x1FF00000u
#define F7_SYSMEM_SIZE 0x10000u

static bool within(uint32_t address, uint32_t start, uint32_t size)
{
	return address >= start && address - start < size;
}

static enum sim_boot_memory f7_boot(const struct sim_chip *chip, bool pin_high, uint32_t *vectors)
{
	uint32_t value;
	if (!field_value(chip, pin_high ? "BOOT_ADD1" : "BOOT_ADD0", &value))
		value = pin_high ? F7_ITCM_SYSMEM >> 14 : F7_ITCM_FLASH >> 14;
	uint32_t address = value << 14;
	const struct stm32_device *dev = chip->dev;
	if (within(address, F7_ITCM_SYSMEM, F7_SYSMEM_SIZE) || within(address, F7_AXIM_SYSMEM, F7_SYSMEM_SIZE))
		return SIM_BOOT_SYSTEM;
	if (within(address, F7_ITCM_FLASH, dev->flash_size))
		address = address - F7_ITCM_FLASH + dev->flash_start;
	if (within(address, dev->flash_start, dev->flash_size)) {
		*vectors = address;
		return SIM_BOOT_FLASH;
	}
	if (within(address, SIM_RAM_BASE, chip->ram_size) || within(address, 0, F7_SYSMEM_SIZE)) {
		*vectors = address;
		return SIM_BOOT_SRAM;
	}
	*vectors = pin_high ? 0 : dev->flash_start;
	return pin_high ? SIM_BOOT_SRAM : SIM_BOOT_FLASH;
}

enum sim_boot_memory sim_chip_boot_memory(const struct sim_chip *chip, bool pin_high, uint32_t *vectors)
{
	*vectors = chip->dev->flash_start;
	/* WL BOOT_LOCK (RM0453): CPU1 boots main flash, pins and bits ignored. */
	uint32_t boot_lock;
	if (field_value(chip, "BOOT_LOCK", &boot_lock) && boot_lock == 1)
		return SIM_BOOT_FLASH;
	if (sim_chip_family_is(chip, "F7", NULL, NULL))
		return f7_boot(chip, pin_high, vectors);
	if (!sim_chip_boot0_level(chip, pin_high))
		return SIM_BOOT_FLASH;
	/* BOOT0 high: nBOOT1 = 0 boots the embedded SRAM (RM0444, RM0440,
	 * RM0351, RM0091, RM0377); families without the bit boot system memory. */
	uint32_t nboot1;
	if (field_value(chip, "nBOOT1", &nboot1) && nboot1 == 0) {
		*vectors = SIM_RAM_BASE;
		return SIM_BOOT_SRAM;
	}
	return SIM_BOOT_SYSTEM;
}

const char *sim_boot_memory_name(enum sim_boot_memory memory)
{
	switch (memory) {
	case SIM_BOOT_FLASH:
		return "flash";
	case SIM_BOOT_SRAM:
		return "sram";
	case SIM_BOOT_SYSTEM:
		break;
	}
	return "system";
}

/* WDG_SW / IWDG_SW = 0: the IWDG is the hardware watchdog, running from
 * every reset (RM0008 "Hardware watchdog", likewise the other RMs). */
bool sim_chip_hardware_watchdog(const struct sim_chip *chip)
{
	static const char *const names[] = {"WDG_SW", "IWDG_SW"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint32_t value;
		if (field_value(chip, names[i], &value))
			return value == 0;
	}
	return false;
}
