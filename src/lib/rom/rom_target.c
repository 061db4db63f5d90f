/* The ROM bootloader as a back end: struct stm32_target_ops over a
 * bootloader session. Each entry is one AN3155 command (or the few that
 * make up a reset or a recovery); the executor decides the rest. */
#include <stdlib.h>
#include <string.h>

#include "rom/rom_internal.h"

#define ROM_RESYNC_MS 2000u /* a lost byte costs at most one FF 00 pair: generous */

struct rom_backend {
	struct stm32_target target;
	struct stm32_session session;
	struct stm32_rom_options options;
};

static const struct stm32_target_ops rom_ops;

static struct rom_backend *backend_of(struct stm32_target *t)
{
	return t->backend;
}

static struct stm32_session *session_of(struct stm32_target *t)
{
	return &backend_of(t)->session;
}

/* The back end's view of the chip follows the session's. */
static void publish_facts(struct rom_backend *rom)
{
	rom->target.chip = rom->session.facts;
}

static enum stm32_status lacks(const char *command_words, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "the bootloader offers no %s",
			       command_words);
}

/* Failures name the command and where it worked. */
static enum stm32_status placed(enum stm32_status status, int opcode, uint32_t address,
				struct stm32_error *err)
{
	if (status != STM32_OK) {
		stm32_error_command(err, opcode);
		stm32_error_address(err, address);
	}
	return status;
}

static enum stm32_status rom_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				  size_t length, struct stm32_error *err)
{
	struct stm32_session *s = session_of(t);
	if (s->bl.cmd_read < 0)
		return lacks("Read Memory command", err);
	return placed(stm32_bl_read_memory(&s->bl, address, data, length, err),
		      STM32_CMD_READ_MEMORY, address, err);
}

static enum stm32_status rom_write(struct stm32_target *t, uint32_t address, const uint8_t *data,
				   size_t length, struct stm32_error *err)
{
	struct stm32_session *s = session_of(t);
	if (s->bl.cmd_write < 0)
		return lacks("Write Memory command", err);
	return placed(stm32_bl_write_memory(&s->bl, address, data, length, err),
		      STM32_CMD_WRITE_MEMORY, address, err);
}

static enum stm32_status erase_units(struct stm32_session *s, const uint32_t *units, size_t count,
				     struct stm32_error *err)
{
	uint16_t *pages = malloc((count ? count : 1) * sizeof(*pages));
	if (!pages)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	for (size_t i = 0; i < count; i++)
		pages[i] = (uint16_t)units[i];
	enum stm32_status status = stm32_bl_erase_pages(&s->bl, pages, count, err);
	free(pages);
	return status;
}

static enum stm32_status rom_erase(struct stm32_target *t, const struct stm32_erase_request *request,
				   struct stm32_error *err)
{
	struct stm32_session *s = session_of(t);
	if (s->bl.cmd_erase < 0)
		return lacks("erase command", err);
	enum stm32_status status;
	switch (request->kind) {
	case STM32_ERASE_REQUEST_MASS: status = stm32_bl_erase_mass(&s->bl, err); break;
	case STM32_ERASE_REQUEST_BANK: status = stm32_bl_erase_bank(&s->bl, (int)request->bank, err); break;
	default: status = erase_units(s, request->units, request->count, err); break;
	}
	if (status != STM32_OK)
		stm32_error_command(err, s->bl.cmd_erase);
	return status;
}

static enum stm32_status rom_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				 uint32_t *crc, struct stm32_error *err)
{
	struct stm32_session *s = session_of(t);
	if (s->bl.cmd_checksum < 0)
		return lacks("Get Checksum command", err);
	return placed(stm32_bl_get_checksum(&s->bl, address, length, crc, err),
		      STM32_CMD_GET_CHECKSUM, address, err);
}

/* The chip reprograms its option bytes and resets once it has them, so its
 * ACK may be lost to the reset: only a NACK is a refusal. */
static enum stm32_status rom_write_option_bytes(struct stm32_target *t, uint32_t address,
						const uint8_t *data, size_t length,
						struct stm32_error *err)
{
	struct stm32_session *s = session_of(t);
	enum stm32_status status = rom_write(t, address, data, length, err);
	if (status != STM32_OK && status != STM32_E_TIMEOUT)
		return status;
	stm32_error_clear(err);
	status = stm32_session_reconnect(s, err);
	rom_target_refresh(t);
	return status;
}

