/* The executor against a scripted fake bootloader.
 *
 * The fake is a byte-level AN3155 responder over an in-memory transport: it
 * parses what the library sends, keeps flash (NOR: programming only clears
 * bits) and RAM, and injects faults on chosen commands. Replies that are
 * not there yet time out at once, so nothing here waits on the clock. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/flash.h"
#include "plan_test_util.h"
#include "rom/rom_internal.h"

enum fault_kind {
	FAULT_NONE,
	FAULT_NACK,           /* refuse the command's last stage; nothing happens */
	FAULT_LOSE_ACK,       /* do the work but send no final ACK */
	FAULT_GARBLE_REPLY,   /* do the work, send a wrong byte instead of the ACK */
	FAULT_FLIP_READ,      /* Read Memory: a bit of the first data byte flips on the line */
	FAULT_DROP_WRITE,     /* Write Memory: ACKed, nothing programmed (a reset mid-block) */
};

struct fault {
	uint8_t opcode;
	unsigned nth;       /* 1 = the first command with that opcode */
	unsigned times;     /* how many consecutive commands it hits */
	enum fault_kind kind;
};

enum fake_state { WANT_COMMAND, WANT_ADDRESS, WANT_LENGTH, WANT_DATA, WANT_ERASE, WANT_WORD };

struct fake {
	const struct stm32_device *dev;
	uint8_t *flash;
	uint8_t *ram;
	uint32_t ram_base;
	uint32_t ram_size;
	uint32_t stuck_address;  /* programming leaves this byte 0xFF (0 = none) */
	bool legacy_erase;
	bool has_checksum;
	struct fault faults[4];
	size_t fault_count;

	uint8_t in[4096];
	size_t in_len;
	uint8_t out[8192];
	size_t out_len, out_pos;

	enum fake_state state;
	uint8_t opcode;
	uint32_t address;
	uint32_t words[4];
	unsigned word_index;
	unsigned counts[256];
	enum fault_kind active;

	/* observations */
	unsigned commands[256];
	unsigned nacks;
	unsigned mass_erases, bank_erases, page_erase_commands, pages_erased;
	uint32_t go_address;
	bool reset_requested;
};

/* ---- memory ---- */

static uint8_t *memory_at(struct fake *f, uint32_t address, size_t length, bool *is_flash)
{
	const struct stm32_device *d = f->dev;
	*is_flash = false;
	if (address >= d->flash_start && (uint64_t)address + length <= (uint64_t)d->flash_start + d->flash_size) {
		*is_flash = true;
		return f->flash + (address - d->flash_start);
	}
	if (address >= f->ram_base && (uint64_t)address + length <= (uint64_t)f->ram_base + f->ram_size) {
		*is_flash = false;
		return f->ram + (address - f->ram_base);
	}
	return NULL;
}

static void fake_init(struct fake *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->dev = stm32_device_find(name);
	assert_non_null(f->dev);
	f->flash = malloc(f->dev->flash_size);
	assert_non_null(f->flash);
	memset(f->flash, 0xFF, f->dev->flash_size);
	f->ram_base = 0x20000000;
	f->ram_size = f->dev->ram_end - 0x20000000;
	f->ram = calloc(1, f->ram_size);
	assert_non_null(f->ram);
	f->legacy_erase = !stm32_device_has_command(f->dev, STM32_CMD_EXTENDED_ERASE);
}

static void fake_free(struct fake *f)
{
	free(f->flash);
	free(f->ram);
}

/* ---- replies ---- */

static void reply(struct fake *f, uint8_t byte)
{
	assert_true(f->out_len < sizeof(f->out));
	f->out[f->out_len++] = byte;
}

static void nack(struct fake *f)
{
	f->nacks++;
	reply(f, STM32_NACK);
	f->state = WANT_COMMAND;
}

/* The final answer of a command, shaped by the active fault. */
static void finish(struct fake *f)
{
	if (f->active == FAULT_GARBLE_REPLY)
		reply(f, 0x5A);
	else if (f->active != FAULT_LOSE_ACK)
		reply(f, STM32_ACK);
	f->state = WANT_COMMAND;
}

static uint8_t xor_bytes(const uint8_t *data, size_t length)
{
	uint8_t x = 0;
	for (size_t i = 0; i < length; i++)
		x ^= data[i];
	return x;
}

static enum fault_kind fault_for(struct fake *f, uint8_t opcode)
{
	unsigned n = ++f->counts[opcode];
	for (size_t i = 0; i < f->fault_count; i++) {
		const struct fault *x = &f->faults[i];
		if (x->opcode == opcode && n >= x->nth && n < x->nth + x->times)
			return x->kind;
	}
	return FAULT_NONE;
}

/* ---- command stages; each returns the bytes consumed, 0 when more are needed ---- */

