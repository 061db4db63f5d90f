/* The emulated UART as seen through the interposer: the state a real serial
 * driver would keep (modem lines, termios) and the messages that tell the
 * emulator about it. Every function returns 0, or -1 with errno set. */
#ifndef SIM_DEVICE_H
#define SIM_DEVICE_H

#include <stdbool.h>

#include "sim_termios.h"

struct sim_device {
    const char *control_path; /* the emulator's control socket */
};

int sim_get_modem_lines(const struct sim_device *device, int *lines);
int sim_set_modem_lines(const struct sim_device *device, int lines);
int sim_raise_modem_lines(const struct sim_device *device, int lines);
int sim_lower_modem_lines(const struct sim_device *device, int lines);

int sim_send_break_ms(const struct sim_device *device, unsigned long milliseconds);
/* TIOCSBRK/TIOCCBRK: the emulator only knows whole BREAKs, so the one that
 * ends is reported with the time it lasted. */
int sim_start_break(const struct sim_device *device);
int sim_stop_break(const struct sim_device *device);

/* Called after the real pty accepted the settings. */
int sim_settings_applied(const struct sim_device *device, const struct remembered_termios *settings);
/* The settings the program last applied; false if it has applied none. */
bool sim_recall_settings(struct remembered_termios *out);

#endif
