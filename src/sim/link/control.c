/* Control-socket requests: modem lines, BREAK, line settings, state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/control.h"

static bool parse_bit(const char *text, bool *out)
{
	if ((text[0] != '0' && text[0] != '1') || text[1])
		return false;
	*out = text[0] == '1';
	return true;
}

static bool handle_lines(struct sim_control_target *target, const char *args)
{
	char rts[8], dtr[8];
	bool r, d;
	if (sscanf(args, "rts=%7s dtr=%7s", rts, dtr) != 2 || !parse_bit(rts, &r) ||
	    !parse_bit(dtr, &d))
		return false;
	bool nrst_was_high = sim_wiring_nrst_high(target->wiring);
	target->wiring->rts = r;
	target->wiring->dtr = d;
	sim_wiring_apply(target->wiring, target->engine, nrst_was_high);
	return true;
}

static bool handle_break(struct sim_control_target *target, const char *args)
{
	char *end;
	unsigned long ms = strtoul(args, &end, 10);
	if (end == args || *end || ms > 60000)
		return false;
	bool nrst_was_high = sim_wiring_nrst_high(target->wiring);
	target->wiring->in_break = true;
	sim_wiring_apply(target->wiring, target->engine, nrst_was_high);
	if (target->sleep_ms)
		target->sleep_ms((unsigned)ms);
	nrst_was_high = sim_wiring_nrst_high(target->wiring);
	target->wiring->in_break = false;
	sim_wiring_apply(target->wiring, target->engine, nrst_was_high);
	return true;
}

static bool handle_termios(struct sim_control_target *target, const char *args)
{
	unsigned baud, bits, stop;
	char parity;
	if (sscanf(args, "baud=%u bits=%u parity=%c stop=%u", &baud, &bits, &parity, &stop) != 4 ||
	    (parity != 'n' && parity != 'e' && parity != 'o') || (stop != 1 && stop != 2))
		return false;
	target->settings->baud = baud;
	target->settings->framing_8e1 = bits == 8 && parity == 'e' && stop == 1;
	sim_engine_set_line_garbled(target->engine, !target->settings->framing_8e1);
	return true;
}

void sim_control_request(struct sim_control_target *target, const char *request,
			 char *reply, size_t reply_size)
{
	bool ok;
	if (strcmp(request, "STATE") == 0) {
		snprintf(reply, reply_size, "STATE %s", sim_engine_state_name(target->engine));
		return;
	}
	if (strncmp(request, "LINES ", 6) == 0)
		ok = handle_lines(target, request + 6);
	else if (strncmp(request, "BREAK ", 6) == 0)
		ok = handle_break(target, request + 6);
	else if (strncmp(request, "TERMIOS ", 8) == 0)
		ok = handle_termios(target, request + 8);
	else
		ok = false;
	snprintf(reply, reply_size, ok ? "OK" : "ERR bad request");
}
