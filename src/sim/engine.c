/* The bootloader's command interpreter: AN3155 (UART), with the command
 * grammar differences of AN4221 (I2C) and AN4286 (SPI). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

enum stage {
	STAGE_COMMAND,
	STAGE_COMPLEMENT,
	STAGE_ADDRESS,        /* 4 address bytes + XOR */
	STAGE_READ_LENGTH,    /* N, ~N */
	STAGE_WRITE_DATA,     /* N, N+1 bytes, XOR */
	STAGE_ERASE,          /* 0x43 or 0x44 argument */
	STAGE_ERASE_COUNT,    /* split frames: N_hi, N_lo, XOR */
	STAGE_ERASE_LIST,     /* split frames: pages, XOR of the pages */
	STAGE_PROTECT_LIST,   /* N, N+1 codes, XOR */
	STAGE_PROTECT_COUNT,  /* split frames: N, ~N */
	STAGE_PROTECT_CODES,  /* split frames: codes, XOR of the codes */
	STAGE_CHECKSUM_SIZE,
	STAGE_CHECKSUM_POLYNOMIAL,
	STAGE_CHECKSUM_INITIAL,
};

/* Largest argument: an Extended Erase list of 0xFFF0 pages. */
#define RX_CAPACITY (2u + 2u * 0xFFF0u + 1u)

enum opcode {
	OP_GET = 0x00, OP_GET_VERSION = 0x01, OP_GET_ID = 0x02, OP_READ = 0x11,
	OP_GO = 0x21, OP_WRITE = 0x31, OP_ERASE = 0x43, OP_EXTENDED_ERASE = 0x44,
	OP_WRITE_PROTECT = 0x63, OP_WRITE_UNPROTECT = 0x73, OP_READOUT_PROTECT = 0x82,
	OP_READOUT_UNPROTECT = 0x92, OP_GET_CHECKSUM = 0xA1,
	/* AN4221 no-stretch twins: same bytes, BUSY while the operation runs */
	OP_NS_WRITE = 0x32, OP_NS_ERASE = 0x45, OP_NS_WRITE_PROTECT = 0x64,
	OP_NS_WRITE_UNPROTECT = 0x74, OP_NS_READOUT_PROTECT = 0x83,
	OP_NS_READOUT_UNPROTECT = 0x93,
};

#define I2C_VERSION 0x11u          /* AN4221 v1.1: no-stretch commands */
#define I2C_VERSION_WITH_CRC 0x12u /* v1.2 adds Get Checksum */
#define SPI_VERSION 0x11u
#define FIXED_CRC_POLYNOMIAL 0x04C11DB7u
#define FIXED_CRC_INITIAL 0xFFFFFFFFu

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
	free(engine->rx);
	free(engine->out);
	memset(engine, 0, sizeof(*engine));
}

/* ---- output queue ---- */

static void emit_as(struct sim_engine *engine, uint8_t byte, enum sim_output_kind kind,
		    bool polled)
{
	if (engine->out_head + engine->out_count == engine->out_capacity) {
		if (engine->out_head) {
			memmove(engine->out, engine->out + engine->out_head,
				engine->out_count * sizeof(*engine->out));
			engine->out_head = 0;
		} else {
			size_t capacity = engine->out_capacity ? engine->out_capacity * 2 : 512;
			struct sim_output *grown = realloc(engine->out, capacity * sizeof(*grown));
			if (!grown)
				return; /* a lost reply byte; the host will time out */
			engine->out = grown;
			engine->out_capacity = capacity;
		}
	}
	uint64_t ready = engine->busy_until_us > engine->now_us ? engine->busy_until_us
								 : engine->now_us;
	engine->out[engine->out_head + engine->out_count++] =
		(struct sim_output){byte, ready, kind, polled};
}

static void emit(struct sim_engine *engine, uint8_t byte)
{
	emit_as(engine, byte, SIM_OUT_DATA, false);
}

static void emit_ack(struct sim_engine *engine)
{
	emit_as(engine, SIM_ACK, SIM_OUT_ACK, false);
}

