/* Arbitrary serial rates where there is no termios2: macOS sets any rate
 * with the IOSSIOSPEED ioctl (and cannot read it back through termios);
 * other systems only have their speed constants. */
#include "link/tty_rate.h"

#include <errno.h>

#ifdef __APPLE__
#include <IOKit/serial/ioss.h>
#include <sys/ioctl.h>

int tty_rate_set(int fd, unsigned baud)
{
	speed_t speed = baud;
	return ioctl(fd, IOSSIOSPEED, &speed) == 0 ? 0 : errno;
}
#else
int tty_rate_set(int fd, unsigned baud)
{
	(void)fd, (void)baud;
	return ENOTSUP;
}
#endif

unsigned tty_rate_get(int fd)
{
	(void)fd;
	return 0;
}
