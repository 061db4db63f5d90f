/* The stub itself (stub/, the committed image) on the emulator's core,
 * through the library's back end: what it refuses, and that a refusal
 * leaves the flash as it was. Skipped when the emulator has no core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stm32boot.h"

static char sim_program[4096];
static char image_path[64];
static struct stm32_transport *transport;
static struct stm32_target *stub;

static bool emulator_has_core(void)
{
	char command[4200];
	snprintf(command, sizeof(command), "ldd '%s' | grep -q libunicorn", sim_program);
	return system(command) == 0;
}

static int open_stub(void **state)
{
	(void)state;
	ssize_t n = readlink("/proc/self/exe", sim_program, sizeof(sim_program) - 32);
	assert_true(n > 0);
	sim_program[n] = '\0';
	strcpy(strrchr(sim_program, '/') + 1, "stm32boot-sim");
	if (access(sim_program, X_OK) != 0 || !emulator_has_core())
		return 0; /* the tests skip */
	snprintf(image_path, sizeof(image_path), "/tmp/test_stub_emulator.%d.img", (int)getpid());
	unlink(image_path);
	char port[256];
	snprintf(port, sizeof(port), "sim:stm32f103xb,speed=fast,image=%s", image_path);
	struct stm32_port_options popts;
	stm32_port_options_default(&popts);
	popts.sim_program = sim_program;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_port_open(port, &popts, &transport, &err) != STM32_OK)
		fail_msg("open %s: %s", port, err.message);
	struct stm32_target *rom = NULL;
	if (stm32_rom_open(transport, NULL, &rom, &err) != STM32_OK)
		fail_msg("connect: %s", err.message);
	enum stm32_status st = stm32_stub_open(rom, transport, NULL, &stub, &err);
	stm32_target_close(rom);
	if (st != STM32_OK)
		fail_msg("stub: %s", err.message);
	return 0;
}

static int close_stub(void **state)
{
	(void)state;
	stm32_target_close(stub);
	if (transport)
		stm32_transport_close(transport);
	unlink(image_path);
	return 0;
}

#define NEED_STUB()                                                  \
	do {                                                         \
		if (!stub)                                           \
			skip();                                      \
	} while (0)

static void first_words_are_erased(void)
{
	uint8_t got[64];
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_target_read(stub, 0x08000000, got, sizeof(got), &err), STM32_OK);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0xFF);
}

static void announces_what_it_is(void **state)
{
	(void)state;
	NEED_STUB();
	struct stm32_stub_info info;
	assert_true(stm32_stub_info(stub, &info));
	assert_string_equal(info.image, "f1");
	assert_int_equal(info.load_address, 0x20000200);
	assert_int_equal(info.program_unit, 2);
	/* The PLL at HSI/2 x 16, the rate switched to the ladder's first. */
	assert_int_equal(info.clock_hz, 64000000);
	assert_int_equal(info.baud, 2000000);
	assert_string_equal(info.framing, "8N1");
	assert_int_equal(transport->baud, 2000000);
	/* The cost model is the switched rate's: 10 bits a byte at 2 Mbaud. */
	assert_int_equal(stub->desc.cost.bits_per_second, 2000000);
	assert_int_equal(stub->desc.cost.bits_per_byte, 10);
	assert_true(info.window >= 1 && info.window <= 8);
}

static void refuses_a_write_past_the_end_of_flash(void **state)
{
	(void)state;
	NEED_STUB();
	const uint8_t data[4] = {1, 2, 3, 4};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_target_write(stub, 0x08020000, data, 4, &err), STM32_E_RANGE);
	assert_non_null(strstr(err.message, "outside flash"));
	assert_int_equal(stm32_target_write(stub, 0x0801FFFE, data, 4, &err), STM32_E_RANGE);
	assert_int_equal(stm32_target_write(stub, 0x20004000, data, 4, &err), STM32_E_RANGE);
	first_words_are_erased();
}

