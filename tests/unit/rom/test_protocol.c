/* AN3155 commands byte for byte against a scripted device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mock_transport.h"
#include "rom/rom_protocol.h"

#define ACK 0x79
#define NACK 0x1F

struct fixture {
	struct mock *m;
	struct stm32_bl bl;
	struct stm32_error err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->m = mock_new();
	stm32_bl_init(&f->bl, &f->m->transport);
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

/* Classic F1 ROM, v2.2, legacy erase. */
static void script_get_v22(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(m, MOCK_BYTES(ACK, 0x0B, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63,
				 0x73, 0x82, 0x92, ACK));
}

/* v3.1 with extended erase and Get Checksum. */
static void script_get_v31_crc(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(m, MOCK_BYTES(ACK, 0x0C, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
				 0x73, 0x82, 0x92, 0xA1, ACK));
}

static void connect_v22(struct fixture *f)
{
	script_get_v22(f->m);
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
}

static void connect_v31(struct fixture *f)
{
	script_get_v31_crc(f->m);
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
}

static void assert_message_has(const struct stm32_error *err, const char *text)
{
	if (!strstr(err->message, text))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, text);
}

/* ---- sync ---- */

static void test_sync_ack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->m->last_timeout, f->bl.timeouts.sync_ms);
	mock_assert_done(f->m);
}

static void test_sync_nack_means_already_synced(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_sync_silence_then_nack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_sync_silence_twice_times_out(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_silence(f->m);
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_E_TIMEOUT);
	assert_int_equal(f->err.status, STM32_E_TIMEOUT);
	mock_assert_done(f->m);
}

static void test_sync_garbage(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x7F));
	mock_reply(f->m, MOCK_BYTES(0x12));
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_E_PROTOCOL);
	assert_message_has(&f->err, "got 0x12 instead of ACK");
}

static void test_resync_until_nack(void **state)
{
	struct fixture *f = *state;
	/* unanswered rounds grow: 1 pair, 2 pairs, 4 pairs... */
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	/* Was the NACK the FF's (00 now pending as an opcode) or the 00's? A
	 * lone 00 is silent in the second case and NACKed in both after a
	 * second one. */
	mock_expect(f->m, MOCK_BYTES(0x00));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_resync(&f->bl, 5000, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

/* A queue of stale NACKs (garbage taken as commands) is thrown away, not
 * read one per later command. */
static void test_resync_discards_backlog(void **state)
{
	struct fixture *f = *state;
	mock_noise(f->m, MOCK_BYTES(NACK, NACK, NACK, NACK, NACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(NACK, NACK, NACK));
	mock_expect(f->m, MOCK_BYTES(0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_resync(&f->bl, 5000, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

/* Between two asks of a refused memory command the line is brought back in
 * step (stm32_bl_resync): a pair NACKed, then a lone 00 NACKed. */
static void script_realign(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0xFF, 0x00));
	mock_reply(m, MOCK_BYTES(NACK));
	mock_expect(m, MOCK_BYTES(0x00));
	mock_reply(m, MOCK_BYTES(NACK));
}

/* ---- Get / Get Version / Get ID ---- */

static void test_get_v22(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	assert_int_equal(f->bl.version, 0x22);
	assert_int_equal(f->bl.command_count, 11);
	assert_int_equal(f->bl.cmd_erase, 0x43);
	assert_int_equal(f->bl.cmd_write, 0x31);
	assert_int_equal(f->bl.cmd_read, 0x11);
	assert_int_equal(f->bl.cmd_readout_unprotect, 0x92);
	assert_int_equal(f->bl.cmd_checksum, -1);
	assert_true(stm32_bl_has(&f->bl, 0x43));
	assert_false(stm32_bl_has(&f->bl, 0x44));
	mock_assert_done(f->m);
}

static void test_get_v31_with_checksum(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	assert_int_equal(f->bl.version, 0x31);
	assert_int_equal(f->bl.command_count, 12);
	assert_int_equal(f->bl.cmd_erase, 0x44);
	assert_int_equal(f->bl.cmd_checksum, 0xA1);
	mock_assert_done(f->m);
}

static void test_get_prefers_highest_variant(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x11, 0x12, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x32, 0x44,
				    0x45, 0x63, 0x64, 0x73, 0x74, 0x82, 0x83, 0x92, 0x93, ACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.cmd_write, 0x32);
	assert_int_equal(f->bl.cmd_erase, 0x45);
	assert_int_equal(f->bl.cmd_write_protect, 0x64);
	assert_int_equal(f->bl.cmd_write_unprotect, 0x74);
	assert_int_equal(f->bl.cmd_readout_protect, 0x83);
	assert_int_equal(f->bl.cmd_readout_unprotect, 0x93);
	mock_assert_done(f->m);
}

static void test_get_nack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x00);
	assert_false(f->err.has_address);
}

static void test_get_truncated_list_times_out(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x0B, 0x22, 0x00, 0x01));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_E_TIMEOUT);
	assert_int_equal(f->err.command, 0x00);
}

