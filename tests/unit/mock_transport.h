/* A scripted fake transport for unit tests.
 *
 * The script is a list of steps in the order they happen on the wire:
 * bytes the host must write (checked byte for byte; any other byte fails the
 * test at once), bytes the device answers, and silences (the next read finds
 * nothing and times out). Replies only become readable once every expected
 * write before them has been written, so a host that reads before it has sent
 * its command sees a timeout, as it would on a real line.
 *
 * Include after <cmocka.h>. */
#ifndef MOCK_TRANSPORT_H
#define MOCK_TRANSPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/transport.h"

enum mock_step_kind { MOCK_EXPECT, MOCK_REPLY, MOCK_SILENCE, MOCK_NOISE };

struct mock_step {
	enum mock_step_kind kind;
	uint8_t data[300];
	size_t length;
	size_t done; /* bytes already written / read */
};

struct mock {
	struct stm32_transport transport;
	struct mock_step steps[128];
	size_t count, cursor;
	char log[512];          /* "RTS=1 DTR=0 BRK DRAIN ..." */
	unsigned last_timeout;  /* timeout_ms of the latest read */
	unsigned max_timeout;
	size_t reads, writes;
	bool fail_lines;        /* set_line answers UNSUPPORTED, as a pty does */
	/* Each write and read call in order, "W2 R1 R19 ": on I2C one call is
	 * one bus transaction, so this is the framing the host chose. */
	char frames[2048];
	/* SPI: what the device clocks out while the host writes (queued; 0xA5
	 * idle once used up), when the transport is made full duplex. */
	uint8_t clocked_out[64];
	size_t clocked_out_count, clocked_out_used;
};

static inline struct mock *mock_of(struct stm32_transport *t)
{
	return (struct mock *)t->impl;
}

static inline void mock_log(struct mock *m, const char *fmt, ...)
{
	size_t used = strlen(m->log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->log + used, sizeof(m->log) - used, fmt, ap);
	va_end(ap);
}

static inline void mock_frame(struct mock *m, char direction, size_t length)
{
	size_t used = strlen(m->frames);
	snprintf(m->frames + used, sizeof(m->frames) - used, "%c%zu ", direction, length);
}

static inline void mock_skip_finished(struct mock *m)
{
	while (m->cursor < m->count && m->steps[m->cursor].kind != MOCK_SILENCE &&
	       m->steps[m->cursor].done == m->steps[m->cursor].length)
		m->cursor++;
}

static enum stm32_status mock_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	(void)err;
	struct mock *m = mock_of(t);
	m->writes++;
	mock_frame(m, 'W', length);
	for (size_t i = 0; i < length; i++) {
		mock_skip_finished(m);
		if (m->cursor >= m->count)
			fail_msg("host wrote 0x%02X after the end of the script", data[i]);
		struct mock_step *s = &m->steps[m->cursor];
		if (s->kind != MOCK_EXPECT)
			fail_msg("host wrote 0x%02X at script step %zu, where the device %s",
				 data[i], m->cursor,
				 s->kind == MOCK_SILENCE ? "stays silent" : "was to answer first");
		if (s->data[s->done] != data[i])
			fail_msg("host wrote 0x%02X, expected 0x%02X (script step %zu, byte %zu)",
				 data[i], s->data[s->done], m->cursor, s->done);
		s->done++;
	}
	return STM32_OK;
}

static enum stm32_status mock_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct mock *m = mock_of(t);
	m->reads++;
	mock_frame(m, 'R', length);
	m->last_timeout = timeout_ms;
	if (timeout_ms > m->max_timeout)
		m->max_timeout = timeout_ms;
	size_t have = 0;
	while (have < length) {
		mock_skip_finished(m);
		if (m->cursor >= m->count)
			break;
		struct mock_step *s = &m->steps[m->cursor];
		if (s->kind == MOCK_SILENCE) {
			m->cursor++; /* one silence answers one read */
			break;
		}
		if (s->kind == MOCK_EXPECT)
			break;
		data[have++] = s->data[s->done++];
	}
	if (got)
		*got = have;
	if (have < length)
		return stm32_error_set(err, STM32_E_TIMEOUT, "mock: timed out");
	return STM32_OK;
}

