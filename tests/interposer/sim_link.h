/* Client side of the emulator's control socket (docs/architecture.md,
 * "Control socket"). Used only by the LD_PRELOAD interposer. */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stddef.h>

/* Sends one request line (without the newline) to the socket named by
 * `socket_path` and reads the one-line reply into `reply` (newline stripped).
 * The connection is opened on first use and kept; it is reopened when the
 * path changes or the peer went away. Returns 0, or -1 with errno set. */
int sim_link_request(const char *socket_path, const char *request, char *reply, size_t reply_size);

/* Like sim_link_request, but any reply other than "OK" is an error (EIO). */
int sim_link_command(const char *socket_path, const char *request);

/* Closes the kept connection, if any. */
void sim_link_close(void);

#endif
