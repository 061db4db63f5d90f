/* The RAM stub behind struct stm32_target_ops: loading it through the ROM
 * back end's public API, then each entry as one stub request (write and
 * read as a window of frames). */
#include "stm32boot/stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/stub_baud.h"
#include "stub/stub_load.h"
#include "stub/stub_lz4.h"
#include "stub/stub_pipe.h"
#include "stub/stub_session.h"

#define STUB_MAX_REQUEST (16u * 1024u) /* bytes per read or write entry */
#define STUB_ERASE_UNITS_PER_REQUEST 64u
#define STUB_RESYNC_ATTEMPTS 4u
#define STUB_RESYNC_WAIT_MS 600u
#define STUB_HSI_HZ_F1 8000000u /* the F1 HSI, where an STUB_PARAM_HSI_ONLY part stays */
#define STUB_LOST_ANNOUNCE_ATTEMPTS 2u /* HELLOs after an announcement that did not come whole */
#define STUB_LOAD_ATTEMPTS 4u /* longer than the stub's wait for a read's acks */

struct stub_backend {
	struct stub_session session;
	struct stm32_device device; /* a copy: the ROM target is closed before us */
	struct stub_placement place;
	uint8_t *image;             /* as loaded: loaded again after a chip reset */
	struct stm32_stub_options opts;
	struct stub_baud baud;      /* the ROM's rate, the rate now, the one asked for */
	struct stub_pipe pipe;      /* frames in flight, held-back erases */
	uint64_t data_bytes, sent_bytes; /* write data, and what went on the wire for it */
	unsigned frames, compressed_frames;
};

static enum stm32_status start_stub(struct stub_backend *b, struct stm32_target *rom,
				    struct stm32_error *err);

static struct stub_backend *backend(struct stm32_target *t)
{
	return t->backend;
}

void stm32_stub_options_default(struct stm32_stub_options *opts)
{
	*opts = (struct stm32_stub_options){.answer_ms = 1000, .silence_ms = 10000};
}

bool stm32_stub_supported(const struct stm32_device *device, char *why, size_t why_size)
{
	struct stub_placement p;
	char scratch[200];
	return stub_place(device, &p, why ? why : scratch, why ? why_size : sizeof(scratch));
}

size_t stm32_stub_image_size(const struct stm32_device *device)
{
	struct stub_placement p;
	char why[200];
	return stub_place(device, &p, why, sizeof(why)) ? p.image->size : 0;
}

const char *stm32_stub_image_name(const struct stm32_device *device)
{
	struct stub_placement p;
	char why[200];
	return stub_place(device, &p, why, sizeof(why)) ? p.image->name : NULL;
}

/* Per request: frames of 1 KiB carry 10 bytes of framing + 4 of address
 * (reads: + 1 status + 4 offset, and a 14-byte acknowledgement), each
 * answered by an 11-byte reply; 16 KiB requests. */
void stm32_stub_describe(const struct stm32_device *device, unsigned baud,
			 struct stm32_target_desc *out)
{
	struct stub_placement p;
	char why[200];
	uint32_t chunk = stub_place(device, &p, why, sizeof(why)) ? stub_image_chunk(p.image)
								  : STUB_WRITE_CHUNK;
	uint32_t frames = STUB_MAX_REQUEST / chunk;
	unsigned caps = STM32_CAP_READ | STM32_CAP_WRITE | STM32_CAP_ERASE | STM32_CAP_CRC |
			STM32_CAP_GO;
	if (!stm32_device_latches_empty_check(device))
		caps |= STM32_CAP_RESET; /* else see stub_reset */
	if (!(device->flags & STM32_DEV_NO_MASS_ERASE))
		caps |= STM32_CAP_MASS_ERASE;
	if (device->bank_count == 2)
		caps |= STM32_CAP_BANK_ERASE;
	*out = (struct stm32_target_desc){
		.name = "RAM stub",
		.device = device,
		.caps = caps,
		.max_read = STUB_MAX_REQUEST,
		.max_write = STUB_MAX_REQUEST,
		.erase_units_per_request = STUB_ERASE_UNITS_PER_REQUEST,
		.max_erase_unit = 0xFFFFu,
		.cost = {
			.bits_per_byte = 11, /* 8E1, the ROM's framing, kept */
			.bits_per_second = baud,
			.read_overhead = 18 + frames * (STUB_FRAME_OVERHEAD + 5 + 14),
			.read_round_trips = 1,
			.write_overhead = frames * (STUB_FRAME_OVERHEAD + 4 + 11),
			.write_round_trips = 1,
			.erase_overhead = STUB_FRAME_OVERHEAD + 4 + 11,
			.erase_unit_bytes = 2,
			.erase_round_trips = 1,
			.crc_overhead = STUB_FRAME_OVERHEAD + 8 + 15,
			.crc_round_trips = 1,
			.round_trip_us = 1000,
		},
	};
}

