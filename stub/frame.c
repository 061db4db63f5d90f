/* Frame reception into slots and the frame CRC (docs/stub-protocol.md).
 * A slot is claimed at SOF and handed out once its CRC bytes are in; a
 * header whose check byte or length is wrong drops back to hunting for the
 * next SOF, so a garbled frame costs that frame only. */
#include "frame.h"

void rx_init(struct rx *rx, const uint32_t *crc_table, uint8_t *memory, uint32_t bytes)
{
	rx->crc_table = crc_table;
	rx->slots = memory;
	rx->count = bytes / SLOT_BYTES;
	if (rx->count > STUB_MAX_WINDOW)
		rx->count = STUB_MAX_WINDOW;
	rx->dropped = 0;
	rx_reset(rx);
}

void rx_reset(struct rx *rx)
{
	for (uint32_t i = 0; i < STUB_MAX_WINDOW; i++)
		rx->ready[i] = 0;
	rx->head = rx->tail = 0;
	rx->pos = 0;
	rx->need = 0;
}

uint8_t frame_header_check(const uint8_t *header)
{
	return (uint8_t)(0xFFu ^ header[0] ^ header[1] ^ header[2] ^ header[3] ^ header[4]);
}

uint32_t frame_length(const uint8_t *frame)
{
	return (uint32_t)frame[3] | (uint32_t)frame[4] << 8;
}

static uint32_t crc_step(const uint32_t *table, uint32_t crc, uint8_t byte)
{
	crc ^= byte;
	crc = table[crc & 0xFu] ^ (crc >> 4);
	return table[crc & 0xFu] ^ (crc >> 4);
}

/* Without a division: Cortex-M0 has none, and the software one takes the
 * time of a byte or two at high rates, which a one-byte USART does not have. */
static uint32_t next_slot(const struct rx *rx, uint32_t slot)
{
	return slot + 1u == rx->count ? 0u : slot + 1u;
}

void rx_byte(struct rx *rx, uint8_t byte)
{
	if (rx->pos == 0) {
		if (byte != STUB_SOF_REQUEST)
			return; /* hunting */
		if (rx->count == 0 || rx->ready[rx->tail]) {
			rx->dropped++; /* the host overran its window */
			return;
		}
		rx->crc = 0xFFFFFFFFu;
	}
	uint8_t *slot = rx->slots + rx->tail * SLOT_BYTES;
	slot[rx->pos++] = byte;
	if (rx->pos == 1)
		return;
	if (rx->pos <= rx->need - STUB_TRAILER_BYTES || rx->pos <= STUB_HEADER_BYTES)
		rx->crc = crc_step(rx->crc_table, rx->crc, byte);
	if (rx->pos == STUB_HEADER_BYTES) {
		uint32_t length = frame_length(slot);
		if (slot[5] != frame_header_check(slot) || length > FRAME_MAX_PAYLOAD) {
			rx->dropped++;
			rx->pos = 0;
			return;
		}
		rx->need = STUB_FRAME_OVERHEAD + length;
	}
	if (rx->pos >= STUB_HEADER_BYTES && rx->pos == rx->need) {
		const uint8_t *t = slot + rx->need - STUB_TRAILER_BYTES;
		uint32_t sent = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
				(uint32_t)t[3] << 24;
		rx->ready[rx->tail] = ~rx->crc == sent ? RX_GOOD : RX_DAMAGED;
		rx->tail = next_slot(rx, rx->tail);
		rx->pos = 0;
	}
}

uint8_t *rx_next(struct rx *rx, bool *good)
{
	if (rx->count == 0 || !rx->ready[rx->head])
		return 0;
	*good = rx->ready[rx->head] == RX_GOOD;
	return rx->slots + rx->head * SLOT_BYTES;
}

void rx_release(struct rx *rx)
{
	rx->ready[rx->head] = 0;
	rx->head = next_slot(rx, rx->head);
}

/* The reflected CRC-32 of zlib and Ethernet (poly 0xEDB88320), four bits
 * at a time: a 64-byte table instead of 1 KiB. */
void crc32_init_table(uint32_t table[16])
{
	for (uint32_t n = 0; n < 16; n++) {
		uint32_t c = n;
		for (int k = 0; k < 4; k++)
			c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[n] = c;
	}
}

uint32_t crc32_update(const uint32_t table[16], uint32_t crc, const uint8_t *data, uint32_t length)
{
	crc = ~crc;
	for (uint32_t i = 0; i < length; i++) {
		crc ^= data[i];
		crc = table[crc & 0xFu] ^ (crc >> 4);
		crc = table[crc & 0xFu] ^ (crc >> 4);
	}
	return ~crc;
}
