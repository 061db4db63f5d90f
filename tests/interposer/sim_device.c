#include "sim_device.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "sim_link.h"

/* Per process there is one emulated UART, like the one device node all of a
 * program's descriptors for it share. */
struct uart_state {
    int modem_lines;
    bool settings_known;
    struct remembered_termios settings;
    bool break_active;
    struct timespec break_started;
};

static struct uart_state uart = {0}; /* lines start de-asserted, as the emulator's */

enum { CONTROLLED_LINES = TIOCM_RTS | TIOCM_DTR };

int sim_get_modem_lines(const struct sim_device *device, int *lines)
{
    (void)device;
    *lines = uart.modem_lines;
    return 0;
}

int sim_set_modem_lines(const struct sim_device *device, int lines)
{
    uart.modem_lines = lines & CONTROLLED_LINES;
    char request[64];
    snprintf(request, sizeof(request), "LINES rts=%d dtr=%d",
             (uart.modem_lines & TIOCM_RTS) ? 1 : 0, (uart.modem_lines & TIOCM_DTR) ? 1 : 0);
    return sim_link_command(device->control_path, request);
}

int sim_raise_modem_lines(const struct sim_device *device, int lines)
{
    return sim_set_modem_lines(device, uart.modem_lines | lines);
}

int sim_lower_modem_lines(const struct sim_device *device, int lines)
{
    return sim_set_modem_lines(device, uart.modem_lines & ~lines);
}

int sim_send_break_ms(const struct sim_device *device, unsigned long milliseconds)
{
    char request[64];
    snprintf(request, sizeof(request), "BREAK %lu", milliseconds);
    return sim_link_command(device->control_path, request);
}

int sim_start_break(const struct sim_device *device)
{
    (void)device;
    if (uart.break_active)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &uart.break_started);
    uart.break_active = true;
    return 0;
}

static unsigned long milliseconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long elapsed_ns = (long long)(now.tv_sec - start->tv_sec) * 1000000000LL
                         + (now.tv_nsec - start->tv_nsec);
    return elapsed_ns > 0 ? (unsigned long)(elapsed_ns / 1000000LL) : 0;
}

int sim_stop_break(const struct sim_device *device)
{
    if (!uart.break_active)
        return 0;
    uart.break_active = false;
    return sim_send_break_ms(device, milliseconds_since(&uart.break_started));
}

int sim_settings_applied(const struct sim_device *device, const struct remembered_termios *settings)
{
    memcpy(&uart.settings, settings, sizeof(uart.settings)); /* padding too */
    uart.settings_known = true;
    char request[128];
    describe_line_settings(settings, request, sizeof(request));
    return sim_link_command(device->control_path, request);
}

bool sim_recall_settings(struct remembered_termios *out)
{
    if (uart.settings_known)
        memcpy(out, &uart.settings, sizeof(*out));
    return uart.settings_known;
}
