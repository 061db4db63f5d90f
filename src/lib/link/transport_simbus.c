/* The emulator's bus socket as an I2C or SPI link, for "sim:DEVICE,
 * interface=i2c|spi" ports: the same bus requests the test interposer makes
 * for /dev/i2c-N and /dev/spidevB.C (docs/architecture.md, "The emulator's
 * bus socket"), without any device node. One write() or read() is one I2C
 * transaction or one SPI transfer, as with i2c-dev and spidev. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stm32boot/transport.h"
#include "link/transport_internal.h"

#define SIMBUS_HEADER 4
#define SIMBUS_MAX_PAYLOAD 0xFFFFu
#define SIMBUS_SPI_CLOCKED 1   /* the 'X' form that carries its clock */
#define SIMBUS_DONE 0
#define SIMBUS_NO_DEVICE 1     /* the I2C address phase was not acknowledged */
#define SIMBUS_SPI_DUMMY 0x00u /* AN4286: clocked out while only listening */

struct simbus {
	int fd;
	enum stm32_link_kind kind;
	unsigned address;  /* I2C */
	unsigned clock_hz; /* SPI */
	char *path;
};

static enum stm32_status lost(struct simbus *bus, int errnum, struct stm32_error *err)
{
	return stm32_error_sys(err, STM32_E_IO, errnum ? errnum : EPIPE,
			       "the emulator's bus %s went away", bus->path);
}

/* All of length bytes one way: out when sending, else in. */
static enum stm32_status move_all(struct simbus *bus, const uint8_t *out, uint8_t *in,
				  size_t length, struct stm32_error *err)
{
	while (length) {
		ssize_t n = out ? send(bus->fd, out, length, MSG_NOSIGNAL) : recv(bus->fd, in, length, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return lost(bus, n < 0 ? errno : 0, err);
		if (out)
			out += n;
		else
			in += n;
		length -= (size_t)n;
	}
	return STM32_OK;
}

static enum stm32_status send_all(struct simbus *bus, const uint8_t *data, size_t length,
				  struct stm32_error *err)
{
	return move_all(bus, data, NULL, length, err);
}

static enum stm32_status receive_all(struct simbus *bus, uint8_t *data, size_t length,
				     struct stm32_error *err)
{
	return move_all(bus, NULL, data, length, err);
}

/* One request: header (+ clock) + payload out, status + reply_length in. */
static enum stm32_status request(struct simbus *bus, char type, const uint8_t *out,
				 size_t length, uint8_t *in, size_t reply_length,
				 struct stm32_error *err)
{
	if (length > SIMBUS_MAX_PAYLOAD || reply_length > SIMBUS_MAX_PAYLOAD)
		return stm32_error_set(err, STM32_E_INVALID, "a %zu-byte bus transfer is too long",
				       length > reply_length ? length : reply_length);
	size_t count = type == 'R' ? reply_length : length;
	uint8_t header[SIMBUS_HEADER + 4] = {(uint8_t)type, (uint8_t)bus->address,
					     (uint8_t)(count & 0xFFu), (uint8_t)(count >> 8)};
	size_t header_length = SIMBUS_HEADER;
	if (type == 'X') {
		header[1] = SIMBUS_SPI_CLOCKED;
		for (int i = 0; i < 4; i++)
			header[SIMBUS_HEADER + i] = (uint8_t)(bus->clock_hz >> (8 * i));
		header_length += 4;
	}
	enum stm32_status st = send_all(bus, header, header_length, err);
	if (st == STM32_OK && out && length)
		st = send_all(bus, out, length, err);
	uint8_t status = 0;
	if (st == STM32_OK)
		st = receive_all(bus, &status, 1, err);
	if (st != STM32_OK)
		return st;
	if (status == SIMBUS_NO_DEVICE)
		return stm32_error_set(err, STM32_E_TIMEOUT, "no answer from I2C address 0x%02x on %s",
				       bus->address, bus->path);
	if (status != SIMBUS_DONE)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the emulator's bus %s refused a request (status %u)", bus->path,
				       status);
	return reply_length ? receive_all(bus, in, reply_length, err) : STM32_OK;
}

static enum stm32_status spi_transfer(struct stm32_transport *t, const uint8_t *out, uint8_t *in,
				      size_t length, struct stm32_error *err)
{
	struct simbus *bus = t->impl;
	if (bus->kind != STM32_LINK_SPI)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "an I2C link is not full duplex");
	uint8_t *dummies = NULL, *discard = NULL;
	if (!out)
		out = dummies = calloc(length ? length : 1, 1);
	if (!in)
		in = discard = malloc(length ? length : 1);
	_Static_assert(SIMBUS_SPI_DUMMY == 0, "calloc fills the dummy bytes");
	enum stm32_status st = out && in ? request(bus, 'X', out, length, in, length, err)
					 : stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	free(dummies);
	free(discard);
	return st;
}