static void test_get_missing_final_ack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x01, 0x22, 0x00, 0x55));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_E_PROTOCOL);
	assert_message_has(&f->err, "got 0x55 instead of ACK");
}

static void test_get_version(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x22, 0x00, 0x00, ACK));
	assert_int_equal(stm32_bl_get_version(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.version, 0x22);
	assert_int_equal(f->bl.option1, 0);
	assert_int_equal(f->bl.option2, 0);
	mock_assert_done(f->m);
}

static void test_get_version_l412_extra_ack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(f->m, MOCK_BYTES(ACK, ACK, 0x31, 0x00, 0x00, ACK));
	assert_int_equal(stm32_bl_get_version(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.version, 0x31);
	mock_assert_done(f->m);
}

static void test_get_version_nack(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_get_version(&f->bl, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x01);
}

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x02, 0xFD));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x01, 0x04, 0x10, ACK));
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.pid, 0x410);
	mock_assert_done(f->m);
}

static void test_get_id_three_bytes(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x02, 0xFD));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x02, 0x04, 0x13, 0x99, ACK));
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.pid, 0x413);
	mock_assert_done(f->m);
}

static void test_get_id_garbage(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x02, 0xFD));
	mock_reply(f->m, MOCK_BYTES(0x12));
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_E_PROTOCOL);
	assert_int_equal(f->err.command, 0x02);
	assert_message_has(&f->err, "got 0x12 instead of ACK");
}

/* ---- Read Memory ---- */

static void test_read_memory(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x01, 0x00, 0x09));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0xFC));
	mock_reply(f->m, MOCK_BYTES(ACK, 0xDE, 0xAD, 0xBE, 0xEF));
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000100, data, 4, &f->err), STM32_OK);
	assert_memory_equal(data, ((uint8_t[]){0xDE, 0xAD, 0xBE, 0xEF}), 4);
	mock_assert_done(f->m);
}

static void test_read_memory_256(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x20, 0x00, 0x02, 0x00, 0x22));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	uint8_t block[256];
	for (int i = 0; i < 256; i++)
		block[i] = (uint8_t)(i * 7);
	mock_add(f->m, MOCK_REPLY, block, sizeof(block));
	uint8_t data[256];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x20000200, data, 256, &f->err), STM32_OK);
	assert_memory_equal(data, block, 256);
	mock_assert_done(f->m);
}

static void test_read_memory_protected(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	for (int ask = 0; ask < 3; ask++) {
		if (ask)
			script_realign(f->m);
		mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
		mock_reply(f->m, MOCK_BYTES(NACK));
	}
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 4, &f->err),
			 STM32_E_PROTECTED);
	assert_int_equal(f->err.command, 0x11);
	assert_true(f->err.has_address);
	assert_int_equal(f->err.address, 0x08000000);
	mock_assert_done(f->m);
}

static void test_read_memory_nack_at_address(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x40, 0x00, 0x00, 0x00, 0x40));
	mock_reply(f->m, MOCK_BYTES(NACK));
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x40000000, data, 4, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x11);
	assert_int_equal(f->err.address, 0x40000000);
	assert_message_has(&f->err, "NACK");
	mock_assert_done(f->m);
}

static void test_read_memory_nack_at_length(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x0F, 0xF0));
	mock_reply(f->m, MOCK_BYTES(NACK));
	uint8_t data[16];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 16, &f->err), STM32_E_NACK);
	mock_assert_done(f->m);
}

static void test_read_memory_short_data_times_out(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0xFC));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x01, 0x02));
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 4, &f->err),
			 STM32_E_TIMEOUT);
	assert_message_has(&f->err, "2 of 4");
	assert_int_equal(f->err.command, 0x11);
}

static void test_read_memory_bad_length(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	uint8_t data[300];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 0, &f->err), STM32_E_INVALID);
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 257, &f->err),
			 STM32_E_INVALID);
	assert_int_equal(f->m->writes, 1); /* only the Get */
}

/* ---- Write Memory ---- */

