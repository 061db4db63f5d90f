/* A bus master for the emulator's bus socket, for shell tests. Reads one
 * request per line on stdin and prints one reply line each:
 *   W ADDR HEX   ->  status             (I2C write transaction)
 *   R ADDR N     ->  status HEX         (I2C read of N bytes)
 *   X HEX        ->  status HEX         (SPI transfer)
 *   S HZ HEX     ->  status HEX         (SPI transfer carrying its clock)
 *   Z HEX        ->  status             (raw request bytes, for bad requests)
 * Usage: sim_bus_talk SOCKET */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { MAX = 0xFFFF };

static int connect_to(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path))
		return -1;
	strcpy(address.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int exchange(int fd, const uint8_t *request, size_t length, uint8_t *reply,
		    size_t reply_length)
{
	if (write(fd, request, length) != (ssize_t)length)
		return -1;
	size_t have = 0;
	while (have < reply_length) {
		ssize_t n = read(fd, reply + have, reply_length - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		if (have == 1 && reply[0] != 0)
			return 0; /* no data after a failing status */
	}
	return 0;
}

static size_t parse_hex(const char *text, uint8_t *out)
{
	size_t n = 0;
	while (text[0] && text[1] && n < MAX) {
		unsigned byte;
		if (sscanf(text, "%2x", &byte) != 1)
			break;
		out[n++] = (uint8_t)byte;
		text += 2;
	}
	return n;
}

static void print_reply(const uint8_t *reply, size_t data_length)
{
	printf("%u", reply[0]);
	if (reply[0] == 0 && data_length) {
		putchar(' ');
		for (size_t i = 0; i < data_length; i++)
			printf("%02x", reply[1 + i]);
	}
	putchar('\n');
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static uint8_t request[8 + MAX], reply[1 + MAX];
	static char line[2 * MAX + 64];
	if (argc != 2) {
		fprintf(stderr, "usage: sim_bus_talk SOCKET\n");
		return 2;
	}
	int fd = connect_to(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char kind;
		unsigned address = 0, count = 0;
		char hex[sizeof(line)] = "";
		size_t length = 0, answer = 0;
		unsigned long clock = 0;
		if (line[0] == 'S' && sscanf(line, "S %lu %s", &clock, hex) == 2) {
			length = parse_hex(hex, request + 8);
			request[0] = 'X';
			request[1] = 1;
			request[2] = (uint8_t)length;
			request[3] = (uint8_t)(length >> 8);
			for (int i = 0; i < 4; i++)
				request[4 + i] = (uint8_t)(clock >> (8 * i));
			if (exchange(fd, request, 8 + length, reply, 1 + length) != 0) {
				fprintf(stderr, "sim_bus_talk: connection lost\n");
				return 1;
			}
			print_reply(reply, length);
			continue;
		}
		if (sscanf(line, "W %x %s", &address, hex) >= 1 && line[0] == 'W') {
			length = parse_hex(hex, request + 4);
		} else if (line[0] == 'R' && sscanf(line, "R %x %u", &address, &count) == 2) {
			answer = count;
		} else if (line[0] == 'X' && sscanf(line, "X %s", hex) == 1) {
			length = parse_hex(hex, request + 4);
			answer = length;
		} else if (line[0] == 'Z' && sscanf(line, "Z %s", hex) == 1) {
			length = parse_hex(hex, request);
			if (exchange(fd, request, length, reply, 1) != 0)
				return 1;
			print_reply(reply, 0);
			continue;
		} else {
			fprintf(stderr, "bad line: %s", line);
			return 2;
		}
		kind = line[0];
		request[0] = (uint8_t)kind;
		request[1] = (uint8_t)address;
		size_t field = kind == 'R' ? count : length;
		request[2] = (uint8_t)field;
		request[3] = (uint8_t)(field >> 8);
		size_t sent = kind == 'R' ? 4 : 4 + length;
		if (exchange(fd, request, sent, reply, 1 + answer) != 0) {
			fprintf(stderr, "sim_bus_talk: connection lost\n");
			return 1;
		}
		print_reply(reply, answer);
	}
	close(fd);
	return 0;
}
