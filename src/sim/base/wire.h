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

#endif
