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

#include "base/bytes.h"
#include "link/bus.h"

enum { REQUEST_I2C_WRITE = 'W', REQUEST_I2C_READ = 'R', REQUEST_SPI = 'X' };
enum { SPI_WITH_CLOCK = 1 }; /* byte 1 of an 'X' request: a clock field follows */
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
	bus->free_at_us = 0;
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
	master->answering = false;
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
		/* A master waiting for its reply sends nothing meanwhile. */
		bool waiting = m->stretched || m->answering;
		fds[count++] = (struct pollfd){waiting ? -1 : m->fd, POLLIN, 0};
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
			bus->masters[i].answering = false;
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

/* An 'X' request with flag 1 carries the transfer's clock before its data. */
static bool carries_clock(const uint8_t *header)
{
	return header[0] == REQUEST_SPI && header[1] == SPI_WITH_CLOCK;
}

static size_t request_length(const struct sim_bus_master *master)
{
	if (master->have < SIM_BUS_HEADER)
		return SIM_BUS_HEADER;
	if (master->request[0] == REQUEST_I2C_READ)
		return SIM_BUS_HEADER;
	size_t clock = carries_clock(master->request) ? SIM_BUS_CLOCK_FIELD : 0;
	return SIM_BUS_HEADER + clock + payload_length(master->request);
}

static struct sim_stats *stats_of(const struct sim_bus *bus)
{
	return bus->interface == SIM_INTERFACE_I2C ? bus->i2c->link->engine->stats
						   : bus->spi->link->engine->stats;
}

/* A transaction went over the wire: count it and the wire time it took. */
static void charge(struct sim_bus *bus, size_t length, uint64_t bits, uint32_t clock_hz)
{
	struct sim_stats *stats = stats_of(bus);
	stats->bus_transactions++;
	stats->bus_bytes += length;
	if (clock_hz)
		stats->bus_wire_ns += bits * 1000000000u / clock_hz;
}

/* Replies: status, then (read or transfer, status 0) data bytes; sent once
 * the transaction has ended on the wire (end_us), held until then. */
static bool answer_at(struct sim_bus *bus, struct sim_bus_master *master, size_t data_length,
		      uint64_t end_us, uint64_t now_us)
{
	master->answer_length = 1 + data_length;
	if (bus->paced && end_us > bus->free_at_us)
		bus->free_at_us = end_us;
	if (end_us > now_us) {
		master->answering = true;
		master->answer_at_us = end_us;
		return true;
	}
	return send_all(master->fd, master->reply, master->answer_length);
}

/* The data phase of a read begins at at_us (after the address byte, or
 * when the chip releases a stretched clock). */
static bool try_i2c_read(struct sim_bus *bus, struct sim_bus_master *master, uint64_t at_us,
			 uint64_t now_us)
{
	struct sim_i2c *i2c = bus->i2c;
	uint8_t *reply = master->reply;
	size_t length = payload_length(master->request);
	enum sim_bus_status status;
	uint64_t until;
	if (!sim_i2c_read(i2c, master->request[1], reply + 1, length, at_us, &status, &until)) {
		master->stretched = true;
		master->retry_at_us = until;
		if (bus->paced && until > bus->free_at_us)
			bus->free_at_us = until; /* SCL is held low meanwhile */
		return true;
	}
	master->stretched = false;
	reply[0] = (uint8_t)status;
	size_t moved = status == SIM_BUS_DONE ? length : 0;
	charge(bus, moved, sim_i2c_transaction_bits(moved), i2c->clock_hz);
	/* the data bytes with their ACK bits, then STOP */
	uint64_t end = at_us + sim_i2c_bits_us(i2c, 9u * (uint64_t)moved + 1u);
	return answer_at(bus, master, moved, end, now_us);
}

static bool i2c_write(struct sim_bus *bus, struct sim_bus_master *master, uint64_t start_us,
		      uint64_t now_us)
{
	struct sim_i2c *i2c = bus->i2c;
	const uint8_t *request = master->request;
	size_t length = payload_length(request);
	enum sim_bus_status status =
		sim_i2c_write(i2c, request[1], request + SIM_BUS_HEADER, length, start_us);
	master->reply[0] = (uint8_t)status;
	size_t moved = status == SIM_BUS_DONE ? length : 0;
	uint64_t bits = sim_i2c_transaction_bits(moved);
	charge(bus, moved, bits, i2c->clock_hz);
	return answer_at(bus, master, 0, start_us + sim_i2c_bits_us(i2c, bits), now_us);
}

