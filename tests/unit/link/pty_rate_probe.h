#ifndef PTY_RATE_PROBE_H
#define PTY_RATE_PROBE_H
#include <stdbool.h>
/* fd's output rate as the kernel keeps it (termios2's c_ospeed); 0 on error. */
unsigned probe_rate(int fd);
bool probe_parity(int fd);
#endif
