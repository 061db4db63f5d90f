/* Frames on the host side: the same layout the stub parses (stub/frame.c),
 * written apart from it; the constants come from stub/stub_protocol.h. */
#include "stub/stub_wire.h"

#include <string.h>

#include "core/util.h"

/* Four bits at a time from a constant 16-entry table: the stub computes
 * the same table at start (stub/frame.c). */
uint32_t stub_crc32(uint32_t crc, const uint8_t *data, size_t length)
{
	static const uint32_t nibble[16] = {
		0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
		0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
		0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
	};
	crc = ~crc;
	for (size_t i = 0; i < length; i++) {
		crc ^= data[i];
		crc = nibble[crc & 0xFu] ^ (crc >> 4);
		crc = nibble[crc & 0xFu] ^ (crc >> 4);
	}
	return ~crc;
}

static uint8_t header_check(const uint8_t *h)
{
	return (uint8_t)(0xFFu ^ h[0] ^ h[1] ^ h[2] ^ h[3] ^ h[4]);
}

size_t stub_frame_build(uint8_t *out, uint8_t code, uint8_t seq, const uint8_t *payload,
			size_t length)
{
	out[0] = STUB_SOF_REQUEST;
	out[1] = code;
	out[2] = seq;
	stub_put16(out + 3, (uint32_t)length);
	out[5] = header_check(out);
	if (length)
		memcpy(out + STUB_HEADER_BYTES, payload, length);
	uint32_t crc = stub_crc32(0, out + 1, STUB_HEADER_BYTES - 1 + length);
	stub_put32(out + STUB_HEADER_BYTES + length, crc);
	return STUB_FRAME_OVERHEAD + length;
}

static unsigned remaining_ms(uint64_t deadline_ms)
{
	uint64_t now = core_monotonic_ms();
	return now >= deadline_ms ? 0 : (unsigned)(deadline_ms - now);
}

static enum stm32_status read_exact(struct stm32_transport *t, uint8_t *data, size_t length,
				    uint64_t deadline_ms, struct stm32_error *err)
{
	size_t got = 0;
	enum stm32_status st = stm32_transport_read(t, data, length, remaining_ms(deadline_ms), &got, err);
	if (st == STM32_E_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT,
				       "the stub did not answer (%zu of %zu bytes of a frame)", got,
				       length);
	return st;
}

enum stm32_status stub_frame_read(struct stm32_transport *t, unsigned timeout_ms, uint8_t *buf,
				  struct stub_reply *reply, struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	for (;;) {
		enum stm32_status st = read_exact(t, buf, 1, deadline, err);
		if (st != STM32_OK)
			return st;
		if (buf[0] != STUB_SOF_REPLY)
			continue;
		st = read_exact(t, buf + 1, STUB_HEADER_BYTES - 1, deadline, err);
		if (st != STM32_OK)
			return st;
		size_t length = (size_t)buf[3] | (size_t)buf[4] << 8;
		if (buf[5] != header_check(buf) || length == 0 || length > STUB_MAX_PAYLOAD)
			continue; /* not a header after all: hunt on (its bytes are lost) */
		st = read_exact(t, buf + STUB_HEADER_BYTES, length + STUB_TRAILER_BYTES, deadline, err);
		if (st != STM32_OK)
			return st;
		uint32_t crc = stub_crc32(0, buf + 1, STUB_HEADER_BYTES - 1 + length);
		if (crc != stub_get32(buf + STUB_HEADER_BYTES + length))
			return stm32_error_set(err, STM32_E_PROTOCOL,
					       "a frame from the stub failed its CRC (code 0x%02X)",
					       buf[1]);
		*reply = (struct stub_reply){buf[1], buf[2], buf[STUB_HEADER_BYTES],
					     buf + STUB_HEADER_BYTES + 1, length - 1};
		return STM32_OK;
	}
}
