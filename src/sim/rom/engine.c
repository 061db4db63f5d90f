/* The bootloader's command interpreter: AN3155 (UART), with the command
 * grammar differences of AN4221 (I2C) and AN4286 (SPI). This file takes the
 * bytes in, recognises the command and hands each completed stage to the
 * command's file (cmd_*.c); replies go out through reply.c. */
#include <stdlib.h>
#include <string.h>

#include "rom/rom_private.h"

#define I2C_VERSION 0x11u          /* AN4221 v1.1: no-stretch commands */
#define I2C_VERSION_WITH_CRC 0x12u /* v1.2 adds Get Checksum */
#define SPI_VERSION 0x11u

struct no_stretch_twin {
	uint8_t stretch, no_stretch;
};

static const struct no_stretch_twin no_stretch_twins[] = {
	{OP_WRITE, OP_NS_WRITE},
	{OP_EXTENDED_ERASE, OP_NS_ERASE},
	{OP_WRITE_PROTECT, OP_NS_WRITE_PROTECT},
	{OP_WRITE_UNPROTECT, OP_NS_WRITE_UNPROTECT},
	{OP_READOUT_PROTECT, OP_NS_READOUT_PROTECT},
	{OP_READOUT_UNPROTECT, OP_NS_READOUT_UNPROTECT},
};

#define TWIN_COUNT (sizeof(no_stretch_twins) / sizeof(no_stretch_twins[0]))

bool sim_engine_init(struct sim_engine *engine, struct sim_chip *chip,
		     struct sim_stats *stats, bool timed)
{
	memset(engine, 0, sizeof(*engine));
	engine->stats = stats;
	rom_core_sync_stats(engine); /* the stats say whether there is a core */
	engine->chip = chip;
	engine->stats = stats;
	engine->timed = timed;
	engine->boot0_high = true;
	engine->run = SIM_RUN_RESET;
	engine->rx = malloc(RX_CAPACITY);
	sim_engine_set_interface(engine, SIM_INTERFACE_UART);
	return engine->rx != NULL;
}

static void add_command(struct sim_engine *engine, uint8_t opcode)
{
	if (engine->command_count < SIM_MAX_COMMANDS)
		engine->commands[engine->command_count++] = opcode;
}

/* The I2C list is the UART list with the no-stretch twins of the listed
 * commands inserted right after 0x92, i.e. before 50/51/A1 (protocol.md
 * 1.4 note, the OpenBL order). */
static void build_i2c_list(struct sim_engine *engine)
{
	const struct stm32_device *dev = engine->chip->dev;
	for (size_t i = 0; i < dev->command_count; i++) {
		add_command(engine, dev->commands[i]);
		if (dev->commands[i] != OP_READOUT_UNPROTECT)
			continue;
		for (size_t t = 0; t < TWIN_COUNT; t++)
			if (stm32_device_has_command(dev, no_stretch_twins[t].stretch))
				add_command(engine, no_stretch_twins[t].no_stretch);
	}
	bool has_crc = stm32_device_has_command(dev, OP_GET_CHECKSUM);
	engine->version = has_crc ? I2C_VERSION_WITH_CRC : I2C_VERSION;
}

void sim_engine_set_interface(struct sim_engine *engine, enum sim_interface interface)
{
	const struct stm32_device *dev = engine->chip->dev;
	engine->interface = interface;
	engine->command_count = 0;
	if (interface == SIM_INTERFACE_I2C) {
		build_i2c_list(engine);
		return;
	}
	for (size_t i = 0; i < dev->command_count; i++)
		add_command(engine, dev->commands[i]);
	engine->version = interface == SIM_INTERFACE_SPI ? SPI_VERSION : dev->bootloader_version;
}

const char *sim_interface_name(enum sim_interface interface)
{
	switch (interface) {
	case SIM_INTERFACE_I2C:
		return "i2c";
	case SIM_INTERFACE_SPI:
		return "spi";
	case SIM_INTERFACE_UART:
		break;
	}
	return "uart";
}

static bool is_listed(const struct sim_engine *engine, uint8_t opcode)
{
	for (size_t i = 0; i < engine->command_count; i++)
		if (engine->commands[i] == opcode)
			return true;
	return false;
}

/* On I2C and SPI, Erase and Write Protect send their count in a frame of
 * its own, acknowledged before the list. */
static bool split_frames(const struct sim_engine *engine)
{
	return engine->interface != SIM_INTERFACE_UART;
}

