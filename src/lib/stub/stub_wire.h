/* The host's side of the stub's frames (docs/stub-protocol.md): the frame
 * CRC, building a request, and reading one reply frame off a transport.
 * No sequence numbers or commands here (stub_session.c). */
#ifndef STM32_STUB_WIRE_H
#define STM32_STUB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/transport.h"
#include "stub_protocol.h"

/* zlib's CRC-32 (reflected 0xEDB88320); crc 0 to start, chainable. */
uint32_t stub_crc32(uint32_t crc, const uint8_t *data, size_t length);

/* A request frame into out (at least STUB_FRAME_OVERHEAD + length bytes);
 * returns its size. length <= STUB_MAX_PAYLOAD. */
size_t stub_frame_build(uint8_t *out, uint8_t code, uint8_t seq, const uint8_t *payload,
			size_t length);

struct stub_reply {
	uint8_t code;
	uint8_t seq;
	uint8_t status;
	const uint8_t *body; /* after the status byte, into the reader's buffer */
	size_t length;       /* body bytes */
};

/* Reads the next reply frame within timeout_ms: bytes before a reply SOF
 * are skipped, a bad header check drops that SOF and hunts on. A frame
 * whose CRC does not match: STM32_E_PROTOCOL. buf holds at least
 * STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD bytes and backs reply->body. */
enum stm32_status stub_frame_read(struct stm32_transport *t, unsigned timeout_ms, uint8_t *buf,
				  struct stub_reply *reply, struct stm32_error *err);

/* Little-endian fields. */
static inline uint32_t stub_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void stub_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static inline void stub_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

#endif
