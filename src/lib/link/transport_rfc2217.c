/* rfc2217://HOST:PORT: a serial port exported by a telnet COM-PORT-OPTION
 * server (ser2net, labgrid's exporter, an RFC 2217 device server).
 *
 * Servers are taken as they are found: Debian 12's ser2net 4.3 acks a
 * parity it did not set, sends no ack for DTR/RTS changes on a device
 * without modem lines, and acks BREAK OFF as BREAK ON. So an ack is
 * awaited briefly (a few measured round trips), any SET-CONTROL reply
 * counts as the ack of the pending change, and once a change went
 * unacknowledged the later ones are not waited for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/transport.h"
#include "core/util.h"
#include "link/net_internal.h"
#include "link/rfc2217_codec.h"
#include "link/transport_internal.h"

/* What a server gets to agree to COM-PORT-OPTION and to confirm the line
 * settings: pyserial waits 3 s for each. */
#define NEGOTIATE_MS 3000u
#define SETTINGS_MS 3000u
/* tcsendbreak(fd, 0) on Linux: a quarter second. */
#define BREAK_MS 250u
#define RX_SIZE 65536u
#define REPLY_SLOTS 16u

struct reply {
	unsigned count;           /* replies seen to this command */
	uint8_t value[4];         /* the latest value (first 4 bytes) */
	size_t length;
};

struct rfc {
	struct net_conn c;
	struct rfc2217_decoder decoder;
	struct rfc2217_options options;
	uint8_t *rx;              /* data received, not yet read */
	size_t rx_head, rx_length;
	struct reply replies[REPLY_SLOTS];
	unsigned round_trip_us;   /* measured at connect */
	unsigned slack_ms;        /* added to every read's timeout */
	unsigned ack_ms;          /* wait for a SET-CONTROL or PURGE ack */
	bool control_unacked;     /* a change went unacknowledged: stop waiting */
	char description[256];
};

static enum stm32_status send_bytes(struct rfc *r, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	return net_send(&r->c, data, length, err);
}

static enum stm32_status send_command(struct rfc *r, uint8_t command, const uint8_t *value,
				      size_t length, struct stm32_error *err)
{
	uint8_t frame[6 + 2 * 8];
	if (length > 8)
		length = 8;
	size_t n = rfc2217_encode_command(command, value, length, frame);
	return send_bytes(r, frame, n, err);
}

static enum stm32_status send_byte_command(struct rfc *r, uint8_t command, uint8_t value,
					   struct stm32_error *err)
{
	return send_command(r, command, &value, 1, err);
}

static enum stm32_status handle_event(struct rfc *r, const struct rfc2217_event *ev,
				      struct stm32_error *err)
{
	if (ev->kind == RFC2217_EVENT_OPTION) {
		uint8_t answer[3];
		size_t n = rfc2217_options_receive(&r->options, ev->verb, ev->option, answer);
		return n ? send_bytes(r, answer, n, err) : STM32_OK;
	}
	if (ev->kind == RFC2217_EVENT_COMPORT && ev->command >= RFC2217_SERVER_OFFSET &&
	    ev->command < RFC2217_SERVER_OFFSET + REPLY_SLOTS) {
		struct reply *reply = &r->replies[ev->command - RFC2217_SERVER_OFFSET];
		reply->count++;
		reply->length = ev->length > sizeof reply->value ? sizeof reply->value : ev->length;
		memcpy(reply->value, ev->value, reply->length);
	}
	return STM32_OK; /* NOTIFY-MODEMSTATE and the like: nothing to do */
}

/* Receive once (waiting at most timeout_ms) and decode it: data to rx,
 * negotiation answered, replies counted. */
