/* The host's stub conversation (src/lib/stub/stub_session.c) against a
 * fake stub in this file: it parses the host's frames, keeps the sequence
 * rules of docs/stub-protocol.md (run in order, answer a repeat of a write
 * from its stored status, answer later frames after a damaged one
 * "out of sequence") and can damage a request or lose a reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stub/stub_pipe.h"
#include "stub/stub_session.h"

#define FLASH_BASE 0x08000000u
#define FLASH_BYTES (64u * 1024u)

struct fake {
	struct stm32_transport t;
	uint8_t frame[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	size_t have;
	uint8_t out[64 * 1024];
	size_t out_len, out_pos;
	bool seq_known;
	uint8_t expected;
	uint8_t status_of[256];
	uint8_t flash[FLASH_BYTES];
	unsigned requests, replies;
	unsigned damage_request;   /* 1-based: treat that request as damaged */
	unsigned lose_reply;       /* 1-based: run it, send no reply */
	unsigned fall_back_at;     /* 1-based: forget everything, announce HELLO many times */
	unsigned writes_run[FLASH_BYTES / STUB_WRITE_CHUNK];
	uint32_t read_acked;
};

static uint8_t check(const uint8_t *h)
{
	return (uint8_t)(0xFF ^ h[0] ^ h[1] ^ h[2] ^ h[3] ^ h[4]);
}

static void send_reply(struct fake *f, uint8_t code, uint8_t seq, uint8_t status,
		       const uint8_t *body, size_t length)
{
	if (++f->replies == f->lose_reply)
		return;
	uint8_t *o = f->out + f->out_len;
	o[0] = STUB_SOF_REPLY;
	o[1] = code;
	o[2] = seq;
	o[3] = (uint8_t)(length + 1);
	o[4] = (uint8_t)((length + 1) >> 8);
	o[5] = check(o);
	o[6] = status;
	if (length)
		memcpy(o + 7, body, length);
	stub_put32(o + 7 + length, stub_crc32(0, o + 1, 6 + length));
	f->out_len += 11 + length;
}

static uint8_t run_write(struct fake *f, const uint8_t *p, size_t length)
{
	uint32_t address = stub_get32(p);
	size_t n = length - 4;
	if (address < FLASH_BASE || address - FLASH_BASE + n > FLASH_BYTES)
		return STUB_E_RANGE;
	if (address % 2 || n % 2)
		return STUB_E_ALIGN;
	memcpy(f->flash + (address - FLASH_BASE), p + 4, n);
	f->writes_run[(address - FLASH_BASE) / STUB_WRITE_CHUNK]++;
	return STUB_OK;
}

static void run_read(struct fake *f, uint8_t seq, const uint8_t *p)
{
	uint32_t address = stub_get32(p), length = stub_get32(p + 4);
	for (uint32_t sent = 0; sent < length;) {
		uint32_t n = length - sent < STUB_WRITE_CHUNK ? length - sent : STUB_WRITE_CHUNK;
		uint8_t body[4 + STUB_WRITE_CHUNK];
		stub_put32(body, sent);
		memcpy(body + 4, f->flash + (address - FLASH_BASE) + sent, n);
		send_reply(f, STUB_CMD_READ, seq, STUB_OK, body, 4 + n);
		sent += n;
	}
}

static void send_hello(struct fake *f, uint8_t seq)
{
	uint8_t b[STUB_HELLO_BYTES] = {0};
	stub_put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_DRIVER] = STUB_DRIVER_F1;
	b[STUB_HELLO_WINDOW] = 2;
	b[STUB_HELLO_UNIT] = 2;
	b[STUB_HELLO_PAYLOAD] = (uint8_t)STUB_MAX_PAYLOAD;
	b[STUB_HELLO_PAYLOAD + 1] = (uint8_t)(STUB_MAX_PAYLOAD >> 8);
	send_reply(f, STUB_CMD_HELLO, seq, STUB_OK, b, sizeof(b));
}

