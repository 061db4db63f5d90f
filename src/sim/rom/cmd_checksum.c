/* Get Checksum (0xA1) and the CRC unit it uses. */
#include <stdlib.h>

#include "base/bytes.h"
#include "rom/rom_private.h"

/* AN4221 v1.2: the I2C Get Checksum has no parameter frames. */
#define FIXED_CRC_POLYNOMIAL 0x04C11DB7u
#define FIXED_CRC_INITIAL 0xFFFFFFFFu

uint32_t sim_crc32_words(const uint8_t *data, size_t length, uint32_t polynomial,
			 uint32_t initial)
{
	uint32_t crc = initial;
	for (size_t i = 0; i + 3 < length; i += 4) {
		crc ^= sim_get_le32(data + i);
		for (int bit = 0; bit < 32; bit++)
			crc = crc & 0x80000000u ? (crc << 1) ^ polynomial : crc << 1;
	}
	return crc;
}

static bool word_received(struct sim_engine *engine, uint32_t *value)
{
	if (sim_xor(engine->rx, 4) != engine->rx[4]) {
		rom_nack(engine);
		return false;
	}
	*value = sim_get_be32(engine->rx);
	return true;
}

static void reply_checksum(struct sim_engine *engine, uint32_t polynomial, uint32_t initial)
{
	uint8_t *data = malloc(engine->size);
	if (!data) {
		rom_nack(engine);
		return;
	}
	sim_chip_read(engine->chip, engine->address, data, engine->size);
	uint32_t crc = sim_crc32_words(data, engine->size, polynomial, initial);
	free(data);
	uint8_t bytes[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
			    (uint8_t)crc};
	rom_finish_ack(engine);
	for (int i = 0; i < 4; i++)
		rom_emit(engine, bytes[i]);
	rom_emit(engine, sim_xor(bytes, 4));
	rom_to_command(engine);
}

void rom_checksum_stage_received(struct sim_engine *engine)
{
	uint32_t value;
	if (!word_received(engine, &value))
		return;
	switch (engine->stage) {
	case STAGE_CHECKSUM_SIZE:
		if (value == 0 || value % 4 != 0 ||
		    !sim_chip_span_in_area(engine->chip, engine->address, value)) {
			rom_nack(engine);
			return;
		}
		engine->size = value;
		if (!rom_accept(engine))
			return;
		if (engine->interface == SIM_INTERFACE_I2C) {
			/* AN4221 v1.2: fixed CRC parameters, no more frames. */
			reply_checksum(engine, FIXED_CRC_POLYNOMIAL, FIXED_CRC_INITIAL);
			return;
		}
		rom_expect(engine, STAGE_CHECKSUM_POLYNOMIAL, 5);
		return;
	case STAGE_CHECKSUM_POLYNOMIAL:
		engine->polynomial = value;
		if (rom_accept(engine))
			rom_expect(engine, STAGE_CHECKSUM_INITIAL, 5);
		return;
	default:
		break;
	}
	if (rom_accept(engine))
		reply_checksum(engine, engine->polynomial, value);
}