static void test_write_memory_worked_example(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x21));
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint8_t data[] = {0xDE, 0xAD, 0xBE, 0xEF};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000000, data, 4, &f->err), STM32_OK);
	assert_int_equal(f->m->last_timeout, f->bl.timeouts.write_ms);
	mock_assert_done(f->m);
}

static void test_write_memory_pads_tail(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x10, 0x18));
	mock_reply(f->m, MOCK_BYTES(ACK));
	/* 07 01 02 03 04 05 FF FF FF, XOR = 07^01^02^03^04^05^FF^FF^FF */
	uint8_t x = 0x07 ^ 0x01 ^ 0x02 ^ 0x03 ^ 0x04 ^ 0x05 ^ 0xFF ^ 0xFF ^ 0xFF;
	mock_expect(f->m, MOCK_BYTES(0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0xFF, 0xFF, 0xFF));
	mock_expect(f->m, &x, 1);
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint8_t data[] = {1, 2, 3, 4, 5};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000010, data, 5, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_write_memory_unaligned(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	const uint8_t data[4] = {0};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000002, data, 4, &f->err),
			 STM32_E_INVALID);
	assert_int_equal(f->m->writes, 1);
}

static void test_write_memory_nack_after_data(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x04, 0x00, 0x0C));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0x00, 0x00, 0x00, 0x00, 0x03));
	mock_reply(f->m, MOCK_BYTES(NACK));
	const uint8_t data[4] = {0};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000400, data, 4, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x31);
	assert_true(f->err.has_address);
	assert_int_equal(f->err.address, 0x08000400);
	assert_message_has(&f->err, "0x08000400");
	mock_assert_done(f->m);
}

static void test_write_memory_timeout_after_data(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x04, 0x00, 0x0C));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0x00, 0x00, 0x00, 0x00, 0x03));
	mock_silence(f->m);
	const uint8_t data[4] = {0};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000400, data, 4, &f->err),
			 STM32_E_TIMEOUT);
	assert_int_equal(f->err.command, 0x31);
	mock_assert_done(f->m);
}

static void test_write_memory_protected(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	for (int ask = 0; ask < 3; ask++) {
		if (ask)
			script_realign(f->m);
		mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
		mock_reply(f->m, MOCK_BYTES(NACK));
	}
	const uint8_t data[4] = {0};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000000, data, 4, &f->err),
			 STM32_E_PROTECTED);
	assert_int_equal(f->err.command, 0x31);
	mock_assert_done(f->m);
}

/* One NACK to the opcode is noise, or a byte of ours lost that shifted the
 * opcode pairs, not protection: the line is brought back in step, the
 * command asked again, and it carries on. */
static void test_read_memory_single_nack_is_retried(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(NACK));
	script_realign(f->m);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0xFC));
	mock_reply(f->m, MOCK_BYTES(ACK, 1, 2, 3, 4));
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 4, &f->err), STM32_OK);
	assert_memory_equal(data, ((uint8_t[]){1, 2, 3, 4}), 4);
	mock_assert_done(f->m);
}

/* Two NACKs then a different answer: still not protection. */
static void test_write_memory_two_nacks_then_silence_is_timeout(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	for (int ask = 0; ask < 2; ask++) {
		mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
		mock_reply(f->m, MOCK_BYTES(NACK));
		script_realign(f->m);
	}
	mock_expect(f->m, MOCK_BYTES(0x31, 0xCE));
	mock_silence(f->m);
	const uint8_t data[4] = {0};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000000, data, 4, &f->err),
			 STM32_E_TIMEOUT);
	assert_int_equal(f->err.command, 0x31);
}

/* ---- erase ---- */

static void test_extended_erase_worked_example(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint16_t pages[] = {0, 1};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 2, &f->err), STM32_OK);
	assert_int_equal(f->m->last_timeout, 2 * f->bl.timeouts.page_erase_ms);
	mock_assert_done(f->m);
}

static void test_extended_erase_16bit_pages(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	/* N=0x0000, page 0x0123, XOR 00^00^01^23 = 22 */
	mock_expect(f->m, MOCK_BYTES(0x00, 0x00, 0x01, 0x23, 0x22));
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint16_t pages[] = {0x123};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 1, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_legacy_erase_pages(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x43, 0xBC));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x02, 0x00, 0x01, 0x02, 0x01));
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint16_t pages[] = {0, 1, 2};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 3, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_legacy_erase_refuses_wide_pages(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	const uint16_t pages[] = {3, 256};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 2, &f->err), STM32_E_RANGE);
	assert_int_equal(f->m->writes, 1);
}