static enum stm32_status pump(struct rfc *r, unsigned timeout_ms, struct stm32_error *err)
{
	if (r->rx_head > 0) {
		memmove(r->rx, r->rx + r->rx_head, r->rx_length);
		r->rx_head = 0;
	}
	size_t room = RX_SIZE - r->rx_length;
	if (room == 0)
		return STM32_OK; /* the reader is behind: let it catch up */
	uint8_t in[4096];
	size_t got = 0;
	enum stm32_status st = net_receive(&r->c, in, room < sizeof in ? room : sizeof in, timeout_ms,
					   &got, err);
	if (st != STM32_OK)
		return st;
	size_t used = 0;
	while (used < got) {
		struct rfc2217_event ev;
		size_t before = r->rx_length;
		used += rfc2217_decode(&r->decoder, in + used, got - used, r->rx, &r->rx_length, &ev);
		net_note_data(&r->c, r->rx + before, r->rx_length - before);
		st = handle_event(r, &ev, err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

/* Wait until the server has replied to command more than `seen` times. */
static enum stm32_status await_reply(struct rfc *r, uint8_t command, unsigned seen,
				     unsigned timeout_ms, struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	while (r->replies[command].count <= seen) {
		unsigned left = net_ms_left(deadline);
		if (left == 0)
			return STM32_E_TIMEOUT;
		enum stm32_status st = pump(r, left, err);
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			return st;
	}
	return STM32_OK;
}

static enum stm32_status rfc_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct rfc *r = t->impl;
	uint8_t escaped[2 * 1024];
	for (size_t done = 0; done < length;) {
		size_t chunk = length - done > 1024 ? 1024 : length - done;
		size_t n = rfc2217_escape(data + done, chunk, escaped);
		enum stm32_status st = send_bytes(r, escaped, n, err);
		if (st != STM32_OK)
			return st;
		done += chunk;
	}
	return STM32_OK;
}

static enum stm32_status rfc_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct rfc *r = t->impl;
	uint64_t deadline = core_monotonic_ms() + timeout_ms + r->slack_ms;
	size_t have = 0;
	enum stm32_status st = STM32_OK;
	for (;;) {
		size_t take = r->rx_length < length - have ? r->rx_length : length - have;
		memcpy(data + have, r->rx + r->rx_head, take);
		have += take;
		r->rx_head += take;
		r->rx_length -= take;
		if (have == length)
			break;
		unsigned left = net_ms_left(deadline);
		if (left == 0) {
			st = stm32_error_set(err, STM32_E_TIMEOUT,
					     "timed out after %u ms with %zu of %zu bytes", timeout_ms,
					     have, length);
			break;
		}
		st = pump(r, left, err);
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			break;
		st = STM32_OK;
	}
	if (got)
		*got = have;
	return st;
}

/* Purge the server's receive buffer and what is here: what arrives before
 * the purge is acknowledged is stale. A server that does not ack: what
 * came in one wait is dropped. */
static enum stm32_status rfc_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct rfc *r = t->impl;
	unsigned seen = r->replies[RFC2217_PURGE_DATA].count;
	enum stm32_status st = send_byte_command(r, RFC2217_PURGE_DATA, RFC2217_PURGE_RECEIVE, err);
	if (st == STM32_OK)
		st = await_reply(r, RFC2217_PURGE_DATA, seen, r->ack_ms, err);
	r->rx_head = r->rx_length = 0;
	return st == STM32_E_TIMEOUT ? STM32_OK : st;
}

/* One SET-CONTROL change; any SET-CONTROL reply is its ack (ser2net acks
 * BREAK OFF with the value of BREAK ON). */
static enum stm32_status set_control(struct rfc *r, uint8_t value, struct stm32_error *err)
{
	unsigned seen = r->replies[RFC2217_SET_CONTROL].count;
	enum stm32_status st = send_byte_command(r, RFC2217_SET_CONTROL, value, err);
	if (st != STM32_OK || r->control_unacked)
		return st;
	st = await_reply(r, RFC2217_SET_CONTROL, seen, r->ack_ms, err);
	if (st == STM32_E_TIMEOUT) {
		r->control_unacked = true;
		return STM32_OK;
	}
	return st;
}

static enum stm32_status rfc_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	uint8_t value = line == STM32_LINE_RTS
		? (asserted ? RFC2217_CONTROL_RTS_ON : RFC2217_CONTROL_RTS_OFF)
		: (asserted ? RFC2217_CONTROL_DTR_ON : RFC2217_CONTROL_DTR_OFF);
	return set_control(t->impl, value, err);
}

static enum stm32_status rfc_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	struct rfc *r = t->impl;
	enum stm32_status st = set_control(r, RFC2217_CONTROL_BREAK_ON, err);
	if (st != STM32_OK)
		return st;
	core_sleep_ms(BREAK_MS);
	return set_control(r, RFC2217_CONTROL_BREAK_OFF, err);
}