static void refuses_an_unaligned_write(void **state)
{
	(void)state;
	NEED_STUB();
	const uint8_t data[4] = {1, 2, 3, 4};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_target_write(stub, 0x08000001, data, 2, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "not aligned"));
	assert_int_equal(stm32_target_write(stub, 0x08000000, data, 3, &err), STM32_E_INVALID);
	first_words_are_erased();
}

static void refuses_an_erase_list_with_a_unit_past_the_end_before_erasing(void **state)
{
	(void)state;
	NEED_STUB();
	const uint8_t data[4] = {1, 2, 3, 4};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_target_write(stub, 0x08000000, data, 4, &err), STM32_OK);
	const uint32_t units[] = {0, 128};
	struct stm32_erase_request r = {.kind = STM32_ERASE_REQUEST_UNITS, .units = units, .count = 2};
	assert_int_equal(stm32_target_erase(stub, &r, &err), STM32_E_RANGE);
	uint8_t got[4];
	if (stm32_target_read(stub, 0x08000000, got, 4, &err) != STM32_OK)
		fail_msg("%s", err.message);
	assert_memory_equal(got, data, 4); /* page 0 was not erased */
	r.count = 1;
	assert_int_equal(stm32_target_erase(stub, &r, &err), STM32_OK);
	first_words_are_erased();
}

static void crc_is_the_chip_s_and_of_flash_only(void **state)
{
	(void)state;
	NEED_STUB();
	uint8_t data[1024];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_target_write(stub, 0x08000400, data, sizeof(data), &err), STM32_OK);
	uint32_t crc = 0;
	assert_int_equal(stm32_target_crc(stub, 0x08000400, sizeof(data), &crc, &err), STM32_OK);
	assert_int_equal(crc, stm32_crc32(0xFFFFFFFFu, data, sizeof(data)));
	assert_int_equal(stm32_target_crc(stub, 0x20000000, 64, &crc, &err), STM32_E_NACK);
	assert_int_equal(stm32_target_crc(stub, 0x08000402, 4, &crc, &err), STM32_E_INVALID);
}

/* A host that goes silent: after silence_ms the stub announces itself
 * again (back in its start state), and a HELLO exchange (recover) finds
 * it. Opened with a short silence here. */
static void a_silent_host_finds_the_stub_announcing_itself_again(void **state)
{
	(void)state;
	NEED_STUB();
	struct stm32_target *rom = NULL;
	struct stm32_error err;
	stm32_error_clear(&err);
	/* The stub of the group setup is left alone; this one is its own chip. */
	char path[80], port[200];
	snprintf(path, sizeof(path), "/tmp/test_stub_emulator.silent.%d.img", (int)getpid());
	snprintf(port, sizeof(port), "sim:stm32f411xe,speed=fast,image=%s", path);
	struct stm32_port_options popts;
	stm32_port_options_default(&popts);
	popts.sim_program = sim_program;
	struct stm32_transport *t = NULL;
	if (stm32_port_open(port, &popts, &t, &err) != STM32_OK)
		fail_msg("open %s: %s", port, err.message);
	assert_int_equal(stm32_rom_open(t, NULL, &rom, &err), STM32_OK);
	struct stm32_stub_options so;
	stm32_stub_options_default(&so);
	so.silence_ms = 200;
	so.baud = STM32_STUB_BAUD_KEEP; /* its announcement comes at the start rate */
	struct stm32_target *s = NULL;
	enum stm32_status st = stm32_stub_open(rom, t, &so, &s, &err);
	stm32_target_close(rom);
	if (st != STM32_OK)
		fail_msg("stub: %s", err.message);
	/* Silence, then the announcement: a reply frame, code HELLO, seq 0. */
	uint8_t frame[6];
	size_t got = 0;
	assert_int_equal(stm32_transport_read(t, frame, 6, 3000, &got, &err), STM32_OK);
	assert_int_equal(frame[0], 0x5A);
	assert_int_equal(frame[1], 0x01);
	assert_int_equal(frame[2], 0);
	assert_int_equal(t->ops->drain(t, &err), STM32_OK);
	assert_int_equal(stm32_target_recover(s, &err), STM32_OK);
	uint32_t crc;
	assert_int_equal(stm32_target_crc(s, 0x08000000, 1024, &crc, &err), STM32_OK);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
}