bool sim_engine_peek_output(const struct sim_engine *engine, struct sim_output *out)
{
	if (!engine->out_count)
		return false;
	*out = engine->out[engine->out_head];
	return true;
}

void sim_engine_drop_output(struct sim_engine *engine)
{
	if (!engine->out_count)
		return;
	engine->out_head++;
	if (--engine->out_count == 0)
		engine->out_head = 0;
}

/* ---- small helpers ---- */

static void expect(struct sim_engine *engine, enum stage stage, size_t length)
{
	engine->stage = stage;
	engine->rx_have = 0;
	engine->rx_need = length;
}

static void to_command(struct sim_engine *engine)
{
	expect(engine, STAGE_COMMAND, 0);
}

static void nack(struct sim_engine *engine)
{
	emit_as(engine, SIM_NACK, SIM_OUT_NACK, false);
	engine->stats->nacks++;
	to_command(engine);
}

/* The answer at the end of an operation that may take time: with a
 * no-stretch opcode the I2C master polls for it. */
static void finish_ack(struct sim_engine *engine)
{
	emit_as(engine, SIM_ACK, SIM_OUT_ACK, engine->no_stretch);
}

static void finish_nack(struct sim_engine *engine)
{
	emit_as(engine, SIM_NACK, SIM_OUT_NACK, engine->no_stretch);
	engine->stats->nacks++;
	to_command(engine);
}

/* An ACK that lets the host go on to the next stage; fault injection may
 * turn it into a NACK, which abandons the command. */
static bool accept(struct sim_engine *engine)
{
	if (sim_faults_take_nack(engine->faults)) {
		nack(engine);
		return false;
	}
	emit_ack(engine);
	return true;
}

static uint8_t xor_of(const uint8_t *data, size_t length)
{
	uint8_t x = 0;
	for (size_t i = 0; i < length; i++)
		x ^= data[i];
	return x;
}

static uint32_t big_endian32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t little_endian32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The chip works for duration_us: replies wait, the UART is not read. */
static void spend(struct sim_engine *engine, uint64_t duration_us)
{
	if (engine->timed)
		engine->busy_until_us = engine->now_us + duration_us;
}

static bool protected_by_rdp(const struct sim_engine *engine)
{
	return sim_chip_rdp_level(engine->chip) != 0;
}

static uint64_t mass_erase_us(const struct sim_engine *engine)
{
	const struct stm32_device *dev = engine->chip->dev;
	uint32_t address, size;
	if (dev->t_mass_ms)
		return (uint64_t)dev->t_mass_ms * 1000u;
	if (stm32_device_sector(dev, 0, &address, &size))
		return (uint64_t)stm32_device_erase_ms(dev, size) * 1000u;
	return 0;
}

uint32_t sim_crc32_words(const uint8_t *data, size_t length, uint32_t polynomial,
			 uint32_t initial)
{
	uint32_t crc = initial;
	for (size_t i = 0; i + 3 < length; i += 4) {
		crc ^= little_endian32(data + i);
		for (int bit = 0; bit < 32; bit++)
			crc = crc & 0x80000000u ? (crc << 1) ^ polynomial : crc << 1;
	}
	return crc;
}

/* ---- reset and boot ---- */

static void clear_activity(struct sim_engine *engine)
{
	to_command(engine);
	engine->synced = false;
	engine->has_held = false;
	engine->busy_until_us = 0;
}

