/* Connecting to a bootloader: sync, ask who it is, learn what it will tell. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "rom/rom_internal.h"
#include "core/util.h"

#define RECONNECT_BOOT_MS 100    /* the ROM needs this long after a reset */
#define RECONNECT_ATTEMPTS 5
#define MIN_MASS_ERASE_MS 30000u
/* No part needs longer for a whole-chip erase (H7 x8: ~26 s); summing
 * per-page figures of page-only families must not yield hours. */
#define MAX_MASS_ERASE_MS 300000u
#define OPTION_BYTES_MAX 128u
#define IDENTITY_ATTEMPTS 6u    /* each of Get, Get Version, Get ID, asked again on noise */
#define PROTECTION_CONFIRMATIONS 2u /* refused reads (each already asked 3 times) */
#define DETAIL_READ_ATTEMPTS 3u
#define RESYNC_MS 1000u

void stm32_session_options_default(struct stm32_session_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->skip_sync = false;
	opts->sync_attempts = 3;
}

/* Stale bytes (a late ACK, line noise after a reset) would be taken as the
 * answer to 0x7F; dropping them is best effort. */
static void discard_input(struct stm32_transport *t)
{
	struct stm32_error ignored;
	stm32_error_clear(&ignored);
	if (t->ops->drain)
		t->ops->drain(t, &ignored);
}

/* After a garbled exchange: drop what is in flight and resynchronise (AN3155
 * FF 00 pairs); best effort, the next command tells whether it worked. */
static void get_back_in_step(struct stm32_bl *bl, bool may_sync)
{
	struct stm32_error ignored;
	stm32_error_clear(&ignored);
	discard_input(bl->transport);
	/* Nobody answering at all: the chip most likely reset and waits for its
	 * sync (0x7F on UART, 0x5A on SPI; nothing on I2C). */
	if (stm32_bl_resync(bl, RESYNC_MS, &ignored) == STM32_E_TIMEOUT && may_sync)
		(void)stm32_bl_sync(bl, &ignored);
	discard_input(bl->transport);
}

static enum stm32_status sync_rounds(struct stm32_bl *bl, unsigned attempts,
				     struct stm32_error *err)
{
	enum stm32_status st = STM32_E_TIMEOUT;
	if (attempts == 0)
		attempts = 1;
	for (unsigned i = 0; i < attempts; i++) {
		discard_input(bl->transport);
		st = stm32_bl_sync(bl, err);
		if (st == STM32_OK)
			return STM32_OK;
		/* A broken port will not heal by retrying. */
		if (st == STM32_E_IO)
			return st;
	}
	return st;
}

static uint64_t scaled(uint64_t ms, uint64_t factor, uint64_t extra)
{
	return ms * factor + extra;
}

static unsigned clamp_ms(uint64_t ms)
{
	return ms > ~0u ? ~0u : (unsigned)ms;
}

static uint32_t largest_erase_ms(const struct stm32_device *dev)
{
	uint32_t largest = 0;
	for (size_t i = 0; i < dev->erase_time_count; i++)
		if (dev->erase_times[i].ms > largest)
			largest = dev->erase_times[i].ms;
	return largest;
}

/* Three times the datasheet's typical figures, plus slack for the host and
 * the adapter: never so tight that a slow but healthy chip fails. */
static void set_timeouts(struct stm32_bl *bl, const struct stm32_device *dev)
{
	struct stm32_bl_timeouts *t = &bl->timeouts;
	uint64_t page = scaled(largest_erase_ms(dev), 3, 1000);
	t->page_erase_ms = clamp_ms(page);

	uint64_t mass = dev->t_mass_ms
		? scaled(dev->t_mass_ms, 3, 0)
		: scaled((uint64_t)largest_erase_ms(dev) * stm32_device_sector_count(dev), 3, 0);
	if (mass < MIN_MASS_ERASE_MS)
		mass = MIN_MASS_ERASE_MS;
	if (mass > MAX_MASS_ERASE_MS)
		mass = MAX_MASS_ERASE_MS;
	t->mass_erase_ms = clamp_ms(mass);

	uint32_t unit = dev->program_unit ? dev->program_unit : 4;
	uint64_t block_us = (uint64_t)(STM32_MAX_BLOCK / unit) * dev->t_prog_us;
	t->write_ms = clamp_ms(scaled(block_us, 3, 0) / 1000 + 500);

	/* Option changes erase and rewrite an option page, then reload. */
	t->option_ms = clamp_ms((uint64_t)t->page_erase_ms + 1000);
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static size_t rows_with_pid(uint16_t pid)
{
	size_t rows = 0;
	for (size_t i = 0; i < stm32_device_count(); i++)
		if (stm32_device_at(i)->pid == pid)
			rows++;
	return rows;
}

/* Best effort: a NACK at the first ACK means readout protection. Any other
 * failure leaves the value unknown; neither is an error of the connect. */
static bool try_read(struct stm32_session *s, uint32_t address, uint8_t *data, size_t length)
{
	if (s->facts.read_protected || s->bl.cmd_read < 0 || address == 0 || length == 0)
		return false;
	struct stm32_error ignored;
	stm32_error_clear(&ignored);
	/* The flash-size register picks the device row, so noise must not
	 * leave it unknown after one garbled reply. */
	unsigned refusals = 0;
	for (unsigned attempt = 0; attempt < DETAIL_READ_ATTEMPTS; attempt++) {
		enum stm32_status st = stm32_bl_read_memory(&s->bl, address, data, length, &ignored);
		if (st == STM32_OK)
			return true;
		if (st == STM32_E_PROTECTED) {
			/* Protection makes every later write fail with a hint to
			 * unprotect (which erases the chip): be sure first. */
			if (++refusals < PROTECTION_CONFIRMATIONS)
				continue;
			s->facts.read_protected = true;
			return false;
		}
		if (st == STM32_E_IO)
			return false;
		get_back_in_step(&s->bl, true);
	}
	return false;
}

static void read_flash_size(struct stm32_session *s, const struct stm32_device *dev)
{
	uint8_t raw[2];
	if (!try_read(s, dev->flash_size_reg, raw, sizeof(raw)))
		return;
	uint32_t kib = le16(raw);
	if (kib == 0 || kib == 0xFFFF)
		return;
	s->facts.flash_kib = kib;
	s->facts.flash_size_known = true;
}

/* Rows sharing a PID differ in flash size; the flash-size register (at the
 * same address for all of them) picks the row. */
static const struct stm32_device *identify(struct stm32_session *s, struct stm32_error *err)
{
	uint16_t pid = s->bl.pid;
	const struct stm32_device *first = stm32_device_by_pid(pid);
	if (!first) {
		stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
				"unknown or unsupported device (product ID 0x%03X)", pid);
		return NULL;
	}
	read_flash_size(s, first);
	if (rows_with_pid(pid) < 2 || !s->facts.flash_size_known)
		return first;
	const struct stm32_device *exact = stm32_device_by_pid_and_size(pid, s->facts.flash_kib);
	return exact ? exact : first;
}

