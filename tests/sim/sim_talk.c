/* Exchange raw bytes with a serial port, for the emulator's shell tests.
 *
 *   sim_talk PORT STEP...
 *   s:HEX   send these bytes (e.g. s:7F or s:0011EE)
 *   r:N     read N bytes (see t:); print them as hex on one line,
 *           followed by " TIMEOUT" if fewer came
 *   d:MS    wait MS milliseconds
 *   t:MS    set the read timeout (default 1000 ms)
 * The port is put in raw 8E1 mode at 115200 baud. Exit 0 unless the port
 * cannot be used or a step is malformed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int open_port(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct termios tio;
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tio.c_cflag |= PARENB | CLOCAL | CREAD;
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tcsetattr(fd, TCSANOW, &tio);
	}
	return fd;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int send_hex(int fd, const char *hex)
{
	size_t length = strlen(hex);
	if (length % 2)
		return -1;
	for (size_t i = 0; i < length; i += 2) {
		int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		unsigned char byte = (unsigned char)(hi << 4 | lo);
		if (write(fd, &byte, 1) != 1)
			return -1;
	}
	return 0;
}

static void receive(int fd, long count, int timeout_ms)
{
	long got = 0;
	while (got < count) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		unsigned char byte;
		ssize_t n = read(fd, &byte, 1);
		if (n != 1)
			break;
		printf("%02X", byte);
		got++;
	}
	printf("%s\n", got < count ? " TIMEOUT" : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sim_talk PORT s:HEX|r:N|d:MS...\n");
		return 2;
	}
	int fd = open_port(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "sim_talk: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int timeout_ms = 1000;
	for (int i = 2; i < argc; i++) {
		const char *step = argv[i];
		if (strncmp(step, "s:", 2) == 0) {
			if (send_hex(fd, step + 2) != 0) {
				fprintf(stderr, "sim_talk: bad send step %s\n", step);
				return 2;
			}
		} else if (strncmp(step, "r:", 2) == 0) {
			receive(fd, strtol(step + 2, NULL, 10), timeout_ms);
		} else if (strncmp(step, "t:", 2) == 0) {
			timeout_ms = (int)strtol(step + 2, NULL, 10);
		} else if (strncmp(step, "d:", 2) == 0) {
			long ms = strtol(step + 2, NULL, 10);
			struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
			nanosleep(&t, NULL);
		} else {
			fprintf(stderr, "sim_talk: bad step %s\n", step);
			return 2;
		}
	}
	close(fd);
	return 0;
}
