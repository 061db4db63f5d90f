/* Session connect: sync, identification (also when rows share a PID),
 * best-effort reads, readout protection, timeouts from the device table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mock_transport.h"
#include "rom/rom_session.h"

#define ACK 0x79
#define NACK 0x1F

struct fixture {
	struct mock *m;
	struct stm32_session s;
	struct stm32_session_options opts;
	struct stm32_error err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->m = mock_new();
	stm32_session_options_default(&f->opts);
	stm32_error_clear(&f->err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->m);
	free(f);
	return 0;
}

static void script_identity(struct mock *m, uint16_t pid)
{
	mock_expect(m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(m, MOCK_BYTES(ACK, 0x0B, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63,
				 0x73, 0x82, 0x92, ACK));
	mock_expect(m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(m, MOCK_BYTES(ACK, 0x22, 0x00, 0x00, ACK));
	mock_expect(m, MOCK_BYTES(0x02, 0xFD));
	uint8_t id[] = {ACK, 0x01, (uint8_t)(pid >> 8), (uint8_t)pid, ACK};
	mock_reply(m, id, sizeof(id));
}

static void script_sync(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0x7F));
	mock_reply(m, MOCK_BYTES(ACK));
}

/* A Read Memory the device answers with data. */
static void script_read(struct mock *m, uint32_t address, const uint8_t *data, size_t length)
{
	mock_expect(m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(m, MOCK_BYTES(ACK));
	uint8_t addr[5] = {(uint8_t)(address >> 24), (uint8_t)(address >> 16),
			   (uint8_t)(address >> 8), (uint8_t)address, 0};
	addr[4] = addr[0] ^ addr[1] ^ addr[2] ^ addr[3];
	mock_expect(m, addr, 5);
	mock_reply(m, MOCK_BYTES(ACK));
	uint8_t count[2] = {(uint8_t)(length - 1), (uint8_t)~(length - 1)};
	mock_expect(m, count, 2);
	mock_reply(m, MOCK_BYTES(ACK));
	mock_add(m, MOCK_REPLY, data, length);
}

static void script_details(struct mock *m, const struct stm32_device *dev, const uint8_t *uid,
			   const uint8_t *options)
{
	script_read(m, dev->uid_reg, uid, 12);
	if (dev->opt_size)
		script_read(m, dev->opt_start, options, dev->opt_size);
}

static const uint8_t uid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static void connect_f103(void **state, uint16_t kib, const char *expect_name)
{
	struct fixture *f = *state;
	const struct stm32_device *expected = stm32_device_find(expect_name);
	assert_non_null(expected);
	script_sync(f->m);
	script_identity(f->m, 0x410);
	uint8_t size[2] = {(uint8_t)kib, (uint8_t)(kib >> 8)};
	script_read(f->m, expected->flash_size_reg, size, 2);
	script_details(f->m, expected, uid, expected->opt_factory);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	assert_ptr_equal(f->s.device, expected);
	assert_true(f->s.facts.flash_size_known);
	assert_int_equal(f->s.facts.flash_kib, kib);
	assert_true(f->s.facts.uid_known);
	assert_memory_equal(f->s.facts.uid, uid, 12);
	assert_true(f->s.facts.option_bytes_known);
	assert_int_equal(f->s.facts.option_bytes_size, expected->opt_size);
	assert_memory_equal(f->s.facts.option_bytes, expected->opt_factory, expected->opt_size);
	assert_false(f->s.facts.read_protected);
	assert_int_equal(f->s.bl.pid, 0x410);
	mock_assert_done(f->m);
}

/* A readout-protected chip NACKs Read Memory's opcode every time it is asked
 * (the host asks three times per read, and reads twice, before it believes
 * it). */
/* Two refused reads, each asked 3 times with the line brought back in
 * step (stm32_bl_resync: a pair NACKed, a lone 00 NACKed) between asks. */
static void script_read_refused(struct mock *m)
{
	for (int ask = 0; ask < 6; ask++) {
		if (ask % 3) {
			mock_expect(m, MOCK_BYTES(0xFF, 0x00));
			mock_reply(m, MOCK_BYTES(NACK));
			mock_expect(m, MOCK_BYTES(0x00));
			mock_reply(m, MOCK_BYTES(NACK));
		}
		mock_expect(m, MOCK_BYTES(0x11, 0xEE));
		mock_reply(m, MOCK_BYTES(NACK));
	}
}

static void test_shared_pid_small_part(void **state)
{
	connect_f103(state, 64, "stm32f103x8");
}

static void test_shared_pid_large_part(void **state)
{
	connect_f103(state, 128, "stm32f103xb");
}

static void test_shared_pid_unknown_size_takes_first_row(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *first = stm32_device_by_pid(0x410);
	script_sync(f->m);
	script_identity(f->m, 0x410);
	/* The flash-size register reads as erased: unknown. */
	script_read(f->m, first->flash_size_reg, (const uint8_t[]){0xFF, 0xFF}, 2);
	script_details(f->m, first, uid, first->opt_factory);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	assert_ptr_equal(f->s.device, first);
	assert_false(f->s.facts.flash_size_known);
	mock_assert_done(f->m);
}

static size_t rows_with(uint16_t pid)
{
	size_t n = 0;
	for (size_t i = 0; i < stm32_device_count(); i++)
		n += stm32_device_at(i)->pid == pid;
	return n;
}

static void test_unique_pid(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	assert_non_null(dev);
	assert_int_equal(rows_with(dev->pid), 1);
	script_sync(f->m);
	script_identity(f->m, dev->pid);
	script_read(f->m, dev->flash_size_reg, (const uint8_t[]){0x00, 0x04}, 2);
	script_details(f->m, dev, uid, dev->opt_factory);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	assert_ptr_equal(f->s.device, dev);
	assert_int_equal(f->s.facts.flash_kib, 1024);
	mock_assert_done(f->m);
}

static void test_unknown_pid(void **state)
{
	struct fixture *f = *state;
	script_sync(f->m);
	script_identity(f->m, 0x999);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err),
			 STM32_E_UNKNOWN_DEVICE);
	assert_int_equal(f->err.status, STM32_E_UNKNOWN_DEVICE);
	if (!strstr(f->err.message, "0x999"))
		fail_msg("message \"%s\" does not name the PID", f->err.message);
	mock_assert_done(f->m);
}

