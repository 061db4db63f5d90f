/* The host's rate as the pty keeps it, termios2 included: a host that set
 * 1234567 or 2000000 with BOTHER (TCSETS2) reads as BOTHER through
 * cfgetospeed, so the rate is asked with TCGETS2 (Linux), apart from
 * pty.c because <asm/termbits.h> cannot sit beside <termios.h>. */
#include "link/pty_rate.h"

#ifdef __linux__
#include <asm/termbits.h>
#include <sys/ioctl.h>

unsigned sim_pty_rate(int fd)
{
	struct termios2 tio;
	return ioctl(fd, TCGETS2, &tio) == 0 ? (unsigned)tio.c_ospeed : 0;
}
#else
unsigned sim_pty_rate(int fd)
{
	(void)fd;
	return 0;
}
#endif
