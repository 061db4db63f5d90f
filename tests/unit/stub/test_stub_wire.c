/* The host's stub framing (src/lib/stub/stub_wire.c) against byte strings
 * written out by hand from docs/stub-protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mock_transport.h"
#include "stub/stub_wire.h"

/* The check value of CRC-32 (zlib/IEEE), and chaining. */
static void crc32_matches_the_standard_check_value(void **state)
{
	(void)state;
	const uint8_t text[] = "123456789";
	assert_int_equal(stub_crc32(0, text, 9), 0xCBF43926u);
	assert_int_equal(stub_crc32(stub_crc32(0, text, 4), text + 4, 5), 0xCBF43926u);
	assert_int_equal(stub_crc32(0, text, 0), 0);
}

/* A5, code, seq, length LE, check = FF ^ the four before... then CRC-32 LE
 * of code..payload. */
static void request_frame_has_the_documented_layout(void **state)
{
	(void)state;
	uint8_t out[32];
	const uint8_t payload[] = {0x00, 0x00, 0x00, 0x08};
	size_t n = stub_frame_build(out, 0x11, 0x07, payload, sizeof(payload));
	assert_int_equal(n, 14);
	assert_int_equal(out[0], 0xA5);
	assert_int_equal(out[1], 0x11);
	assert_int_equal(out[2], 0x07);
	assert_int_equal(out[3], 4);
	assert_int_equal(out[4], 0);
	assert_int_equal(out[5], (uint8_t)(0xFF ^ 0xA5 ^ 0x11 ^ 0x07 ^ 0x04 ^ 0x00));
	assert_memory_equal(out + 6, payload, 4);
	uint32_t crc = stub_crc32(0, out + 1, 9);
	assert_int_equal(stub_get32(out + 10), crc);
}

/* A reply as the stub sends it: 5A, code, seq, length (status + body). */
static size_t reply_frame(uint8_t *out, uint8_t code, uint8_t seq, uint8_t status,
			  const uint8_t *body, size_t length)
{
	out[0] = 0x5A;
	out[1] = code;
	out[2] = seq;
	out[3] = (uint8_t)(length + 1);
	out[4] = (uint8_t)((length + 1) >> 8);
	out[5] = (uint8_t)(0xFF ^ out[0] ^ out[1] ^ out[2] ^ out[3] ^ out[4]);
	out[6] = status;
	if (length)
		memcpy(out + 7, body, length);
	stub_put32(out + 7 + length, stub_crc32(0, out + 1, 6 + length));
	return 11 + length;
}

static void reply_is_found_after_noise_and_a_false_start(void **state)
{
	(void)state;
	struct mock *m = mock_new();
	uint8_t frame[64];
	size_t n = reply_frame(frame, 0x14, 9, 0x00, (const uint8_t[]){1, 2, 3, 4}, 4);
	/* Line noise, then a 5A whose "header" fails its check, then the frame. */
	mock_reply(m, MOCK_BYTES(0x00, 0x13, 0x5A, 0x01, 0x02, 0x03, 0x04, 0x05));
	mock_reply(m, frame, n);
	uint8_t buf[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	struct stub_reply r;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_frame_read(&m->transport, 100, buf, &r, &err), STM32_OK);
	assert_int_equal(r.code, 0x14);
	assert_int_equal(r.seq, 9);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.length, 4);
	assert_memory_equal(r.body, ((const uint8_t[]){1, 2, 3, 4}), 4);
	mock_assert_done(m);
	free(m);
}

static void damaged_reply_is_a_protocol_error(void **state)
{
	(void)state;
	struct mock *m = mock_new();
	uint8_t frame[64];
	size_t n = reply_frame(frame, 0x11, 3, 0x00, NULL, 0);
	frame[n - 1] ^= 0x40; /* one bit of the CRC */
	mock_reply(m, frame, n);
	uint8_t buf[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	struct stub_reply r;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_frame_read(&m->transport, 100, buf, &r, &err), STM32_E_PROTOCOL);
	assert_non_null(strstr(err.message, "CRC"));
	free(m);
}

static void silence_is_a_timeout_saying_how_much_came(void **state)
{
	(void)state;
	struct mock *m = mock_new();
	uint8_t frame[64];
	reply_frame(frame, 0x11, 3, 0x00, NULL, 0);
	mock_reply(m, frame, 4); /* the frame breaks off */
	mock_silence(m);
	uint8_t buf[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	struct stub_reply r;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_frame_read(&m->transport, 50, buf, &r, &err), STM32_E_TIMEOUT);
	assert_non_null(strstr(err.message, "3 of 5 bytes"));
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32_matches_the_standard_check_value),
		cmocka_unit_test(request_frame_has_the_documented_layout),
		cmocka_unit_test(reply_is_found_after_noise_and_a_false_start),
		cmocka_unit_test(damaged_reply_is_a_protocol_error),
		cmocka_unit_test(silence_is_a_timeout_saying_how_much_came),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