static enum stm32_status mock_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)err;
	struct mock *m = mock_of(t);
	mock_log(m, "DRAIN ");
	mock_skip_finished(m);
	while (m->cursor < m->count && m->steps[m->cursor].kind == MOCK_NOISE)
		m->cursor++;
	return STM32_OK;
}

static enum stm32_status mock_set_line(struct stm32_transport *t, enum stm32_line line,
				       bool asserted, struct stm32_error *err)
{
	struct mock *m = mock_of(t);
	if (m->fail_lines)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "mock: no modem lines");
	mock_log(m, "%s=%d ", line == STM32_LINE_RTS ? "RTS" : "DTR", asserted ? 1 : 0);
	return STM32_OK;
}

static enum stm32_status mock_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	(void)err;
	mock_log(mock_of(t), "BRK ");
	return STM32_OK;
}

static void mock_describe(struct stm32_transport *t, char *buf, size_t size)
{
	(void)t;
	snprintf(buf, size, "mock");
}

static void mock_close(struct stm32_transport *t)
{
	(void)t;
}

static enum stm32_status mock_transfer(struct stm32_transport *t, const uint8_t *out, uint8_t *in,
				       size_t length, struct stm32_error *err)
{
	struct mock *m = mock_of(t);
	if (!out)
		fail_msg("mock: a full-duplex transfer without bytes to send");
	enum stm32_status st = mock_write(t, out, length, err);
	for (size_t i = 0; in && i < length; i++)
		in[i] = m->clocked_out_used < m->clocked_out_count
				? m->clocked_out[m->clocked_out_used++]
				: 0xA5;
	return st;
}

/* What the device clocks out (then 0xA5) during the host's next full-duplex
 * transfers (SPI frames). */
static inline void mock_clock_out(struct mock *m, const uint8_t *bytes, size_t length)
{
	assert_true(length <= sizeof(m->clocked_out));
	memcpy(m->clocked_out, bytes, length);
	m->clocked_out_count = length;
	m->clocked_out_used = 0;
}

static const struct stm32_transport_ops mock_ops = {
	.name = "mock",
	.write = mock_write,
	.read = mock_read,
	.drain = mock_drain,
	.set_line = mock_set_line,
	.send_break = mock_send_break,
	.describe = mock_describe,
	.close = mock_close,
	.transfer = mock_transfer,
};

static inline struct mock *mock_new(void)
{
	struct mock *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->transport.ops = &mock_ops;
	m->transport.kind = STM32_LINK_UART;
	m->transport.baud = 0; /* no wire time added to timeouts */
	m->transport.impl = m;
	return m;
}

static inline void mock_add(struct mock *m, enum mock_step_kind kind, const uint8_t *data,
			    size_t length)
{
	assert_true(m->count < sizeof(m->steps) / sizeof(m->steps[0]));
	assert_true(length <= sizeof(m->steps[0].data));
	struct mock_step *s = &m->steps[m->count++];
	s->kind = kind;
	if (length)
		memcpy(s->data, data, length);
	s->length = length;
	s->done = 0;
}

#define MOCK_BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})
/* mock_expect(m, MOCK_BYTES(0x00, 0xFF)); */
#define mock_expect(m, ...) mock_add((m), MOCK_EXPECT, __VA_ARGS__)
#define mock_reply(m, ...) mock_add((m), MOCK_REPLY, __VA_ARGS__)
#define mock_noise(m, ...) mock_add((m), MOCK_NOISE, __VA_ARGS__)
static inline void mock_silence(struct mock *m)
{
	mock_add(m, MOCK_SILENCE, NULL, 0);
}

/* Every scripted step happened. */
static inline void mock_assert_done(struct mock *m)
{
	mock_skip_finished(m);
	if (m->cursor != m->count)
		fail_msg("script stopped at step %zu of %zu (%zu of %zu bytes)", m->cursor, m->count,
			 m->steps[m->cursor].done, m->steps[m->cursor].length);
}

#endif