static size_t on_command(struct fake *f, const uint8_t *in, size_t len)
{
	if (len < 2)
		return 0;
	uint8_t op = in[0];
	if ((uint8_t)(op ^ in[1]) != 0xFF) {
		nack(f);
		return 2;
	}
	bool known = op == 0x11 || op == 0x21 || op == 0x31 ||
		     (op == 0x43 && f->legacy_erase) || (op == 0x44 && !f->legacy_erase) ||
		     (op == 0xA1 && f->has_checksum);
	if (!known) {
		nack(f);
		return 2;
	}
	f->commands[op]++;
	f->opcode = op;
	f->active = fault_for(f, op);
	reply(f, STM32_ACK);
	f->state = (op == 0x43 || op == 0x44) ? WANT_ERASE : WANT_ADDRESS;
	f->word_index = 0;
	return 2;
}

static size_t on_address(struct fake *f, const uint8_t *in, size_t len)
{
	if (len < 5)
		return 0;
	if (xor_bytes(in, 4) != in[4]) {
		nack(f);
		return 5;
	}
	f->address = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
	bool is_flash;
	if (f->opcode != 0xA1 && !memory_at(f, f->address, 1, &is_flash)) {
		nack(f);
		return 5;
	}
	if (f->opcode == 0x21) {
		f->go_address = f->address;
		uint8_t *at = memory_at(f, f->address, 28, &is_flash);
		static const uint8_t aircr[4] = { 0x0C, 0xED, 0x00, 0xE0 }, key[4] = { 0x04, 0x00, 0xFA, 0x05 };
		if (at && !is_flash && memmem(at, 28, aircr, 4) && memmem(at, 28, key, 4))
			f->reset_requested = true;
		finish(f);
		return 5;
	}
	reply(f, STM32_ACK);
	f->state = f->opcode == 0x11 ? WANT_LENGTH : f->opcode == 0x31 ? WANT_DATA : WANT_WORD;
	return 5;
}

static size_t on_length(struct fake *f, const uint8_t *in, size_t len)
{
	if (len < 2)
		return 0;
	bool is_flash;
	size_t n = (size_t)in[0] + 1;
	uint8_t *at = memory_at(f, f->address, n, &is_flash);
	if ((uint8_t)(in[0] ^ in[1]) != 0xFF || !at || f->active == FAULT_NACK) {
		nack(f);
		return 2;
	}
	if (f->active == FAULT_LOSE_ACK) { /* the whole reply is lost */
		f->state = WANT_COMMAND;
		return 2;
	}
	if (f->active == FAULT_GARBLE_REPLY) { /* line noise in place of the ACK */
		reply(f, 0x5A);
		f->state = WANT_COMMAND;
		return 2;
	}
	reply(f, STM32_ACK);
	for (size_t i = 0; i < n; i++)
		reply(f, f->active == FAULT_FLIP_READ && i == 0 ? at[i] ^ 0x10u : at[i]);
	f->state = WANT_COMMAND;
	return 2;
}

static void program(struct fake *f, uint8_t *at, bool is_flash, const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t address = f->address + (uint32_t)i;
		if (is_flash && address == f->stuck_address)
			continue;
		at[i] = is_flash ? (uint8_t)(at[i] & data[i]) : data[i];
	}
}

static size_t on_data(struct fake *f, const uint8_t *in, size_t len)
{
	if (len < 1)
		return 0;
	size_t n = (size_t)in[0] + 1;
	if (len < n + 2)
		return 0;
	bool is_flash;
	uint8_t *at = memory_at(f, f->address, n, &is_flash);
	if (xor_bytes(in, n + 1) != in[n + 1] || !at || f->active == FAULT_NACK) {
		nack(f);
		return n + 2;
	}
	if (f->active != FAULT_DROP_WRITE)
		program(f, at, is_flash, in + 1, n);
	if (is_flash == false && f->address == f->dev->ram_start)
		f->go_address = 0;
	finish(f);
	return n + 2;
}

static void erase_page(struct fake *f, unsigned page)
{
	uint32_t address, size;
	assert_true(stm32_device_sector(f->dev, page, &address, &size));
	memset(f->flash + (address - f->dev->flash_start), 0xFF, size);
	f->pages_erased++;
}

