/* The bus socket server: request parsing and replies. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus.h"

enum { REQUEST_I2C_WRITE = 'W', REQUEST_I2C_READ = 'R', REQUEST_SPI = 'X' };
enum { SEND_STUCK_MS = 2000 }; /* a master that stops reading is dropped */

static bool bind_listener(int fd, const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	strcpy(address.sun_path, path);
	return bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0 &&
	       listen(fd, SIM_BUS_MAX_MASTERS) == 0;
}

bool sim_bus_open(struct sim_bus *bus, const char *path, char *why, size_t why_size)
{
	struct sockaddr_un address;
	char staging[sizeof(address.sun_path)];
	bus->listen_fd = -1;
	bus->hung_up = false;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++)
		bus->masters[i].fd = -1;
	if ((size_t)snprintf(staging, sizeof(staging), "%s.new", path) >= sizeof(staging)) {
		snprintf(why, why_size, "bus socket path too long: %s", path);
		return false;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	unlink(staging);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* Bound and listening under a staging name, then renamed: a client
	 * that sees the path can connect at once. */
	if (fd < 0 || !bind_listener(fd, staging) || rename(staging, path) != 0) {
		snprintf(why, why_size, "bus socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(staging);
		return false;
	}
	bus->listen_fd = fd;
	return true;
}

static void drop_master(struct sim_bus_master *master)
{
	if (master->fd >= 0)
		close(master->fd);
	master->fd = -1;
	master->have = 0;
	master->stretched = false;
}

void sim_bus_hang_up(struct sim_bus *bus)
{
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++)
		drop_master(&bus->masters[i]);
	if (bus->listen_fd >= 0)
		close(bus->listen_fd);
	bus->listen_fd = -1;
	bus->hung_up = true;
}

void sim_bus_close(struct sim_bus *bus)
{
	sim_bus_hang_up(bus);
}

size_t sim_bus_poll_fds(const struct sim_bus *bus, struct pollfd *fds)
{
	size_t count = 0;
	fds[count++] = (struct pollfd){bus->listen_fd, POLLIN, 0};
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++) {
		const struct sim_bus_master *m = &bus->masters[i];
		/* A master waiting on a stretched read sends nothing meanwhile. */
		fds[count++] = (struct pollfd){m->stretched ? -1 : m->fd, POLLIN, 0};
	}
	return count;
}

static void accept_master(struct sim_bus *bus)
{
	int fd = accept4(bus->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++) {
		if (bus->masters[i].fd < 0) {
			bus->masters[i].fd = fd;
			bus->masters[i].have = 0;
			bus->masters[i].stretched = false;
			return;
		}
	}
	close(fd);
}

static bool send_all(int fd, const uint8_t *data, size_t length)
{
	size_t done = 0;
	while (done < length) {
		ssize_t n = send(fd, data + done, length - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* the master is slow to read a long reply */
			struct pollfd p = {fd, POLLOUT, 0};
			if (poll(&p, 1, SEND_STUCK_MS) <= 0)
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static size_t payload_length(const uint8_t *header)
{
	return (size_t)header[2] | (size_t)header[3] << 8;
}

static size_t request_length(const struct sim_bus_master *master)
{
	if (master->have < SIM_BUS_HEADER)
		return SIM_BUS_HEADER;
	if (master->request[0] == REQUEST_I2C_READ)
		return SIM_BUS_HEADER;
	return SIM_BUS_HEADER + payload_length(master->request);
}

/* Replies: status, then (read or transfer, status 0) length bytes. The
 * reply buffer has room for the status byte in front. */
static bool answer(struct sim_bus_master *master, uint8_t *reply, size_t data_length)
{
	return send_all(master->fd, reply, 1 + data_length);
}

static bool try_i2c_read(struct sim_bus *bus, struct sim_bus_master *master, uint64_t now_us)
{
	uint8_t *reply = bus->reply;
	size_t length = payload_length(master->request);
	enum sim_bus_status status;
	uint64_t until;
	if (!sim_i2c_read(bus->i2c, master->request[1], reply + 1, length, now_us, &status,
			  &until)) {
		master->stretched = true;
		master->retry_at_us = until;
		return true;
	}
	master->stretched = false;
	reply[0] = (uint8_t)status;
	return answer(master, reply, status == SIM_BUS_DONE ? length : 0);
}

static bool handle_request(struct sim_bus *bus, struct sim_bus_master *master, uint64_t now_us)
{
	uint8_t *reply = bus->reply;
	const uint8_t *request = master->request;
	size_t length = payload_length(request);
	bool i2c = bus->interface == SIM_INTERFACE_I2C;
	switch (request[0]) {
	case REQUEST_I2C_WRITE:
		if (!i2c)
			break;
		reply[0] = (uint8_t)sim_i2c_write(bus->i2c, request[1], request + SIM_BUS_HEADER,
						  length, now_us);
		return answer(master, reply, 0);
	case REQUEST_I2C_READ:
		if (!i2c)
			break;
		return try_i2c_read(bus, master, now_us);
	case REQUEST_SPI:
		if (i2c || request[1] != 0)
			break;
		reply[0] = SIM_BUS_DONE;
		sim_spi_transfer(bus->spi, request + SIM_BUS_HEADER, reply + 1, length, now_us);
		return answer(master, reply, length);
	default:
		break;
	}
	reply[0] = SIM_BUS_BAD_REQUEST;
	return answer(master, reply, 0);
}

static bool link_hung_up(const struct sim_bus *bus)
{
	return bus->interface == SIM_INTERFACE_I2C ? bus->i2c->hung_up : bus->spi->hung_up;
}

/* Handle every complete request received; false when the master is gone. */
static bool serve_master(struct sim_bus *bus, struct sim_bus_master *master, uint64_t now_us)
{
	while (!master->stretched) {
		ssize_t n = recv(master->fd, master->request + master->have,
				 request_length(master) - master->have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		master->have += (size_t)n;
		if (master->have < request_length(master))
			continue;
		if (!handle_request(bus, master, now_us))
			return false;
		if (!master->stretched)
			master->have = 0;
		if (link_hung_up(bus))
			return true;
	}
	return true;
}

void sim_bus_service(struct sim_bus *bus, const struct pollfd *fds, uint64_t now_us)
{
	for (int i = 0; i < SIM_BUS_MAX_MASTERS && !bus->hung_up; i++) {
		struct sim_bus_master *m = &bus->masters[i];
		if (m->fd >= 0 && (fds[1 + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !serve_master(bus, m, now_us))
			drop_master(m);
		if (link_hung_up(bus))
			sim_bus_hang_up(bus);
	}
	if (!bus->hung_up && (fds[0].revents & POLLIN))
		accept_master(bus);
}

uint64_t sim_bus_retry(struct sim_bus *bus, uint64_t now_us)
{
	uint64_t earliest = 0;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++) {
		struct sim_bus_master *m = &bus->masters[i];
		if (m->fd < 0 || !m->stretched)
			continue;
		if (m->retry_at_us <= now_us) {
			if (!try_i2c_read(bus, m, now_us))
				drop_master(m);
			else if (!m->stretched)
				m->have = 0;
		}
		if (m->fd >= 0 && m->stretched && (!earliest || m->retry_at_us < earliest))
			earliest = m->retry_at_us;
	}
	return earliest;
}
