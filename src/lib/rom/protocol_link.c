/* How frames, ACKs and replies travel on each link (AN3155, AN4221, AN4286).
 *
 * UART is a byte stream: an ACK is simply the next byte. I2C is a series of
 * independent transactions: the host cannot wait inside one, so it asks
 * again and again (ACK polling) while the device is busy, which it says by
 * not acknowledging its address or, with the no-stretch commands, by
 * answering 0x76. SPI is full duplex and the host clocks every byte: it
 * keeps clocking dummies until the device puts 0x79 or 0x1F on the line and
 * then tells it the answer was seen by sending 0x79. */
#include <errno.h>
#include <time.h>

#include "rom/protocol_link.h"
#include "core/util.h"

#define SPI_DUMMY 0x00

static enum stm32_status write_all(struct stm32_bl *bl, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	return stm32_transport_write(bl->transport, data, length, err);
}

static enum stm32_status spi_confirm(struct stm32_bl *bl, struct stm32_error *err)
{
	static const uint8_t confirm = STM32_ACK;
	return write_all(bl, &confirm, 1, err);
}

/* While the host sends a frame, an SPI device in step clocks out its idle
 * pattern. An ACK or NACK there means it was not where the host thought: it
 * reset and took a 0x5A inside the frame as its sync, or rejected the frame
 * early. Either way it now ignores everything but the host's 0x79, so that
 * is sent at once, and the frame is reported as not taken. */
static enum stm32_status spi_send_watching(struct stm32_bl *bl, const uint8_t *data,
					   size_t length, struct stm32_error *err)
{
	enum { PIECE = 512 }; /* longer than any frame: one transfer each */
	uint8_t seen[PIECE];
	struct stm32_transport *t = bl->transport;
	int answer = -1;
	for (size_t done = 0; done < length;) {
		size_t piece = length - done < PIECE ? length - done : PIECE;
		enum stm32_status st = t->ops->transfer(t, data + done, seen, piece, err);
		if (st != STM32_OK)
			return st;
		for (size_t i = 0; i < piece && answer < 0; i++)
			if (seen[i] == STM32_ACK || seen[i] == STM32_NACK)
				answer = seen[i];
		done += piece;
	}
	if (answer < 0)
		return STM32_OK;
	enum stm32_status st = spi_confirm(bl, err);
	if (st != STM32_OK)
		return st;
	return stm32_error_set(err, STM32_E_PROTOCOL,
			       "the bootloader answered 0x%02X before the frame was complete", answer);
}

enum stm32_status stm32_link_send(struct stm32_bl *bl, const uint8_t *data, size_t length,
				  struct stm32_error *err)
{
	if (stm32_link_is_spi(bl) && bl->transport->ops->transfer)
		return spi_send_watching(bl, data, length, err);
	return write_all(bl, data, length, err);
}

enum stm32_status stm32_link_send_command(struct stm32_bl *bl, uint8_t opcode,
					  struct stm32_error *err)
{
	if (stm32_link_is_spi(bl)) {
		uint8_t frame[3] = {STM32_SPI_FRAME_START, opcode, (uint8_t)~opcode};
		return stm32_link_send(bl, frame, sizeof(frame), err);
	}
	uint8_t frame[2] = {opcode, (uint8_t)~opcode};
	return write_all(bl, frame, sizeof(frame), err);
}

static enum stm32_status answer_of(uint8_t byte, const char *stage, struct stm32_error *err)
{
	if (byte == STM32_ACK)
		return STM32_OK;
	if (byte == STM32_NACK)
		return stm32_error_set(err, STM32_E_NACK, "the bootloader answered NACK %s", stage);
	return stm32_error_set(err, STM32_E_PROTOCOL, "got 0x%02X instead of ACK %s", byte, stage);
}

static enum stm32_status no_ack(const char *stage, unsigned timeout_ms, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_TIMEOUT, "no ACK from the bootloader %s within %u ms",
			       stage, timeout_ms);
}

static unsigned ms_left(uint64_t deadline)
{
	uint64_t now = core_monotonic_ms();
	return now < deadline ? (unsigned)(deadline - now) : 0;
}