static void run_frame(struct fake *f)
{
	uint8_t code = f->frame[1], seq = f->frame[2];
	size_t length = (size_t)f->frame[3] | (size_t)f->frame[4] << 8;
	const uint8_t *p = f->frame + STUB_HEADER_BYTES;
	bool good = stub_crc32(0, f->frame + 1, 5 + length) == stub_get32(p + length);
	if (code == STUB_CMD_READ_ACK) {
		f->read_acked = stub_get32(p);
		return;
	}
	if (++f->requests == f->damage_request)
		good = false;
	if (!good) {
		send_reply(f, code, seq, STUB_E_CRC, NULL, 0);
		return;
	}
	if (f->requests == f->fall_back_at) {
		/* As the stub does after a silence: its start state, announced
		 * (here over and over, as a host that waits long would see). */
		f->seq_known = false;
		for (int i = 0; i < 200; i++)
			send_hello(f, 0);
		return;
	}
	if (code == STUB_CMD_HELLO) {
		f->seq_known = true;
		f->expected = (uint8_t)(seq + 1);
		send_hello(f, seq);
		return;
	}
	uint8_t behind = (uint8_t)(f->expected - 1 - seq);
	if (f->seq_known && seq != f->expected && behind < 128 && code == STUB_CMD_WRITE) {
		send_reply(f, code, seq, f->status_of[seq], NULL, 0);
		return;
	}
	if (!f->seq_known || seq != f->expected) {
		send_reply(f, code, seq, STUB_E_SEQUENCE, &f->expected, 1);
		return;
	}
	f->expected++;
	if (code == STUB_CMD_READ) {
		run_read(f, seq, p);
		return;
	}
	uint8_t status = code == STUB_CMD_WRITE ? run_write(f, p, length) : STUB_E_UNKNOWN;
	f->status_of[seq] = status;
	send_reply(f, code, seq, status, NULL, 0);
}

static enum stm32_status fake_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	for (size_t i = 0; i < length; i++) {
		if (f->have == 0 && data[i] != STUB_SOF_REQUEST)
			fail_msg("the host sent 0x%02X outside a frame", data[i]);
		f->frame[f->have++] = data[i];
		if (f->have >= STUB_HEADER_BYTES) {
			assert_int_equal(f->frame[5], check(f->frame));
			size_t need = STUB_FRAME_OVERHEAD + ((size_t)f->frame[3] | (size_t)f->frame[4] << 8);
			if (f->have == need) {
				run_frame(f);
				f->have = 0;
			}
		}
	}
	return STM32_OK;
}

static enum stm32_status fake_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	struct fake *f = t->impl;
	size_t n = f->out_len - f->out_pos < length ? f->out_len - f->out_pos : length;
	memcpy(data, f->out + f->out_pos, n);
	f->out_pos += n;
	*got = n;
	if (n < length)
		return stm32_error_set(err, STM32_E_TIMEOUT, "nothing more");
	return STM32_OK;
}

static enum stm32_status fake_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	f->out_pos = f->out_len;
	return STM32_OK;
}

static const struct stm32_transport_ops fake_ops = {
	.name = "fake-stub", .write = fake_write, .read = fake_read, .drain = fake_drain,
};

struct fixture {
	struct fake *f;
	struct stub_session s;
	struct stub_pipe pipe;
	uint8_t image[8 * STUB_WRITE_CHUNK + 300];
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	x->f = calloc(1, sizeof(*x->f));
	x->f->t = (struct stm32_transport){.ops = &fake_ops, .kind = STM32_LINK_UART, .impl = x->f};
	memset(x->f->flash, 0xFF, sizeof(x->f->flash));
	for (size_t i = 0; i < sizeof(x->image); i++)
		x->image[i] = (uint8_t)(i * 7 + 3);
	stub_session_init(&x->s, &x->f->t);
	assert_true(stub_pipe_init(&x->pipe, FLASH_BYTES / STUB_WRITE_CHUNK));
	x->s.frame_timeout_ms = 5;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_resync(&x->s, 1, 5, &err), STM32_OK);
	assert_int_equal(x->s.hello.window, 2);
	x->f->requests = x->f->replies = 0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	stub_pipe_free(&x->pipe);
	free(x->f);
	free(x);
	return 0;
}

/* What the back end's write entry does: WRITE frames of STUB_WRITE_CHUNK
 * through the window, then every reply. */
static enum stm32_status pipe_write(struct fixture *x, uint32_t address, const uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	uint8_t payload[4 + STUB_WRITE_CHUNK];
	for (size_t done = 0; done < length; done += STUB_WRITE_CHUNK) {
		size_t n = length - done < STUB_WRITE_CHUNK ? length - done : STUB_WRITE_CHUNK;
		stub_put32(payload, address + (uint32_t)done);
		memcpy(payload + 4, data + done, n);
		enum stm32_status st = stub_pipe_push(&x->pipe, &x->s, STUB_CMD_WRITE, payload, 4 + n, 0,
						      address + (uint32_t)done, -1, err);
		if (st != STM32_OK)
			return st;
	}
	return stub_pipe_drain(&x->pipe, &x->s, err);
}

static void assert_written_once(const struct fixture *x, size_t frames)
{
	assert_memory_equal(x->f->flash, x->image, sizeof(x->image));
	for (size_t i = 0; i < frames; i++)
		assert_int_equal(x->f->writes_run[i], 1);
}

