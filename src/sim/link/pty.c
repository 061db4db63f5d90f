/* POSIX pseudo-terminal setup. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "link/pty.h"
#include "link/pty_rate.h"

static void fail(char *why, size_t why_size, const char *what)
{
	snprintf(why, why_size, "%s: %s", what, strerror(errno));
}

bool sim_pty_open(struct sim_pty *pty, char *why, size_t why_size)
{
	pty->master = pty->slave = -1;
	pty->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty->master < 0) {
		fail(why, why_size, "posix_openpt");
		return false;
	}
	const char *name;
	if (grantpt(pty->master) || unlockpt(pty->master) || !(name = ptsname(pty->master))) {
		fail(why, why_size, "cannot set up the pty");
		sim_pty_close(pty);
		return false;
	}
	snprintf(pty->path, sizeof(pty->path), "%s", name);
	pty->slave = open(pty->path, O_RDWR | O_NOCTTY);
	if (pty->slave < 0) {
		fail(why, why_size, pty->path);
		sim_pty_close(pty);
		return false;
	}
	/* Raw by default: a host that leaves the port as it finds it (stm32flash
	 * -b 0) must not get echo or newline translation, and its reads must
	 * time out (0.5 s, as stm32flash sets up a real port) rather than block
	 * for ever when the chip stays silent. */
	struct termios tio;
	if (tcgetattr(pty->slave, &tio) == 0) {
		cfmakeraw(&tio);
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 5;
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tcsetattr(pty->slave, TCSANOW, &tio);
	}
	int flags = fcntl(pty->master, F_GETFL);
	fcntl(pty->master, F_SETFL, flags | O_NONBLOCK);
	return true;
}

void sim_pty_close(struct sim_pty *pty)
{
	if (pty->slave >= 0)
		close(pty->slave);
	if (pty->master >= 0)
		close(pty->master);
	pty->master = pty->slave = -1;
}

static const struct {
	speed_t code;
	unsigned baud;
} speeds[] = {
	{B1200, 1200},       {B1800, 1800},       {B2400, 2400},       {B4800, 4800},
	{B9600, 9600},       {B19200, 19200},     {B38400, 38400},     {B57600, 57600},
	{B115200, 115200},   {B230400, 230400},   {B460800, 460800},   {B500000, 500000},
	{B576000, 576000},   {B921600, 921600},   {B1000000, 1000000}, {B1152000, 1152000},
	{B1500000, 1500000}, {B2000000, 2000000}, {B2500000, 2500000}, {B3000000, 3000000},
	{B3500000, 3500000}, {B4000000, 4000000},
};

unsigned sim_pty_baud(const struct sim_pty *pty)
{
	/* The slave's settings are the host's: on Linux the master side keeps a
	 * termios of its own that the host's tcsetattr never touches. */
	if (pty->slave < 0)
		return 115200;
	unsigned rate = sim_pty_rate(pty->slave);
	if (rate)
		return rate;
	struct termios tio;
	if (tcgetattr(pty->slave, &tio) != 0)
		return 115200;
	speed_t code = cfgetospeed(&tio);
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].code == code)
			return speeds[i].baud;
	return 115200;
}
