/* Requests on the --control socket (docs/architecture.md): one text line in,
 * one line out. The caller owns the socket; this only interprets lines. */
#ifndef STM32SIM_CONTROL_H
#define STM32SIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "rom/engine.h"
#include "link/wiring.h"

struct sim_line_settings {
	unsigned baud;      /* 0 until a TERMIOS request says */
	bool framing_8e1;
};

struct sim_control_target {
	struct sim_engine *engine;
	struct sim_wiring *wiring;
	struct sim_line_settings *settings;
	/* Blocks for a BREAK's duration; NULL means do not wait (unit tests). */
	void (*sleep_ms)(unsigned ms);
};

/* Handle one request (without its newline); writes the reply line (without
 * newline) into reply. */
void sim_control_request(struct sim_control_target *target, const char *request,
			 char *reply, size_t reply_size);

#endif