static void rfc_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct rfc *r = t->impl;
	/* Worth knowing when -i does nothing: the server may not drive them. */
	snprintf(buf, size, "%s%s", r->description,
		 r->control_unacked ? ", line changes not acknowledged" : "");
}

static void rfc_close(struct stm32_transport *t)
{
	struct rfc *r = t->impl;
	net_close(&r->c);
	free(r->rx);
	free(r);
	free(t);
}

static enum stm32_status rfc_reconfigure(struct stm32_transport *t,
					 const struct stm32_uart_config *cfg, struct stm32_error *err);

static const struct stm32_transport_ops rfc_ops = {
	.name = "rfc2217",
	.write = rfc_write,
	.read = rfc_read,
	.drain = rfc_drain,
	.set_line = rfc_set_line,
	.send_break = rfc_send_break,
	.describe = rfc_describe,
	.close = rfc_close,
	.reconfigure = rfc_reconfigure,
};

static enum stm32_status negotiate(struct rfc *r, struct stm32_error *err)
{
	static const uint8_t wanted[][2] = {
		{TN_WILL, TN_OPT_COMPORT}, {TN_DO, TN_OPT_BINARY}, {TN_WILL, TN_OPT_BINARY},
		{TN_DO, TN_OPT_SGA}, {TN_WILL, TN_OPT_SGA},
	};
	uint8_t out[3 * 5];
	size_t n = 0;
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
		n += rfc2217_options_request(&r->options, wanted[i][0], wanted[i][1], out + n);
	enum stm32_status st = send_bytes(r, out, n, err);
	uint64_t deadline = core_monotonic_ms() + NEGOTIATE_MS;
	while (st == STM32_OK && r->options.us[TN_OPT_COMPORT] == TN_WANT_YES) {
		unsigned left = net_ms_left(deadline);
		if (left == 0)
			break;
		st = pump(r, left, err);
		if (st == STM32_E_TIMEOUT)
			st = STM32_OK;
	}
	if (st != STM32_OK)
		return st;
	if (!rfc2217_options_us(&r->options, TN_OPT_COMPORT))
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "rfc2217://%s %s COM-PORT-OPTION (RFC 2217)%s: is it a raw TCP "
				       "port? socket://%s talks to one", r->c.name,
				       r->options.us[TN_OPT_COMPORT] == TN_NO ? "refused" : "did not agree to",
				       r->options.us[TN_OPT_COMPORT] == TN_NO ? "" : " within 3 s",
				       r->c.name);
	return STM32_OK;
}

static char parity_letter(uint8_t value)
{
	return value == RFC2217_PARITY_EVEN ? 'E' : value == RFC2217_PARITY_ODD ? 'O'
		: value == RFC2217_PARITY_NONE ? 'N' : '?';
}

/* Baud, data size, parity, stop bits sent together (0 for each: asked);
 * the replies come back in order, the first one times the round trip. */
static enum stm32_status set_line_settings(struct stm32_transport *t, struct rfc *r,
					   const struct stm32_uart_config *cfg,
					   struct stm32_error *err)
{
	bool keep = cfg->baud == 0;
	uint8_t parity = cfg->parity == 'e' ? RFC2217_PARITY_EVEN
		       : cfg->parity == 'o' ? RFC2217_PARITY_ODD : RFC2217_PARITY_NONE;
	const uint8_t values[3] = {keep ? 0 : (uint8_t)cfg->data_bits, keep ? 0 : parity,
				   keep ? 0 : (uint8_t)cfg->stop_bits};
	unsigned seen[5];
	for (unsigned i = 1; i <= 4; i++)
		seen[i] = r->replies[i].count;
	uint8_t frame[64];
	size_t n = rfc2217_encode_baud(keep ? 0 : cfg->baud, frame);
	for (unsigned i = 0; i < 3; i++)
		n += rfc2217_encode_command((uint8_t)(RFC2217_SET_DATASIZE + i), &values[i], 1, frame + n);
	uint64_t sent_at = net_monotonic_us();
	enum stm32_status st = send_bytes(r, frame, n, err);
	if (st != STM32_OK)
		return st;
	st = await_reply(r, RFC2217_SET_BAUDRATE, seen[1], SETTINGS_MS, err);
	uint64_t took = net_monotonic_us() - sent_at;
	for (unsigned i = 2; i <= 4 && st == STM32_OK; i++)
		st = await_reply(r, (uint8_t)i, seen[i], SETTINGS_MS, err);
	if (st == STM32_E_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT,
				       "rfc2217://%s did not confirm the line settings within %u ms",
				       r->c.name, SETTINGS_MS);
	if (st != STM32_OK)
		return st;
	r->round_trip_us = took > 5000000u ? 5000000u : (unsigned)took;
	uint32_t baud = rfc2217_decode_baud(r->replies[RFC2217_SET_BAUDRATE].value,
					    r->replies[RFC2217_SET_BAUDRATE].length);
	if (!keep && baud != cfg->baud)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "rfc2217://%s set %u baud when asked for %u", r->c.name,
				       (unsigned)baud, cfg->baud);
	t->baud = baud;
	uint8_t got[3];
	for (unsigned i = 0; i < 3; i++)
		got[i] = r->replies[RFC2217_SET_DATASIZE + i].length
			? r->replies[RFC2217_SET_DATASIZE + i].value[0] : 0;
	/* An ack repeats the request, or says what the port does instead. */
	if (!keep && memcmp(got, values, 3) != 0)
		t->flags |= STM32_TRANSPORT_PARITY_LOST;
	snprintf(r->description, sizeof r->description, "%s, %u %u%c%u", r->c.name, (unsigned)baud,
		 got[0], parity_letter(got[1]), got[2]);
	return STM32_OK;
}