/* Reads until nothing more comes for 300 ms. */
static void core_wait_quiet(struct stm32_transport *t)
{
	uint8_t sink[64];
	size_t got;
	struct stm32_error err;
	while (stm32_transport_read(t, sink, sizeof(sink), 300, &got, &err) == STM32_OK || got > 0)
		;
}

static struct stm32_target *stub_on(const char *device, const char *path,
				    const struct stm32_stub_options *so, struct stm32_transport **t);

/* Opened on its own chip with opts; fails the test when it does not open. */
static struct stm32_target *own_stub(const char *device, const char *name,
				     const struct stm32_stub_options *so,
				     struct stm32_transport **t, char *path, size_t path_size)
{
	snprintf(path, path_size, "/tmp/test_stub_emulator.%s.%d.img", name, (int)getpid());
	unlink(path);
	return stub_on(device, path, so, t);
}

/* Opened on the chip in the image file at path (made or left by the test). */
static struct stm32_target *stub_on(const char *device, const char *path,
				    const struct stm32_stub_options *so, struct stm32_transport **t)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	char port[200];
	snprintf(port, sizeof(port), "sim:%s,speed=fast,image=%s", device, path);
	struct stm32_port_options popts;
	stm32_port_options_default(&popts);
	popts.sim_program = sim_program;
	if (stm32_port_open(port, &popts, t, &err) != STM32_OK)
		fail_msg("open %s: %s", port, err.message);
	struct stm32_target *rom = NULL;
	assert_int_equal(stm32_rom_open(*t, NULL, &rom, &err), STM32_OK);
	struct stm32_target *s = NULL;
	enum stm32_status st = stm32_stub_open(rom, *t, so, &s, &err);
	stm32_target_close(rom);
	if (st != STM32_OK)
		fail_msg("stub: %s", err.message);
	return s;
}

/* Switched to 2 Mbaud, then silent: the stub goes back to 115200 8E1 on
 * its own and announces itself there, where the host's 2 Mbaud receiver
 * reads garbage. A request fails; recover finds it at the start rate and
 * switches again. */
static void a_switched_stub_that_fell_back_after_silence_is_recovered(void **state)
{
	(void)state;
	NEED_STUB();
	struct stm32_stub_options so;
	stm32_stub_options_default(&so);
	so.silence_ms = 300;
	struct stm32_transport *t = NULL;
	char path[96];
	struct stm32_target *s = own_stub("stm32f103xb", "fellback", &so, &t, path, sizeof(path));
	struct stm32_stub_info info;
	assert_true(stm32_stub_info(s, &info));
	assert_int_equal(info.baud, 2000000);
	/* Silence until the announcement: 16 bytes sent at 115200 arrive as
	 * some bytes, none of them a reply frame's start, at 2 Mbaud. */
	struct stm32_error err;
	stm32_error_clear(&err);
	uint8_t seen[4];
	size_t got = 0;
	assert_int_equal(stm32_transport_read(t, seen, 1, 20000, &got, &err), STM32_OK);
	core_wait_quiet(t);
	uint32_t crc;
	assert_int_not_equal(stm32_target_crc(s, 0x08000000, 1024, &crc, &err), STM32_OK);
	assert_int_equal(stm32_target_recover(s, &err), STM32_OK);
	assert_int_equal(stm32_target_crc(s, 0x08000000, 1024, &crc, &err), STM32_OK);
	uint8_t erased[1024];
	memset(erased, 0xFF, sizeof(erased));
	assert_int_equal(crc, stm32_crc32(0xFFFFFFFFu, erased, sizeof(erased)));
	assert_true(stm32_stub_info(s, &info));
	assert_int_equal(info.baud, 2000000);
	assert_int_equal(t->baud, 2000000);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
}