/* BUSY bytes (no-stretch commands while the device works) are skipped, all
 * within the one deadline. */
static enum stm32_status uart_expect_ack(struct stm32_bl *bl, unsigned timeout_ms,
					 const char *stage, struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	uint8_t byte = STM32_BUSY;
	while (byte == STM32_BUSY) {
		size_t got = 0;
		enum stm32_status st = stm32_transport_read(bl->transport, &byte, 1,
							    ms_left(deadline), &got, err);
		if (st == STM32_E_TIMEOUT)
			return no_ack(stage, timeout_ms, err);
		if (st != STM32_OK)
			return st;
	}
	return answer_of(byte, stage, err);
}

/* Each poll is its own 1-byte read transaction. Not acknowledging the
 * address (the transport's timeout) and BUSY both mean "still working". */
static enum stm32_status i2c_expect_ack(struct stm32_bl *bl, unsigned timeout_ms,
					const char *stage, struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	for (;;) {
		uint8_t byte = 0;
		size_t got = 0;
		enum stm32_status st = stm32_transport_read(bl->transport, &byte, 1,
							    ms_left(deadline), &got, err);
		if (st == STM32_OK && byte != STM32_BUSY)
			return answer_of(byte, stage, err);
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			return st;
		if (ms_left(deadline) == 0)
			return no_ack(stage, timeout_ms, err);
		core_sleep_ms(STM32_LINK_POLL_MS);
	}
}

/* Whatever else comes in meanwhile (the idle pattern 0xA5, the dummy 0x00
 * ahead of an ACK) means "not yet". The device waits for the host's 0x79
 * after a NACK too, so it is confirmed either way. */
static enum stm32_status spi_expect_ack(struct stm32_bl *bl, unsigned timeout_ms,
					const char *stage, struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	for (;;) {
		uint8_t byte = 0;
		size_t got = 0;
		enum stm32_status st = stm32_transport_read(bl->transport, &byte, 1,
							    ms_left(deadline), &got, err);
		if (st == STM32_OK && (byte == STM32_ACK || byte == STM32_NACK)) {
			enum stm32_status sent = spi_confirm(bl, err);
			return sent != STM32_OK ? sent : answer_of(byte, stage, err);
		}
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			return st;
		if (ms_left(deadline) == 0)
			return no_ack(stage, timeout_ms, err);
		if (st != STM32_OK || byte == STM32_BUSY || byte == 0xA5)
			core_sleep_ms(STM32_LINK_POLL_MS);
	}
}

enum stm32_status stm32_link_expect_ack(struct stm32_bl *bl, unsigned timeout_ms,
					const char *stage, struct stm32_error *err)
{
	switch (bl->transport->kind) {
	case STM32_LINK_I2C: return i2c_expect_ack(bl, timeout_ms, stage, err);
	case STM32_LINK_SPI: return spi_expect_ack(bl, timeout_ms, stage, err);
	case STM32_LINK_UART: break;
	}
	return uart_expect_ack(bl, timeout_ms, stage, err);
}

enum stm32_status stm32_link_receive_more(struct stm32_bl *bl, uint8_t *data, size_t length,
					  unsigned timeout_ms, const char *what,
					  struct stm32_error *err)
{
	size_t got = 0;
	enum stm32_status st = stm32_transport_read(bl->transport, data, length, timeout_ms, &got,
						    err);
	if (st == STM32_E_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT,
				       "no %s from the bootloader within %u ms (%zu of %zu bytes)",
				       what, timeout_ms, got, length);
	return st;
}

enum stm32_status stm32_link_receive(struct stm32_bl *bl, uint8_t *data, size_t length,
				     unsigned timeout_ms, const char *what,
				     struct stm32_error *err)
{
	if (stm32_link_is_spi(bl)) {
		uint8_t dummy = SPI_DUMMY;
		enum stm32_status st = stm32_link_receive_more(bl, &dummy, 1, timeout_ms, what, err);
		if (st != STM32_OK)
			return st;
	}
	return stm32_link_receive_more(bl, data, length, timeout_ms, what, err);
}