void sim_engine_free(struct sim_engine *engine)
{
	rom_core_free(engine);
	free(engine->rx);
	free(engine->out);
	memset(engine, 0, sizeof(*engine));
}

static bool protected_by_rdp(const struct sim_engine *engine)
{
	return sim_chip_rdp_level(engine->chip) != 0;
}

void sim_engine_set_line_garbled(struct sim_engine *engine, bool garbled)
{
	engine->line_garbled = garbled;
}

/* ---- commands without arguments ---- */

static void reply_get(struct sim_engine *engine)
{
	rom_emit(engine, (uint8_t)engine->command_count);
	rom_emit(engine, engine->version);
	for (size_t i = 0; i < engine->command_count; i++)
		rom_emit(engine, engine->commands[i]);
	rom_emit_ack(engine);
}

static void reply_get_version(struct sim_engine *engine)
{
	rom_emit(engine, engine->version);
	/* Only the UART reply carries the two legacy option bytes. */
	if (engine->interface == SIM_INTERFACE_UART) {
		rom_emit(engine, 0x00);
		rom_emit(engine, 0x00);
	}
	rom_emit_ack(engine);
}

static void reply_get_id(struct sim_engine *engine)
{
	rom_emit(engine, 0x01);
	rom_emit(engine, (uint8_t)(engine->chip->dev->pid >> 8));
	rom_emit(engine, (uint8_t)engine->chip->dev->pid);
	rom_emit_ack(engine);
}

static uint8_t stretch_twin(uint8_t opcode)
{
	for (size_t t = 0; t < TWIN_COUNT; t++)
		if (no_stretch_twins[t].no_stretch == opcode)
			return no_stretch_twins[t].stretch;
	return opcode;
}

static void start_command(struct sim_engine *engine)
{
	if (!is_listed(engine, engine->opcode)) {
		rom_nack(engine);
		return;
	}
	uint8_t op = stretch_twin(engine->opcode);
	/* AN4221 calls the I2C Get Checksum a no-stretch command too. */
	engine->no_stretch = op != engine->opcode ||
			     (op == OP_GET_CHECKSUM && engine->interface == SIM_INTERFACE_I2C);
	engine->opcode = op;
	switch (op) {
	case OP_GET:
	case OP_GET_VERSION:
	case OP_GET_ID:
		if (!rom_accept(engine))
			return;
		if (op == OP_GET)
			reply_get(engine);
		else if (op == OP_GET_VERSION)
			reply_get_version(engine);
		else
			reply_get_id(engine);
		rom_to_command(engine);
		return;
	case OP_READOUT_UNPROTECT:
		if (rom_accept(engine))
			rom_readout_unprotect(engine);
		return;
	default:
		break;
	}
	if (protected_by_rdp(engine)) {
		rom_nack(engine);
		return;
	}
	switch (op) {
	case OP_READ:
	case OP_GO:
	case OP_WRITE:
	case OP_GET_CHECKSUM:
		if (rom_accept(engine))
			rom_expect(engine, STAGE_ADDRESS, 5);
		return;
	case OP_ERASE:
	case OP_EXTENDED_ERASE:
		if (!rom_accept(engine))
			return;
		if (op == OP_EXTENDED_ERASE && split_frames(engine))
			rom_expect(engine, STAGE_ERASE_COUNT, 3);
		else
			rom_expect(engine, STAGE_ERASE, op == OP_ERASE ? 1 : 2);
		return;
	case OP_WRITE_PROTECT:
		if (rom_accept(engine))
			rom_expect(engine, split_frames(engine) ? STAGE_PROTECT_COUNT : STAGE_PROTECT_LIST,
			       split_frames(engine) ? 2 : 1);
		return;
	case OP_WRITE_UNPROTECT:
		if (rom_accept(engine))
			rom_write_unprotect(engine);
		return;
	case OP_READOUT_PROTECT:
		if (rom_accept(engine))
			rom_readout_protect(engine);
		return;
	default:
		rom_nack(engine); /* listed but not modelled (Special commands) */
		return;
	}
}

/* ---- byte dispatch ---- */

static void update_need(struct sim_engine *engine)
{
	switch (engine->stage) {
	case STAGE_WRITE_DATA:
	case STAGE_PROTECT_LIST:
		engine->rx_need = (size_t)engine->rx[0] + 3;
		break;
	case STAGE_ERASE:
		engine->rx_need = rom_erase_need(engine);
		break;
	default:
		break;
	}
}