static size_t on_erase(struct fake *f, const uint8_t *in, size_t len)
{
	size_t width = f->legacy_erase ? 1 : 2;
	if (len < width + 1)
		return 0;
	unsigned code = f->legacy_erase ? in[0] : (unsigned)in[0] << 8 | in[1];
	bool special = f->legacy_erase ? code == 0xFF : code >= 0xFFF0;
	size_t need = special ? width + 1 : width + (code + 1) * width + 1;
	if (len < need)
		return 0;
	bool bad = f->legacy_erase && special ? in[1] != 0x00 : xor_bytes(in, need - 1) != in[need - 1];
	if (bad || f->active == FAULT_NACK) {
		nack(f);
		return need;
	}
	if (special && (code == 0xFF || code == 0xFFFF)) {
		memset(f->flash, 0xFF, f->dev->flash_size);
		f->mass_erases++;
	} else if (special) {
		unsigned first = code == 0xFFFE ? 0 : f->dev->bank2_first_sector;
		unsigned end = code == 0xFFFE ? f->dev->bank2_first_sector
					       : (unsigned)stm32_device_sector_count(f->dev);
		for (unsigned p = first; p < end; p++)
			erase_page(f, p);
		f->bank_erases++;
	} else {
		f->page_erase_commands++;
		for (unsigned i = 0; i <= code; i++)
			erase_page(f, f->legacy_erase ? in[1 + i]
						       : (unsigned)in[2 + 2 * i] << 8 | in[3 + 2 * i]);
	}
	finish(f);
	return need;
}

static uint32_t crc_of(const uint8_t *data, uint32_t length)
{
	return stm32_crc32(0xFFFFFFFFu, data, length);
}

static size_t on_word(struct fake *f, const uint8_t *in, size_t len)
{
	if (len < 5)
		return 0;
	if (xor_bytes(in, 4) != in[4]) {
		nack(f);
		return 5;
	}
	f->words[f->word_index++] = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
	if (f->word_index < 3) {
		reply(f, STM32_ACK);
		return 5;
	}
	bool is_flash;
	uint8_t *at = memory_at(f, f->address, f->words[0], &is_flash);
	if (!at || f->words[0] % 4 != 0 || f->active == FAULT_NACK) {
		nack(f);
		return 5;
	}
	uint32_t crc = crc_of(at, f->words[0]);
	uint8_t result[5] = { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc, 0 };
	result[4] = xor_bytes(result, 4);
	reply(f, STM32_ACK);
	reply(f, STM32_ACK);
	for (int i = 0; i < 5; i++)
		reply(f, result[i]);
	f->state = WANT_COMMAND;
	return 5;
}

static void fake_process(struct fake *f)
{
	for (;;) {
		size_t used = 0;
		switch (f->state) {
		case WANT_COMMAND: used = on_command(f, f->in, f->in_len); break;
		case WANT_ADDRESS: used = on_address(f, f->in, f->in_len); break;
		case WANT_LENGTH: used = on_length(f, f->in, f->in_len); break;
		case WANT_DATA: used = on_data(f, f->in, f->in_len); break;
		case WANT_ERASE: used = on_erase(f, f->in, f->in_len); break;
		case WANT_WORD: used = on_word(f, f->in, f->in_len); break;
		}
		if (used == 0)
			return;
		memmove(f->in, f->in + used, f->in_len - used);
		f->in_len -= used;
	}
}

/* ---- the transport ---- */

static enum stm32_status fake_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	assert_true(f->in_len + length <= sizeof(f->in));
	memcpy(f->in + f->in_len, data, length);
	f->in_len += length;
	fake_process(f);
	return STM32_OK;
}

static enum stm32_status fake_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	struct fake *f = t->impl;
	size_t available = f->out_len - f->out_pos;
	size_t n = available < length ? available : length;
	memcpy(data, f->out + f->out_pos, n);
	f->out_pos += n;
	if (f->out_pos == f->out_len)
		f->out_pos = f->out_len = 0;
	if (got)
		*got = n;
	if (n < length)
		return stm32_error_set(err, STM32_E_TIMEOUT, "fake: no reply");
	return STM32_OK;
}

static enum stm32_status fake_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	f->out_pos = f->out_len = 0;
	return STM32_OK;
}

static const struct stm32_transport_ops fake_ops = {
	.name = "fake", .write = fake_write, .read = fake_read, .drain = fake_drain,
};

struct rig {
	struct fake fake;
	struct stm32_transport transport;
	struct stm32_session session; /* set up by hand: the fake answers no Get */
	struct stm32_target *target;  /* the ROM back end over it */
	unsigned retries;
};

/* (Again, after a test changed the session.) */
static void rig_wrap(struct rig *r)
{
	stm32_target_close(r->target);
	assert_int_equal(rom_target_wrap(&r->session, NULL, &r->target, NULL), STM32_OK);
}

static void rig_free(struct rig *r)
{
	stm32_target_close(r->target);
	r->target = NULL;
	fake_free(&r->fake);
}

static struct stm32_flash_options rig_options(const struct rig *r, stm32_progress_fn progress,
					      void *user)
{
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	options.progress = progress;
	options.progress_user = user;
	options.retries = r->retries;
	return options;
}