typedef enum stm32_status (*protection_command)(struct stm32_bl *bl, struct stm32_error *err);

static enum stm32_status run_protection(struct stm32_target *t, protection_command command,
					int opcode, struct stm32_error *err)
{
	enum stm32_status status = command(&session_of(t)->bl, err);
	if (status != STM32_OK && err && err->command < 0)
		err->command = opcode;
	return status;
}

static enum stm32_status rom_readout_protect(struct stm32_target *t, struct stm32_error *err)
{
	return run_protection(t, stm32_bl_readout_protect, STM32_CMD_READOUT_PROTECT, err);
}

static enum stm32_status rom_readout_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	return run_protection(t, stm32_bl_readout_unprotect, STM32_CMD_READOUT_UNPROTECT, err);
}

static enum stm32_status rom_write_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	return run_protection(t, stm32_bl_write_unprotect, STM32_CMD_WRITE_UNPROTECT, err);
}

/* AN3155 Write Protect names sectors in single bytes. */
static enum stm32_status rom_write_protect(struct stm32_target *t, const uint32_t *units,
					   size_t count, struct stm32_error *err)
{
	uint8_t sectors[256];
	if (count == 0 || count > sizeof sectors)
		return stm32_error_set(err, STM32_E_INVALID,
				       "Write Protect takes 1 to 256 sectors, not %zu", count);
	for (size_t i = 0; i < count; i++) {
		if (units[i] > 0xFF)
			return stm32_error_set(err, STM32_E_RANGE,
					       "sector %u cannot be named by Write Protect (0x63), "
					       "which carries 8-bit numbers", (unsigned)units[i]);
		sectors[i] = (uint8_t)units[i];
	}
	enum stm32_status status = stm32_bl_write_protect(&session_of(t)->bl, sectors, count, err);
	if (status != STM32_OK && err && err->command < 0)
		err->command = STM32_CMD_WRITE_PROTECT;
	return status;
}

static enum stm32_status rom_go_op(struct stm32_target *t, uint32_t address, struct stm32_error *err)
{
	return rom_go(session_of(t), address, err);
}

static enum stm32_status rom_reset_op(struct stm32_target *t, struct stm32_error *err)
{
	return rom_reset(session_of(t), err);
}

/* A garbled reply leaves the bootloader mid-command: resync (FF 00 pairs)
 * so the next try is not read as data. A chip that answers nothing at all
 * has most likely been reset and sits waiting for its auto-baud byte: the
 * caller's re-entry hook (BOOT0 on a GPIO: the chip may have booted its
 * program), then sync again. A failed recovery is no reason to stop; the
 * next try will tell. Only a dead port (STM32_E_IO) is returned. */
static enum stm32_status rom_recover(struct stm32_target *t, struct stm32_error *err)
{
	struct rom_backend *rom = backend_of(t);
	struct stm32_error why;
	stm32_error_clear(&why);
	enum stm32_status st = stm32_bl_resync(&rom->session.bl, ROM_RESYNC_MS, &why);
	if (st == STM32_E_TIMEOUT && rom->options.reenter) {
		st = rom->options.reenter(rom->options.reenter_user, &why);
		if (st == STM32_E_IO && err)
			*err = why;
		if (st == STM32_E_IO)
			return st;
		st = STM32_E_TIMEOUT;
	}
	if (st == STM32_E_TIMEOUT)
		st = stm32_session_reconnect(&rom->session, &why);
	if (st == STM32_E_IO && err)
		*err = why;
	return st;
}

static enum stm32_status rom_reconnect(struct stm32_target *t, struct stm32_error *err)
{
	enum stm32_status status = stm32_session_reconnect(session_of(t), err);
	rom_target_refresh(t);
	return status;
}

static void rom_close(struct stm32_target *t)
{
	free(backend_of(t));
}

static const struct stm32_target_ops rom_ops = {
	.read = rom_read,
	.write = rom_write,
	.erase = rom_erase,
	.crc = rom_crc,
	.write_option_bytes = rom_write_option_bytes,
	.readout_protect = rom_readout_protect,
	.readout_unprotect = rom_readout_unprotect,
	.write_protect = rom_write_protect,
	.write_unprotect = rom_write_unprotect,
	.go = rom_go_op,
	.reset = rom_reset_op,
	.recover = rom_recover,
	.reconnect = rom_reconnect,
	.write_image = NULL, /* written block by block by the executor */
	.close = rom_close,
};

