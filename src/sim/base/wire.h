/* What a UART receiver makes of a frame sent at another rate. */
#ifndef STM32SIM_WIRE_H
#define STM32SIM_WIRE_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of an 8N1 frame: start, 8 data, stop. */
#define SIM_UART_FRAME_BITS 10u

/* The byte a receiver at rx_baud reads from an 8N1 frame sent at tx_baud:
 * it finds the start edge, then samples each bit in its middle by its own
 * clock. A stop bit sampled low is a framing error, which a Linux tty in raw
 * mode (IGNPAR and PARMRK clear) delivers as 0x00; framing_error says so.
 * Rates within about 5% of each other read the byte unchanged. */
uint8_t sim_uart_resample(uint8_t byte, uint32_t tx_baud, uint32_t rx_baud, bool *framing_error);

/* The same receiver for a frame with a parity bit or without: 8 data bits,
 * then an even ('e') or odd ('o') parity bit unless parity is 'n', then
 * the stop bit, sender and receiver in the same framing. The byte is what
 * was sampled (a UART keeps it in its data register even when the frame
 * was wrong); parity_error when the sampled parity bit does not match the
 * sampled data, framing_error when the stop bit was sampled low. */
struct sim_uart_sample {
	uint8_t byte;
	bool framing_error, parity_error;
};
struct sim_uart_sample sim_uart_sample_frame(uint8_t byte, char parity, uint32_t tx_baud,
					     uint32_t rx_baud);

#endif