static void test_erase_nack_after_list(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x00, 0x00, 0x05, 0x05));
	mock_reply(f->m, MOCK_BYTES(NACK));
	const uint16_t pages[] = {5};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 1, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x44);
	mock_assert_done(f->m);
}

static void test_mass_erase_extended(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_erase_mass(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->m->last_timeout, f->bl.timeouts.mass_erase_ms);
	assert_true(f->bl.timeouts.mass_erase_ms >= 30000);
	mock_assert_done(f->m);
}

static void test_mass_erase_legacy(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x43, 0xBC));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_erase_mass(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_bank_erase(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0xFD, 0x02));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_erase_bank(&f->bl, 2, &f->err), STM32_OK);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0xFE, 0x01));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_erase_bank(&f->bl, 1, &f->err), STM32_E_NACK);
	mock_assert_done(f->m);
}

static void test_bank_erase_needs_extended(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	assert_int_equal(stm32_bl_erase_bank(&f->bl, 1, &f->err), STM32_E_UNSUPPORTED);
	assert_int_equal(f->m->writes, 1);
}

/* ---- Go ---- */

static void test_go(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x21, 0xDE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_go(&f->bl, 0x08000000, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_go_without_final_ack(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x21, 0xDE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_silence(f->m);
	assert_int_equal(stm32_bl_go(&f->bl, 0x08000000, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_go_nack_at_address(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x21, 0xDE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x00, 0x00, 0x00, 0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_go(&f->bl, 0, &f->err), STM32_E_NACK);
	assert_int_equal(f->err.command, 0x21);
	assert_true(f->err.has_address);
}

/* ---- protection ---- */

static void test_write_protect(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x63, 0x9C));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x01, 0x00, 0x01, 0x00));
	mock_reply(f->m, MOCK_BYTES(ACK));
	const uint8_t sectors[] = {0, 1};
	assert_int_equal(stm32_bl_write_protect(&f->bl, sectors, 2, &f->err), STM32_OK);
	assert_int_equal(f->m->last_timeout, f->bl.timeouts.option_ms);
	mock_assert_done(f->m);
}

/* The commands that take only their opcode and answer with two ACKs (the
 * chip resets after the second), each with the timeout it waits with. */
static void test_two_ack_protection_commands(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		enum stm32_status (*command)(struct stm32_bl *bl, struct stm32_error *err);
		uint8_t opcode;
		bool refused;        /* the chip answers NACK to the opcode */
		bool waits_for_mass; /* the second ACK follows a mass erase */
	} cases[] = {
		{ "Write Unprotect", stm32_bl_write_unprotect, 0x73, false, false },
		{ "Readout Protect", stm32_bl_readout_protect, 0x82, false, false },
		{ "Readout Protect refused", stm32_bl_readout_protect, 0x82, true, false },
		{ "Readout Unprotect", stm32_bl_readout_unprotect, 0x92, false, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: %s\n", cases[i].name);
		free(f->m); /* a fresh bootloader for each case */
		f->m = mock_new();
		stm32_bl_init(&f->bl, &f->m->transport);
		stm32_error_clear(&f->err);
		connect_v22(f);
		mock_expect(f->m, MOCK_BYTES(cases[i].opcode, (uint8_t)~cases[i].opcode));
		if (cases[i].refused)
			mock_reply(f->m, MOCK_BYTES(NACK));
		else
			mock_reply(f->m, MOCK_BYTES(ACK, ACK));
		enum stm32_status st = cases[i].command(&f->bl, &f->err);
		if (cases[i].refused) {
			assert_int_equal(st, STM32_E_NACK);
			assert_int_equal(f->err.command, cases[i].opcode);
			continue;
		}
		assert_int_equal(st, STM32_OK);
		if (cases[i].waits_for_mass)
			assert_int_equal(f->m->last_timeout, f->bl.timeouts.mass_erase_ms);
		mock_assert_done(f->m);
	}
}

static void test_write_unprotect_missing_second_ack(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	mock_expect(f->m, MOCK_BYTES(0x73, 0x8C));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_silence(f->m);
	assert_int_equal(stm32_bl_write_unprotect(&f->bl, &f->err), STM32_E_TIMEOUT);
	assert_int_equal(f->err.command, 0x73);
}

/* ---- Get Checksum ---- */

