/* The chip as an SPI slave (AN4286), full duplex, one byte clocked each
 * way at a time:
 *   - while waiting for a command it expects the start-of-frame 0x5A, then
 *     the opcode and its complement (the very first 0x5A is the sync);
 *   - every ACK/NACK of the engine goes out as the ACK procedure: a dummy
 *     0x00 then 0x79 (a NACK is 0x1F alone), after which the chip ignores
 *     the host until it sends its 0x79 confirmation;
 *   - a reply payload starts with one dummy byte 0x00;
 *   - with nothing to send (idle, or busy erasing/programming) the chip
 *     clocks out 0xA5, and bytes from the host are ignored while it has
 *     queued output it has not yet sent.
 * Byte faults and counters (link.c) apply to the bytes the chip takes in
 * and to the engine's reply bytes, not to 0xA5 fill or dummy bytes. */
#ifndef STM32SIM_LINK_SPI_H
#define STM32SIM_LINK_SPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link.h"

#define SIM_SPI_IDLE 0xA5u
#define SIM_SPI_DUMMY 0x00u
#define SIM_SPI_START_OF_FRAME 0x5Au

struct sim_spi {
	struct sim_link *link;
	uint8_t staged[2];     /* bytes being shifted out ahead of the engine's queue */
	size_t staged_head, staged_count;
	bool handshake_after;  /* the staged bytes end with an ACK or NACK */
	bool awaiting_confirm; /* ACK procedure: waiting for the host's 0x79 */
	bool in_payload;       /* the last byte out was payload: no new dummy */
	bool start_seen;       /* 0x5A received; the opcode comes next */
	bool hung_up;          /* a hangup fault fired */
};

void sim_spi_init(struct sim_spi *spi, struct sim_link *link);

/* One full-duplex transfer: length bytes from the host in mosi, the chip's
 * bytes for the same clocks into miso, all at now_us. */
void sim_spi_transfer(struct sim_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t length,
		      uint64_t now_us);
/* The same clocked at clock_hz from start_us, 8 bit times a byte: byte i
 * starts shifting out at start_us + 8 i bit times (the chip decides then
 * what it sends) and the host's byte i has arrived 8 bit times later.
 * clock_hz 0 is sim_spi_transfer. */
void sim_spi_transfer_clocked(struct sim_spi *spi, const uint8_t *mosi, uint8_t *miso,
			      size_t length, uint64_t start_us, uint32_t clock_hz);
/* Microseconds of length bytes at clock_hz, rounded down; 0 without a clock. */
uint64_t sim_spi_bytes_us(size_t length, uint32_t clock_hz);

#endif