static enum stm32_status execute(struct rig *r, const struct stm32_plan *plan,
				 stm32_progress_fn progress, void *user,
				 struct stm32_flash_report *report, struct stm32_error *err)
{
	struct stm32_flash_options options = rig_options(r, progress, user);
	return stm32_flash_execute(r->target, plan, &options, report, err);
}

static void rig_init(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	fake_init(&r->fake, device);
	r->transport = (struct stm32_transport){ .ops = &fake_ops, .kind = STM32_LINK_UART,
						 .baud = 0, .impl = &r->fake };
	stm32_bl_init(&r->session.bl, &r->transport);
	r->session.device = r->fake.dev;
	r->session.bl.cmd_read = STM32_CMD_READ_MEMORY;
	r->session.bl.cmd_write = STM32_CMD_WRITE_MEMORY;
	r->session.bl.cmd_go = STM32_CMD_GO;
	r->session.bl.cmd_erase = r->fake.legacy_erase ? STM32_CMD_ERASE : STM32_CMD_EXTENDED_ERASE;
	r->session.bl.cmd_checksum = -1;
	memcpy(r->session.bl.commands, r->fake.dev->commands, r->fake.dev->command_count);
	r->session.bl.command_count = r->fake.dev->command_count;
	r->retries = STM32_FLASH_DEFAULT_RETRIES;
	rig_wrap(r);
}

static void add_fault(struct rig *r, uint8_t opcode, unsigned nth, unsigned times, enum fault_kind kind)
{
	r->fake.faults[r->fake.fault_count++] = (struct fault){ opcode, nth, times, kind };
}

/* ---- progress recording ---- */

struct progress_log {
	unsigned calls[5];
	uint64_t last_done[5], last_total[5];
	int order[16];
	size_t phases;
	long cancel_after; /* calls before answering false; -1 never */
};

static bool record(void *user, enum stm32_phase phase, uint64_t done, uint64_t total, uint32_t address)
{
	(void)address;
	struct progress_log *log = user;
	if (log->phases == 0 || log->order[log->phases - 1] != (int)phase)
		if (log->phases < 16)
			log->order[log->phases++] = (int)phase;
	log->calls[phase]++;
	assert_true(done <= total);
	log->last_done[phase] = done;
	log->last_total[phase] = total;
	if (log->cancel_after >= 0 && log->cancel_after-- == 0)
		return false;
	return true;
}

static struct stm32_image pattern_image(uint32_t address, size_t length)
{
	struct stm32_image image;
	stm32_image_init(&image);
	uint8_t *data = malloc(length);
	assert_non_null(data);
	for (size_t i = 0; i < length; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(stm32_image_add(&image, address, data, length, NULL), STM32_OK);
	free(data);
	return image;
}

static void plan_image(struct rig *r, const struct stm32_image *image, struct stm32_plan *plan)
{
	struct stm32_plan_options opts;
	stm32_plan_options_default(&opts);
	r->retries = 3;
	assert_int_equal(stm32_plan_write(&r->target->desc, image, &opts, plan, NULL), STM32_OK);
}

static void assert_flash_holds(struct rig *r, const struct stm32_image *image)
{
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *s = &image->segments[i];
		assert_memory_equal(r->fake.flash + (s->address - r->fake.dev->flash_start), s->data, s->length);
	}
}

/* ---- tests ---- */