static void stage_complete(struct sim_engine *engine)
{
	switch (engine->stage) {
	case STAGE_ADDRESS:
		rom_address_received(engine);
		break;
	case STAGE_READ_LENGTH:
		rom_read_length_received(engine);
		break;
	case STAGE_WRITE_DATA:
		rom_write_data_received(engine);
		break;
	case STAGE_ERASE:
		rom_erase_received(engine);
		break;
	case STAGE_PROTECT_LIST:
		rom_protect_list_received(engine);
		break;
	case STAGE_ERASE_COUNT:
		rom_erase_count_received(engine);
		break;
	case STAGE_ERASE_LIST:
		rom_erase_list_received(engine);
		break;
	case STAGE_PROTECT_COUNT:
		rom_protect_count_received(engine);
		break;
	case STAGE_PROTECT_CODES:
		rom_protect_codes_received(engine);
		break;
	default:
		rom_checksum_stage_received(engine);
		break;
	}
}

void sim_engine_set_autobaud(struct sim_engine *engine, unsigned max_baud,
			     unsigned (*host_baud)(void *context), void *context)
{
	engine->max_baud = max_baud;
	engine->host_baud = host_baud;
	engine->host_baud_context = context;
}

/* The chip times the 0x7F frame against its own clock; the faster the
 * host, the coarser the divider it sets up (AN3155 section 2), and past
 * some rate the ACK goes out at a rate the host does not read. A real ROM
 * then stays tuned wrong until reset; this one stays unsynced, so a host may
 * try again at a lower rate. Where that rate lies is not documented (AN3155
 * tests up to 115200; many chips sync faster), so only --max-baud sets it. */
static bool autobaud_misses(const struct sim_engine *engine)
{
	if (engine->interface != SIM_INTERFACE_UART || !engine->host_baud)
		return false;
	unsigned limit = engine->max_baud;
	unsigned host = engine->host_baud(engine->host_baud_context);
	return host && limit && host > limit;
}

static void handle(struct sim_engine *engine, uint8_t byte)
{
	if (!engine->synced) {
		/* UART auto-baud 0x7F, SPI start-of-frame 0x5A: anything before
		 * it is noise to the chip. */
		uint8_t sync = engine->interface == SIM_INTERFACE_SPI ? 0x5A : 0x7F;
		if (byte == sync && !autobaud_misses(engine)) {
			engine->synced = true;
			rom_emit_ack(engine);
		}
		return;
	}
	switch (engine->stage) {
	case STAGE_COMMAND:
		engine->opcode = byte;
		engine->stage = STAGE_COMPLEMENT;
		return;
	case STAGE_COMPLEMENT:
		if ((engine->opcode ^ byte) != 0xFF) {
			rom_nack(engine);
			return;
		}
		engine->stats->commands[engine->opcode]++;
		start_command(engine);
		return;
	default:
		break;
	}
	if (engine->rx_have >= RX_CAPACITY) {
		rom_nack(engine);
		return;
	}
	engine->rx[engine->rx_have++] = byte;
	update_need(engine);
	if (engine->rx_have == engine->rx_need)
		stage_complete(engine);
}

void sim_engine_advance(struct sim_engine *engine, uint64_t now_us)
{
	if (engine->has_held && now_us >= engine->busy_until_us) {
		engine->has_held = false;
		engine->now_us = engine->busy_until_us;
		handle(engine, engine->held);
	}
}

bool sim_engine_awaiting_command(const struct sim_engine *engine)
{
	return engine->synced && engine->stage == STAGE_COMMAND;
}

uint64_t sim_engine_held_due(const struct sim_engine *engine)
{
	return engine->has_held ? engine->busy_until_us : 0;
}

void sim_engine_set_log(struct sim_engine *engine, void (*log)(void *context, const char *line),
			void *context)
{
	engine->log = log;
	engine->log_context = context;
}

void sim_engine_receive(struct sim_engine *engine, uint8_t byte, uint64_t at_us)
{
	/* The program owns USART1 now: the host's bytes go to its RX. */
	if (engine->run == SIM_RUN_APPLICATION)
		rom_core_receive(engine, byte);
	if (engine->run != SIM_RUN_BOOTLOADER || engine->line_garbled)
		return;
	sim_engine_advance(engine, at_us);
	if (engine->timed && at_us < engine->busy_until_us) {
		/* The UART data register holds one byte; later ones overrun it. */
		if (engine->has_held) {
			engine->stats->bytes_lost_busy++;
		} else {
			engine->held = byte;
			engine->has_held = true;
		}
		return;
	}
	engine->now_us = at_us;
	handle(engine, byte);
}
