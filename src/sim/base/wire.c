/* A UART frame seen by a receiver whose clock differs from the sender's. */
#include "base/wire.h"

/* The line level at time t (in units of 1 / (tx_baud * rx_baud) seconds,
 * so that both bit times are whole numbers): low for the start bit, the
 * data bits LSB first, then high (stop bit and idle line). */
static unsigned level_at(uint8_t byte, uint64_t t, uint64_t tx_bit)
{
	uint64_t bit = t / tx_bit;
	if (bit == 0)
		return 0;
	if (bit <= 8)
		return (byte >> (bit - 1)) & 1u;
	return 1;
}

static unsigned ones(unsigned value)
{
	unsigned n = 0;
	for (; value; value >>= 1)
		n += value & 1u;
	return n;
}

/* The parity bit a sender puts after byte: even parity makes the count of
 * ones, parity bit included, even. */
static unsigned parity_bit(uint8_t byte, char parity)
{
	return (ones(byte) & 1u) ^ (parity == 'o' ? 1u : 0u);
}

/* As level_at, with a parity bit (bit 9) between the data and the stop bit. */
static unsigned framed_level_at(uint8_t byte, char parity, uint64_t t, uint64_t tx_bit)
{
	if (parity != 'n' && t / tx_bit == 9)
		return parity_bit(byte, parity);
	return level_at(byte, t, tx_bit);
}

uint8_t sim_uart_resample(uint8_t byte, uint32_t tx_baud, uint32_t rx_baud, bool *framing_error)
{
	*framing_error = false;
	if (!tx_baud || !rx_baud || tx_baud == rx_baud)
		return byte;
	/* One bit lasts rx_baud units at the sender and tx_baud at the receiver. */
	uint64_t tx_bit = rx_baud, rx_bit = tx_baud;
	uint8_t got = 0;
	for (unsigned i = 0; i < 8; i++) /* data bit i is sampled at (1.5 + i) receiver bits */
		got |= (uint8_t)(level_at(byte, (2 * i + 3) * rx_bit / 2, tx_bit) << i);
	if (!level_at(byte, 19 * rx_bit / 2, tx_bit)) { /* the stop bit, at 9.5 */
		*framing_error = true;
		return 0x00;
	}
	return got;
}

struct sim_uart_sample sim_uart_sample_frame(uint8_t byte, char parity, uint32_t tx_baud,
					     uint32_t rx_baud)
{
	struct sim_uart_sample out = {byte, false, false};
	if (!tx_baud || !rx_baud || tx_baud == rx_baud)
		return out;
	uint64_t tx_bit = rx_baud, rx_bit = tx_baud;
	uint8_t got = 0;
	for (unsigned i = 0; i < 8; i++)
		got |= (uint8_t)(framed_level_at(byte, parity, (2 * i + 3) * rx_bit / 2, tx_bit) << i);
	unsigned stop_at = 19; /* half bits: 9.5 without parity */
	if (parity != 'n') {
		unsigned sampled = framed_level_at(byte, parity, 19 * rx_bit / 2, tx_bit);
		out.parity_error = sampled != parity_bit(got, parity);
		stop_at = 21;
	}
	out.framing_error = !framed_level_at(byte, parity, stop_at * rx_bit / 2, tx_bit);
	out.byte = got;
	return out;
}
