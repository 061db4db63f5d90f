/* Erase (0x43) and Extended Erase (0x44, split into two frames on I2C/SPI). */
#include "base/bytes.h"
#include "rom/rom_private.h"

uint64_t rom_mass_erase_us(const struct sim_engine *engine)
{
	const struct stm32_device *dev = engine->chip->dev;
	uint32_t address, size;
	if (dev->t_mass_ms)
		return (uint64_t)dev->t_mass_ms * 1000u;
	if (stm32_device_sector(dev, 0, &address, &size))
		return (uint64_t)stm32_device_erase_ms(dev, size) * 1000u;
	return 0;
}

size_t rom_erase_need(const struct sim_engine *engine)
{
	const uint8_t *rx = engine->rx;
	if (engine->opcode == OP_ERASE)
		return rx[0] == 0xFF ? 2 : (size_t)rx[0] + 3;
	if (engine->rx_have < 2)
		return 2;
	unsigned n = (unsigned)rx[0] << 8 | rx[1];
	return n >= 0xFFF0 ? 3 : 2u * (n + 1u) + 3u;
}

static void erase_pages(struct sim_engine *engine, const uint8_t *list, size_t count, bool wide)
{
	struct sim_chip *chip = engine->chip;
	for (size_t i = 0; i < count; i++) {
		size_t page = wide ? (size_t)list[2 * i] << 8 | list[2 * i + 1] : list[i];
		if (page >= chip->sector_count) {
			rom_finish_nack(engine);
			return;
		}
	}
	uint64_t duration = 0;
	for (size_t i = 0; i < count; i++) {
		size_t page = wide ? (size_t)list[2 * i] << 8 | list[2 * i + 1] : list[i];
		uint32_t address, size;
		stm32_device_sector(chip->dev, page, &address, &size);
		sim_flash_erase_sector(chip, page);
		rom_core_memory_changed(engine, address, size);
		duration += (uint64_t)stm32_device_erase_ms(chip->dev, size) * 1000u;
		engine->stats->page_erases++;
		engine->stats->erased_pages[page]++;
	}
	rom_spend(engine, duration);
	rom_finish_ack(engine);
	rom_to_command(engine);
}

static void mass_erase(struct sim_engine *engine)
{
	if (engine->chip->dev->flags & STM32_DEV_NO_MASS_ERASE) {
		rom_finish_nack(engine);
		return;
	}
	sim_flash_erase_all(engine->chip);
	rom_core_memory_changed(engine, engine->chip->dev->flash_start, engine->chip->dev->flash_size);
	engine->stats->mass_erases++;
	rom_spend(engine, rom_mass_erase_us(engine));
	rom_finish_ack(engine);
	rom_to_command(engine);
}

static void bank_erase(struct sim_engine *engine, unsigned bank)
{
	const struct stm32_device *dev = engine->chip->dev;
	if (dev->bank_count < 2 || !(dev->flags & STM32_DEV_BANK_ERASE)) {
		rom_finish_nack(engine);
		return;
	}
	sim_flash_erase_bank(engine->chip, bank);
	rom_core_memory_changed(engine, engine->chip->dev->flash_start, engine->chip->dev->flash_size);
	engine->stats->bank_erases++;
	rom_spend(engine, rom_mass_erase_us(engine));
	rom_finish_ack(engine);
	rom_to_command(engine);
}

static void special_erase(struct sim_engine *engine, unsigned code)
{
	if (code == 0xFFFF)
		mass_erase(engine);
	else if (code == 0xFFFE || code == 0xFFFD)
		bank_erase(engine, code == 0xFFFE ? 1 : 2);
	else
		rom_finish_nack(engine);
}

/* Split frames, first frame: the count (or a special code) and its XOR. */
void rom_erase_count_received(struct sim_engine *engine)
{
	const uint8_t *rx = engine->rx;
	unsigned n = (unsigned)rx[0] << 8 | rx[1];
	if ((uint8_t)(rx[0] ^ rx[1]) != rx[2]) {
		rom_nack(engine);
		return;
	}
	if (n >= 0xFFF0) {
		special_erase(engine, n);
		return;
	}
	engine->list_count = (size_t)n + 1;
	if (rom_accept(engine))
		rom_expect(engine, STAGE_ERASE_LIST, 2 * engine->list_count + 1);
}

/* Second frame: its XOR covers the page numbers only, not the count. */
void rom_erase_list_received(struct sim_engine *engine)
{
	size_t bytes = 2 * engine->list_count;
	if (sim_xor(engine->rx, bytes) != engine->rx[bytes])
		rom_nack(engine);
	else
		erase_pages(engine, engine->rx, engine->list_count, true);
}

void rom_erase_received(struct sim_engine *engine)
{
	const uint8_t *rx = engine->rx;
	if (engine->opcode == OP_ERASE) {
		if (rx[0] == 0xFF) {
			if (rx[1] != 0x00)
				rom_nack(engine);
			else
				mass_erase(engine);
			return;
		}
		size_t count = (size_t)rx[0] + 1;
		if (sim_xor(rx, count + 1) != rx[count + 1])
			rom_nack(engine);
		else
			erase_pages(engine, rx + 1, count, false);
		return;
	}
	unsigned n = (unsigned)rx[0] << 8 | rx[1];
	if (n >= 0xFFF0) {
		if ((uint8_t)(rx[0] ^ rx[1]) != rx[2])
			rom_nack(engine);
		else
			special_erase(engine, n);
		return;
	}
	size_t count = (size_t)n + 1;
	if (sim_xor(rx, 2 + 2 * count) != rx[2 + 2 * count])
		rom_nack(engine);
	else
		erase_pages(engine, rx + 2, count, true);
}