/* false: a bad request (flags other than 0 or 1, a zero clock). */
static bool spi_transfer(struct sim_bus *bus, struct sim_bus_master *master, uint64_t start_us,
			 uint64_t now_us, bool *sent)
{
	const uint8_t *request = master->request;
	size_t length = payload_length(request);
	uint32_t clock_hz = bus->spi_clock_hz;
	const uint8_t *mosi = request + SIM_BUS_HEADER;
	if (request[1] == SPI_WITH_CLOCK) {
		clock_hz = sim_get_le32(mosi);
		mosi += SIM_BUS_CLOCK_FIELD;
		if (!clock_hz)
			return false;
	} else if (request[1] != 0) {
		return false;
	}
	if (!bus->paced)
		clock_hz = 0;
	master->reply[0] = SIM_BUS_DONE;
	sim_spi_transfer_clocked(bus->spi, mosi, master->reply + 1, length, start_us, clock_hz);
	charge(bus, length, 8u * (uint64_t)length, clock_hz);
	*sent = answer_at(bus, master, length, start_us + sim_spi_bytes_us(length, clock_hz), now_us);
	return true;
}

static bool handle_request(struct sim_bus *bus, struct sim_bus_master *master, uint64_t now_us)
{
	const uint8_t *request = master->request;
	bool i2c = bus->interface == SIM_INTERFACE_I2C;
	/* One bus: a transaction starts once the previous one left the wire. */
	uint64_t start = bus->paced && bus->free_at_us > now_us ? bus->free_at_us : now_us;
	bool sent;
	switch (request[0]) {
	case REQUEST_I2C_WRITE:
		if (!i2c)
			break;
		return i2c_write(bus, master, start, now_us);
	case REQUEST_I2C_READ:
		if (!i2c)
			break;
		return try_i2c_read(bus, master,
				    start + sim_i2c_bits_us(bus->i2c, SIM_I2C_ADDRESS_BITS), now_us);
	case REQUEST_SPI:
		if (!i2c && spi_transfer(bus, master, start, now_us, &sent))
			return sent;
		break;
	default:
		break;
	}
	master->reply[0] = SIM_BUS_BAD_REQUEST;
	return answer_at(bus, master, 0, now_us, now_us);
}

static bool link_hung_up(const struct sim_bus *bus)
{
	return bus->interface == SIM_INTERFACE_I2C ? bus->i2c->hung_up : bus->spi->hung_up;
}

/* Handle every complete request received; false when the master is gone. */
static bool serve_master(struct sim_bus *bus, struct sim_bus_master *master, uint64_t now_us)
{
	while (!master->stretched && !master->answering) {
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

/* A stretched read or a held reply that is due by now_us; false when the
 * master is gone. */
static bool finish_due(struct sim_bus *bus, struct sim_bus_master *m, uint64_t now_us)
{
	if (m->stretched && m->retry_at_us <= now_us) {
		/* the data phase starts when the chip releases the clock */
		if (!try_i2c_read(bus, m, m->retry_at_us, now_us))
			return false;
		if (!m->stretched)
			m->have = 0;
	}
	if (m->answering && m->answer_at_us <= now_us) {
		m->answering = false;
		return send_all(m->fd, m->reply, m->answer_length);
	}
	return true;
}

uint64_t sim_bus_retry(struct sim_bus *bus, uint64_t now_us)
{
	uint64_t earliest = 0;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++) {
		struct sim_bus_master *m = &bus->masters[i];
		if (m->fd < 0)
			continue;
		if (!finish_due(bus, m, now_us)) {
			drop_master(m);
			continue;
		}
		uint64_t due = m->stretched ? m->retry_at_us : m->answering ? m->answer_at_us : 0;
		if (due && (!earliest || due < earliest))
			earliest = due;
	}
	return earliest;
}