static void boot(struct sim_engine *engine)
{
	clear_activity(engine);
	/* I2C is selected by the address match: there is no sync byte. */
	engine->synced = engine->interface == SIM_INTERFACE_I2C;
	/* RDP level 2 disables boot from system memory: main flash runs. */
	if ((engine->boot0_high || engine->empty_boot) && sim_chip_rdp_level(engine->chip) < 2) {
		engine->run = SIM_RUN_BOOTLOADER;
		engine->stats->boots_bootloader++;
	} else {
		engine->run = SIM_RUN_APPLICATION;
		engine->stats->boots_application++;
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
	clear_activity(engine);
	engine->run = SIM_RUN_RESET;
}

void sim_engine_release_reset(struct sim_engine *engine)
{
	if (engine->run == SIM_RUN_RESET)
		boot(engine);
}

void sim_engine_system_reset(struct sim_engine *engine)
{
	engine->stats->resets++;
	boot(engine);
}

/* RM0360 "Empty check" (F030xC/F070x6, likewise the F09x) and FLASH_SR.PEMPTY
 * (L45x/L46x): the flag is only updated when the option bytes load, i.e. at
 * power-on and option-byte reload, never by a plain system or pin reset. */
static void latch_empty_check(struct sim_engine *engine)
{
	const struct sim_chip *chip = engine->chip;
	engine->empty_boot = false;
	if (!(chip->dev->flags & (STM32_DEV_OBL_LAUNCH | STM32_DEV_PEMPTY)) ||
	    chip->dev->flash_size < 4)
		return;
	static const uint8_t blank[4] = {0xFF, 0xFF, 0xFF, 0xFF};
	engine->empty_boot = memcmp(chip->flash, blank, sizeof(blank)) == 0;
}

void sim_engine_option_reload(struct sim_engine *engine)
{
	latch_empty_check(engine);
	sim_engine_system_reset(engine);
}

void sim_engine_set_line_garbled(struct sim_engine *engine, bool garbled)
{
	engine->line_garbled = garbled;
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

/* ---- commands without arguments ---- */

static void reply_get(struct sim_engine *engine)
{
	emit(engine, (uint8_t)engine->command_count);
	emit(engine, engine->version);
	for (size_t i = 0; i < engine->command_count; i++)
		emit(engine, engine->commands[i]);
	emit_ack(engine);
}

static void reply_get_version(struct sim_engine *engine)
{
	emit(engine, engine->version);
	/* Only the UART reply carries the two legacy option bytes. */
	if (engine->interface == SIM_INTERFACE_UART) {
		emit(engine, 0x00);
		emit(engine, 0x00);
	}
	emit_ack(engine);
}

static void reply_get_id(struct sim_engine *engine)
{
	emit(engine, 0x01);
	emit(engine, (uint8_t)(engine->chip->dev->pid >> 8));
	emit(engine, (uint8_t)engine->chip->dev->pid);
	emit_ack(engine);
}

static void readout_unprotect(struct sim_engine *engine)
{
	struct sim_chip *chip = engine->chip;
	/* The RDP regression erases all of flash whatever its write protection. */
	memset(chip->flash, 0xFF, chip->dev->flash_size);
	memset(chip->unit_programmed, 0, chip->unit_count);
	sim_chip_set_rdp_level(chip, 0);
	engine->stats->mass_erases++;
	spend(engine, mass_erase_us(engine));
	finish_ack(engine);
	sim_engine_option_reload(engine);
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
		nack(engine);
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
		if (!accept(engine))
			return;
		if (op == OP_GET)
			reply_get(engine);
		else if (op == OP_GET_VERSION)
			reply_get_version(engine);
		else
			reply_get_id(engine);
		to_command(engine);
		return;
	case OP_READOUT_UNPROTECT:
		if (accept(engine))
			readout_unprotect(engine);
		return;
	default:
		break;
	}
	if (protected_by_rdp(engine)) {
		nack(engine);
		return;
	}
	switch (op) {
	case OP_READ:
	case OP_GO:
	case OP_WRITE:
	case OP_GET_CHECKSUM:
		if (accept(engine))
			expect(engine, STAGE_ADDRESS, 5);
		return;
	case OP_ERASE:
	case OP_EXTENDED_ERASE:
		if (!accept(engine))
			return;
		if (op == OP_EXTENDED_ERASE && split_frames(engine))
			expect(engine, STAGE_ERASE_COUNT, 3);
		else
			expect(engine, STAGE_ERASE, op == OP_ERASE ? 1 : 2);
		return;
	case OP_WRITE_PROTECT:
		if (accept(engine))
			expect(engine, split_frames(engine) ? STAGE_PROTECT_COUNT : STAGE_PROTECT_LIST,
			       split_frames(engine) ? 2 : 1);
		return;
	case OP_WRITE_UNPROTECT:
		if (!accept(engine))
			return;
		sim_chip_wrp_clear_all(engine->chip);
		finish_ack(engine);
		sim_engine_option_reload(engine);
		return;
	case OP_READOUT_PROTECT:
		if (!accept(engine))
			return;
		sim_chip_set_rdp_level(engine->chip, 1);
		finish_ack(engine);
		sim_engine_option_reload(engine);
		return;
	default:
		nack(engine); /* listed but not modelled (Special commands) */
		return;
	}
}

/* ---- address stage ---- */

enum reset_stub { NO_STUB, SYSRESETREQ_STUB, OBL_LAUNCH_STUB, PEMPTY_CLEAR_STUB };

/* What a Go into RAM runs, judged by the constants in its first 64 bytes:
 * AIRCR with VECTKEY|SYSRESETREQ; the F0 FLASH_CR with OBL_LAUNCH; or the L4
 * FLASH_SR (the same address) with PEMPTY, then SYSRESETREQ. */
static enum reset_stub reset_stub_at(const struct sim_chip *chip, uint32_t address)
{
	bool sysresetreq = false, aircr = false, obl_launch = false, flash_reg = false;
	bool pempty = false;
	uint32_t end = SIM_RAM_BASE + chip->ram_size;
	for (uint32_t a = address & ~3u; a + 4 <= end && a < address + 64; a += 4) {
		uint32_t word = little_endian32(chip->ram + (a - SIM_RAM_BASE));
		sysresetreq |= word == 0x05FA0004u;
		aircr |= word == 0xE000ED0Cu;
		obl_launch |= word == 0x00002000u;
		pempty |= word == 0x00020000u;
		flash_reg |= word == 0x40022010u;
	}
	if (obl_launch && flash_reg)
		return OBL_LAUNCH_STUB;
	if (!sysresetreq || !aircr)
		return NO_STUB;
	return pempty && flash_reg ? PEMPTY_CLEAR_STUB : SYSRESETREQ_STUB;
}

static void go(struct sim_engine *engine, uint32_t address)
{
	enum reset_stub stub = sim_chip_area(engine->chip, address) == SIM_AREA_RAM
				       ? reset_stub_at(engine->chip, address)
				       : NO_STUB;
	if (stub == OBL_LAUNCH_STUB) {
		sim_engine_option_reload(engine);
		return;
	}
	if (stub == PEMPTY_CLEAR_STUB && (engine->chip->dev->flags & STM32_DEV_PEMPTY))
		engine->empty_boot = false; /* the stub writes 1 only where PEMPTY is set */
	if (stub != NO_STUB) {
		sim_engine_system_reset(engine);
		return;
	}
	clear_activity(engine);
	engine->run = SIM_RUN_APPLICATION;
	engine->stats->boots_application++;
}

static bool writable_start(const struct sim_chip *chip, uint32_t address)
{
	switch (sim_chip_area(chip, address)) {
	case SIM_AREA_FLASH:
	case SIM_AREA_OPTIONS:
		return true;
	case SIM_AREA_RAM:
		return address >= chip->dev->ram_start &&
		       !(chip->dev->flags & STM32_DEV_NO_RAM_ACCESS);
	default:
		return false;
	}
}

static void address_received(struct sim_engine *engine)
{
	const struct sim_chip *chip = engine->chip;
	if (xor_of(engine->rx, 4) != engine->rx[4]) {
		nack(engine);
		return;
	}
	uint32_t address = big_endian32(engine->rx);
	enum sim_area area = sim_chip_area(chip, address);
	bool valid;
	switch (engine->opcode) {
	case OP_READ:
		valid = area != SIM_AREA_NONE &&
			!(area == SIM_AREA_RAM && (chip->dev->flags & STM32_DEV_NO_RAM_ACCESS));
		break;
	case OP_GO:
		valid = area == SIM_AREA_FLASH || area == SIM_AREA_RAM;
		break;
	case OP_WRITE:
		valid = address % 4 == 0 && writable_start(chip, address);
		break;
	default: /* Get Checksum */
		valid = address % 4 == 0 && area != SIM_AREA_NONE;
		break;
	}
	if (!valid) {
		nack(engine);
		return;
	}
	engine->address = address;
	if (!accept(engine))
		return;
	switch (engine->opcode) {
	case OP_READ:
		expect(engine, STAGE_READ_LENGTH, 2);
		break;
	case OP_GO:
		go(engine, address);
		break;
	case OP_WRITE:
		expect(engine, STAGE_WRITE_DATA, 1);
		break;
	default:
		expect(engine, STAGE_CHECKSUM_SIZE, 5);
		break;
	}
}

/* ---- Read, Write ---- */

static void read_length_received(struct sim_engine *engine)
{
	if ((engine->rx[0] ^ engine->rx[1]) != 0xFF) {
		nack(engine);
		return;
	}
	if (!accept(engine))
		return;
	uint8_t data[256];
	size_t count = (size_t)engine->rx[0] + 1;
	sim_chip_read(engine->chip, engine->address, data, count);
	for (size_t i = 0; i < count; i++)
		emit(engine, data[i]);
	to_command(engine);
}

static void write_flash(struct sim_engine *engine, const uint8_t *data, size_t count)
{
	const struct stm32_device *dev = engine->chip->dev;
	uint32_t unit = dev->program_unit;
	uint32_t first = engine->address - engine->address % unit;
	uint64_t units = ((uint64_t)engine->address + count - first + unit - 1) / unit;
	enum sim_program_result result = sim_flash_program(engine->chip, engine->address, data, count);
	spend(engine, units * dev->t_prog_us);
	if (result != SIM_PROGRAM_OK) {
		finish_nack(engine);
		return;
	}
	engine->stats->program_operations++;
	engine->stats->bytes_programmed += count;
	finish_ack(engine);
	to_command(engine);
}

static void write_data_received(struct sim_engine *engine)
{
	struct sim_chip *chip = engine->chip;
	size_t count = (size_t)engine->rx[0] + 1;
	const uint8_t *data = engine->rx + 1;
	if (xor_of(engine->rx, count + 1) != engine->rx[count + 1] || count % 4 != 0 ||
	    !sim_chip_span_in_area(chip, engine->address, count)) {
		nack(engine);
		return;
	}
	switch (sim_chip_area(chip, engine->address)) {
	case SIM_AREA_FLASH:
		write_flash(engine, data, count);
		return;
	case SIM_AREA_RAM:
		memcpy(chip->ram + (engine->address - SIM_RAM_BASE), data, count);
		finish_ack(engine);
		to_command(engine);
		return;
	default: /* option bytes: program, then the option-byte reload resets */
		sim_chip_write_options(chip, engine->address - chip->dev->opt_start, data, count);
		spend(engine, (uint64_t)(count / chip->dev->program_unit + 1) * chip->dev->t_prog_us);
		finish_ack(engine);
		sim_engine_option_reload(engine);
		return;
	}
}

/* ---- Erase, Extended Erase ---- */

static size_t erase_need(const struct sim_engine *engine)
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
			finish_nack(engine);
			return;
		}
	}
	uint64_t duration = 0;
	for (size_t i = 0; i < count; i++) {
		size_t page = wide ? (size_t)list[2 * i] << 8 | list[2 * i + 1] : list[i];
		uint32_t address, size;
		stm32_device_sector(chip->dev, page, &address, &size);
		sim_flash_erase_sector(chip, page);
		duration += (uint64_t)stm32_device_erase_ms(chip->dev, size) * 1000u;
		engine->stats->page_erases++;
		engine->stats->erased_pages[page]++;
	}
	spend(engine, duration);
	finish_ack(engine);
	to_command(engine);
}

