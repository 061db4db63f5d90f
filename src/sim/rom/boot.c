/* Reset and boot: NRST, BOOT0, system resets, option-byte reloads and the
 * empty check that may start the bootloader with BOOT0 low. */
#include "base/bytes.h"
#include "rom/rom_private.h"

void rom_clear_activity(struct sim_engine *engine)
{
	rom_to_command(engine);
	engine->synced = false;
	engine->has_held = false;
	engine->busy_until_us = 0;
}

static void boot(struct sim_engine *engine)
{
	rom_clear_activity(engine);
	/* I2C is selected by the address match: there is no sync byte. */
	engine->synced = engine->interface == SIM_INTERFACE_I2C;
	/* RDP level 2 disables boot from system memory: main flash runs. */
	if ((sim_chip_boot0_level(engine->chip, engine->boot0_high) || engine->empty_boot) && sim_chip_rdp_level(engine->chip) < 2) {
		engine->run = SIM_RUN_BOOTLOADER;
		engine->stats->boots_bootloader++;
	} else {
		engine->run = SIM_RUN_APPLICATION;
		engine->stats->boots_application++;
		rom_core_boot_flash(engine);
	}
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

/* RM0360 "Empty check" (F030xC/F070x6, likewise the F09x) and FLASH_SR.PEMPTY
 * (L45x/L46x): the flag is only updated when the option bytes load, i.e. at
 * power-on and option-byte reload, never by a plain system or pin reset. */
void rom_latch_empty_check(struct sim_engine *engine)
{
	const struct sim_chip *chip = engine->chip;
	engine->empty_boot = false;
	if (!(chip->dev->flags & (STM32_DEV_OBL_LAUNCH | STM32_DEV_PEMPTY)) ||
	    chip->dev->flash_size < 4)
		return;
	engine->empty_boot = sim_all_ff(chip->flash, 4);
	/* FLASH_SR.PEMPTY, which the program may toggle, follows the latch. */
	if (chip->dev->flags & STM32_DEV_PEMPTY)
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
}