/* SET-BAUDRATE, SET-DATASIZE, SET-PARITY, SET-STOPSIZE on an open port.
 * RFC 2217 has no "drain": the server may still be sending bytes written
 * before at the old rate, so a caller switches when nothing is in flight
 * (the stub's host does, after the reply to its SET_BAUD). */
static enum stm32_status rfc_reconfigure(struct stm32_transport *t,
					 const struct stm32_uart_config *cfg, struct stm32_error *err)
{
	struct rfc *r = t->impl;
	if (cfg->baud == 0)
		return stm32_error_set(err, STM32_E_INVALID, "rfc2217://%s: no rate to set", r->c.name);
	unsigned before = t->baud;
	enum stm32_status st = set_line_settings(t, r, cfg, err);
	if (st == STM32_E_UNSUPPORTED)
		t->baud = before;
	return st;
}

enum stm32_status stm32_rfc2217_open(const char *address, const struct stm32_uart_config *cfg,
				     struct stm32_transport **out, struct stm32_error *err)
{
	*out = NULL;
	struct stm32_transport *t = calloc(1, sizeof *t);
	struct rfc *r = calloc(1, sizeof *r);
	uint8_t *rx = malloc(RX_SIZE);
	if (!t || !r || !rx) {
		free(t);
		free(r);
		free(rx);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening rfc2217://%s", address);
	}
	r->rx = rx;
	rfc2217_decoder_init(&r->decoder);
	rfc2217_options_init(&r->options);
	t->ops = &rfc_ops;
	t->kind = STM32_LINK_UART;
	t->impl = r;
	enum stm32_status st = net_connect(STM32_RFC2217_PORT_PREFIX, address, &r->c, err);
	if (st != STM32_OK) {
		free(rx);
		free(r);
		free(t);
		return st;
	}
	st = negotiate(r, err);
	if (st == STM32_OK)
		st = set_line_settings(t, r, cfg, err);
	if (st == STM32_OK) {
		unsigned rtt = r->round_trip_us > r->c.connect_us ? r->round_trip_us : r->c.connect_us;
		r->slack_ms = stm32_net_slack_ms(rtt);
		/* A few round trips, at least 20 ms (the server's own work). */
		r->ack_ms = 4u * (rtt / 1000u + 1u) + 20u;
		size_t used = strlen(r->description);
		snprintf(r->description + used, sizeof r->description - used, ", round trip %.1f ms",
			 (double)rtt / 1000.0);
		unsigned seen = r->replies[RFC2217_PURGE_DATA].count;
		st = send_byte_command(r, RFC2217_PURGE_DATA, RFC2217_PURGE_BOTH, err);
		if (st == STM32_OK && await_reply(r, RFC2217_PURGE_DATA, seen, r->ack_ms, err) == STM32_E_IO)
			st = STM32_E_IO;
		r->rx_head = r->rx_length = 0;
	}
	if (st != STM32_OK) {
		rfc_close(t);
		return st;
	}
	*out = t;
	return STM32_OK;
}
