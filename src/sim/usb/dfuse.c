/* The DfuSe state machine (AN3156, DFU 1.1). A DNLOAD only stores its block;
 * the GETSTATUS that follows starts the operation (dfuDNBUSY, with the
 * family's erase or program time as bwPollTimeout) and the next GETSTATUS
 * reports how it ended. With --speed realtime that GETSTATUS is not answered
 * before the time has passed, as a busy ROM would NAK it. */
#include <string.h>

#include "base/bytes.h"
#include "usb/dfuse.h"
#include "usb/dfuse_memories.h"

#define CMD_GET_COMMANDS 0x00
#define CMD_SET_ADDRESS 0x21
#define CMD_ERASE 0x41
#define CMD_READ_UNPROTECT 0x92
#define CLASS_OUT 0x21
#define CLASS_IN 0xA1

static const uint8_t supported_commands[] = {CMD_GET_COMMANDS, CMD_SET_ADDRESS, CMD_ERASE,
					     CMD_READ_UNPROTECT};

const char *sim_dfu_state_name(enum sim_dfu_state state)
{
	static const char *const names[SIM_DFU_STATE_COUNT] = {
		"appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
		"dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE",
		"dfuERROR"};
	return (unsigned)state < SIM_DFU_STATE_COUNT ? names[state] : "?";
}

const char *sim_dfu_status_name(enum sim_dfu_status status)
{
	static const char *const names[SIM_DFU_STATUS_COUNT] = {
		"OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED", "errPROG",
		"errVERIFY", "errADDRESS", "errNOTDONE", "errFIRMWARE", "errVENDOR", "errUSBR",
		"errPOR", "errUNKNOWN", "errSTALLEDPKT"};
	return (unsigned)status < SIM_DFU_STATUS_COUNT ? names[status] : "?";
}

static void enter(struct sim_dfuse *dfu, enum sim_dfu_state state)
{
	if (dfu->state != state)
		dfu->counts.states[state]++;
	dfu->state = state;
}

static void fail(struct sim_dfuse *dfu, enum sim_dfu_status status)
{
	dfu->status = status;
	dfu->counts.errors[status]++;
	enter(dfu, SIM_DFU_ERROR);
}

/* A request the state does not allow: STALL, and dfuERROR (DFU 1.1 §6.1.2). */
static struct sim_dfu_reply stall(struct sim_dfuse *dfu, enum sim_dfu_status status)
{
	dfu->counts.stalls++;
	fail(dfu, status);
	return (struct sim_dfu_reply){.stall = true};
}

void sim_dfuse_reset(struct sim_dfuse *dfu)
{
	dfu->state = SIM_DFU_IDLE;
	dfu->status = SIM_DFU_OK;
	dfu->alt = 0;
	dfu->address = dfu->chip->dev->flash_start;
	dfu->pending_length = 0;
	dfu->busy_until_us = 0;
}

void sim_dfuse_init(struct sim_dfuse *dfu, struct sim_chip *chip, struct sim_stats *stats,
		    struct sim_faults *faults, bool realtime)
{
	memset(dfu, 0, sizeof *dfu);
	dfu->chip = chip;
	dfu->stats = stats;
	dfu->faults = faults;
	dfu->realtime = realtime;
	dfu->memory_count = sim_dfu_memories_of(chip, dfu->memories, SIM_DFU_MAX_ALTS);
	sim_dfuse_reset(dfu);
	dfu->counts.states[SIM_DFU_IDLE] = 1;
}

bool sim_dfuse_set_alt(struct sim_dfuse *dfu, unsigned alt)
{
	if (alt >= dfu->memory_count)
		return false;
	dfu->alt = alt;
	return true;
}

static const struct sim_dfu_memory *memory(const struct sim_dfuse *dfu)
{
	return &dfu->memories[dfu->alt];
}

static bool in_memory(const struct sim_dfu_memory *m, uint32_t address, uint64_t length)
{
	return address >= m->start && (uint64_t)address - m->start + length <= m->size;
}

static bool protected_readout(const struct sim_dfuse *dfu)
{
	return sim_chip_rdp_level(dfu->chip) > 0;
}

