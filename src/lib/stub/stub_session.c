/* Sequence numbers and retries (docs/stub-protocol.md "Sequence numbers"):
 * the stub runs frames in order and answers each; a frame it has already
 * run (its reply was lost) is answered from what it got, not run again; a
 * damaged frame is answered STUB_E_CRC and later ones STUB_E_SEQUENCE, so
 * the host goes back to the first frame without an OK and sends from there. */
#include "stub/stub_session.h"

#include <string.h>

#include "core/util.h"

#define DEFAULT_FRAME_TIMEOUT_MS 500u
#define DEFAULT_RETRIES 4u

void stub_session_init(struct stub_session *s, struct stm32_transport *t)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->seq = 1;
	s->frame_timeout_ms = DEFAULT_FRAME_TIMEOUT_MS;
	s->retries = DEFAULT_RETRIES;
}

/* Wire time of n bytes at the link's rate, in ms, rounded up. */
static unsigned wire_ms(const struct stub_session *s, size_t n)
{
	unsigned baud = s->t->baud ? s->t->baud : 115200u;
	return (unsigned)((n * 11u * 1000u + baud - 1) / baud);
}

enum stm32_status stub_hello_parse(const uint8_t *body, size_t length, struct stub_hello *out,
				   struct stm32_error *err)
{
	if (length < STUB_HELLO_BYTES || stub_get32(body + STUB_HELLO_MAGIC) != STUB_MAGIC)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the program in RAM answered, but not as a stm32boot stub");
	if (body[STUB_HELLO_PROTOCOL] != STUB_PROTOCOL_VERSION)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the stub speaks protocol %u; this library speaks %u",
				       body[STUB_HELLO_PROTOCOL], STUB_PROTOCOL_VERSION);
	*out = (struct stub_hello){
		.protocol = body[STUB_HELLO_PROTOCOL],
		.driver = body[STUB_HELLO_DRIVER],
		.window = body[STUB_HELLO_WINDOW],
		.program_unit = body[STUB_HELLO_UNIT],
		.max_payload = (unsigned)body[STUB_HELLO_PAYLOAD] | (unsigned)body[STUB_HELLO_PAYLOAD + 1] << 8,
		.version = (unsigned)body[STUB_HELLO_VERSION] | (unsigned)body[STUB_HELLO_VERSION + 1] << 8,
		.caps = stub_get32(body + STUB_HELLO_CAPS),
		.clock_hz = stub_get32(body + STUB_HELLO_CLOCK),
		.baud = stub_get32(body + STUB_HELLO_BAUD),
		.secure_start = stub_get32(body + STUB_HELLO_SECURE),
	};
	if (out->window == 0 || out->max_payload < STUB_MIN_WRITE_CHUNK + 4u ||
	    (out->program_unit != 2 && out->program_unit != 4 && out->program_unit != 8 &&
	     out->program_unit != 16 && out->program_unit != 32)) /* 16, 32: H7 flash words */
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the stub announced window %u, payload %u, program unit %u",
				       out->window, out->max_payload, out->program_unit);
	if (out->window > STUB_MAX_WINDOW)
		out->window = STUB_MAX_WINDOW;
	return STM32_OK;
}

unsigned stub_hello_chunk(const struct stub_hello *h)
{
	unsigned chunk = STUB_WRITE_CHUNK;
	while (chunk > STUB_MIN_WRITE_CHUNK && chunk + 4u > h->max_payload)
		chunk /= 2;
	return chunk;
}

enum stm32_status stub_session_await_announce(struct stub_session *s, unsigned timeout_ms,
					      struct stm32_error *err)
{
	struct stub_reply r;
	enum stm32_status st = stub_frame_read(s->t, timeout_ms, s->rx, &r, err);
	if (st != STM32_OK)
		return st;
	if (r.code != STUB_CMD_HELLO || r.status != STUB_OK)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the stub's first frame was code 0x%02X status 0x%02X, not its HELLO",
				       r.code, r.status);
	return stub_hello_parse(r.body, r.length, &s->hello, err);
}

