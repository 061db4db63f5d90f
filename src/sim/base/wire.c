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
