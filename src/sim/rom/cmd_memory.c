/* Commands that take an address: Read Memory, Write Memory, Go (and the
 * address stage Get Checksum shares with them). */
#include <string.h>

#include "base/bytes.h"
#include "rom/rom_private.h"

#ifdef STM32SIM_HAVE_CPU
/* AN2606: MSP from [address], PC from [address + 4]; the core runs it from
 * the poll loop (rom/program.c), reset stubs included. */
static void go(struct sim_engine *engine, uint32_t address)
{
	rom_clear_activity(engine);
	engine->run = SIM_RUN_APPLICATION;
	engine->stats->boots_application++;
	rom_core_go(engine, address);
}
#else
/* Without the core, a Go into RAM that holds a known reset stub (judged by
 * its constants, reset_stub.c) does what the stub would; anything else is
 * "the application", which never answers until a reset. */
static void go(struct sim_engine *engine, uint32_t address)
{
	enum reset_stub stub = sim_chip_area(engine->chip, address) == SIM_AREA_RAM
				       ? rom_reset_stub_at(engine->chip, address)
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
	rom_clear_activity(engine);
	engine->run = SIM_RUN_APPLICATION;
	engine->stats->boots_application++;
}
#endif

/* AN2606: the F1 bootloader V2.2 refuses a Go into the first 0x200 bytes
 * of RAM (its own variables), whatever the device row's ram_start says. */
#define F1_V22_GO_FLOOR 0x20000200u

static bool go_refused(const struct sim_engine *engine, uint32_t address)
{
	const struct stm32_device *dev = engine->chip->dev;
	return strcmp(dev->family, "F1") == 0 && dev->bootloader_version == 0x22 &&
	       address >= SIM_RAM_BASE && address < F1_V22_GO_FLOOR;
}

static bool writable_start(const struct sim_chip *chip, uint32_t address)
{
	switch (sim_chip_area(chip, address)) {
	case SIM_AREA_FLASH:
	case SIM_AREA_OPTIONS:
	case SIM_AREA_OTP:
		return true;
	case SIM_AREA_RAM:
		return address >= chip->dev->ram_start &&
		       !(chip->dev->flags & STM32_DEV_NO_RAM_ACCESS);
	default:
		return false;
	}
}

void rom_address_received(struct sim_engine *engine)
{
	const struct sim_chip *chip = engine->chip;
	if (sim_xor(engine->rx, 4) != engine->rx[4]) {
		rom_nack(engine);
		return;
	}
	uint32_t address = sim_get_be32(engine->rx);
	enum sim_area area = sim_chip_area(chip, address);
	bool valid;
	switch (engine->opcode) {
	case OP_READ:
		valid = area != SIM_AREA_NONE &&
			!(area == SIM_AREA_RAM && (chip->dev->flags & STM32_DEV_NO_RAM_ACCESS));
		break;
	case OP_GO:
		valid = (area == SIM_AREA_FLASH || area == SIM_AREA_RAM) && !go_refused(engine, address);
		break;
	case OP_WRITE:
		valid = address % 4 == 0 && writable_start(chip, address);
		break;
	default: /* Get Checksum */
		valid = address % 4 == 0 && area != SIM_AREA_NONE;
		break;
	}
	if (!valid) {
		rom_nack(engine);
		return;
	}
	engine->address = address;
	if (!rom_accept(engine))
		return;
	switch (engine->opcode) {
	case OP_READ:
		rom_expect(engine, STAGE_READ_LENGTH, 2);
		break;
	case OP_GO:
		go(engine, address);
		break;
	case OP_WRITE:
		rom_expect(engine, STAGE_WRITE_DATA, 1);
		break;
	default:
		rom_expect(engine, STAGE_CHECKSUM_SIZE, 5);
		break;
	}
}

/* ---- Read, Write ---- */

void rom_read_length_received(struct sim_engine *engine)
{
	if ((engine->rx[0] ^ engine->rx[1]) != 0xFF) {
		rom_nack(engine);
		return;
	}
	if (!rom_accept(engine))
		return;
	uint8_t data[256];
	size_t count = (size_t)engine->rx[0] + 1;
	sim_chip_read(engine->chip, engine->address, data, count);
	for (size_t i = 0; i < count; i++)
		rom_emit(engine, data[i]);
	rom_to_command(engine);
}

static void write_flash(struct sim_engine *engine, const uint8_t *data, size_t count)
{
	const struct stm32_device *dev = engine->chip->dev;
	uint32_t unit = dev->program_unit;
	uint32_t first = engine->address - engine->address % unit;
	uint64_t units = ((uint64_t)engine->address + count - first + unit - 1) / unit;
	enum sim_program_result result = sim_flash_program(engine->chip, engine->address, data, count);
	rom_core_memory_changed(engine, engine->address, (uint32_t)count);
	rom_spend(engine, units * dev->t_prog_us);
	if (result != SIM_PROGRAM_OK) {
		rom_finish_nack(engine);
		return;
	}
	engine->stats->program_operations++;
	engine->stats->bytes_programmed += count;
	rom_finish_ack(engine);
	rom_to_command(engine);
}

/* OTP programs like flash but is never erased: a refused unit is a NACK,
 * as in flash (program_operations counts flash only). */
static void write_otp(struct sim_engine *engine, const uint8_t *data, size_t count)
{
	const struct stm32_device *dev = engine->chip->dev;
	enum sim_program_result result = sim_otp_program(engine->chip, engine->address, data, count);
	rom_spend(engine, (uint64_t)(count / dev->program_unit + 1) * dev->t_prog_us);
	if (result != SIM_PROGRAM_OK) {
		rom_finish_nack(engine);
		return;
	}
	rom_finish_ack(engine);
	rom_to_command(engine);
}

void rom_write_data_received(struct sim_engine *engine)
{
	struct sim_chip *chip = engine->chip;
	size_t count = (size_t)engine->rx[0] + 1;
	const uint8_t *data = engine->rx + 1;
	if (sim_xor(engine->rx, count + 1) != engine->rx[count + 1] || count % 4 != 0 ||
	    !sim_chip_span_in_area(chip, engine->address, count)) {
		rom_nack(engine);
		return;
	}
	switch (sim_chip_area(chip, engine->address)) {
	case SIM_AREA_FLASH:
		write_flash(engine, data, count);
		return;
	case SIM_AREA_OTP:
		write_otp(engine, data, count);
		return;
	case SIM_AREA_RAM:
		memcpy(chip->ram + (engine->address - SIM_RAM_BASE), data, count);
		rom_core_memory_changed(engine, engine->address, (uint32_t)count);
		rom_finish_ack(engine);
		rom_to_command(engine);
		return;
	default: /* option bytes: program, then the option-byte reload resets */
		sim_chip_write_options(chip, engine->address - chip->dev->opt_start, data, count);
		rom_spend(engine, (uint64_t)(count / chip->dev->program_unit + 1) * chip->dev->t_prog_us);
		rom_finish_ack(engine);
		sim_engine_option_reload(engine);
		return;
	}
}
