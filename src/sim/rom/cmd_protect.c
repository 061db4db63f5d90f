/* Write Protect, Write Unprotect, Readout Protect and Readout Unprotect:
 * each changes the option bytes, so each ends in an option-byte reload. */
#include <string.h>

#include "base/bytes.h"
#include "rom/rom_private.h"

void rom_readout_unprotect(struct sim_engine *engine)
{
	struct sim_chip *chip = engine->chip;
	/* The RDP regression erases all of flash whatever its write protection. */
	memset(chip->flash, stm32_device_erased_byte(chip->dev), chip->dev->flash_size);
	memset(chip->unit_programmed, 0, chip->unit_count);
	rom_core_memory_changed(engine, chip->dev->flash_start, chip->dev->flash_size);
	sim_chip_set_rdp_level(chip, 0);
	engine->stats->mass_erases++;
	rom_spend(engine, rom_mass_erase_us(engine));
	rom_finish_ack(engine);
	sim_engine_option_reload(engine);
}

static void protect(struct sim_engine *engine, const uint8_t *codes, size_t count)
{
	/* All codes or none: a bad code, or a page set the chip's WRP areas
	 * cannot hold, changes nothing. */
	if (!sim_chip_wrp_protect(engine->chip, codes, count)) {
		rom_finish_nack(engine);
		return;
	}
	rom_finish_ack(engine);
	sim_engine_option_reload(engine);
}

void rom_protect_list_received(struct sim_engine *engine)
{
	size_t count = (size_t)engine->rx[0] + 1;
	if (sim_xor(engine->rx, count + 1) != engine->rx[count + 1]) {
		rom_nack(engine);
		return;
	}
	protect(engine, engine->rx + 1, count);
}

/* Split frames: N and ~N first, then the codes with their own XOR. */
void rom_protect_count_received(struct sim_engine *engine)
{
	if ((engine->rx[0] ^ engine->rx[1]) != 0xFF) {
		rom_nack(engine);
		return;
	}
	engine->list_count = (size_t)engine->rx[0] + 1;
	if (rom_accept(engine))
		rom_expect(engine, STAGE_PROTECT_CODES, engine->list_count + 1);
}

void rom_protect_codes_received(struct sim_engine *engine)
{
	size_t count = engine->list_count;
	if (sim_xor(engine->rx, count) != engine->rx[count]) {
		rom_nack(engine);
		return;
	}
	protect(engine, engine->rx, count);
}

void rom_write_unprotect(struct sim_engine *engine)
{
	sim_chip_wrp_clear_all(engine->chip);
	rom_finish_ack(engine);
	sim_engine_option_reload(engine);
}

void rom_readout_protect(struct sim_engine *engine)
{
	sim_chip_set_rdp_level(engine->chip, 1);
	rom_finish_ack(engine);
	sim_engine_option_reload(engine);
}
