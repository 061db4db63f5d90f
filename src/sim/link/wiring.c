/* Modem lines to BOOT0/NRST levels. */
#include <string.h>

#include "link/wiring.h"

bool sim_line_parse(const char *text, bool allow_break, enum sim_line *line)
{
	if (strcmp(text, "none") == 0)
		*line = SIM_LINE_NONE;
	else if (strcmp(text, "rts") == 0)
		*line = SIM_LINE_RTS;
	else if (strcmp(text, "dtr") == 0)
		*line = SIM_LINE_DTR;
	else if (allow_break && strcmp(text, "brk") == 0)
		*line = SIM_LINE_BRK;
	else
		return false;
	return true;
}

/* Electrical level of a pin driven by line; true = high. */
static bool pin_level(const struct sim_wiring *wiring, enum sim_line line, bool invert)
{
	bool asserted;
	switch (line) {
	case SIM_LINE_RTS:
		asserted = wiring->rts;
		break;
	case SIM_LINE_DTR:
		asserted = wiring->dtr;
		break;
	case SIM_LINE_BRK:
		return !wiring->in_break; /* a BREAK holds the line low */
	default:
		return true;
	}
	bool high = !asserted;
	return invert ? !high : high;
}

bool sim_wiring_boot0_high(const struct sim_wiring *wiring)
{
	return pin_level(wiring, wiring->boot0, wiring->invert_boot0);
}

bool sim_wiring_nrst_high(const struct sim_wiring *wiring)
{
	if (wiring->reset == SIM_LINE_BRK)
		return wiring->invert_reset ? wiring->in_break : !wiring->in_break;
	return pin_level(wiring, wiring->reset, wiring->invert_reset);
}

void sim_wiring_apply(const struct sim_wiring *wiring, struct sim_engine *engine,
		      bool nrst_was_high)
{
	sim_engine_set_boot0(engine, sim_wiring_boot0_high(wiring));
	bool nrst_high = sim_wiring_nrst_high(wiring);
	if (nrst_was_high && !nrst_high)
		sim_engine_hold_reset(engine);
	else if (!nrst_was_high && nrst_high)
		sim_engine_release_reset(engine);
}