void rom_target_refresh(struct stm32_target *t)
{
	struct rom_backend *rom = backend_of(t);
	unsigned baud = rom->session.bl.transport ? rom->session.bl.transport->baud : 0;
	rom_describe_bl(rom->session.device, &rom->session.bl, baud, &rom->target.desc);
	publish_facts(rom);
}

/* A connected session becomes the target's. */
static void adopt(struct rom_backend *rom, const struct stm32_rom_options *opts)
{
	rom->options = *opts;
	rom->target.ops = &rom_ops;
	rom->target.backend = rom;
	rom_target_refresh(&rom->target);
}

void stm32_rom_options_default(struct stm32_rom_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sync_attempts = 3;
}

static const struct stm32_rom_options *options_or_default(const struct stm32_rom_options *opts,
							  struct stm32_rom_options *defaults)
{
	if (opts)
		return opts;
	stm32_rom_options_default(defaults);
	return defaults;
}

enum stm32_status rom_target_wrap(const struct stm32_session *session,
				  const struct stm32_rom_options *opts, struct stm32_target **out,
				  struct stm32_error *err)
{
	*out = NULL;
	struct stm32_rom_options defaults;
	opts = options_or_default(opts, &defaults);
	struct rom_backend *rom = calloc(1, sizeof(*rom));
	if (!rom)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the bootloader session");
	rom->session = *session;
	adopt(rom, opts);
	*out = &rom->target;
	return STM32_OK;
}

enum stm32_status stm32_rom_open(struct stm32_transport *t, const struct stm32_rom_options *opts,
				 struct stm32_target **out, struct stm32_error *err)
{
	*out = NULL;
	struct stm32_rom_options defaults;
	opts = options_or_default(opts, &defaults);
	struct stm32_session_options so;
	stm32_session_options_default(&so);
	so.skip_sync = opts->skip_sync;
	so.sync_attempts = opts->sync_attempts;
	struct stm32_session session;
	enum stm32_status status = stm32_session_connect(&session, t, &so, err);
	if (status != STM32_OK) {
		stm32_error_op(err, STM32_OP_CONNECT);
		return status;
	}
	return rom_target_wrap(&session, opts, out, err);
}

static const struct stm32_session *rom_session(const struct stm32_target *t)
{
	if (!t || t->ops != &rom_ops)
		return NULL;
	return &((const struct rom_backend *)t->backend)->session;
}

bool stm32_rom_info(const struct stm32_target *t, struct stm32_rom_info *info)
{
	const struct stm32_session *s = rom_session(t);
	if (!s)
		return false;
	info->pid = s->bl.pid;
	info->version = s->bl.version;
	info->option1 = s->bl.option1;
	info->option2 = s->bl.option2;
	info->command_count = s->bl.command_count < sizeof(info->commands) ? s->bl.command_count
									  : sizeof(info->commands);
	memcpy(info->commands, s->bl.commands, info->command_count);
	return true;
}

int stm32_rom_command_for(const struct stm32_target *t, enum stm32_op op)
{
	const struct stm32_session *s = rom_session(t);
	if (!s)
		return -1;
	switch (op) {
	case STM32_OP_READ: return s->bl.cmd_read;
	case STM32_OP_WRITE:
	case STM32_OP_OPTION_WRITE: return s->bl.cmd_write;
	case STM32_OP_ERASE: return s->bl.cmd_erase;
	case STM32_OP_CRC: return s->bl.cmd_checksum;
	case STM32_OP_GO: return s->bl.cmd_go;
	/* Named by their UART opcodes, as stm32flash users know them. */
	case STM32_OP_READOUT_PROTECT: return STM32_CMD_READOUT_PROTECT;
	case STM32_OP_READOUT_UNPROTECT: return STM32_CMD_READOUT_UNPROTECT;
	case STM32_OP_WRITE_PROTECT: return STM32_CMD_WRITE_PROTECT;
	case STM32_OP_WRITE_UNPROTECT: return STM32_CMD_WRITE_UNPROTECT;
	default: return -1;
	}
}