static void write_goes_in_window_frames(void **state)
{
	struct fixture *x = *state;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(pipe_write(x, FLASH_BASE, x->image, sizeof(x->image), &err),
			 STM32_OK);
	assert_written_once(x, 9);
	assert_int_equal(x->f->requests, 9);
}

static void damaged_frame_is_sent_again_with_those_after_it(void **state)
{
	struct fixture *x = *state;
	x->f->damage_request = 3;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(pipe_write(x, FLASH_BASE, x->image, sizeof(x->image), &err),
			 STM32_OK);
	assert_written_once(x, 9);
	assert_true(x->f->requests > 9); /* the damaged one and the one after it, again */
}

static void lost_reply_is_answered_not_written_twice(void **state)
{
	struct fixture *x = *state;
	x->f->lose_reply = 2;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(pipe_write(x, FLASH_BASE, x->image, sizeof(x->image), &err),
			 STM32_OK);
	assert_written_once(x, 9);
}

static void refusal_outside_flash_names_the_address(void **state)
{
	struct fixture *x = *state;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(pipe_write(x, FLASH_BASE + FLASH_BYTES - 1024, x->image, 2048, &err),
			 STM32_E_RANGE);
	assert_true(err.has_address);
	assert_int_equal(err.address, FLASH_BASE + FLASH_BYTES);
	assert_non_null(strstr(err.message, "outside flash"));
}

static void read_streams_frames_and_acknowledges_each(void **state)
{
	struct fixture *x = *state;
	memcpy(x->f->flash, x->image, sizeof(x->image));
	uint8_t got[sizeof(x->image)];
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_read(&x->s, FLASH_BASE, got, sizeof(got), &err), STM32_OK);
	assert_memory_equal(got, x->image, sizeof(got));
	assert_int_equal(x->f->read_acked, sizeof(got));
}

static void silent_stub_fails_resync_with_a_timeout(void **state)
{
	struct fixture *x = *state;
	x->f->lose_reply = 1;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_resync(&x->s, 1, 5, &err), STM32_E_TIMEOUT);
	assert_non_null(strstr(err.message, "did not answer HELLO"));
}

/* A stub that fell back while a request was pending keeps announcing
 * itself: the host must give up on the request at once (not wait on past
 * every announcement), and a resync brings the conversation back. */
static void stub_that_fell_back_is_noticed_and_resynced(void **state)
{
	struct fixture *x = *state;
	x->f->fall_back_at = 3;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(pipe_write(x, FLASH_BASE, x->image, sizeof(x->image), &err),
			 STM32_E_PROTOCOL);
	assert_non_null(strstr(err.message, "fell back to its start state"));
	assert_true(x->f->out_len - x->f->out_pos > 100 * 11); /* most announcements unread */
	x->f->fall_back_at = 0;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_resync(&x->s, 1, 5, &err), STM32_OK);
	assert_int_equal(stub_pipe_restart(&x->pipe, &x->s, false, &err), STM32_OK);
	assert_int_equal(pipe_write(x, FLASH_BASE, x->image, sizeof(x->image), &err),
			 STM32_OK);
	assert_memory_equal(x->f->flash, x->image, sizeof(x->image));
}

/* A stub that counts differently (it heard a HELLO of ours whose answer
 * was lost) answers SEQUENCE with the number it wants, having run
 * nothing: the request goes again under that number, once. */
static void request_answered_sequence_goes_again_under_the_stubs_number(void **state)
{
	struct fixture *x = *state;
	uint8_t wanted = (uint8_t)(x->s.seq + 5u);
	x->f->expected = wanted;
	uint8_t payload[8] = {0};
	struct stub_reply reply;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_call(&x->s, STUB_CMD_CRC, payload, sizeof(payload), 0, &reply,
					   &err),
			 STM32_OK);
	assert_int_equal(reply.status, STUB_E_UNKNOWN); /* run (the fake knows no CRC) */
	assert_int_equal(reply.seq, wanted);
	assert_int_equal(x->f->requests, 2);
	assert_int_equal(x->s.seq, (uint8_t)(wanted + 1u));
	assert_int_equal(x->f->expected, (uint8_t)(wanted + 1u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_goes_in_window_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_frame_is_sent_again_with_those_after_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lost_reply_is_answered_not_written_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refusal_outside_flash_names_the_address, setup, teardown),
		cmocka_unit_test_setup_teardown(read_streams_frames_and_acknowledges_each, setup,
						teardown),
		cmocka_unit_test_setup_teardown(silent_stub_fails_resync_with_a_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(stub_that_fell_back_is_noticed_and_resynced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(request_answered_sequence_goes_again_under_the_stubs_number,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
