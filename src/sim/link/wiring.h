/* How the host's modem-control lines reach BOOT0 and NRST.
 *
 * On a TTL USB-UART adapter an asserted modem bit drives its pin low; an
 * optional inverter sits between line and pin. Unwired pins are tied high:
 * BOOT0 high (bootloader), NRST high (running). */
#ifndef STM32SIM_WIRING_H
#define STM32SIM_WIRING_H

#include <stdbool.h>

#include "rom/engine.h"

enum sim_line { SIM_LINE_NONE, SIM_LINE_RTS, SIM_LINE_DTR, SIM_LINE_BRK };

struct sim_wiring {
	enum sim_line boot0, reset;  /* boot0 is never SIM_LINE_BRK */
	bool invert_boot0, invert_reset;
	bool rts, dtr;               /* asserted modem bits */
	bool in_break;
};

/* Parse "none", "rts", "dtr" (and "brk" when allow_break). */
bool sim_line_parse(const char *text, bool allow_break, enum sim_line *line);

bool sim_wiring_boot0_high(const struct sim_wiring *wiring);
bool sim_wiring_nrst_high(const struct sim_wiring *wiring);

/* Drive the chip after the line state changed; nrst_was_high is the NRST
 * level before the change. */
void sim_wiring_apply(const struct sim_wiring *wiring, struct sim_engine *engine,
		      bool nrst_was_high);

#endif
