/* The telnet / RFC 2217 byte codec: escaping, sub-negotiation frames, the
 * decoder state machine and the option negotiation rules. */
#include "link/rfc2217_codec.h"

#include <string.h>

size_t rfc2217_escape(const uint8_t *data, size_t length, uint8_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < length; i++) {
		out[n++] = data[i];
		if (data[i] == TN_IAC)
			out[n++] = TN_IAC;
	}
	return n;
}

size_t rfc2217_encode_command(uint8_t command, const uint8_t *value, size_t length, uint8_t *out)
{
	size_t n = 0;
	out[n++] = TN_IAC;
	out[n++] = TN_SB;
	out[n++] = TN_OPT_COMPORT;
	n += rfc2217_escape(&command, 1, out + n);
	n += rfc2217_escape(value, length, out + n);
	out[n++] = TN_IAC;
	out[n++] = TN_SE;
	return n;
}

size_t rfc2217_encode_baud(uint32_t baud, uint8_t *out)
{
	const uint8_t value[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
				  (uint8_t)baud};
	return rfc2217_encode_command(RFC2217_SET_BAUDRATE, value, sizeof value, out);
}

uint32_t rfc2217_decode_baud(const uint8_t *value, size_t length)
{
	if (length != 4)
		return 0;
	return (uint32_t)value[0] << 24 | (uint32_t)value[1] << 16 | (uint32_t)value[2] << 8 | value[3];
}

enum { ST_DATA, ST_IAC, ST_VERB, ST_SB_OPTION, ST_SB_DATA, ST_SB_IAC };

void rfc2217_decoder_init(struct rfc2217_decoder *d)
{
	memset(d, 0, sizeof *d);
	d->state = ST_DATA;
}

static void sb_append(struct rfc2217_decoder *d, uint8_t byte)
{
	if (d->sb_length < sizeof d->sb)
		d->sb[d->sb_length++] = byte;
}

/* A finished sub-negotiation: an event when it is COM-PORT-OPTION. */
static bool sb_finish(struct rfc2217_decoder *d, struct rfc2217_event *ev)
{
	if (d->sb_option != TN_OPT_COMPORT || d->sb_length == 0)
		return false;
	ev->kind = RFC2217_EVENT_COMPORT;
	ev->command = d->sb[0];
	ev->length = d->sb_length - 1 > RFC2217_VALUE_MAX ? RFC2217_VALUE_MAX : d->sb_length - 1;
	memcpy(ev->value, d->sb + 1, ev->length);
	return true;
}

/* One byte after IAC. */
static void after_iac(struct rfc2217_decoder *d, uint8_t byte, uint8_t *data, size_t *data_length)
{
	switch (byte) {
	case TN_IAC:
		data[(*data_length)++] = TN_IAC;
		d->state = ST_DATA;
		break;
	case TN_WILL: case TN_WONT: case TN_DO: case TN_DONT:
		d->verb = byte;
		d->state = ST_VERB;
		break;
	case TN_SB:
		d->state = ST_SB_OPTION;
		break;
	default: /* NOP, GA, AYT, ...: nothing for a byte pipe */
		d->state = ST_DATA;
		break;
	}
}

size_t rfc2217_decode(struct rfc2217_decoder *d, const uint8_t *in, size_t length, uint8_t *data,
		      size_t *data_length, struct rfc2217_event *ev)
{
	ev->kind = RFC2217_EVENT_NONE;
	size_t i = 0;
	while (i < length) {
		uint8_t byte = in[i++];
		switch (d->state) {
		case ST_DATA:
			if (byte == TN_IAC)
				d->state = ST_IAC;
			else
				data[(*data_length)++] = byte;
			break;
		case ST_IAC:
			after_iac(d, byte, data, data_length);
			break;
		case ST_VERB:
			d->state = ST_DATA;
			ev->kind = RFC2217_EVENT_OPTION;
			ev->verb = d->verb;
			ev->option = byte;
			return i;
		case ST_SB_OPTION:
			d->sb_option = byte;
			d->sb_length = 0;
			d->state = ST_SB_DATA;
			break;
		case ST_SB_DATA:
			if (byte == TN_IAC)
				d->state = ST_SB_IAC;
			else
				sb_append(d, byte);
			break;
		case ST_SB_IAC:
			if (byte == TN_IAC) {
				sb_append(d, TN_IAC);
				d->state = ST_SB_DATA;
			} else if (byte == TN_SE) {
				d->state = ST_DATA;
				if (sb_finish(d, ev))
					return i;
			} else {
				/* IAC then a command inside a sub-negotiation: the
				 * frame was cut; the command stands on its own. */
				after_iac(d, byte, data, data_length);
			}
			break;
		}
	}
	return i;
}

void rfc2217_options_init(struct rfc2217_options *o)
{
	memset(o, 0, sizeof *o);
}

static bool wanted_us(uint8_t option)
{
	return option == TN_OPT_BINARY || option == TN_OPT_SGA || option == TN_OPT_COMPORT;
}

static bool wanted_him(uint8_t option)
{
	return option == TN_OPT_BINARY || option == TN_OPT_SGA;
}

static size_t put3(uint8_t out[3], uint8_t verb, uint8_t option)
{
	out[0] = TN_IAC;
	out[1] = verb;
	out[2] = option;
	return 3;
}

size_t rfc2217_options_request(struct rfc2217_options *o, uint8_t verb, uint8_t option,
			       uint8_t out[3])
{
	if (option >= sizeof o->us)
		return 0;
	uint8_t *state = verb == TN_WILL ? &o->us[option] : &o->him[option];
	if (*state != TN_NO)
		return 0;
	*state = TN_WANT_YES;
	return put3(out, verb, option);
}

/* The server says it will (or wants us to): agreed, or refused. */
static size_t positive(uint8_t *state, bool wanted, uint8_t yes, uint8_t no, uint8_t option,
		       uint8_t out[3])
{
	switch (*state) {
	case TN_YES:
		return 0;
	case TN_WANT_YES:
		*state = TN_YES; /* the answer to our request */
		return 0;
	default:
		if (!wanted)
			return put3(out, no, option);
		*state = TN_YES;
		return put3(out, yes, option);
	}
}

/* The server refuses (or stops): acknowledged once, never answered twice. */
static size_t negative(uint8_t *state, uint8_t no, uint8_t option, uint8_t out[3])
{
	uint8_t was = *state;
	*state = TN_NO;
	return was == TN_YES ? put3(out, no, option) : 0;
}

size_t rfc2217_options_receive(struct rfc2217_options *o, uint8_t verb, uint8_t option,
			       uint8_t out[3])
{
	uint8_t spare = TN_NO;
	bool known = option < sizeof o->us;
	uint8_t *us = known ? &o->us[option] : &spare;
	uint8_t *him = known ? &o->him[option] : &spare;
	switch (verb) {
	case TN_DO: return positive(us, known && wanted_us(option), TN_WILL, TN_WONT, option, out);
	case TN_DONT: return negative(us, TN_WONT, option, out);
	case TN_WILL: return positive(him, known && wanted_him(option), TN_DO, TN_DONT, option, out);
	case TN_WONT: return negative(him, TN_DONT, option, out);
	}
	return 0;
}

bool rfc2217_options_us(const struct rfc2217_options *o, uint8_t option)
{
	return option < sizeof o->us && o->us[option] == TN_YES;
}

bool rfc2217_options_him(const struct rfc2217_options *o, uint8_t option)
{
	return option < sizeof o->him && o->him[option] == TN_YES;
}
