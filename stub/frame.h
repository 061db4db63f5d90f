/* The stub's side of the framing: a byte-at-a-time receiver that fills a
 * ring of frame slots (so frames keep arriving while flash is busy), and
 * the frame CRC-32. No registers here: stub.c feeds it bytes. */
#ifndef STUB_FRAME_H
#define STUB_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "stub_protocol.h"

#ifdef STUB_SMALL
#define SLOT_BYTES STUB_SMALL_SLOT_BYTES /* the small image's frames (stub.c) */
#define FRAME_MAX_PAYLOAD STUB_SMALL_MAX_PAYLOAD
#else
#define SLOT_BYTES STUB_SLOT_BYTES
#define FRAME_MAX_PAYLOAD STUB_MAX_PAYLOAD
#endif
#define RX_GOOD 1u
#define RX_DAMAGED 2u

struct rx {
	const uint32_t *crc_table;
	uint32_t crc;                  /* running CRC of the frame being received */
	uint8_t *slots;
	uint32_t count;                /* slots, 1..STUB_MAX_WINDOW */
	uint8_t ready[STUB_MAX_WINDOW]; /* 0 free/filling, RX_GOOD, RX_DAMAGED */
	uint32_t head, tail;           /* oldest ready slot, slot being filled */
	uint32_t pos, need;            /* bytes in the slot being filled, bytes it will hold */
	uint32_t dropped;              /* frames lost for want of a slot or a good header */
};

/* The CRC is checked as the bytes come in, so no pass over a whole frame
 * keeps the stub from reading its USART. */
void rx_init(struct rx *rx, const uint32_t *crc_table, uint8_t *memory, uint32_t bytes);
void rx_reset(struct rx *rx);
void rx_byte(struct rx *rx, uint8_t byte);
/* The oldest complete frame, or 0; *good says whether its CRC matched. */
uint8_t *rx_next(struct rx *rx, bool *good);
void rx_release(struct rx *rx);

uint8_t frame_header_check(const uint8_t *header); /* over its first 5 bytes */
uint32_t frame_length(const uint8_t *frame);
void crc32_init_table(uint32_t table[16]);
uint32_t crc32_update(const uint32_t table[16], uint32_t crc, const uint8_t *data,
		      uint32_t length);

#endif
