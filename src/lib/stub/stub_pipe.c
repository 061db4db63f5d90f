/* Frames in flight across entries (stub_pipe.h): go-back-N over a ring of
 * copies, and the record of held-back erases. */
#include "stub/stub_pipe.h"

#include <stdlib.h>
#include <string.h>

bool stub_pipe_init(struct stub_pipe *p, size_t unit_count)
{
	memset(p, 0, sizeof(*p));
	p->unit_count = unit_count;
	p->held = calloc(unit_count ? unit_count : 1, 1);
	p->asked = calloc(unit_count ? unit_count : 1, 1);
	return p->held && p->asked;
}

void stub_pipe_free(struct stub_pipe *p)
{
	free(p->held);
	free(p->asked);
	p->held = p->asked = NULL;
}

static struct stub_pending *oldest(struct stub_pipe *p)
{
	return &p->frames[p->head];
}

static struct stub_pending *nth(struct stub_pipe *p, unsigned i)
{
	return &p->frames[(p->head + i) % STUB_MAX_WINDOW];
}

static enum stm32_status send_pending(struct stub_session *s, const struct stub_pending *f,
				      struct stm32_error *err)
{
	size_t n = stub_frame_build(s->tx, f->code, f->seq, f->payload, f->length);
	return stm32_transport_write(s->t, s->tx, n, err);
}

static enum stm32_status resend_all(struct stub_pipe *p, struct stub_session *s,
				    struct stm32_error *err)
{
	for (unsigned i = 0; i < p->count; i++) {
		enum stm32_status st = send_pending(s, nth(p, i), err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

/* The oldest frame was answered OK. */
static void answered(struct stub_pipe *p)
{
	const struct stub_pending *f = oldest(p);
	if (f->unit == -2) {
		memset(p->held, 0, p->unit_count);
		memset(p->asked, 0, p->unit_count);
		p->held_count = 0;
	} else if (f->unit >= 0 && (size_t)f->unit < p->unit_count && p->held[f->unit]) {
		p->held[f->unit] = p->asked[f->unit] = 0;
		p->held_count--;
	}
	p->head = (p->head + 1) % STUB_MAX_WINDOW;
	p->count--;
	p->failures = 0;
}

/* Wire time of a frame with n payload bytes, in ms, rounded up. */
static unsigned frame_wire_ms(const struct stub_session *s, size_t n)
{
	unsigned baud = s->t->baud ? s->t->baud : 115200u;
	return (unsigned)(((n + STUB_FRAME_OVERHEAD + 16u) * 11u * 1000u + baud - 1) / baud);
}

/* One reply for the oldest frame, or the go-back-N when it did not come. */
static enum stm32_status pump(struct stub_pipe *p, struct stub_session *s, struct stm32_error *err)
{
	struct stub_pending *f = oldest(p);
	unsigned timeout = s->frame_timeout_ms + f->work_ms + frame_wire_ms(s, f->length);
	struct stub_reply r;
	enum stm32_status st = stub_frame_read(s->t, timeout, s->rx, &r, err);
	if (st == STM32_E_IO)
		return st;
	if (st == STM32_OK && r.code == STUB_CMD_HELLO)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the stub fell back to its start state with frames in flight");
	if (st == STM32_OK && (r.code != f->code || r.seq != f->seq))
		return STM32_OK; /* a reply to a frame already sent again */
	if (st == STM32_OK && r.status == STUB_OK) {
		answered(p);
		return STM32_OK;
	}
	if (st == STM32_OK && r.status != STUB_E_CRC && r.status != STUB_E_SEQUENCE) {
		uint32_t address = f->address;
		const char *what = f->code == STUB_CMD_ERASE ? "an erase" : "a write";
		/* Refused for good: the executor decides what to do about it. */
		p->head = (p->head + 1) % STUB_MAX_WINDOW;
		p->count--;
		return stub_status_error(&r, what, address, err);
	}
	if (++p->failures > s->retries)
		return st != STM32_OK ? st
				      : stm32_error_set(err, STM32_E_PROTOCOL,
							"the stub kept receiving frames damaged");
	return resend_all(p, s, err); /* lost or damaged: everything from the oldest again */
}

enum stm32_status stub_pipe_push(struct stub_pipe *p, struct stub_session *s, uint8_t code,
				 const uint8_t *payload, size_t length, unsigned work_ms,
				 uint32_t address, long unit, struct stm32_error *err)
{
	unsigned window = s->hello.window ? s->hello.window : 1u;
	if (window > STUB_MAX_WINDOW)
		window = STUB_MAX_WINDOW;
	while (p->count >= window) {
		enum stm32_status st = pump(p, s, err);
		if (st != STM32_OK)
			return st;
	}
	struct stub_pending *f = nth(p, p->count);
	*f = (struct stub_pending){
		.code = code, .seq = s->seq++, .length = (uint16_t)length, .work_ms = work_ms,
		.address = address, .unit = unit,
	};
	memcpy(f->payload, payload, length);
	p->count++;
	return send_pending(s, f, err);
}

enum stm32_status stub_pipe_drain(struct stub_pipe *p, struct stub_session *s,
				  struct stm32_error *err)
{
	while (p->count) {
		enum stm32_status st = pump(p, s, err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

void stub_pipe_hold(struct stub_pipe *p, const uint32_t *units, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (units[i] >= p->unit_count)
			continue;
		if (!p->held[units[i]])
			p->held_count++;
		p->held[units[i]] = 1;
		p->asked[units[i]] = 0;
	}
}

bool stub_pipe_ask(struct stub_pipe *p, long unit)
{
	if (unit < 0 || (size_t)unit >= p->unit_count || !p->held[unit] || p->asked[unit])
		return false;
	p->asked[unit] = 1;
	return true;
}

/* ERASE DEFER of every unit still held back, in requests of up to
 * STUB_ERASE_MAX_UNITS. */
static enum stm32_status hold_again(struct stub_pipe *p, struct stub_session *s,
				    struct stm32_error *err)
{
	uint8_t payload[STUB_MAX_PAYLOAD];
	size_t unit = 0;
	while (unit < p->unit_count) {
		size_t count = 0;
		for (; unit < p->unit_count && count < STUB_ERASE_MAX_UNITS; unit++)
			if (p->held[unit])
				stub_put16(payload + 4 + 2 * count++, (uint32_t)unit);
		if (count == 0)
			break;
		payload[0] = STUB_ERASE_DEFER;
		payload[1] = 0;
		stub_put16(payload + 2, (uint32_t)count);
		struct stub_reply r;
		enum stm32_status st =
			stub_session_call(s, STUB_CMD_ERASE, payload, 4 + 2 * count, 0, &r, err);
		if (st == STM32_OK && r.status != STUB_OK)
			st = stub_status_error(&r, "an erase", 0, err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

enum stm32_status stub_pipe_restart(struct stub_pipe *p, struct stub_session *s, bool reloaded,
				    struct stm32_error *err)
{
	enum stm32_status st;
	if (reloaded && p->held_count && (st = hold_again(p, s, err)) != STM32_OK)
		return st;
	for (unsigned i = 0; i < p->count; i++)
		nth(p, i)->seq = s->seq++;
	p->failures = 0;
	return resend_all(p, s, err);
}