static void script_checksum_request(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0xA1, 0x5E));
	mock_reply(m, MOCK_BYTES(ACK));
	mock_expect(m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(m, MOCK_BYTES(ACK));
	mock_expect(m, MOCK_BYTES(0x00, 0x00, 0x00, 0x04, 0x04));
	mock_reply(m, MOCK_BYTES(ACK));
	mock_expect(m, MOCK_BYTES(0x04, 0xC1, 0x1D, 0xB7, 0x6F));
	mock_reply(m, MOCK_BYTES(ACK));
	mock_expect(m, MOCK_BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x00));
	mock_reply(m, MOCK_BYTES(ACK));
}

static void test_checksum_with_ack(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	script_checksum_request(f->m);
	mock_reply(f->m, MOCK_BYTES(ACK, 0xED, 0xE0, 0x62, 0xE3, 0x8C));
	uint32_t crc = 0;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 4, &crc, &f->err), STM32_OK);
	assert_int_equal(crc, 0xEDE062E3);
	mock_assert_done(f->m);
}

static void test_checksum_without_ack(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	script_checksum_request(f->m);
	mock_reply(f->m, MOCK_BYTES(0xED, 0xE0, 0x62, 0xE3, 0x8C));
	uint32_t crc = 0;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 4, &crc, &f->err), STM32_OK);
	assert_int_equal(crc, 0xEDE062E3);
	mock_assert_done(f->m);
}

static void test_checksum_bad_check_byte(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	script_checksum_request(f->m);
	mock_reply(f->m, MOCK_BYTES(ACK, 0xED, 0xE0, 0x62, 0xE3, 0x8D));
	uint32_t crc = 0;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 4, &crc, &f->err),
			 STM32_E_PROTOCOL);
	assert_int_equal(f->err.command, 0xA1);
	assert_int_equal(f->err.address, 0x08000000);
}

static void test_checksum_unsupported(void **state)
{
	struct fixture *f = *state;
	connect_v22(f);
	uint32_t crc;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 4, &crc, &f->err),
			 STM32_E_UNSUPPORTED);
	assert_int_equal(f->m->writes, 1);
}

static void test_checksum_unaligned(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	uint32_t crc;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 6, &crc, &f->err),
			 STM32_E_INVALID);
}

static void test_busy_bytes_are_skipped(void **state)
{
	struct fixture *f = *state;
	connect_v31(f);
	mock_expect(f->m, MOCK_BYTES(0x44, 0xBB));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(0x76, 0x76, 0x76, ACK));
	assert_int_equal(stm32_bl_erase_mass(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sync_ack), T(test_sync_nack_means_already_synced),
		T(test_sync_silence_then_nack), T(test_sync_silence_twice_times_out),
		T(test_sync_garbage), T(test_resync_until_nack),
		T(test_resync_discards_backlog),
		T(test_get_v22), T(test_get_v31_with_checksum), T(test_get_prefers_highest_variant),
		T(test_get_nack), T(test_get_truncated_list_times_out), T(test_get_missing_final_ack),
		T(test_get_version), T(test_get_version_l412_extra_ack), T(test_get_version_nack),
		T(test_get_id), T(test_get_id_three_bytes), T(test_get_id_garbage),
		T(test_read_memory), T(test_read_memory_256), T(test_read_memory_protected),
		T(test_read_memory_nack_at_address), T(test_read_memory_nack_at_length),
		T(test_read_memory_short_data_times_out), T(test_read_memory_bad_length),
		T(test_write_memory_worked_example), T(test_write_memory_pads_tail),
		T(test_write_memory_unaligned), T(test_write_memory_nack_after_data),
		T(test_write_memory_timeout_after_data), T(test_write_memory_protected),
		T(test_read_memory_single_nack_is_retried),
		T(test_write_memory_two_nacks_then_silence_is_timeout),
		T(test_extended_erase_worked_example), T(test_extended_erase_16bit_pages),
		T(test_legacy_erase_pages), T(test_legacy_erase_refuses_wide_pages),
		T(test_erase_nack_after_list), T(test_mass_erase_extended), T(test_mass_erase_legacy),
		T(test_bank_erase), T(test_bank_erase_needs_extended),
		T(test_go), T(test_go_without_final_ack), T(test_go_nack_at_address),
		T(test_write_protect), T(test_two_ack_protection_commands),
		T(test_write_unprotect_missing_second_ack),
		T(test_checksum_with_ack), T(test_checksum_without_ack), T(test_checksum_bad_check_byte),
		T(test_checksum_unsupported), T(test_checksum_unaligned), T(test_busy_bytes_are_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