static void mass_erase(struct sim_engine *engine)
{
	if (engine->chip->dev->flags & STM32_DEV_NO_MASS_ERASE) {
		finish_nack(engine);
		return;
	}
	sim_flash_erase_all(engine->chip);
	engine->stats->mass_erases++;
	spend(engine, mass_erase_us(engine));
	finish_ack(engine);
	to_command(engine);
}

static void bank_erase(struct sim_engine *engine, unsigned bank)
{
	const struct stm32_device *dev = engine->chip->dev;
	if (dev->bank_count < 2 || !(dev->flags & STM32_DEV_BANK_ERASE)) {
		finish_nack(engine);
		return;
	}
	sim_flash_erase_bank(engine->chip, bank);
	engine->stats->bank_erases++;
	spend(engine, mass_erase_us(engine));
	finish_ack(engine);
	to_command(engine);
}

static void special_erase(struct sim_engine *engine, unsigned code)
{
	if (code == 0xFFFF)
		mass_erase(engine);
	else if (code == 0xFFFE || code == 0xFFFD)
		bank_erase(engine, code == 0xFFFE ? 1 : 2);
	else
		finish_nack(engine);
}

/* Split frames, first frame: the count (or a special code) and its XOR. */
static void erase_count_received(struct sim_engine *engine)
{
	const uint8_t *rx = engine->rx;
	unsigned n = (unsigned)rx[0] << 8 | rx[1];
	if ((uint8_t)(rx[0] ^ rx[1]) != rx[2]) {
		nack(engine);
		return;
	}
	if (n >= 0xFFF0) {
		special_erase(engine, n);
		return;
	}
	engine->list_count = (size_t)n + 1;
	if (accept(engine))
		expect(engine, STAGE_ERASE_LIST, 2 * engine->list_count + 1);
}

