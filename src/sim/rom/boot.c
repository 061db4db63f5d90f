/* Reset and boot: NRST, BOOT0, system resets, option-byte reloads and the
 * empty check that may start the bootloader with BOOT0 low. */
#include <string.h>

#include "base/bytes.h"
#include "rom/rom_private.h"

void rom_clear_activity(struct sim_engine *engine)
{
	rom_to_command(engine);
	engine->synced = false;
	engine->has_held = false;
	engine->busy_until_us = 0;
}

/* RDP level 2 disables boot from system memory and SRAM: main flash runs.
 * A boot of main flash while the empty-check latch is set starts the
 * bootloader instead (RM0360, RM0444 "Empty check"). */
static enum sim_boot_memory boot_memory(struct sim_engine *engine, uint32_t *vectors)
{
	enum sim_boot_memory memory = sim_chip_boot_memory(engine->chip, engine->boot0_high, vectors);
	if (sim_chip_rdp_level(engine->chip) >= 2) {
		*vectors = engine->chip->dev->flash_start;
		return SIM_BOOT_FLASH;
	}
	if (memory == SIM_BOOT_FLASH && engine->empty_boot)
		return SIM_BOOT_SYSTEM;
	return memory;
}

static void boot(struct sim_engine *engine)
{
	rom_clear_activity(engine);
	/* I2C is selected by the address match: there is no sync byte. */
	engine->synced = engine->interface == SIM_INTERFACE_I2C;
	uint32_t vectors;
	enum sim_boot_memory memory = boot_memory(engine, &vectors);
	engine->stats->last_boot = sim_boot_memory_name(memory);
	if (memory == SIM_BOOT_SYSTEM) {
		engine->run = SIM_RUN_BOOTLOADER;
		engine->stats->boots_bootloader++;
		return;
	}
	engine->run = SIM_RUN_APPLICATION;
	engine->stats->boots_application++;
	if (memory == SIM_BOOT_SRAM)
		engine->stats->boots_sram++;
	rom_core_boot_at(engine, memory == SIM_BOOT_SRAM, vectors);
}

void sim_engine_set_boot0(struct sim_engine *engine, bool high)
{
	engine->boot0_high = high;
}

void sim_engine_hold_reset(struct sim_engine *engine)
{
	if (engine->run == SIM_RUN_RESET)
		return;
	engine->stats->resets++;
	rom_clear_activity(engine);
	rom_core_reset(engine, SIM_RESET_NONE);
	engine->run = SIM_RUN_RESET;
}

void sim_engine_release_reset(struct sim_engine *engine)
{
	if (engine->run == SIM_RUN_RESET)
		boot(engine);
}

void rom_system_reset(struct sim_engine *engine, enum sim_reset_cause cause)
{
	engine->stats->resets++;
	if (cause != SIM_RESET_NONE && cause - 1u < SIM_STATS_RESET_CAUSES)
		engine->stats->core.resets[cause - 1u]++;
	rom_core_reset(engine, cause);
	boot(engine);
}

void sim_engine_system_reset(struct sim_engine *engine)
{
	rom_system_reset(engine, SIM_RESET_NONE);
}

/* Every G0 (RM0444 "Empty check": FLASH_ACR.EMPTY, latched at power-on and
 * option-byte load), WB and WL (ST's knowledge-base list of parts with the
 * check names every G0, WB and WL line), and the rows flagged obl_launch or
 * pempty. */
static bool rom_has_empty_check(const struct sim_chip *chip)
{
	const char *family = chip->dev->family;
	return (chip->dev->flags & (STM32_DEV_OBL_LAUNCH | STM32_DEV_PEMPTY)) ||
	       strcmp(family, "G0") == 0 || strcmp(family, "WB") == 0 || strcmp(family, "WL") == 0;
}

/* RM0360 "Empty check" (F030xC/F070x6, likewise the F09x) and FLASH_SR.PEMPTY
 * (L45x/L46x): the flag is only updated when the option bytes load, i.e. at
 * power-on and option-byte reload, never by a plain system or pin reset. */
void rom_latch_empty_check(struct sim_engine *engine)
{
	const struct sim_chip *chip = engine->chip;
	engine->empty_boot = false;
	if (!rom_has_empty_check(chip) || chip->dev->flash_size < 4)
		return;
	engine->empty_boot = sim_all_ff(chip->flash, 4);
	/* FLASH_SR.PEMPTY / FLASH_ACR.EMPTY, which the program may change,
	 * follow the latch. */
	rom_core_set_pempty(engine, engine->empty_boot);
}

/* The option-byte loader resets the chip (RCC notes OBLRSTF). */
void sim_engine_option_reload(struct sim_engine *engine)
{
	rom_latch_empty_check(engine);
	rom_system_reset(engine, SIM_RESET_OBL_LAUNCH);
}

const char *sim_engine_state_name(const struct sim_engine *engine)
{
	switch (engine->run) {
	case SIM_RUN_BOOTLOADER:
		return "bootloader";
	case SIM_RUN_APPLICATION:
		return "application";
	case SIM_RUN_RESET:
		break;
	}
	return "reset";
}

void sim_engine_power_on(struct sim_engine *engine)
{
	rom_latch_empty_check(engine);
	boot(engine);
	rom_core_sync_stats(engine); /* the USARTs, before any program runs */
}