void stm32_stub_describe_at(const struct stm32_device *device, unsigned stub_baud,
			    unsigned bits_per_byte, struct stm32_target_desc *out)
{
	stm32_stub_describe(device, stub_baud, out);
	out->cost.bits_per_byte = bits_per_byte;
}

unsigned stm32_stub_planned_baud(const struct stm32_device *device, unsigned rom_baud,
				 unsigned baud)
{
	struct stub_placement p;
	char why[200];
	if (!stub_place(device, &p, why, sizeof(why)))
		return rom_baud;
	if (stub_hsi_only(device))
		return stub_baud_planned_at(p.chip, STUB_HSI_HZ_F1, rom_baud, baud);
	return stub_baud_planned(p.chip, rom_baud, baud);
}

/* Time one frame of programming may take: three times typical. */
static unsigned program_ms(const struct stm32_device *d, size_t bytes)
{
	uint32_t unit = d->program_unit ? d->program_unit : 2u;
	return (unsigned)((bytes / unit) * d->t_prog_us * 3u / 1000u + 1u);
}

static unsigned unit_erase_ms(const struct stm32_device *d, long unit)
{
	uint32_t address, size;
	if (unit < 0 || !stm32_device_sector(d, (size_t)unit, &address, &size))
		return 0;
	return stm32_device_erase_ms(d, size) * 4u;
}

/* Everything in flight answered, and every held-back erase done: what the
 * entries so far said is now true of the flash. */
static enum stm32_status settle(struct stub_backend *b, struct stm32_error *err)
{
	enum stm32_status st = stub_pipe_drain(&b->pipe, &b->session, err);
	if (st != STM32_OK || b->pipe.held_count == 0)
		return st;
	unsigned ms = 500u;
	for (size_t u = 0; u < b->pipe.unit_count; u++)
		if (b->pipe.held[u])
			ms += unit_erase_ms(&b->device, (long)u);
	uint8_t payload[4] = {STUB_ERASE_DEFERRED, 0, 0, 0};
	st = stub_pipe_push(&b->pipe, &b->session, STUB_CMD_ERASE, payload, sizeof(payload), ms,
			    b->device.flash_start, -2, err);
	return st == STM32_OK ? stub_pipe_drain(&b->pipe, &b->session, err) : st;
}

static enum stm32_status stub_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				   size_t length, struct stm32_error *err)
{
	enum stm32_status st = settle(backend(t), err);
	return st != STM32_OK ? st : stub_session_read(&backend(t)->session, address, data, length, err);
}

/* Ahead of the first frame into a unit whose erase is held back, the
 * ERASE DEFERRED that erases it: the frames behind it arrive meanwhile. */
