/* The Linux i2c-dev backend (AN4221): every OS-specific detail of talking to
 * the bootloader over an I2C adapter lives in this file. One write() or read()
 * of the device node is one START ... STOP transaction on the bus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/transport.h"
#include "link/transport_bus.h"

/* The 7-bit addresses a device may use: the rest are reserved by the I2C
 * specification (general call, CBUS, high-speed codes, 10-bit prefix). */
#define I2C_FIRST_DEVICE_ADDRESS 0x03u
#define I2C_LAST_DEVICE_ADDRESS  0x77u

static enum stm32_status check_address(unsigned address7, struct stm32_error *err)
{
	if (address7 >= I2C_FIRST_DEVICE_ADDRESS && address7 <= I2C_LAST_DEVICE_ADDRESS)
		return STM32_OK;
	return stm32_error_set(err, STM32_E_INVALID,
			       "I2C address 0x%02x is outside the device range 0x%02x..0x%02x",
			       address7, I2C_FIRST_DEVICE_ADDRESS, I2C_LAST_DEVICE_ADDRESS);
}

#ifdef __linux__

#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct i2c_link {
	struct bus_node node;
	unsigned address;
};

static enum stm32_status io_error(struct stm32_error *err, int errnum, const char *what,
				  const char *path)
{
	return stm32_error_sys(err, STM32_E_IO, errnum, "%s %s", what, path);
}

/* How adapters report a transaction nobody acknowledged: ENXIO for the
 * address phase (the kernel's fault-codes convention), EREMOTEIO from many
 * controllers, EIO from some bit-banged ones. For the bootloader that means
 * "not answering right now", which the protocol layer retries. */
static bool is_no_answer(int errnum)
{
	return errnum == ENXIO || errnum == EREMOTEIO || errnum == EIO || errnum == ETIMEDOUT;
}

static enum stm32_status transaction_failed(struct i2c_link *link, int errnum, const char *what,
					    struct stm32_error *err)
{
	if (!is_no_answer(errnum))
		return io_error(err, errnum, what, link->node.path);
	enum stm32_status st = stm32_error_set(err, STM32_E_TIMEOUT,
					       "no answer from I2C address 0x%02x on %s (%s)",
					       link->address, link->node.path, strerror(errnum));
	if (err)
		err->sys_errno = errnum;
	return st;
}

static enum stm32_status i2c_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct i2c_link *link = t->impl;
	ssize_t n;
	do
		n = write(link->node.fd, data, length);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return transaction_failed(link, errno, "cannot write to", err);
	if ((size_t)n != length)
		return stm32_error_set(err, STM32_E_IO,
				       "%s sent %zd of a %zu-byte frame in one transaction",
				       link->node.path, n, length);
	return STM32_OK;
}

/* The transaction itself takes as long as it takes on the wire; waiting for
 * the bootloader to be ready is the protocol layer's polling, so timeout_ms
 * has nothing to bound here. */
static enum stm32_status i2c_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	struct i2c_link *link = t->impl;
	if (got)
		*got = 0;
	ssize_t n;
	do
		n = read(link->node.fd, data, length);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return transaction_failed(link, errno, "cannot read from", err);
	if (got)
		*got = (size_t)n;
	if ((size_t)n != length)
		return stm32_error_set(err, STM32_E_IO,
				       "%s returned %zd of %zu bytes from one transaction",
				       link->node.path, n, length);
	return STM32_OK;
}

static enum stm32_status i2c_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	(void)line;
	(void)asserted;
	return bus_no_modem_lines(&((struct i2c_link *)t->impl)->node, "I2C", err);
}

static enum stm32_status i2c_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	return bus_no_break(&((struct i2c_link *)t->impl)->node, "I2C", err);
}

static void i2c_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct i2c_link *link = t->impl;
	snprintf(buf, size, "i2c addr 0x%02x", link->address);
}

static void i2c_close(struct stm32_transport *t)
{
	struct i2c_link *link = t->impl;
	bus_node_close(&link->node);
	free(link);
	free(t);
}

static const struct stm32_transport_ops i2c_ops = {
	.name = "i2c",
	.write = i2c_write,
	.read = i2c_read,
	.drain = bus_nothing_to_drain,
	.set_line = i2c_set_line,
	.send_break = i2c_send_break,
	.describe = i2c_describe,
	.close = i2c_close,
};

/* The bootloader's frames need plain I2C messages; an SMBus-only adapter
 * cannot send a 258-byte write or a read without a command byte. */
static enum stm32_status check_plain_i2c(struct i2c_link *link, struct stm32_error *err)
{
	unsigned long functions = 0;
	if (ioctl(link->node.fd, I2C_FUNCS, &functions) != 0) {
		int e = errno;
		if (e == ENOTTY || e == EINVAL) {
			enum stm32_status st = stm32_error_set(err, STM32_E_INVALID,
							       "%s is not an I2C adapter (%s)",
							       link->node.path, strerror(e));
			if (err)
				err->sys_errno = e;
			return st;
		}
		return io_error(err, e, "cannot ask the capabilities of", link->node.path);
	}
	if (!(functions & I2C_FUNC_I2C))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s is an SMBus-only adapter: the bootloader needs plain I2C",
				       link->node.path);
	return STM32_OK;
}

static enum stm32_status select_device(struct i2c_link *link, struct stm32_error *err)
{
	if (ioctl(link->node.fd, I2C_SLAVE, (unsigned long)link->address) == 0)
		return STM32_OK;
	int e = errno;
	if (e == EBUSY) {
		enum stm32_status st = stm32_error_set(err, STM32_E_BUSY,
						       "a kernel driver owns I2C address 0x%02x on %s",
						       link->address, link->node.path);
		if (err)
			err->sys_errno = e;
		return st;
	}
	return io_error(err, e, "cannot select the I2C address on", link->node.path);
}

static enum stm32_status prepare(struct i2c_link *link, const char *path, struct stm32_error *err)
{
	enum stm32_status st = bus_node_open(&link->node, path, "is the i2c-dev module loaded?", err);
	if (st == STM32_OK)
		st = check_plain_i2c(link, err);
	if (st == STM32_OK)
		st = select_device(link, err);
	return st;
}

enum stm32_status stm32_i2c_open(const char *path, unsigned address7, struct stm32_transport **out,
				 struct stm32_error *err)
{
	*out = NULL;
	enum stm32_status st = check_address(address7, err);
	if (st != STM32_OK)
		return st;
	struct stm32_transport *t = calloc(1, sizeof(*t));
	struct i2c_link *link = calloc(1, sizeof(*link));
	if (!t || !link) {
		free(t);
		free(link);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening %s", path);
	}
	link->address = address7;
	st = prepare(link, path, err);
	if (st != STM32_OK) {
		bus_node_close(&link->node);
		free(link);
		free(t);
		return st;
	}
	t->ops = &i2c_ops;
	t->kind = STM32_LINK_I2C;
	t->impl = link;
	*out = t;
	return STM32_OK;
}

#else /* not Linux */

enum stm32_status stm32_i2c_open(const char *path, unsigned address7, struct stm32_transport **out,
				 struct stm32_error *err)
{
	*out = NULL;
	enum stm32_status st = check_address(address7, err);
	if (st != STM32_OK)
		return st;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s: I2C needs Linux i2c-dev on this build", path);
}

#endif