static enum stm32_status simbus_write(struct stm32_transport *t, const uint8_t *data,
				      size_t length, struct stm32_error *err)
{
	struct simbus *bus = t->impl;
	if (bus->kind == STM32_LINK_SPI)
		return spi_transfer(t, data, NULL, length, err);
	return request(bus, 'W', data, length, NULL, 0, err);
}

/* As with i2c-dev and spidev, a transfer never waits for the device: the
 * protocol layer's polling does (timeout_ms bounds nothing here). */
static enum stm32_status simbus_read(struct stm32_transport *t, uint8_t *data, size_t length,
				     unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	struct simbus *bus = t->impl;
	enum stm32_status st = bus->kind == STM32_LINK_SPI
				       ? spi_transfer(t, NULL, data, length, err)
				       : request(bus, 'R', NULL, 0, data, length, err);
	if (got)
		*got = st == STM32_OK ? length : 0;
	return st;
}

static enum stm32_status simbus_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)t;
	(void)err;
	return STM32_OK; /* nothing arrives on a bus unasked */
}

static const char *bus_name(const struct simbus *bus)
{
	return bus->kind == STM32_LINK_SPI ? "SPI" : "I2C";
}

static enum stm32_status simbus_set_line(struct stm32_transport *t, enum stm32_line line,
					 bool asserted, struct stm32_error *err)
{
	(void)line;
	(void)asserted;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "an %s link has no RTS/DTR lines (-i needs a serial port)",
			       bus_name(t->impl));
}

static enum stm32_status simbus_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "an %s link has no BREAK",
			       bus_name(t->impl));
}

static void simbus_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct simbus *bus = t->impl;
	if (bus->kind == STM32_LINK_SPI)
		snprintf(buf, size, "spi %u Hz mode 0 (emulated)", bus->clock_hz);
	else
		snprintf(buf, size, "i2c addr 0x%02x (emulated)", bus->address);
}

static void simbus_close(struct stm32_transport *t)
{
	struct simbus *bus = t->impl;
	close(bus->fd);
	free(bus->path);
	free(bus);
	free(t);
}

static const struct stm32_transport_ops simbus_ops = {
	.name = "simbus",
	.write = simbus_write,
	.read = simbus_read,
	.drain = simbus_drain,
	.set_line = simbus_set_line,
	.send_break = simbus_send_break,
	.describe = simbus_describe,
	.close = simbus_close,
	.transfer = spi_transfer,
};

static enum stm32_status connect_to(struct simbus *bus, const char *path, struct stm32_error *err)
{
	struct sockaddr_un where = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(where.sun_path))
		return stm32_error_set(err, STM32_E_INVALID, "bus socket path too long: %s", path);
	strcpy(where.sun_path, path);
	bus->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bus->fd < 0)
		return stm32_error_sys(err, STM32_E_IO, errno, "cannot create a socket");
	if (connect(bus->fd, (const struct sockaddr *)&where, sizeof(where)) != 0)
		return stm32_error_sys(err, STM32_E_IO, errno, "cannot connect to the emulator's bus %s",
				       path);
	return STM32_OK;
}

enum stm32_status stm32_simbus_open(const char *path, enum stm32_link_kind kind, unsigned address7,
				    unsigned clock_hz, struct stm32_transport **out,
				    struct stm32_error *err)
{
	*out = NULL;
	struct stm32_transport *t = calloc(1, sizeof(*t));
	struct simbus *bus = calloc(1, sizeof(*bus));
	char *copy = strdup(path);
	if (!t || !bus || !copy) {
		free(t);
		free(bus);
		free(copy);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening %s", path);
	}
	bus->fd = -1;
	bus->kind = kind;
	bus->address = address7;
	bus->clock_hz = clock_hz ? clock_hz : STM32_SPI_DEFAULT_SPEED_HZ;
	bus->path = copy;
	enum stm32_status st = connect_to(bus, path, err);
	if (st != STM32_OK) {
		if (bus->fd >= 0)
			close(bus->fd);
		free(copy);
		free(bus);
		free(t);
		return st;
	}
	t->ops = &simbus_ops;
	t->kind = kind;
	t->baud = kind == STM32_LINK_SPI ? bus->clock_hz : 0;
	t->impl = bus;
	*out = t;
	return STM32_OK;
}