static unsigned remaining_ms(uint64_t deadline_ms)
{
	uint64_t now = core_monotonic_ms();
	return now >= deadline_ms ? 0 : (unsigned)(deadline_ms - now);
}

/* A HELLO nobody asked for is the stub's announcement that it heard
 * nothing for too long and forgot the conversation: the caller resyncs. */
static enum stm32_status fell_back(uint8_t code, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_PROTOCOL,
			       "the stub fell back to its start state while request 0x%02X was pending",
			       code);
}

static enum stm32_status send_frame(struct stub_session *s, uint8_t code, uint8_t seq,
				    const uint8_t *payload, size_t length, struct stm32_error *err)
{
	size_t n = stub_frame_build(s->tx, code, seq, payload, length);
	return stm32_transport_write(s->t, s->tx, n, err);
}

enum stm32_status stub_session_resync(struct stub_session *s, unsigned attempts,
				      unsigned timeout_ms, struct stm32_error *err)
{
	enum stm32_status st = STM32_E_TIMEOUT;
	for (unsigned i = 0; i < attempts; i++) {
		if (s->t->ops->drain && (st = s->t->ops->drain(s->t, err)) == STM32_E_IO)
			return st;
		uint8_t seq = s->seq++;
		if ((st = send_frame(s, STUB_CMD_HELLO, seq, NULL, 0, err)) != STM32_OK)
			return st;
		struct stub_reply r;
		/* Replies to older frames may come first, within this attempt's wait. */
		uint64_t deadline = core_monotonic_ms() + timeout_ms;
		while ((st = stub_frame_read(s->t, remaining_ms(deadline), s->rx, &r, err)) ==
			       STM32_OK &&
		       !(r.code == STUB_CMD_HELLO && r.seq == seq))
			;
		if (st == STM32_E_IO)
			return st;
		if (st == STM32_OK && r.status == STUB_OK) {
			/* Whole, but with values the host cannot take: asking again
			 * would give the same. */
			if ((st = stub_hello_parse(r.body, r.length, &s->hello, err)) != STM32_OK)
				return st;
			stm32_error_clear(err);
			return STM32_OK;
		}
	}
	stm32_error_set(err, st == STM32_OK ? STM32_E_PROTOCOL : st,
			"the stub did not answer HELLO (%u attempts)", attempts);
	return err ? err->status : STM32_E_TIMEOUT;
}

enum stm32_status stub_session_call(struct stub_session *s, uint8_t code, const uint8_t *payload,
				    size_t length, unsigned work_ms, struct stub_reply *reply,
				    struct stm32_error *err)
{
	uint8_t seq = s->seq++;
	unsigned timeout = s->frame_timeout_ms + work_ms + wire_ms(s, length + 64u);
	enum stm32_status st = STM32_E_TIMEOUT;
	bool renumbered = false;
	for (unsigned attempt = 0; attempt <= s->retries; attempt++) {
		if ((st = send_frame(s, code, seq, payload, length, err)) != STM32_OK)
			return st;
		/* The wait is the attempt's, whatever else arrives meanwhile: a
		 * stream of unrelated frames must not keep the host waiting. */
		uint64_t deadline = core_monotonic_ms() + timeout;
		while ((st = stub_frame_read(s->t, remaining_ms(deadline), s->rx, reply, err)) ==
			       STM32_OK &&
		       !(reply->code == code && reply->seq == seq)) {
			if (reply->code == STUB_CMD_HELLO && code != STUB_CMD_HELLO)
				return fell_back(code, err);
			/* else a late reply to something earlier */
		}
		if (st == STM32_E_IO)
			return st;
		/* SEQUENCE: not run, the stub counts differently (a HELLO of ours
		 * it heard but whose answer was lost): once, the number it wants. */
		if (st == STM32_OK && reply->status == STUB_E_SEQUENCE && reply->length >= 1 &&
		    !renumbered && attempt < s->retries) {
			renumbered = true;
			seq = reply->body[0];
			s->seq = (uint8_t)(seq + 1u);
			continue;
		}
		if (st == STM32_OK && reply->status != STUB_E_CRC)
			return STM32_OK;
	}
	if (st == STM32_OK)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the stub kept receiving request 0x%02X damaged (%u tries)", code,
				       s->retries + 1);
	return st;
}