static uint32_t ms_of_us(uint64_t us)
{
	return (uint32_t)((us + 999u) / 1000u);
}

static enum sim_dfu_status erase_page(struct sim_dfuse *dfu, uint32_t address)
{
	const struct stm32_device *dev = dfu->chip->dev;
	long sector = stm32_device_sector_at(dev, address);
	uint32_t start, size;
	if (memory(dfu)->kind != SIM_DFU_MEM_FLASH || sector < 0 ||
	    !stm32_device_sector(dev, (size_t)sector, &start, &size))
		return SIM_DFU_ERR_TARGET;
	dfu->poll_ms = stm32_device_erase_ms(dev, size);
	/* Write protected (WRPERR): AN3156 does not say which status the ROM
	 * gives; errERASE is the one DFU 1.1 has for it. */
	if (!sim_flash_erase_sector(dfu->chip, (size_t)sector))
		return SIM_DFU_ERR_ERASE;
	dfu->stats->page_erases++;
	if ((size_t)sector < dfu->stats->sector_count)
		dfu->stats->erased_pages[sector]++;
	return SIM_DFU_OK;
}

/* Block 0: a DfuSe command. */
static enum sim_dfu_status run_command(struct sim_dfuse *dfu, struct sim_dfu_reply *reply)
{
	const uint8_t *c = dfu->pending;
	size_t n = dfu->pending_length;
	dfu->counts.commands[c[0]]++;
	if (c[0] == CMD_SET_ADDRESS && n == 5) {
		uint32_t address = sim_get_le32(c + 1);
		if (!in_memory(memory(dfu), address, 0))
			return SIM_DFU_ERR_TARGET;
		dfu->address = address;
		return SIM_DFU_OK;
	}
	if (c[0] == CMD_READ_UNPROTECT && n == 1) {
		/* RDP back to level 0 takes the flash with it; then the chip resets. */
		sim_chip_set_rdp_level(dfu->chip, 0);
		sim_flash_erase_all(dfu->chip);
		dfu->stats->mass_erases++;
		dfu->poll_ms = dfu->chip->dev->t_mass_ms;
		reply->reset = true;
		return SIM_DFU_OK;
	}
	if (c[0] != CMD_ERASE || (n != 1 && n != 5))
		return SIM_DFU_ERR_TARGET;
	if (protected_readout(dfu))
		return SIM_DFU_ERR_VENDOR;
	if (n == 5)
		return erase_page(dfu, sim_get_le32(c + 1));
	dfu->counts.mass_erase_commands++;
	dfu->poll_ms = dfu->chip->dev->t_mass_ms;
	sim_flash_erase_all(dfu->chip);
	dfu->stats->mass_erases++;
	return SIM_DFU_OK;
}

static bool touches_protected(const struct sim_chip *chip, uint32_t address, size_t length)
{
	for (uint64_t at = address; at < (uint64_t)address + length;) {
		long sector = stm32_device_sector_at(chip->dev, (uint32_t)at);
		uint32_t start, size;
		if (sector < 0 || !stm32_device_sector(chip->dev, (size_t)sector, &start, &size))
			return false;
		if (sim_chip_sector_protected(chip, (size_t)sector))
			return true;
		at = (uint64_t)start + size;
	}
	return false;
}