/* An explicit rate is that one (460800 here); KEEP stays at the ROM's
 * rate and 8E1. */
static void an_explicit_rate_is_that_one_and_keep_is_the_rom_s(void **state)
{
	(void)state;
	NEED_STUB();
	struct stm32_stub_options so;
	stm32_stub_options_default(&so);
	so.baud = 460800;
	struct stm32_transport *t = NULL;
	char path[96];
	struct stm32_target *s = own_stub("stm32f103xb", "explicit", &so, &t, path, sizeof(path));
	struct stm32_stub_info info;
	assert_true(stm32_stub_info(s, &info));
	assert_int_equal(info.baud, 460800);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
	so.baud = STM32_STUB_BAUD_KEEP;
	s = own_stub("stm32f103xb", "keep", &so, &t, path, sizeof(path));
	assert_true(stm32_stub_info(s, &info));
	assert_int_equal(info.baud, 115200);
	assert_string_equal(info.framing, "8E1");
	assert_int_equal(s->desc.cost.bits_per_byte, 11);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed * 71u) >> 3 ^ i);
}

static void assert_flash_crc(struct stm32_target *s, uint32_t address, const uint8_t *want,
			     size_t n)
{
	uint32_t crc;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_target_crc(s, address, (uint32_t)n, &crc, &err) != STM32_OK)
		fail_msg("crc: %s", err.message);
	assert_int_equal(crc, stm32_crc32(0xFFFFFFFFu, want, n));
}

/* With overlap at 1 Mbaud (at most STUB_OVERLAP_MAX_BAUD) pages over old
 * data are held back (ERASE DEFER); then the host is silent for longer
 * than silence_ms, and the stub falls back to 115200 8E1 and forgets what
 * it held back. The write into those pages fails, recover finds the stub
 * at its start rate and switches again: the pages must still be erased
 * before the new data goes in (else the stub programs over the old data
 * and its read-back fails, or leaves a mix). */
static void held_back_erases_survive_a_fall_back_after_silence(void **state)
{
	(void)state;
	NEED_STUB();
	struct stm32_stub_options so;
	stm32_stub_options_default(&so);
	so.baud = 1000000;
	so.overlap = true;
	so.silence_ms = 300;
	struct stm32_transport *t = NULL;
	char path[96];
	struct stm32_target *s = own_stub("stm32f103xb", "held", &so, &t, path, sizeof(path));
	struct stm32_error err;
	stm32_error_clear(&err);
	uint8_t old[2048], now[2048];
	fill(old, sizeof(old), 1);
	fill(now, sizeof(now), 2);
	uint32_t units[] = {0, 1};
	struct stm32_erase_request r = {.kind = STM32_ERASE_REQUEST_UNITS, .units = units, .count = 2};
	assert_int_equal(stm32_target_erase(s, &r, &err), STM32_OK);
	assert_int_equal(stm32_target_write(s, 0x08000000, old, sizeof(old), &err), STM32_OK);
	assert_int_equal(stm32_stub_finish(s, &err), STM32_OK);
	assert_flash_crc(s, 0x08000000, old, sizeof(old));
	/* Held back again, then silence until the stub announces its fall back. */
	assert_int_equal(stm32_target_erase(s, &r, &err), STM32_OK);
	uint8_t seen[4];
	size_t got = 0;
	assert_int_equal(stm32_transport_read(t, seen, 1, 20000, &got, &err), STM32_OK);
	core_wait_quiet(t);
	/* What the executor does: the entry fails, recover, the entry again. */
	enum stm32_status st = stm32_target_write(s, 0x08000000, now, sizeof(now), &err);
	if (st == STM32_OK)
		st = stm32_stub_finish(s, &err);
	for (int attempt = 0; st != STM32_OK && attempt < 3; attempt++) {
		stm32_error_clear(&err);
		assert_int_equal(stm32_target_recover(s, &err), STM32_OK);
		st = stm32_target_write(s, 0x08000000, now, sizeof(now), &err);
		if (st == STM32_OK)
			st = stm32_stub_finish(s, &err);
	}
	if (st != STM32_OK)
		fail_msg("write after the fall back: %s", err.message);
	assert_flash_crc(s, 0x08000000, now, sizeof(now));
	struct stm32_stub_info info;
	assert_true(stm32_stub_info(s, &info));
	assert_int_equal(info.baud, 1000000);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
}

