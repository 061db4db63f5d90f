/* The ROM bootloader as the planner sees it: capabilities from the opcodes
 * the bootloader offers, request sizes from AN3155, and the bytes each
 * command costs on the wire. */
#include <string.h>

#include "rom/rom_internal.h"

/* 8E1: start + 8 data + parity + stop. */
#define ROM_BITS_PER_BYTE 11u
/* Read or Write Memory carrying n bytes: opcode pair + ACK, address + XOR
 * + ACK, count (+ data + XOR) + ACK. */
#define ROM_MEMORY_OVERHEAD 12u
#define ROM_MEMORY_ROUND_TRIPS 3u
/* Erase: opcode pair + ACK, then the list or special code + checksum + ACK;
 * two bytes per page named. */
#define ROM_ERASE_OVERHEAD 7u
#define ROM_ERASE_UNIT_BYTES 2u
#define ROM_ERASE_ROUND_TRIPS 2u
/* Get Checksum: opcode, address, size, polynomial, initial value, result. */
#define ROM_CRC_OVERHEAD (2u + 5u + 5u + 5u + 5u + 6u + 6u)
#define ROM_CRC_ROUND_TRIPS 6u
/* Per reply: a USB-serial adapter's latency. */
#define ROM_ROUND_TRIP_US 1000u
/* Extended Erase numbers pages in 16 bits; 0xFFF0 and up are special codes. */
#define ROM_EXTENDED_LAST_PAGE 0xFFEFu
#define ROM_LEGACY_LAST_PAGE 0xFFu

static unsigned capabilities(const struct stm32_device *device, const struct stm32_bl *bl)
{
	unsigned caps = 0;
	uint8_t stub[STM32_RESET_STUB_MAX];
	if (bl->cmd_read >= 0)
		caps |= STM32_CAP_READ;
	if (bl->cmd_write >= 0)
		caps |= STM32_CAP_WRITE;
	if (bl->cmd_write >= 0 && device->opt_size > 0)
		caps |= STM32_CAP_OPTION_BYTES;
	if (bl->cmd_erase >= 0)
		caps |= STM32_CAP_ERASE;
	if (bl->cmd_erase >= 0 && !(device->flags & STM32_DEV_NO_MASS_ERASE))
		caps |= STM32_CAP_MASS_ERASE;
	if (bl->cmd_erase > STM32_CMD_ERASE && (device->flags & STM32_DEV_BANK_ERASE))
		caps |= STM32_CAP_BANK_ERASE;
	if (bl->cmd_checksum >= 0)
		caps |= STM32_CAP_CRC;
	if (bl->cmd_go >= 0)
		caps |= STM32_CAP_GO;
	if (bl->cmd_go >= 0 && bl->cmd_write >= 0 && stm32_rom_reset_stub(device, stub) > 0)
		caps |= STM32_CAP_RESET;
	if (bl->cmd_readout_protect >= 0)
		caps |= STM32_CAP_READOUT_PROTECT;
	if (bl->cmd_readout_unprotect >= 0)
		caps |= STM32_CAP_READOUT_UNPROTECT;
	if (bl->cmd_write_protect >= 0)
		caps |= STM32_CAP_WRITE_PROTECT;
	if (bl->cmd_write_unprotect >= 0)
		caps |= STM32_CAP_WRITE_UNPROTECT;
	return caps;
}

void rom_describe_bl(const struct stm32_device *device, const struct stm32_bl *bl, unsigned baud,
		     struct stm32_target_desc *out)
{
	bool legacy_erase = bl->cmd_erase == STM32_CMD_ERASE;
	*out = (struct stm32_target_desc){
		.name = "ROM bootloader",
		.device = device,
		.caps = capabilities(device, bl),
		.max_read = STM32_MAX_BLOCK,
		.max_write = STM32_MAX_BLOCK,
		.erase_units_per_request = legacy_erase ? STM32_ERASE_CHUNK_LEGACY
							: STM32_ERASE_CHUNK_EXTENDED,
		.max_erase_unit = legacy_erase ? ROM_LEGACY_LAST_PAGE : ROM_EXTENDED_LAST_PAGE,
		.cost = {
			.bits_per_byte = ROM_BITS_PER_BYTE,
			.bits_per_second = baud,
			.read_overhead = ROM_MEMORY_OVERHEAD,
			.read_round_trips = ROM_MEMORY_ROUND_TRIPS,
			.write_overhead = ROM_MEMORY_OVERHEAD,
			.write_round_trips = ROM_MEMORY_ROUND_TRIPS,
			.erase_overhead = ROM_ERASE_OVERHEAD,
			.erase_unit_bytes = ROM_ERASE_UNIT_BYTES,
			.erase_round_trips = ROM_ERASE_ROUND_TRIPS,
			.crc_overhead = ROM_CRC_OVERHEAD,
			.crc_round_trips = ROM_CRC_ROUND_TRIPS,
			.round_trip_us = ROM_ROUND_TRIP_US,
		},
	};
}

void stm32_rom_describe(const struct stm32_device *device, unsigned baud,
			struct stm32_target_desc *out)
{
	struct stm32_bl bl;
	memset(&bl, 0, sizeof bl);
	bl.command_count = device->command_count < sizeof(bl.commands) ? device->command_count
								   : sizeof(bl.commands);
	memcpy(bl.commands, device->commands, bl.command_count);
	stm32_bl_choose_opcodes(&bl);
	rom_describe_bl(device, &bl, baud, out);
}