static enum stm32_status erase_ahead(struct stub_backend *b, uint32_t address, size_t n,
				     struct stm32_error *err)
{
	long first = stm32_device_sector_at(&b->device, address);
	long last = stm32_device_sector_at(&b->device, address + (uint32_t)n - 1u);
	for (long unit = first; unit >= 0 && unit <= last; unit++) {
		if (!stub_pipe_ask(&b->pipe, unit))
			continue;
		uint8_t payload[6] = {STUB_ERASE_DEFERRED, 0, 1, 0};
		stub_put16(payload + 4, (uint32_t)unit);
		enum stm32_status st =
			stub_pipe_push(&b->pipe, &b->session, STUB_CMD_ERASE, payload, sizeof(payload),
				       unit_erase_ms(&b->device, unit) + 500u, address, unit, err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

/* Held-back erases and frames across entries, where asked for and the line
 * leaves the stub time for them. The F1 stub at 32 MHz overran its USART
 * at 2 Mbaud while it erased a held-back unit with the window full
 * (hundreds of overruns, nine times the bytes, in a 64 KiB write on the
 * emulator); at 64 MHz, with its waits three-register polls, it does not
 * (no overrun in W8), so the rule now only keeps out faster rates. */
#define STUB_OVERLAP_MAX_BAUD 2000000u

static bool overlapping(const struct stub_backend *b)
{
	return b->opts.overlap && b->baud.now.baud <= STUB_OVERLAP_MAX_BAUD;
}

/* One frame's payload: WRITE (address, data), or WRITE_LZ4 (address,
 * decoded length, the LZ4 block) when the stub decodes and the block is
 * smaller; returns its length (4 + n: uncompressed). */
static size_t write_payload(struct stub_backend *b, uint32_t address, const uint8_t *data,
			    size_t n, uint8_t *payload)
{
	stub_put32(payload, address);
	size_t packed = 0;
	if (b->session.hello.caps & STUB_CAP_LZ4)
		packed = stub_lz4_compress(data, n, payload + 6, n - 3); /* at least a byte saved */
	b->frames++;
	b->data_bytes += n;
	if (packed == 0) {
		memcpy(payload + 4, data, n);
		b->sent_bytes += n;
		return 4 + n;
	}
	stub_put16(payload + 4, (uint32_t)n);
	b->compressed_frames++;
	b->sent_bytes += 2 + packed;
	return 6 + packed;
}

/* Frames of the stub's chunk (STUB_WRITE_CHUNK, or what the small image
 * takes); with opts.overlap the entry returns with up to a window of them
 * unanswered (stm32_stub_finish waits for them). */
/* What the stub's HELLO says it will not touch (WB: CPU2's secure flash,
 * read by the stub from FLASH_SFR): refused here before any frame goes,
 * the way the SWD loader refuses it (stlink_loader_family.c). */
static enum stm32_status refuse_secure(const struct stub_backend *b, uint32_t address, uint64_t end,
				       const char *what, struct stm32_error *err)
{
	uint32_t secure = b->session.hello.secure_start;
	if (!secure || end <= secure)
		return STM32_OK;
	uint32_t at = address > secure ? address : secure;
	uint32_t page = b->device.layout_runs ? b->device.layout[0].size : 1u;
	return stm32_error_set(err, STM32_E_RANGE,
			       "%s would reach 0x%08X, CPU2's secure flash (from 0x%08X, FLASH_SFR.SFSA "
			       "0x%02X): not touched",
			       what, at, secure, (secure - b->device.flash_start) / page);
}

static enum stm32_status stub_write(struct stm32_target *t, uint32_t address, const uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	struct stub_backend *b = backend(t);
	enum stm32_status refused = refuse_secure(b, address, (uint64_t)address + length, "writing", err);
	if (refused != STM32_OK)
		return refused;
	size_t chunk = stub_hello_chunk(&b->session.hello);
	unsigned work = program_ms(&b->device, chunk);
	uint8_t payload[STUB_MAX_PAYLOAD];
	for (size_t done = 0; done < length; done += chunk) {
		size_t n = length - done < chunk ? length - done : chunk;
		uint32_t at = address + (uint32_t)done;
		enum stm32_status st = erase_ahead(b, at, n, err);
		size_t length = write_payload(b, at, data + done, n, payload);
		uint8_t code = length == 4 + n ? STUB_CMD_WRITE : STUB_CMD_WRITE_LZ4;
		if (st == STM32_OK)
			st = stub_pipe_push(&b->pipe, &b->session, code, payload, length, work, at, -1, err);
		if (st != STM32_OK)
			return st;
	}
	return overlapping(b) ? STM32_OK : stub_pipe_drain(&b->pipe, &b->session, err);
}

static unsigned erase_ms(const struct stm32_device *d, const struct stm32_erase_request *r)
{
	if (r->kind != STM32_ERASE_REQUEST_UNITS)
		return (d->t_mass_ms ? d->t_mass_ms : 1000u) * 4u + 1000u;
	unsigned ms = 0;
	for (size_t i = 0; i < r->count; i++) {
		uint32_t address, size;
		if (stm32_device_sector(d, r->units[i], &address, &size))
			ms += stm32_device_erase_ms(d, size) * 4u;
	}
	return ms + 500u;
}

/* With opts.overlap, units are held back (ERASE DEFER, answered at once):
 * each is erased ahead of the first write into it, the rest when the
 * back end settles. */
static bool can_hold_back(const struct stub_backend *b, const struct stm32_erase_request *r)
{
	if (!overlapping(b) || r->kind != STM32_ERASE_REQUEST_UNITS ||
	    !(b->session.hello.caps & STUB_CAP_DEFER_ERASE))
		return false;
	for (size_t i = 0; i < r->count; i++)
		if (r->units[i] >= STUB_DEFER_MAX_UNITS || r->units[i] >= b->pipe.unit_count)
			return false;
	return true;
}

static enum stm32_status stub_erase(struct stm32_target *t, const struct stm32_erase_request *r,
				    struct stm32_error *err)
{
	struct stub_backend *b = backend(t);
	uint8_t payload[4 + 2 * STUB_ERASE_UNITS_PER_REQUEST];
	if (r->kind == STM32_ERASE_REQUEST_UNITS && r->count > STUB_ERASE_UNITS_PER_REQUEST)
		return stm32_error_set(err, STM32_E_INVALID, "%zu units in one stub erase (at most %u)",
				       r->count, STUB_ERASE_UNITS_PER_REQUEST);
	if (r->kind != STM32_ERASE_REQUEST_UNITS &&
	    refuse_secure(b, b->device.flash_start,
			  (uint64_t)b->device.flash_start + b->device.flash_size, "a mass or bank erase",
			  err) != STM32_OK)
		return STM32_E_RANGE;
	for (size_t i = 0; r->kind == STM32_ERASE_REQUEST_UNITS && i < r->count; i++) {
		uint32_t address, size;
		if (stm32_device_sector(&b->device, r->units[i], &address, &size) &&
		    refuse_secure(b, address, (uint64_t)address + size, "erasing", err) != STM32_OK)
			return STM32_E_RANGE;
	}
	enum stm32_status st = stub_pipe_drain(&b->pipe, &b->session, err);
	if (st != STM32_OK)
		return st;
	bool hold = can_hold_back(b, r);
	payload[0] = r->kind == STM32_ERASE_REQUEST_MASS   ? STUB_ERASE_MASS
		     : r->kind == STM32_ERASE_REQUEST_BANK ? STUB_ERASE_BANK
		     : hold				   ? STUB_ERASE_DEFER
							   : STUB_ERASE_UNITS;
	payload[1] = (uint8_t)r->bank;
	size_t count = r->kind == STM32_ERASE_REQUEST_UNITS ? r->count : 0;
	stub_put16(payload + 2, (uint32_t)count);
	for (size_t i = 0; i < count; i++)
		stub_put16(payload + 4 + 2 * i, r->units[i]);
	struct stub_reply reply;
	st = stub_session_call(&b->session, STUB_CMD_ERASE, payload, 4 + 2 * count,
			       hold ? 0u : erase_ms(&b->device, r), &reply, err);
	if (st != STM32_OK)
		return st;
	if (reply.status != STUB_OK) {
		uint32_t at = 0;
		if (count)
			stm32_device_sector(&b->device, r->units[0], &at, &(uint32_t){0});
		return stub_status_error(&reply, "an erase", at, err);
	}
	if (hold)
		stub_pipe_hold(&b->pipe, r->units, count);
	else if (r->kind != STM32_ERASE_REQUEST_UNITS)
		memset(b->pipe.held, 0, b->pipe.unit_count), b->pipe.held_count = 0;
	return STM32_OK;
}

static enum stm32_status stub_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				  uint32_t *crc, struct stm32_error *err)
{
	struct stub_backend *b = backend(t);
	uint8_t payload[8];
	stub_put32(payload, address);
	stub_put32(payload + 4, length);
	struct stub_reply reply;
	enum stm32_status st = settle(b, err);
	/* The CRC unit takes a few cycles a word; the emulator's core less fast. */
	if (st == STM32_OK)
		st = stub_session_call(&b->session, STUB_CMD_CRC, payload, sizeof(payload),
				       500u + length / 512u, &reply, err);
	if (st != STM32_OK)
		return st;
	if (reply.status == STUB_E_RANGE)
		return stm32_error_set(err, STM32_E_NACK, "the stub computes CRCs of flash only");
	if (reply.status != STUB_OK)
		return stub_status_error(&reply, "a CRC", address, err);
	if (reply.length < 4)
		return stm32_error_set(err, STM32_E_PROTOCOL, "the stub's CRC reply was short");
	*crc = stub_get32(reply.body);
	return STM32_OK;
}

static enum stm32_status stub_leave(struct stm32_target *t, uint8_t code, const uint8_t *payload,
				    size_t length, const char *what, struct stm32_error *err)
{
	struct stub_reply reply;
	enum stm32_status st = settle(backend(t), err);
	if (st == STM32_OK)
		st = stub_session_call(&backend(t)->session, code, payload, length, 0, &reply, err);
	if (st == STM32_OK && reply.status != STUB_OK)
		st = stub_status_error(&reply, what, 0, err);
	return st;
}

static enum stm32_status stub_go(struct stm32_target *t, uint32_t address, struct stm32_error *err)
{
	uint8_t payload[4];
	stub_put32(payload, address);
	return stub_leave(t, STUB_CMD_GO, payload, sizeof(payload), "Go", err);
}

/* The stub's RESET is a plain SYSRESETREQ. Parts that pick the bootloader
 * again while their first flash word was blank at the last option load
 * (F030xC/F09x: OBL_LAUNCH) or while FLASH_SR.PEMPTY is set (L45x) need
 * what the ROM back end's reset does; not done here. */
static enum stm32_status stub_reset(struct stm32_target *t, struct stm32_error *err)
{
	const struct stm32_device *d = &backend(t)->device;
	if (stm32_device_latches_empty_check(d))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the stub cannot reset %s into its new program (its empty "
				       "check needs the ROM's reset); run -R without --stub",
				       d->name);
	return stub_leave(t, STUB_CMD_RESET, NULL, 0, "a reset", err);
}

/* The chip reset under the stub (a brown-out, a watchdog, NRST): the ROM
 * bootloader answers again, or does after the caller's re-entry sequence;
 * the stub is loaded and started once more. */
static enum stm32_status reload(struct stub_backend *b, struct stm32_error *err)
{
	struct stm32_rom_options ro;
	stm32_rom_options_default(&ro);
	ro.reenter = b->opts.reenter;
	ro.reenter_user = b->opts.reenter_user;
	struct stm32_target *rom = NULL;
	enum stm32_status st = stm32_rom_open(b->session.t, &ro, &rom, err);
	if (st != STM32_OK && st != STM32_E_IO && b->opts.reenter &&
	    b->opts.reenter(b->opts.reenter_user, err) == STM32_OK)
		st = stm32_rom_open(b->session.t, &ro, &rom, err);
	if (st != STM32_OK)
		return st;
	st = start_stub(b, rom, err);
	stm32_target_close(rom);
	if (st == STM32_OK)
		st = stub_baud_switch(&b->baud, &b->session, err);
	return st == STM32_OK ? stub_pipe_restart(&b->pipe, &b->session, true, err) : st;
}

/* HELLO at the rate both sides switched to; then at the start rate, where
 * a stub that heard nothing for silence_ms has gone back to (it switches
 * again once found); then the chip reset under it: the ROM, at the start
 * rate too. */
static enum stm32_status stub_recover(struct stm32_target *t, struct stm32_error *err)
{
	struct stub_backend *b = backend(t);
	/* A stub that fell back after a silence forgot what it held back
	 * (stub.c, fall_back): the units are held back again every time,
	 * which is harmless where it still holds them (tests/unit/stub/test_stub_emulator.c,
	 * held_back_erases_survive_a_fall_back_after_silence). */
	enum stm32_status st = stub_session_resync(&b->session, 3, STUB_RESYNC_WAIT_MS, err);
	if (st == STM32_OK)
		return stub_pipe_restart(&b->pipe, &b->session, true, err);
	if (st == STM32_E_IO)
		return st;
	bool switched = b->baud.now.baud != b->baud.start.baud ||
			b->baud.now.parity != b->baud.start.parity;
	if ((st = stub_baud_to_start(&b->baud, b->session.t, err)) != STM32_OK)
		return st;
	if (switched) {
		/* Fallen back to its start rate after a silence: it forgot what
		 * it held back; that is held back again, then the frames in
		 * flight go again. */
		st = stub_session_resync(&b->session, 2, STUB_RESYNC_WAIT_MS, err);
		if (st == STM32_OK)
			st = stub_baud_switch(&b->baud, &b->session, err);
		if (st == STM32_OK)
			return stub_pipe_restart(&b->pipe, &b->session, true, err);
		if (st == STM32_E_IO)
			return st;
	}
	return reload(b, err);
}

static void stub_close(struct stm32_target *t)
{
	if (!t)
		return;
	struct stub_backend *b = t->backend;
	if (b->pipe.count || b->pipe.held_count) /* stm32_stub_finish was not called */
		(void)settle(b, NULL);
	stub_pipe_free(&b->pipe);
	free(b->image);
	free(b);
	free(t);
}


static const struct stm32_target_ops stub_ops = {
	.read = stub_read,
	.write = stub_write,
	.erase = stub_erase,
	.crc = stub_crc,
	.go = stub_go,
	.reset = stub_reset,
	.recover = stub_recover,
	.close = stub_close,
};

/* One Write Memory into RAM, retried as the executor retries flash writes:
 * the ROM's own recovery (resync, re-entry) between attempts. Writing RAM
 * twice is harmless. */
static enum stm32_status load_block(struct stm32_target *rom, uint32_t address, const uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	enum stm32_status st = STM32_E_TIMEOUT;
	for (unsigned attempt = 0; attempt < STUB_LOAD_ATTEMPTS; attempt++) {
		if (attempt > 0 && stm32_target_recover(rom, err) == STM32_E_IO)
			return STM32_E_IO;
		stm32_error_clear(err);
		if ((st = stm32_target_write(rom, address, data, length, err)) == STM32_OK ||
		    st == STM32_E_IO)
			return st;
	}
	return st;
}

static enum stm32_status load_image(struct stm32_target *rom, const struct stub_placement *p,
				    const uint8_t *image, struct stm32_error *err)
{
	size_t block = rom->desc.max_write ? rom->desc.max_write : 256u;
	for (size_t done = 0; done < p->image->size; done += block) {
		size_t n = p->image->size - done < block ? p->image->size - done : block;
		enum stm32_status st = load_block(rom, p->load + (uint32_t)done, image + done, n, err);
		if (st != STM32_OK) {
			stm32_error_op(err, STM32_OP_CONNECT);
			return st;
		}
	}
	return stm32_target_go(rom, p->load, err);
}

/* The stub did not answer: put the chip back where the user can retry. */
static enum stm32_status silent_stub(const struct stm32_stub_options *o, uint32_t load,
				     struct stm32_error *err)
{
	char was[sizeof(err->message)];
	snprintf(was, sizeof(was), "%s", err ? err->message : "");
	if (o->reenter) {
		struct stm32_error reerr;
		stm32_error_clear(&reerr);
		bool back = o->reenter(o->reenter_user, &reerr) == STM32_OK;
		stm32_error_set(err, STM32_E_TIMEOUT,
				"the stub loaded at 0x%08X did not answer after Go (%s); %s", load, was,
				back ? "the chip was reset into its bootloader: run again with --no-stub"
				     : "resetting the chip into its bootloader failed too");
	} else {
		stm32_error_set(err, STM32_E_TIMEOUT,
				"the stub loaded at 0x%08X did not answer after Go (%s); reset the board "
				"with BOOT0 high and run again with --no-stub (or give -i so that "
				"stm32boot can reset it)",
				load, was);
	}
	stm32_error_op(err, STM32_OP_CONNECT);
	return STM32_E_TIMEOUT;
}

/* Load, Go, the stub's announcement, the first HELLO: STM32_E_TIMEOUT when
 * the stub stays silent. */
static enum stm32_status start_stub(struct stub_backend *b, struct stm32_target *rom,
				    struct stm32_error *err)
{
	enum stm32_status st = load_image(rom, &b->place, b->image, err);
	if (st != STM32_OK)
		return st;
	stub_session_init(&b->session, b->session.t);
	st = stub_session_await_announce(&b->session, b->opts.answer_ms, err);
	if (st == STM32_E_IO)
		return st;
	/* Whole, damaged on the line or lost there (a damaged header is hunted
	 * past, so that reads as silence), the announcement is followed by a
	 * HELLO asked for: a stub that answers none is silent (E_TIMEOUT). */
	unsigned attempts = st == STM32_OK ? STUB_RESYNC_ATTEMPTS : STUB_LOST_ANNOUNCE_ATTEMPTS;
	return stub_session_resync(&b->session, attempts, STUB_RESYNC_WAIT_MS, err);
}

enum stm32_status stm32_stub_open(struct stm32_target *rom, struct stm32_transport *t,
				  const struct stm32_stub_options *opts, struct stm32_target **out,
				  struct stm32_error *err)
{
	*out = NULL;
	struct stm32_rom_info info;
	if (!rom || !stm32_rom_info(rom, &info) || !rom->desc.device)
		return stm32_error_set(err, STM32_E_INVALID, "the stub is loaded through the ROM bootloader");
	if (t->kind != STM32_LINK_UART)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the stub talks over a UART only");
	struct stub_backend *b = calloc(1, sizeof(*b));
	struct stm32_target *target = calloc(1, sizeof(*target));
	char why[200];
	enum stm32_status st = STM32_E_NOMEM;
	if (!b || !target)
		goto fail;
	if (opts)
		b->opts = *opts;
	else
		stm32_stub_options_default(&b->opts);
	b->device = *rom->desc.device;
	if (!stub_place(&b->device, &b->place, why, sizeof(why))) {
		st = stm32_error_set(err, STM32_E_UNSUPPORTED, "%s", why);
		goto fail;
	}
	stub_baud_init(&b->baud, b->place.chip, t->baud, b->opts.baud);
	if ((st = stub_baud_precheck(&b->baud, b->place.chip, t, err)) != STM32_OK)
		goto fail;
	st = STM32_E_NOMEM;
	if (!(b->image = malloc(b->place.image->size)) ||
	    !stub_pipe_init(&b->pipe, stm32_device_sector_count(&b->device)))
		goto fail;
	stub_patch(&b->place, &b->device, t->baud, b->opts.silence_ms, b->image);
	b->session.t = t;
	st = start_stub(b, rom, err);
	if (st == STM32_E_TIMEOUT)
		st = silent_stub(&b->opts, b->place.load, err);
	if (st == STM32_OK)
		st = stub_baud_switch(&b->baud, &b->session, err);
	if (st != STM32_OK) {
		stm32_error_op(err, STM32_OP_CONNECT);
		goto fail;
	}
	bool n1 = b->baud.now.parity == 'n';
	stm32_stub_describe_at(&b->device, b->baud.now.baud, n1 ? 10u : 11u, &target->desc);
	target->desc.device = &b->device;
	target->ops = &stub_ops;
	target->chip = rom->chip;
	target->backend = b;
	*out = target;
	return STM32_OK;
fail:
	if (st == STM32_E_NOMEM)
		stm32_error_set(err, STM32_E_NOMEM, "out of memory loading the stub");
	if (b) {
		free(b->image);
		stub_pipe_free(&b->pipe);
	}
	free(b);
	free(target);
	return st;
}

bool stm32_stub_info(const struct stm32_target *t, struct stm32_stub_info *info)
{
	if (!t || t->ops != &stub_ops)
		return false;
	const struct stub_backend *b = t->backend;
	const struct stub_hello *h = &b->session.hello;
	*info = (struct stm32_stub_info){
		.image = b->place.image->name,
		.load_address = b->place.load,
		.image_size = b->place.image->size,
		.protocol = h->protocol,
		.driver = h->driver,
		.version = h->version,
		.window = h->window,
		.program_unit = h->program_unit,
		.caps = h->caps,
		.clock_hz = h->clock_hz,
		.baud = b->baud.now.baud,
		.framing = b->baud.now.parity == 'n' ? "8N1" : "8E1",
		.frames = b->frames,
		.compressed_frames = b->compressed_frames,
		.data_bytes = b->data_bytes,
		.sent_bytes = b->sent_bytes,
	};
	return true;
}

enum stm32_status stm32_stub_finish(struct stm32_target *t, struct stm32_error *err)
{
	if (!t || t->ops != &stub_ops)
		return STM32_OK;
	return settle(backend(t), err);
}
