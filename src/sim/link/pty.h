/* The pseudo-terminal the host opens as its serial port. */
#ifndef STM32SIM_PTY_H
#define STM32SIM_PTY_H

#include <stdbool.h>
#include <stddef.h>

struct sim_pty {
	int master;
	int slave; /* kept open so the master never sees EIO between host runs */
	char path[256];
};

bool sim_pty_open(struct sim_pty *pty, char *why, size_t why_size);
void sim_pty_close(struct sim_pty *pty);
/* The baud rate the host set on its end; 115200 when it set none. */
unsigned sim_pty_baud(const struct sim_pty *pty);

#endif