/* Blocks 2 and up: data at (block - 2) * wTransferSize + the address pointer. */
static enum sim_dfu_status run_write(struct sim_dfuse *dfu, struct sim_dfu_reply *reply)
{
	const struct sim_dfu_memory *m = memory(dfu);
	const struct stm32_device *dev = dfu->chip->dev;
	uint64_t at = (uint64_t)(dfu->block - 2u) * SIM_DFU_TRANSFER_SIZE + dfu->address;
	size_t n = dfu->pending_length;
	if (at > UINT32_MAX || !in_memory(m, (uint32_t)at, n))
		return SIM_DFU_ERR_ADDRESS;
	if (protected_readout(dfu))
		return SIM_DFU_ERR_VENDOR;
	if (dfu->faults && sim_faults_take_nack(dfu->faults))
		return SIM_DFU_ERR_WRITE;
	uint32_t units = (uint32_t)((n + dev->program_unit - 1) / dev->program_unit);
	dfu->poll_ms = ms_of_us((uint64_t)units * dev->t_prog_us);
	switch (m->kind) {
	case SIM_DFU_MEM_FLASH:
		if (touches_protected(dfu->chip, (uint32_t)at, n))
			return SIM_DFU_ERR_WRITE; /* WRPERR: nothing is programmed */
		dfu->stats->program_operations++;
		dfu->stats->bytes_programmed += n;
		if (sim_flash_program(dfu->chip, (uint32_t)at, dfu->pending, n) != SIM_PROGRAM_OK)
			return SIM_DFU_ERR_PROG;
		return SIM_DFU_OK;
	case SIM_DFU_MEM_OPTIONS:
		/* New option bytes are loaded by a reset (OBL_LAUNCH): the device
		 * drops off the bus and comes back. */
		sim_chip_write_options(dfu->chip, (uint32_t)at - m->start, dfu->pending, n);
		reply->reset = true;
		return SIM_DFU_OK;
	case SIM_DFU_MEM_OTP:
		return sim_otp_program(dfu->chip, (uint32_t)at, dfu->pending, n) == SIM_PROGRAM_OK
			       ? SIM_DFU_OK
			       : SIM_DFU_ERR_PROG;
	case SIM_DFU_MEM_FEATURE:
		return SIM_DFU_OK;
	}
	return SIM_DFU_ERR_TARGET;
}

static struct sim_dfu_reply dnload(struct sim_dfuse *dfu, const struct sim_dfu_setup *s,
				   const uint8_t *data)
{
	if (dfu->state != SIM_DFU_IDLE && dfu->state != SIM_DFU_DNLOAD_IDLE)
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	if (s->length == 0) {
		/* "Leave": a zero-length download ends the download phase. */
		if (dfu->state != SIM_DFU_DNLOAD_IDLE)
			return stall(dfu, SIM_DFU_ERR_NOTDONE);
		enter(dfu, SIM_DFU_MANIFEST_SYNC);
		return (struct sim_dfu_reply){0};
	}
	if (s->length > SIM_DFU_TRANSFER_SIZE || s->value == 1 || (s->value == 0 && s->length > 5))
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	memcpy(dfu->pending, data, s->length);
	dfu->pending_length = s->length;
	dfu->block = s->value;
	dfu->counts.download_bytes += s->length;
	enter(dfu, SIM_DFU_DNLOAD_SYNC);
	return (struct sim_dfu_reply){0};
}

static void put_status(const struct sim_dfuse *dfu, uint8_t *data, uint32_t poll_ms)
{
	data[0] = (uint8_t)dfu->status;
	data[1] = (uint8_t)poll_ms;
	data[2] = (uint8_t)(poll_ms >> 8);
	data[3] = (uint8_t)(poll_ms >> 16);
	data[4] = (uint8_t)dfu->state;
	data[5] = 0;
}

static struct sim_dfu_reply getstatus(struct sim_dfuse *dfu, const struct sim_dfu_setup *s,
				      uint8_t *data, uint64_t now_us)
{
	struct sim_dfu_reply reply = {.length = 6};
	if (s->length < 6)
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	switch (dfu->state) {
	case SIM_DFU_DNLOAD_SYNC:
		/* This request starts the operation: the chip is busy for poll_ms. */
		dfu->poll_ms = 0;
		dfu->outcome = dfu->block == 0 ? run_command(dfu, &reply) : run_write(dfu, &reply);
		dfu->busy_until_us = now_us + (uint64_t)dfu->poll_ms * 1000u;
		enter(dfu, SIM_DFU_DNBUSY);
		put_status(dfu, data, dfu->realtime ? dfu->poll_ms : 0);
		if (reply.reset)
			dfu->counts.resets++;
		return reply;
	case SIM_DFU_DNBUSY:
		if (dfu->realtime && now_us < dfu->busy_until_us)
			reply.ready_at_us = dfu->busy_until_us;
		if (dfu->outcome != SIM_DFU_OK)
			fail(dfu, dfu->outcome);
		else
			enter(dfu, SIM_DFU_DNLOAD_IDLE);
		break;
	case SIM_DFU_MANIFEST_SYNC:
		/* The ROM jumps to the address pointer: the device is gone. */
		enter(dfu, SIM_DFU_MANIFEST);
		reply.leave = true;
		dfu->counts.leaves++;
		dfu->in_application = true;
		break;
	default:
		break;
	}
	put_status(dfu, data, 0);
	return reply;
}