/* Second frame: its XOR covers the page numbers only, not the count. */
static void erase_list_received(struct sim_engine *engine)
{
	size_t bytes = 2 * engine->list_count;
	if (xor_of(engine->rx, bytes) != engine->rx[bytes])
		nack(engine);
	else
		erase_pages(engine, engine->rx, engine->list_count, true);
}

static void erase_received(struct sim_engine *engine)
{
	const uint8_t *rx = engine->rx;
	if (engine->opcode == OP_ERASE) {
		if (rx[0] == 0xFF) {
			if (rx[1] != 0x00)
				nack(engine);
			else
				mass_erase(engine);
			return;
		}
		size_t count = (size_t)rx[0] + 1;
		if (xor_of(rx, count + 1) != rx[count + 1])
			nack(engine);
		else
			erase_pages(engine, rx + 1, count, false);
		return;
	}
	unsigned n = (unsigned)rx[0] << 8 | rx[1];
	if (n >= 0xFFF0) {
		if ((uint8_t)(rx[0] ^ rx[1]) != rx[2])
			nack(engine);
		else
			special_erase(engine, n);
		return;
	}
	size_t count = (size_t)n + 1;
	if (xor_of(rx, 2 + 2 * count) != rx[2 + 2 * count])
		nack(engine);
	else
		erase_pages(engine, rx + 2, count, true);
}

