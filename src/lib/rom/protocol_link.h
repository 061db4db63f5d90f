/* The per-link framing under the bootloader commands (internal).
 *
 * The commands in protocol.c are written once; what differs between UART
 * (AN3155), I2C (AN4221) and SPI (AN4286) is how a frame is sent, how an
 * ACK is waited for and how a reply is read. That is all here, chosen by
 * transport->kind. */
#ifndef STM32BOOT_PROTOCOL_LINK_H
#define STM32BOOT_PROTOCOL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rom/rom_protocol.h"

#define STM32_SPI_FRAME_START 0x5A
/* Milliseconds between two polls of a busy I2C or SPI device. */
#define STM32_LINK_POLL_MS 1u

static inline bool stm32_link_is_i2c(const struct stm32_bl *bl)
{
	return bl->transport->kind == STM32_LINK_I2C;
}

static inline bool stm32_link_is_spi(const struct stm32_bl *bl)
{
	return bl->transport->kind == STM32_LINK_SPI;
}

/* I2C and SPI send counted lists (erase, write protect) as two frames. */
static inline bool stm32_link_splits_lists(const struct stm32_bl *bl)
{
	return bl->transport->kind != STM32_LINK_UART;
}

/* One command frame: opcode and complement (after 0x5A on SPI). */
enum stm32_status stm32_link_send_command(struct stm32_bl *bl, uint8_t opcode,
					  struct stm32_error *err);
/* One data frame (address, count, data, list): one I2C transaction. On
 * SPI (both kinds of frame) an ACK or NACK the device clocks out while the
 * frame goes is confirmed and the frame fails with STM32_E_PROTOCOL: the
 * device was out of step (see spi_send_watching). */
enum stm32_status stm32_link_send(struct stm32_bl *bl, const uint8_t *data, size_t length,
				  struct stm32_error *err);
/* Wait for ACK or NACK within timeout_ms: UART reads bytes skipping BUSY;
 * I2C polls 1-byte read transactions through BUSY and unacknowledged
 * transactions; SPI clocks dummy bytes until 0x79/0x1F, then confirms
 * with 0x79. */
enum stm32_status stm32_link_expect_ack(struct stm32_bl *bl, unsigned timeout_ms,
					const char *stage, struct stm32_error *err);
/* The start of a reply: one I2C transaction of exactly length bytes; on
 * SPI the device's dummy byte is read and dropped first. */
enum stm32_status stm32_link_receive(struct stm32_bl *bl, uint8_t *data, size_t length,
				     unsigned timeout_ms, const char *what,
				     struct stm32_error *err);
/* More of a reply already started (UART and SPI only). */
enum stm32_status stm32_link_receive_more(struct stm32_bl *bl, uint8_t *data, size_t length,
					  unsigned timeout_ms, const char *what,
					  struct stm32_error *err);

#endif