static void test_read_protected_chip(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	script_sync(f->m);
	script_identity(f->m, dev->pid);
	script_read_refused(f->m);
	/* No further reads may follow: the mock fails on any extra byte. */
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	assert_true(f->s.facts.read_protected);
	assert_false(f->s.facts.flash_size_known);
	assert_false(f->s.facts.uid_known);
	assert_false(f->s.facts.option_bytes_known);
	assert_ptr_equal(f->s.device, dev);
	mock_assert_done(f->m);
}

static void test_skip_sync(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	f->opts.skip_sync = true;
	script_identity(f->m, dev->pid);
	script_read_refused(f->m);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_sync_attempts_exhausted(void **state)
{
	struct fixture *f = *state;
	f->opts.sync_attempts = 2;
	for (int round = 0; round < 2; round++) {
		mock_expect(f->m, MOCK_BYTES(0x7F));
		mock_silence(f->m);
		mock_expect(f->m, MOCK_BYTES(0x7F));
		mock_silence(f->m);
	}
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err),
			 STM32_E_TIMEOUT);
	assert_string_equal(f->m->log, "DRAIN DRAIN ");
	mock_assert_done(f->m);
}

static void test_sync_retry_discards_noise(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_silence(f->m);
	mock_noise(f->m, MOCK_BYTES(0x00, 0x12)); /* garbage the next drain must drop */
	script_sync(f->m);
	script_identity(f->m, dev->pid);
	script_read_refused(f->m);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_timeouts_follow_device(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	f->opts.skip_sync = true;
	script_identity(f->m, dev->pid);
	script_read_refused(f->m);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	uint32_t largest = 0;
	for (size_t i = 0; i < dev->erase_time_count; i++)
		if (dev->erase_times[i].ms > largest)
			largest = dev->erase_times[i].ms;
	assert_int_equal(f->s.bl.timeouts.page_erase_ms, 3 * largest + 1000);
	assert_true(f->s.bl.timeouts.mass_erase_ms >= 30000);
	assert_true(f->s.bl.timeouts.mass_erase_ms >= 3 * dev->t_mass_ms);
	uint64_t block_us = (uint64_t)(256 / dev->program_unit) * dev->t_prog_us;
	assert_int_equal(f->s.bl.timeouts.write_ms, 3 * block_us / 1000 + 500);
}

static void test_reconnect(void **state)
{
	struct fixture *f = *state;
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	f->opts.skip_sync = true;
	script_identity(f->m, dev->pid);
	script_read_refused(f->m);
	assert_int_equal(stm32_session_connect(&f->s, &f->m->transport, &f->opts, &f->err), STM32_OK);
	unsigned page_ms = f->s.bl.timeouts.page_erase_ms;
	script_sync(f->m);
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
				    0x73, 0x82, 0x92, ACK));
	assert_int_equal(stm32_session_reconnect(&f->s, &f->err), STM32_OK);
	assert_int_equal(f->s.bl.cmd_erase, 0x44);
	assert_int_equal(f->s.bl.timeouts.page_erase_ms, page_ms);
	mock_assert_done(f->m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shared_pid_small_part), T(test_shared_pid_large_part),
		T(test_shared_pid_unknown_size_takes_first_row), T(test_unique_pid),
		T(test_unknown_pid), T(test_read_protected_chip), T(test_skip_sync),
		T(test_sync_attempts_exhausted), T(test_sync_retry_discards_noise),
		T(test_timeouts_follow_device), T(test_reconnect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