static struct sim_dfu_reply upload(struct sim_dfuse *dfu, const struct sim_dfu_setup *s,
				   uint8_t *data)
{
	if (dfu->state != SIM_DFU_IDLE && dfu->state != SIM_DFU_UPLOAD_IDLE)
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	if (s->value == 0) {
		size_t n = s->length < sizeof supported_commands ? s->length : sizeof supported_commands;
		memcpy(data, supported_commands, n);
		enter(dfu, SIM_DFU_UPLOAD_IDLE);
		return (struct sim_dfu_reply){.length = n};
	}
	if (s->value == 1)
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	/* Read protection: reads are refused (AN3156). */
	if (protected_readout(dfu) && memory(dfu)->kind != SIM_DFU_MEM_OPTIONS)
		return stall(dfu, SIM_DFU_ERR_VENDOR);
	const struct sim_dfu_memory *m = memory(dfu);
	uint64_t at = (uint64_t)(s->value - 2u) * SIM_DFU_TRANSFER_SIZE + dfu->address;
	uint64_t end = (uint64_t)m->start + m->size;
	size_t n = at >= end ? 0 : (size_t)(end - at < s->length ? end - at : s->length);
	sim_chip_read(dfu->chip, (uint32_t)at, data, n);
	for (size_t i = 0; dfu->faults && i < n; i++)
		(void)sim_faults_on_tx(dfu->faults, &data[i]);
	dfu->counts.upload_bytes += n;
	/* A short packet ends the upload. */
	enter(dfu, n < s->length ? SIM_DFU_IDLE : SIM_DFU_UPLOAD_IDLE);
	return (struct sim_dfu_reply){.length = n};
}

struct sim_dfu_reply sim_dfuse_request(struct sim_dfuse *dfu, const struct sim_dfu_setup *s,
				       uint8_t *data, uint64_t now_us)
{
	bool in = s->request_type == CLASS_IN;
	if ((s->request_type != CLASS_OUT && !in) || s->request >= SIM_DFU_REQUEST_COUNT)
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	dfu->counts.requests[s->request]++;
	/* In dfuERROR only the status requests and the two ways out work. */
	if (dfu->state == SIM_DFU_ERROR && s->request != SIM_DFU_GETSTATUS &&
	    s->request != SIM_DFU_GETSTATE && s->request != SIM_DFU_CLRSTATUS &&
	    s->request != SIM_DFU_ABORT) {
		dfu->counts.stalls++;
		return (struct sim_dfu_reply){.stall = true};
	}
	switch (s->request) {
	case SIM_DFU_DNLOAD:
		return in ? stall(dfu, SIM_DFU_ERR_STALLEDPKT) : dnload(dfu, s, data);
	case SIM_DFU_UPLOAD:
		return in ? upload(dfu, s, data) : stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	case SIM_DFU_GETSTATUS:
		return getstatus(dfu, s, data, now_us);
	case SIM_DFU_GETSTATE:
		if (s->length < 1)
			return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
		data[0] = (uint8_t)dfu->state;
		return (struct sim_dfu_reply){.length = 1};
	case SIM_DFU_CLRSTATUS:
		if (dfu->state == SIM_DFU_ERROR) {
			dfu->status = SIM_DFU_OK;
			enter(dfu, SIM_DFU_IDLE);
		}
		return (struct sim_dfu_reply){0};
	case SIM_DFU_ABORT:
		if (dfu->state == SIM_DFU_DNBUSY || dfu->state == SIM_DFU_MANIFEST)
			return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
		dfu->status = SIM_DFU_OK;
		enter(dfu, SIM_DFU_IDLE);
		return (struct sim_dfu_reply){0};
	default: /* DETACH: this is the DFU-mode ROM, not a run-time interface */
		return stall(dfu, SIM_DFU_ERR_STALLEDPKT);
	}
}