/* ---- Write Protect ---- */

static void protect(struct sim_engine *engine, const uint8_t *codes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (codes[i] >= sim_chip_wrp_code_count(engine->chip)) {
			finish_nack(engine);
			return;
		}
	}
	for (size_t i = 0; i < count; i++)
		sim_chip_wrp_set(engine->chip, codes[i]);
	finish_ack(engine);
	sim_engine_option_reload(engine);
}

static void protect_list_received(struct sim_engine *engine)
{
	size_t count = (size_t)engine->rx[0] + 1;
	if (xor_of(engine->rx, count + 1) != engine->rx[count + 1]) {
		nack(engine);
		return;
	}
	protect(engine, engine->rx + 1, count);
}

/* Split frames: N and ~N first, then the codes with their own XOR. */
static void protect_count_received(struct sim_engine *engine)
{
	if ((engine->rx[0] ^ engine->rx[1]) != 0xFF) {
		nack(engine);
		return;
	}
	engine->list_count = (size_t)engine->rx[0] + 1;
	if (accept(engine))
		expect(engine, STAGE_PROTECT_CODES, engine->list_count + 1);
}

static void protect_codes_received(struct sim_engine *engine)
{
	size_t count = engine->list_count;
	if (xor_of(engine->rx, count) != engine->rx[count]) {
		nack(engine);
		return;
	}
	protect(engine, engine->rx, count);
}

