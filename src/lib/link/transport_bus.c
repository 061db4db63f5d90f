/* Shared by the i2c-dev and spidev backends. */
#include "link/transport_bus.h"

#ifdef __linux__

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

enum stm32_status bus_node_open(struct bus_node *node, const char *path, const char *missing_hint,
				struct stm32_error *err)
{
	node->fd = -1;
	node->path = strdup(path);
	if (!node->path)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening %s", path);
	node->fd = open(path, O_RDWR | O_CLOEXEC);
	if (node->fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return stm32_error_sys(err, STM32_E_IO, e, "cannot open %s (%s)", path,
					       missing_hint);
		return stm32_error_sys(err, STM32_E_IO, e, "cannot open %s", path);
	}
	/* Two programs interleaving transactions would corrupt each other's frames. */
	if (flock(node->fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		return stm32_error_set(err, STM32_E_BUSY, "%s is in use by another process", path);
	return STM32_OK;
}

void bus_node_close(struct bus_node *node)
{
	if (node->fd >= 0) {
		flock(node->fd, LOCK_UN);
		close(node->fd);
	}
	free(node->path);
	node->fd = -1;
	node->path = NULL;
}

enum stm32_status bus_no_modem_lines(const struct bus_node *node, const char *bus,
				     struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s is an %s bus: it has no RTS/DTR lines (use GPIO entry)", node->path,
			       bus);
}

enum stm32_status bus_no_break(const struct bus_node *node, const char *bus, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "%s is an %s bus: it cannot send a BREAK",
			       node->path, bus);
}

enum stm32_status bus_nothing_to_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)t;
	(void)err;
	return STM32_OK;
}

#endif