/* An emulator image file (docs/architecture.md, "Image file"): erased
 * flash of flash_size bytes, then the option area given. */
static void write_image_file(const char *path, uint32_t flash_size, const uint8_t *options,
			     uint32_t options_size)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t header[32] = {'S', 'T', 'M', '3', '2', 'S', 'I', 'M', 1};
	for (int i = 0; i < 4; i++) {
		header[12 + i] = (uint8_t)(flash_size >> (8 * i));
		header[16 + i] = (uint8_t)(options_size >> (8 * i));
	}
	assert_int_equal(fwrite(header, 1, sizeof(header), f), sizeof(header));
	for (uint32_t i = 0; i < flash_size; i++)
		assert_int_equal(fputc(0xFF, f), 0xFF);
	assert_int_equal(fwrite(options, 1, options_size, f), options_size);
	assert_int_equal(fclose(f), 0);
}

/* An F407 whose option bytes write-protect sector 5 (nWRP bit 5 clear):
 * the stub's erase of it fails with WRPERR, and the error names the
 * sector's first address, 0x08020000 (sectors 0-3 16 KiB, 4 64 KiB), not
 * its number. */
static void a_failed_f4_sector_erase_names_the_sector_s_address(void **state)
{
	(void)state;
	NEED_STUB();
	const struct stm32_device *d = stm32_device_find("stm32f407xg");
	assert_non_null(d);
	assert_true(d->opt_size <= 64);
	uint8_t options[64];
	memcpy(options, d->opt_factory, d->opt_size);
	options[8] = (uint8_t)~(1u << 5); /* nWRP[7:0]: sector 5 protected */
	char path[96];
	snprintf(path, sizeof(path), "/tmp/test_stub_emulator.wrp.%d.img", (int)getpid());
	write_image_file(path, d->flash_size, options, d->opt_size);
	struct stm32_transport *t = NULL;
	struct stm32_target *s = stub_on("stm32f407xg", path, NULL, &t);
	struct stm32_error err;
	stm32_error_clear(&err);
	uint32_t units[] = {5};
	struct stm32_erase_request r = {.kind = STM32_ERASE_REQUEST_UNITS, .units = units, .count = 1};
	assert_int_equal(stm32_target_erase(s, &r, &err), STM32_E_NACK);
	assert_non_null(strstr(err.message, "at 0x08020000"));
	assert_non_null(strstr(err.message, "FLASH_SR 0x00000010")); /* WRPERR */
	assert_true(err.has_address);
	stm32_target_close(s);
	stm32_transport_close(t);
	unlink(path);
}

/* A transport that damages one byte the chip sends after the host's Go
 * (0x21 0xDE): byte 0 and 1 are the ROM's two ACKs, the stub's
 * announcement follows. Everything else is the emulator's port. */
struct damaging {
	struct stm32_transport t;
	struct stm32_transport *inner;
	bool armed;
	size_t after_go, at;
};

static struct damaging *damaging_of(struct stm32_transport *t) { return t->impl; }

static enum stm32_status dmg_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct damaging *d = damaging_of(t);
	if (length == 2 && data[0] == 0x21 && data[1] == 0xDE)
		d->armed = true, d->after_go = 0;
	return stm32_transport_write(d->inner, data, length, err);
}

static enum stm32_status dmg_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct damaging *d = damaging_of(t);
	enum stm32_status st = stm32_transport_read(d->inner, data, length, timeout_ms, got, err);
	for (size_t i = 0; d->armed && i < *got; i++, d->after_go++)
		if (d->after_go == d->at) {
			data[i] ^= 0x10;
			d->armed = false;
		}
	return st;
}