/* ---- Get Checksum ---- */

static bool word_received(struct sim_engine *engine, uint32_t *value)
{
	if (xor_of(engine->rx, 4) != engine->rx[4]) {
		nack(engine);
		return false;
	}
	*value = big_endian32(engine->rx);
	return true;
}

static void reply_checksum(struct sim_engine *engine, uint32_t polynomial, uint32_t initial)
{
	uint8_t *data = malloc(engine->size);
	if (!data) {
		nack(engine);
		return;
	}
	sim_chip_read(engine->chip, engine->address, data, engine->size);
	uint32_t crc = sim_crc32_words(data, engine->size, polynomial, initial);
	free(data);
	uint8_t bytes[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
			    (uint8_t)crc};
	finish_ack(engine);
	for (int i = 0; i < 4; i++)
		emit(engine, bytes[i]);
	emit(engine, xor_of(bytes, 4));
	to_command(engine);
}

static void checksum_stage_received(struct sim_engine *engine)
{
	uint32_t value;
	if (!word_received(engine, &value))
		return;
	switch (engine->stage) {
	case STAGE_CHECKSUM_SIZE:
		if (value == 0 || value % 4 != 0 ||
		    !sim_chip_span_in_area(engine->chip, engine->address, value)) {
			nack(engine);
			return;
		}
		engine->size = value;
		if (!accept(engine))
			return;
		if (engine->interface == SIM_INTERFACE_I2C) {
			/* AN4221 v1.2: fixed CRC parameters, no more frames. */
			reply_checksum(engine, FIXED_CRC_POLYNOMIAL, FIXED_CRC_INITIAL);
			return;
		}
		expect(engine, STAGE_CHECKSUM_POLYNOMIAL, 5);
		return;
	case STAGE_CHECKSUM_POLYNOMIAL:
		engine->polynomial = value;
		if (accept(engine))
			expect(engine, STAGE_CHECKSUM_INITIAL, 5);
		return;
	default:
		break;
	}
	if (accept(engine))
		reply_checksum(engine, engine->polynomial, value);
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
		engine->rx_need = erase_need(engine);
		break;
	default:
		break;
	}
}

static void stage_complete(struct sim_engine *engine)
{
	switch (engine->stage) {
	case STAGE_ADDRESS:
		address_received(engine);
		break;
	case STAGE_READ_LENGTH:
		read_length_received(engine);
		break;
	case STAGE_WRITE_DATA:
		write_data_received(engine);
		break;
	case STAGE_ERASE:
		erase_received(engine);
		break;
	case STAGE_PROTECT_LIST:
		protect_list_received(engine);
		break;
	case STAGE_ERASE_COUNT:
		erase_count_received(engine);
		break;
	case STAGE_ERASE_LIST:
		erase_list_received(engine);
		break;
	case STAGE_PROTECT_COUNT:
		protect_count_received(engine);
		break;
	case STAGE_PROTECT_CODES:
		protect_codes_received(engine);
		break;
	default:
		checksum_stage_received(engine);
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
			emit_ack(engine);
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
			nack(engine);
			return;
		}
		engine->stats->commands[engine->opcode]++;
		start_command(engine);
		return;
	default:
		break;
	}
	if (engine->rx_have >= RX_CAPACITY) {
		nack(engine);
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

void sim_engine_receive(struct sim_engine *engine, uint8_t byte, uint64_t at_us)
{
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

void sim_engine_power_on(struct sim_engine *engine)
{
	latch_empty_check(engine);
	boot(engine);
}