static void writes_erases_and_verifies(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	struct progress_log log = { .cancel_after = -1 };
	rig_init(&r, "stm32f103xb");
	memset(r.fake.flash, 0x00, r.fake.dev->flash_size); /* old contents everywhere */
	struct stm32_image image = pattern_image(0x08000000, 3001);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, record, &log, NULL, &err), STM32_OK);
	assert_flash_holds(&r, &image);
	assert_int_equal(r.fake.flash[3001], 0xFF);   /* padding of the last block */
	assert_int_equal(r.fake.flash[3 * 1024], 0x00); /* page 3 untouched */
	assert_int_equal(r.fake.page_erase_commands, 1);
	assert_int_equal(r.fake.pages_erased, 3);
	assert_int_equal(r.fake.commands[0x31], 12);
	assert_int_equal(r.fake.commands[0x11], 12); /* 3001 bytes read back in 256s */
	assert_int_equal(r.fake.nacks, 0);
	assert_int_equal(log.phases, 3);
	assert_int_equal(log.order[0], STM32_PHASE_ERASE);
	assert_int_equal(log.order[1], STM32_PHASE_WRITE);
	assert_int_equal(log.order[2], STM32_PHASE_VERIFY);
	/* With verify, write counts the file's bytes as verify does, not the
	 * padding of the last block (issue 11). */
	assert_int_equal(log.last_done[STM32_PHASE_WRITE], 3001);
	assert_int_equal(log.last_done[STM32_PHASE_VERIFY], 3001);
	assert_int_equal(log.last_done[STM32_PHASE_ERASE], 3);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void nacked_block_is_retried_after_resync(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x31, 3, 2, FAULT_NACK);
	struct stm32_image image = pattern_image(0x08000000, 2048);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_flash_holds(&r, &image);
	assert_int_equal(r.fake.commands[0x31], 8 + 2);
	assert_true(r.fake.nacks >= 4); /* two refusals, and each resync ends on a NACK */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void lost_ack_block_is_not_rewritten(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x31, 2, 1, FAULT_LOSE_ACK);
	add_fault(&r, 0x31, 5, 1, FAULT_GARBLE_REPLY);
	struct stm32_image image = pattern_image(0x08000000, 2048);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_flash_holds(&r, &image);
	assert_int_equal(r.fake.commands[0x31], 8); /* read back instead of writing twice */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void persistent_nack_fails_naming_the_block(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x31, 2, 100, FAULT_NACK);
	struct stm32_image image = pattern_image(0x08000000, 1024);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_E_NACK);
	assert_int_equal(err.status, STM32_E_NACK);
	assert_int_equal(err.command, STM32_CMD_WRITE_MEMORY);
	assert_true(err.has_address);
	assert_int_equal(err.address, 0x08000100);
	assert_int_equal(r.fake.commands[0x31], 1 + 4); /* first block, then 1 + 3 retries */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void verify_names_first_difference(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	r.fake.stuck_address = 0x08000123;
	struct stm32_image image = pattern_image(0x08000000, 1024);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_E_VERIFY);
	assert_int_equal(err.address, 0x08000123);
	char expected[160];
	snprintf(expected, sizeof(expected),
		 "verify failed at 0x08000123: expected 0x%02X, read 0xFF (still after erasing and "
		 "rewriting its erase unit %u times)",
		 (uint8_t)(0x123 * 7 + 3), r.retries);
	assert_string_equal(err.message, expected);
	/* the stuck byte's page was erased again once per retry, nothing else */
	assert_int_equal(r.fake.pages_erased, 1 + r.retries);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

/* Read Memory has no checksum: a byte flipped on the way back during verify
 * is read again, not taken for a flash error, and nothing is rewritten. */
static void flipped_byte_on_read_back_is_read_again(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	struct stm32_flash_report report;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x11, 2, 2, FAULT_FLIP_READ); /* the second read, and its first re-read */
	struct stm32_image image = pattern_image(0x08000000, 1024);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, &report, &err),
			 STM32_OK);
	assert_true(report.verified);
	assert_int_equal(report.units_rewritten, 0);
	assert_int_equal(r.fake.commands[0x11], 4 + 2); /* 1024 bytes: 4 reads, 2 re-reads */
	assert_int_equal(r.fake.pages_erased, 1);
	assert_memory_equal(r.fake.flash, image.segments[0].data, 1024);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

/* A write the chip ACKed without programming (it reset in the middle of the
 * block and synced on a 0x7F in the data) is caught by verify; its page is
 * erased again and rewritten, and the run ends verified. */
static void block_lost_to_a_reset_is_rewritten(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	struct stm32_flash_report report;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x31, 6, 1, FAULT_DROP_WRITE); /* the 6th block: the second 1 KiB page */
	struct stm32_image image = pattern_image(0x08000000, 2048);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, &report, &err),
			 STM32_OK);
	assert_true(report.verified);
	assert_int_equal(report.units_rewritten, 1);
	assert_int_equal(r.fake.pages_erased, 2 + 1);
	assert_int_equal(r.fake.commands[0x31], 8 + 4); /* the page's 4 blocks again */
	assert_memory_equal(r.fake.flash, image.segments[0].data, 2048);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

/* A page that keeps losing its block: rewritten plan->retries times, then a
 * clear verify failure; without retries (-n 0) it is not rewritten at all. */
static void persistently_lost_block_fails_after_retries(void **state)
{
	(void)state;
	for (unsigned retries = 0; retries <= 2; retries += 2) {
		struct rig r;
		struct stm32_plan plan;
		struct stm32_error err;
		struct stm32_flash_report report;
		rig_init(&r, "stm32f103xb");
		add_fault(&r, 0x31, 1, 100, FAULT_DROP_WRITE);
		struct stm32_image image = pattern_image(0x08000000, 512);
		plan_image(&r, &image, &plan);
		r.retries = retries;
		assert_int_equal(execute(&r, &plan, NULL, NULL, &report, &err),
				 STM32_E_VERIFY);
		assert_int_equal(err.address, 0x08000000);
		assert_int_equal(report.units_rewritten, retries);
		assert_int_equal(r.fake.pages_erased, 1 + retries);
		assert_true(retries == 0 || strstr(err.message, "rewriting its erase unit 2 times"));
		stm32_plan_free(&plan);
		stm32_image_free(&image);
		rig_free(&r);
	}
}

