/* Arbitrary serial rates on Linux: struct termios2, the rate in c_ospeed
 * and c_ispeed with BOTHER in place of a CBAUD constant (TCSETS2). */
#include "link/tty_rate.h"

#include <asm/termbits.h>
#include <errno.h>
#include <sys/ioctl.h>

#if defined(TCGETS2) && defined(BOTHER)
int tty_rate_set(int fd, unsigned baud)
{
	struct termios2 tio;
	if (ioctl(fd, TCGETS2, &tio) != 0)
		return errno;
	/* The input rate follows the output one (its CBAUD field, shifted by
	 * IBSHIFT, left 0). */
	tio.c_cflag &= ~(tcflag_t)(CBAUD | CBAUD << IBSHIFT);
	tio.c_cflag |= BOTHER;
	tio.c_ospeed = baud;
	tio.c_ispeed = baud;
	return ioctl(fd, TCSETS2, &tio) == 0 ? 0 : errno;
}

unsigned tty_rate_get(int fd)
{
	struct termios2 tio;
	return ioctl(fd, TCGETS2, &tio) == 0 ? (unsigned)tio.c_ospeed : 0;
}
#else /* an architecture without termios2 */
int tty_rate_set(int fd, unsigned baud)
{
	(void)fd, (void)baud;
	return ENOTSUP;
}

unsigned tty_rate_get(int fd)
{
	(void)fd;
	return 0;
}
#endif
