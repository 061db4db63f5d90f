/* The Linux spidev backend (AN4286): every OS-specific detail of talking to
 * the bootloader over SPI lives in this file. Every exchange is full duplex;
 * write() and read() are transfers that ignore one direction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/transport.h"
#include "link/transport_bus.h"

#ifdef __linux__

#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* spidev refuses a message longer than its buffer (the bufsiz module
 * parameter, 4096 unless changed); bootloader frames are far shorter, so a
 * longer exchange is split rather than depending on the parameter. */
#define SPI_CHUNK_BYTES 4096u

/* AN4286: the host clocks out 0x00 while it only wants to listen. */
#define SPI_DUMMY_BYTE 0x00u

struct spi_link {
	struct bus_node node;
	unsigned speed_hz;
};

static enum stm32_status io_error(struct stm32_error *err, int errnum, const char *what,
				  const char *path)
{
	return stm32_error_sys(err, STM32_E_IO, errnum, "%s %s", what, path);
}

static enum stm32_status transfer_chunk(struct spi_link *link, const uint8_t *out, uint8_t *in,
					size_t length, struct stm32_error *err)
{
	static const uint8_t dummies[SPI_CHUNK_BYTES] = {SPI_DUMMY_BYTE};
	_Static_assert(SPI_DUMMY_BYTE == 0, "dummies[] relies on zero fill");
	struct spi_ioc_transfer message;
	memset(&message, 0, sizeof(message));
	message.tx_buf = (uintptr_t)(out ? out : dummies);
	message.rx_buf = (uintptr_t)in;
	message.len = (uint32_t)length;
	int done;
	do
		done = ioctl(link->node.fd, SPI_IOC_MESSAGE(1), &message);
	while (done < 0 && errno == EINTR);
	if (done < 0)
		return io_error(err, errno, "SPI transfer failed on", link->node.path);
	if ((size_t)done != length)
		return stm32_error_set(err, STM32_E_IO, "%s transferred %d of %zu bytes",
				       link->node.path, done, length);
	return STM32_OK;
}

static enum stm32_status spi_transfer(struct stm32_transport *t, const uint8_t *out, uint8_t *in,
				      size_t length, struct stm32_error *err)
{
	struct spi_link *link = t->impl;
	size_t done = 0;
	while (done < length) {
		size_t piece = length - done < SPI_CHUNK_BYTES ? length - done : SPI_CHUNK_BYTES;
		enum stm32_status st = transfer_chunk(link, out ? out + done : NULL,
						      in ? in + done : NULL, piece, err);
		if (st != STM32_OK)
			return st;
		done += piece;
	}
	return STM32_OK;
}

static enum stm32_status spi_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	return spi_transfer(t, data, NULL, length, err);
}

/* The slave cannot hold data back: whatever it shifts out during the dummy
 * bytes is the answer, so the transfer never waits and timeout_ms bounds
 * nothing here (waiting for the ACK is the protocol layer's polling). */
static enum stm32_status spi_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	enum stm32_status st = spi_transfer(t, NULL, data, length, err);
	if (got)
		*got = st == STM32_OK ? length : 0;
	return st;
}

static enum stm32_status spi_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	(void)line;
	(void)asserted;
	return bus_no_modem_lines(&((struct spi_link *)t->impl)->node, "SPI", err);
}

static enum stm32_status spi_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	return bus_no_break(&((struct spi_link *)t->impl)->node, "SPI", err);
}

static void spi_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct spi_link *link = t->impl;
	snprintf(buf, size, "spi %u Hz mode 0", link->speed_hz);
}

static void spi_close(struct stm32_transport *t)
{
	struct spi_link *link = t->impl;
	bus_node_close(&link->node);
	free(link);
	free(t);
}

static const struct stm32_transport_ops spi_ops = {
	.name = "spi",
	.write = spi_write,
	.read = spi_read,
	.drain = bus_nothing_to_drain,
	.set_line = spi_set_line,
	.send_break = spi_send_break,
	.describe = spi_describe,
	.close = spi_close,
	.transfer = spi_transfer,
};

static enum stm32_status setting_refused(struct spi_link *link, const char *what,
					 struct stm32_error *err)
{
	int e = errno;
	if (e == ENOTTY) {
		enum stm32_status st = stm32_error_set(err, STM32_E_INVALID,
						       "%s is not a spidev device (%s)", link->node.path,
						       strerror(e));
		if (err)
			err->sys_errno = e;
		return st;
	}
	enum stm32_status st = stm32_error_set(err, STM32_E_UNSUPPORTED, "%s refused %s: %s",
					       link->node.path, what, strerror(e));
	if (err)
		err->sys_errno = e;
	return st;
}

/* AN4286: clock idle low, sample on the first edge (mode 0), 8-bit words,
 * most significant bit first. */
static enum stm32_status configure(struct spi_link *link, struct stm32_error *err)
{
	uint8_t mode = SPI_MODE_0;
	if (ioctl(link->node.fd, SPI_IOC_WR_MODE, &mode) != 0)
		return setting_refused(link, "SPI mode 0", err);
	uint8_t bits = 8;
	if (ioctl(link->node.fd, SPI_IOC_WR_BITS_PER_WORD, &bits) != 0)
		return setting_refused(link, "8-bit words", err);
	uint8_t lsb_first = 0;
	if (ioctl(link->node.fd, SPI_IOC_WR_LSB_FIRST, &lsb_first) != 0)
		return setting_refused(link, "MSB-first order", err);
	uint32_t speed = link->speed_hz;
	if (ioctl(link->node.fd, SPI_IOC_WR_MAX_SPEED_HZ, &speed) != 0)
		return setting_refused(link, "the clock speed", err);
	uint8_t mode_kept = 0xFF;
	if (ioctl(link->node.fd, SPI_IOC_RD_MODE, &mode_kept) != 0)
		return setting_refused(link, "to report its mode", err);
	if ((mode_kept & (SPI_CPHA | SPI_CPOL | SPI_LSB_FIRST)) != SPI_MODE_0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s did not keep SPI mode 0 (mode byte 0x%02x)", link->node.path,
				       mode_kept);
	return STM32_OK;
}

static enum stm32_status prepare(struct spi_link *link, const char *path, struct stm32_error *err)
{
	enum stm32_status st = bus_node_open(&link->node, path, "is spidev bound to that chip select?", err);
	if (st == STM32_OK)
		st = configure(link, err);
	return st;
}

enum stm32_status stm32_spi_open(const char *path, unsigned speed_hz, struct stm32_transport **out,
				 struct stm32_error *err)
{
	*out = NULL;
	struct stm32_transport *t = calloc(1, sizeof(*t));
	struct spi_link *link = calloc(1, sizeof(*link));
	if (!t || !link) {
		free(t);
		free(link);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening %s", path);
	}
	link->speed_hz = speed_hz ? speed_hz : STM32_SPI_DEFAULT_SPEED_HZ;
	enum stm32_status st = prepare(link, path, err);
	if (st != STM32_OK) {
		bus_node_close(&link->node);
		free(link);
		free(t);
		return st;
	}
	t->ops = &spi_ops;
	t->kind = STM32_LINK_SPI;
	t->baud = link->speed_hz;
	t->impl = link;
	*out = t;
	return STM32_OK;
}

#else /* not Linux */

enum stm32_status stm32_spi_open(const char *path, unsigned speed_hz, struct stm32_transport **out,
				 struct stm32_error *err)
{
	(void)speed_hz;
	*out = NULL;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s: SPI needs Linux spidev on this build", path);
}

#endif