static void garbled_read_during_verify_is_retried(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	add_fault(&r, 0x11, 2, 1, FAULT_LOSE_ACK);
	struct stm32_image image = pattern_image(0x08000000, 1024);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_int_equal(r.fake.commands[0x11], 5);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void callback_cancels(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_error err;
	struct progress_log log = { .cancel_after = 3 }; /* erase start, erase step, write start, 1 block */
	rig_init(&r, "stm32f103xb");
	struct stm32_image image = pattern_image(0x08000000, 2048);
	plan_image(&r, &image, &plan);
	assert_int_equal(execute(&r, &plan, record, &log, NULL, &err), STM32_E_CANCELLED);
	assert_int_equal(r.fake.commands[0x31], 1);
	assert_int_equal(r.fake.commands[0x11], 0);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	rig_free(&r);
}

static void erase_plans_mass_and_chunked(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_plan_options opts;
	struct stm32_error err;
	stm32_plan_options_default(&opts);

	rig_init(&r, "stm32f103xb");
	memset(r.fake.flash, 0, r.fake.dev->flash_size);
	assert_int_equal(stm32_plan_erase(&r.target->desc, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_int_equal(r.fake.mass_erases, 1);
	assert_int_equal(r.fake.flash[r.fake.dev->flash_size - 1], 0xFF);
	stm32_plan_free(&plan);
	rig_free(&r);

	/* L0 has no mass erase: 1536 pages go out as 511 + 511 + 511 + 3 */
	rig_init(&r, "stm32l07x");
	memset(r.fake.flash, 0, r.fake.dev->flash_size);
	assert_int_equal(stm32_plan_erase(&r.target->desc, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_int_equal(r.fake.mass_erases, 0);
	assert_int_equal(r.fake.page_erase_commands, 4);
	assert_int_equal(r.fake.pages_erased, 1536);
	for (uint32_t i = 0; i < r.fake.dev->flash_size; i++)
		if (r.fake.flash[i] != 0xFF)
			fail_msg("byte %u not erased", i);
	stm32_plan_free(&plan);
	rig_free(&r);

	/* L476 bank 2 through the bank erase code */
	rig_init(&r, "stm32l476rg");
	memset(r.fake.flash, 0, r.fake.dev->flash_size);
	opts.has_range = true;
	opts.range_address = 0x08080000;
	assert_int_equal(stm32_plan_erase(&r.target->desc, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_OK);
	assert_int_equal(r.fake.bank_erases, 1);
	assert_int_equal(r.fake.flash[0x7FFFF], 0x00);
	assert_int_equal(r.fake.flash[0x80000], 0xFF);
	stm32_plan_free(&plan);
	rig_free(&r);
}

static void legacy_erase_cannot_name_high_pages(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_plan_options opts;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	opts.has_pages = true;
	opts.first_page = 300;
	opts.page_count = 2;
	rig_init(&r, "stm32f10x-xl"); /* 512 pages, 0x43 only */
	assert_int_equal(stm32_plan_erase(&r.target->desc, &opts, &plan, NULL), STM32_OK);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_E_UNSUPPORTED);
	assert_int_equal(r.fake.commands[0x43], 0);
	stm32_plan_free(&plan);
	rig_free(&r);
}

static void plan_for_another_device_is_refused(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_plan plan;
	struct stm32_plan_options opts;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	rig_init(&r, "stm32f103xb");
	assert_int_equal(stm32_plan_erase(rom_target(stm32_device_find("stm32f407xg")), &opts, &plan, NULL), STM32_OK);
	assert_int_equal(execute(&r, &plan, NULL, NULL, NULL, &err), STM32_E_INVALID);
	assert_int_equal(r.fake.mass_erases + r.fake.page_erase_commands, 0);
	stm32_plan_free(&plan);
	rig_free(&r);
}

static void reads_memory(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_error err;
	struct progress_log log = { .cancel_after = -1 };
	rig_init(&r, "stm32f103xb");
	for (uint32_t i = 0; i < 1000; i++)
		r.fake.flash[0x400 + i] = (uint8_t)(i ^ 0x5A);
	add_fault(&r, 0x11, 2, 1, FAULT_GARBLE_REPLY);
	uint8_t buffer[1000];
	struct stm32_flash_options read_options = rig_options(&r, record, &log);
	assert_int_equal(stm32_flash_read(r.target, 0x08000400, 1000, buffer, &read_options, &err), STM32_OK);
	assert_memory_equal(buffer, r.fake.flash + 0x400, 1000);
	assert_int_equal(r.fake.commands[0x11], 5); /* 4 chunks + the retried one */
	assert_int_equal(log.last_done[STM32_PHASE_READ], 1000);
	assert_int_equal(log.last_total[STM32_PHASE_READ], 1000);

	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(stm32_flash_read_image(r.target, 0x08000400, 16, &image, NULL, &err), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x08000400);
	assert_memory_equal(image.segments[0].data, r.fake.flash + 0x400, 16);
	stm32_image_free(&image);
	rig_free(&r);
}

static void checksum_on_device_and_by_reading(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_error err;
	uint32_t crc = 0;
	bool on_device = true;
	rig_init(&r, "stm32f103xb");
	for (uint32_t i = 0; i < 4096; i++)
		r.fake.flash[i] = (uint8_t)(i * 13);
	uint32_t want = stm32_crc32(0xFFFFFFFFu, r.fake.flash, 4096);
	assert_int_equal(stm32_flash_checksum(r.target, 0x08000000, 4096, &crc, &on_device, NULL, &err), STM32_OK);
	assert_false(on_device);
	assert_int_equal(crc, want);
	assert_int_equal(r.fake.commands[0x11], 16);

	r.fake.has_checksum = true;
	r.session.bl.cmd_checksum = STM32_CMD_GET_CHECKSUM;
	rig_wrap(&r);
	crc = 0;
	assert_int_equal(stm32_flash_checksum(r.target, 0x08000000, 4096, &crc, &on_device, NULL, &err), STM32_OK);
	assert_true(on_device);
	assert_int_equal(crc, want);
	assert_int_equal(r.fake.commands[0xA1], 1);
	assert_int_equal(r.fake.commands[0x11], 16);

	assert_int_equal(stm32_flash_checksum(r.target, 0x08000002, 8, &crc, NULL, NULL, &err), STM32_E_INVALID);
	rig_free(&r);
}

static void reset_stub_is_a_vector_table_and_aircr_write(void **state)
{
	(void)state;
	const struct stm32_device *f1 = stm32_device_find("stm32f103xb");
	uint8_t stub[STM32_RESET_STUB_MAX];
	size_t length = stm32_rom_reset_stub(f1, stub);
	assert_true(length >= 16 && length <= STM32_RESET_STUB_MAX);
	assert_int_equal(length % 4, 0);
	uint32_t sp = stub[0] | stub[1] << 8 | stub[2] << 16 | (uint32_t)stub[3] << 24;
	uint32_t pc = stub[4] | stub[5] << 8 | stub[6] << 16 | (uint32_t)stub[7] << 24;
	assert_true(sp > f1->ram_start && sp <= f1->ram_end);
	assert_int_equal(sp % 8, 0);
	assert_int_equal(pc & 1, 1);                     /* Thumb */
	assert_int_equal(pc & ~1u, f1->ram_start + 8);   /* code right after the table */
	static const uint8_t aircr[4] = { 0x0C, 0xED, 0x00, 0xE0 }, key[4] = { 0x04, 0x00, 0xFA, 0x05 };
	assert_non_null(memmem(stub, length, aircr, 4));
	assert_non_null(memmem(stub, length, key, 4));
	/* a device whose RAM table leaves no room gets no stub */
	assert_int_equal(stm32_rom_reset_stub(stm32_device_find("stm32f04x"), stub), 0);
}

/* The words the stub's LDR (literal) instructions load, in program order:
 * checks the hand-assembled offsets against the literals they must reach. */
static size_t loaded_literals(const uint8_t *stub, size_t length, uint32_t *out, size_t max)
{
	size_t count = 0;
	for (size_t at = 8; at + 2 <= length && count < max; at += 2) {
		uint16_t halfword = (uint16_t)(stub[at] | stub[at + 1] << 8);
		if (halfword == 0xE7FE) /* B . : the end of the code */
			break;
		if ((halfword & 0xF800) != 0x4800)
			continue;
		uint32_t pc = (uint32_t)at + 4u;
		size_t literal = (pc & ~3u) + (size_t)(halfword & 0xFF) * 4u;
		assert_true(literal + 4 <= length);
		out[count++] = stub[literal] | stub[literal + 1] << 8 | stub[literal + 2] << 16 |
			       (uint32_t)stub[literal + 3] << 24;
	}
	return count;
}

static void reset_stubs_load_the_right_literals(void **state)
{
	(void)state;
	uint8_t stub[STM32_RESET_STUB_MAX];
	uint32_t words[8];
	size_t length = stm32_rom_reset_stub(stm32_device_find("stm32f103xb"), stub);
	assert_int_equal(loaded_literals(stub, length, words, 8), 2);
	assert_int_equal(words[0], 0xE000ED0Cu);
	assert_int_equal(words[1], 0x05FA0004u);
	length = stm32_rom_reset_stub(stm32_device_find("stm32f030xc"), stub);
	assert_int_equal(loaded_literals(stub, length, words, 8), 2);
	assert_int_equal(words[0], 0x40022010u);
	assert_int_equal(words[1], 0x00002000u);
	const struct stm32_device *l45 = stm32_device_find("stm32l45x");
	assert_true(l45->flags & STM32_DEV_PEMPTY);
	length = stm32_rom_reset_stub(l45, stub);
	assert_true(length > 0 && length <= STM32_RESET_STUB_MAX);
	assert_int_equal(loaded_literals(stub, length, words, 8), 4);
	assert_int_equal(words[0], 0x40022010u); /* FLASH_SR */
	assert_int_equal(words[1], 0x00020000u); /* PEMPTY */
	assert_int_equal(words[2], 0xE000ED0Cu);
	assert_int_equal(words[3], 0x05FA0004u);
}

/* F030xC/F09x: an option-byte reload (FLASH_CR.OBL_LAUNCH), the same code
 * with the other register and value, and no AIRCR write. */
static void reset_stub_reloads_option_bytes_on_obl_launch_parts(void **state)
{
	(void)state;
	const struct stm32_device *f0 = stm32_device_find("stm32f030xc");
	assert_true(f0->flags & STM32_DEV_OBL_LAUNCH);
	uint8_t stub[STM32_RESET_STUB_MAX], plain[STM32_RESET_STUB_MAX];
	size_t length = stm32_rom_reset_stub(f0, stub);
	assert_true(length >= 16);
	static const uint8_t flash_cr[4] = { 0x10, 0x20, 0x02, 0x40 }, obl[4] = { 0x00, 0x20, 0x00, 0x00 };
	static const uint8_t aircr[4] = { 0x0C, 0xED, 0x00, 0xE0 };
	assert_non_null(memmem(stub, length, flash_cr, 4));
	assert_non_null(memmem(stub, length, obl, 4));
	assert_null(memmem(stub, length, aircr, 4));
	assert_int_equal(stm32_rom_reset_stub(stm32_device_find("stm32f103xb"), plain), length);
	assert_memory_equal(stub + 8, plain + 8, 12); /* the same instructions */
}

static void reset_writes_stub_and_goes(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	assert_int_equal(stm32_target_reset(r.target, &err), STM32_OK);
	assert_int_equal(r.fake.commands[0x31], 1);
	assert_int_equal(r.fake.commands[0x21], 1);
	assert_int_equal(r.fake.go_address, r.fake.dev->ram_start);
	assert_true(r.fake.reset_requested);
	rig_free(&r);

	rig_init(&r, "stm32f04x");
	assert_int_equal(stm32_target_reset(r.target, &err), STM32_E_UNSUPPORTED);
	assert_int_equal(r.fake.commands[0x31], 0);
	rig_free(&r);
}

static void go_checks_alignment(void **state)
{
	(void)state;
	struct rig r;
	struct stm32_error err;
	rig_init(&r, "stm32f103xb");
	assert_int_equal(stm32_target_go(r.target, 0x08000002, &err), STM32_E_INVALID);
	assert_int_equal(r.fake.commands[0x21], 0);
	assert_int_equal(stm32_target_go(r.target, 0x08000000, &err), STM32_OK);
	assert_int_equal(r.fake.go_address, 0x08000000);
	assert_false(r.fake.reset_requested);
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_erases_and_verifies),
		cmocka_unit_test(nacked_block_is_retried_after_resync),
		cmocka_unit_test(lost_ack_block_is_not_rewritten),
		cmocka_unit_test(persistent_nack_fails_naming_the_block),
		cmocka_unit_test(verify_names_first_difference),
		cmocka_unit_test(garbled_read_during_verify_is_retried),
		cmocka_unit_test(flipped_byte_on_read_back_is_read_again),
		cmocka_unit_test(block_lost_to_a_reset_is_rewritten),
		cmocka_unit_test(persistently_lost_block_fails_after_retries),
		cmocka_unit_test(callback_cancels),
		cmocka_unit_test(erase_plans_mass_and_chunked),
		cmocka_unit_test(legacy_erase_cannot_name_high_pages),
		cmocka_unit_test(plan_for_another_device_is_refused),
		cmocka_unit_test(reads_memory),
		cmocka_unit_test(checksum_on_device_and_by_reading),
		cmocka_unit_test(reset_stub_is_a_vector_table_and_aircr_write),
		cmocka_unit_test(reset_stub_reloads_option_bytes_on_obl_launch_parts),
		cmocka_unit_test(reset_stubs_load_the_right_literals),
		cmocka_unit_test(reset_writes_stub_and_goes),
		cmocka_unit_test(go_checks_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