enum stm32_status stub_status_error(const struct stub_reply *r, const char *what, uint32_t address,
				    struct stm32_error *err)
{
	enum stm32_status st;
	switch (r->status) {
	case STUB_E_RANGE:
		st = stm32_error_set(err, STM32_E_RANGE, "the stub refused %s at 0x%08X: outside flash",
				     what, address);
		break;
	case STUB_E_ALIGN:
		st = stm32_error_set(err, STM32_E_INVALID,
				     "the stub refused %s at 0x%08X: not aligned to the program unit",
				     what, address);
		break;
	case STUB_E_FLASH:
		st = stm32_error_set(err, STM32_E_NACK,
				     "the flash controller failed %s at 0x%08X (FLASH_SR 0x%08X)", what,
				     r->length >= 8 ? stub_get32(r->body + 4) : address,
				     r->length >= 4 ? stub_get32(r->body) : 0u);
		break;
	case STUB_E_UNSUPPORTED:
	case STUB_E_UNKNOWN:
		st = stm32_error_set(err, STM32_E_UNSUPPORTED, "the stub cannot do %s", what);
		break;
	case STUB_E_DECODE:
		st = stm32_error_set(err, STM32_E_PROTOCOL,
				     "the stub could not decode the LZ4 block of %s at 0x%08X", what,
				     address);
		break;
	case STUB_E_BAUD:
		st = stm32_error_set(err, STM32_E_UNSUPPORTED,
				     "the stub cannot make that rate from its clock");
		break;
	default:
		st = stm32_error_set(err, STM32_E_PROTOCOL, "the stub answered %s with status 0x%02X",
				     what, r->status);
		break;
	}
	stm32_error_address(err, address);
	return st;
}

enum stm32_status stub_session_read(struct stub_session *s, uint32_t address, uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	uint8_t payload[8];
	stub_put32(payload, address);
	stub_put32(payload + 4, (uint32_t)length);
	uint8_t seq = s->seq++;
	enum stm32_status st = send_frame(s, STUB_CMD_READ, seq, payload, sizeof(payload), err);
	unsigned timeout = s->frame_timeout_ms + wire_ms(s, 4u * (STUB_WRITE_CHUNK + 20u));
	size_t got = 0;
	while (st == STM32_OK && got < length) {
		struct stub_reply r;
		if ((st = stub_frame_read(s->t, timeout, s->rx, &r, err)) != STM32_OK)
			break;
		if (r.code == STUB_CMD_HELLO) {
			st = fell_back(STUB_CMD_READ, err);
			break;
		}
		if (r.code != STUB_CMD_READ || r.seq != seq)
			continue;
		if (r.status != STUB_OK)
			return stub_status_error(&r, "a read", address, err);
		if (r.length < 4 || stub_get32(r.body) != got || r.length - 4 > length - got)
			return stm32_error_set(err, STM32_E_PROTOCOL,
					       "the stub's read frame at offset %u did not follow byte %zu",
					       r.length >= 4 ? stub_get32(r.body) : 0u, got);
		memcpy(data + got, r.body + 4, r.length - 4);
		got += r.length - 4;
		uint8_t ack[4];
		stub_put32(ack, (uint32_t)got);
		st = send_frame(s, STUB_CMD_READ_ACK, 0, ack, sizeof(ack), err);
	}
	if (st != STM32_OK)
		stm32_error_address(err, address + (uint32_t)got);
	return st;
}