static enum stm32_status dmg_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct stm32_transport *inner = damaging_of(t)->inner;
	return inner->ops->drain ? inner->ops->drain(inner, err) : STM32_OK;
}

static enum stm32_status dmg_reconfigure(struct stm32_transport *t,
					 const struct stm32_uart_config *cfg, struct stm32_error *err)
{
	struct stm32_transport *inner = damaging_of(t)->inner;
	enum stm32_status st = inner->ops->reconfigure(inner, cfg, err);
	t->baud = inner->baud;
	return st;
}

static void dmg_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct stm32_transport *inner = damaging_of(t)->inner;
	inner->ops->describe(inner, buf, size);
}

static void dmg_close(struct stm32_transport *t) { (void)t; }

static const struct stm32_transport_ops damaging_ops = {
	.name = "damaging", .write = dmg_write, .read = dmg_read, .drain = dmg_drain,
	.describe = dmg_describe, .close = dmg_close, .reconfigure = dmg_reconfigure,
};

/* The announcement damaged in its body (its CRC fails) or in its header
 * (the reader hunts past it and hears nothing more): the stub is alive
 * and answers the HELLO asked for next, so it opens all the same. */
static void a_damaged_announcement_is_followed_by_a_hello(void **state)
{
	(void)state;
	NEED_STUB();
	static const size_t where[] = {2 + 10, 2 + 1}; /* a body byte; the header's code */
	for (size_t k = 0; k < sizeof(where) / sizeof(where[0]); k++) {
		char path[96], port[200];
		snprintf(path, sizeof(path), "/tmp/test_stub_emulator.announce.%d.img", (int)getpid());
		unlink(path);
		snprintf(port, sizeof(port), "sim:stm32f103xb,speed=fast,image=%s", path);
		struct stm32_port_options popts;
		stm32_port_options_default(&popts);
		popts.sim_program = sim_program;
		struct stm32_error err;
		stm32_error_clear(&err);
		struct stm32_transport *inner = NULL;
		if (stm32_port_open(port, &popts, &inner, &err) != STM32_OK)
			fail_msg("open %s: %s", port, err.message);
		struct damaging d = {.t = *inner, .inner = inner, .at = where[k]};
		d.t.ops = &damaging_ops;
		d.t.impl = &d;
		struct stm32_target *rom = NULL, *s = NULL;
		assert_int_equal(stm32_rom_open(&d.t, NULL, &rom, &err), STM32_OK);
		enum stm32_status st = stm32_stub_open(rom, &d.t, NULL, &s, &err);
		stm32_target_close(rom);
		if (st != STM32_OK)
			fail_msg("damaged at %zu: %s", where[k], err.message);
		assert_false(d.armed); /* the damage was done */
		uint32_t crc;
		assert_int_equal(stm32_target_crc(s, 0x08000000, 1024, &crc, &err), STM32_OK);
		stm32_target_close(s);
		stm32_transport_close(inner);
		unlink(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announces_what_it_is),
		cmocka_unit_test(refuses_a_write_past_the_end_of_flash),
		cmocka_unit_test(refuses_an_unaligned_write),
		cmocka_unit_test(refuses_an_erase_list_with_a_unit_past_the_end_before_erasing),
		cmocka_unit_test(crc_is_the_chip_s_and_of_flash_only),
		cmocka_unit_test(a_silent_host_finds_the_stub_announcing_itself_again),
		cmocka_unit_test(a_switched_stub_that_fell_back_after_silence_is_recovered),
		cmocka_unit_test(an_explicit_rate_is_that_one_and_keep_is_the_rom_s),
		cmocka_unit_test(a_failed_f4_sector_erase_names_the_sector_s_address),
		cmocka_unit_test(held_back_erases_survive_a_fall_back_after_silence),
		cmocka_unit_test(a_damaged_announcement_is_followed_by_a_hello),
	};
	return cmocka_run_group_tests(tests, open_stub, close_stub);
}