static void learn_details(struct stm32_session *s)
{
	const struct stm32_device *dev = s->device;
	if (try_read(s, dev->uid_reg, s->facts.uid, sizeof(s->facts.uid)))
		s->facts.uid_known = true;
	uint32_t size = dev->opt_size < OPTION_BYTES_MAX ? dev->opt_size : OPTION_BYTES_MAX;
	if (try_read(s, dev->opt_start, s->facts.option_bytes, size)) {
		s->facts.option_bytes_known = true;
		s->facts.option_bytes_size = size;
	}
}

typedef enum stm32_status (*identity_query_fn)(struct stm32_bl *bl, struct stm32_error *err);

/* A NACK, a garbled byte or a lost one during Get / Get Version / Get ID is
 * what a noisy line does; these commands change nothing on the chip, so each
 * is simply asked again once the link is back in step. */
static enum stm32_status ask_with_retries(struct stm32_bl *bl, identity_query_fn query,
					  bool may_sync, struct stm32_error *err)
{
	enum stm32_status st = STM32_E_TIMEOUT;
	for (unsigned attempt = 0; attempt < IDENTITY_ATTEMPTS; attempt++) {
		st = query(bl, err);
		if (st != STM32_E_NACK && st != STM32_E_TIMEOUT && st != STM32_E_PROTOCOL)
			return st;
		get_back_in_step(bl, may_sync);
	}
	return st;
}

/* may_sync: a silent chip may be sent 0x7F (not when the caller said the
 * bootloader is already synced, stm32flash -c). */
static enum stm32_status ask_identity(struct stm32_bl *bl, bool may_sync, struct stm32_error *err)
{
	enum stm32_status st = STM32_OK;
	/* An I2C Get reply is read as one transaction whose length the host
	 * must know in advance; the protocol version tells it. */
	bool version_first = bl->transport->kind == STM32_LINK_I2C;
	if (version_first)
		st = ask_with_retries(bl, stm32_bl_get_version, may_sync, err);
	if (st == STM32_OK)
		st = ask_with_retries(bl, stm32_bl_get, may_sync, err);
	if (st == STM32_OK && !version_first) {
		/* Get Version repeats Get's version; keep Get's, it names the
		 * protocol the command list belongs to. */
		uint8_t version = bl->version;
		st = ask_with_retries(bl, stm32_bl_get_version, may_sync, err);
		bl->version = version;
	}
	if (st == STM32_OK)
		st = ask_with_retries(bl, stm32_bl_get_id, may_sync, err);
	return st;
}

enum stm32_status stm32_session_connect(struct stm32_session *s, struct stm32_transport *t,
					const struct stm32_session_options *opts,
					struct stm32_error *err)
{
	struct stm32_session_options defaults;
	if (!opts) {
		stm32_session_options_default(&defaults);
		opts = &defaults;
	}
	memset(s, 0, sizeof(*s));
	stm32_bl_init(&s->bl, t);
	enum stm32_status st = STM32_OK;
	if (!opts->skip_sync)
		st = sync_rounds(&s->bl, opts->sync_attempts, err);
	if (st == STM32_OK)
		st = ask_identity(&s->bl, !opts->skip_sync, err);
	if (st != STM32_OK)
		return st;
	s->device = identify(s, err);
	if (!s->device)
		return STM32_E_UNKNOWN_DEVICE;
	set_timeouts(&s->bl, s->device);
	learn_details(s);
	return STM32_OK;
}

enum stm32_status stm32_session_reconnect(struct stm32_session *s, struct stm32_error *err)
{
	core_sleep_ms(RECONNECT_BOOT_MS);
	enum stm32_status st = sync_rounds(&s->bl, RECONNECT_ATTEMPTS, err);
	if (st == STM32_OK) {
		struct stm32_bl_timeouts timeouts = s->bl.timeouts;
		st = stm32_bl_get(&s->bl, err);
		s->bl.timeouts = timeouts;
	}
	return st;
}
