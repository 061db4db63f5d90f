/* What the i2c-dev and spidev backends share: a locked device node, and the
 * operations a bus has no use for. Linux only. */
#ifndef STM32BOOT_TRANSPORT_BUS_H
#define STM32BOOT_TRANSPORT_BUS_H

#include "stm32boot/transport.h"

struct bus_node {
	int fd;
	char *path;
};

/* Open path read-write and take the one-flasher-per-bus lock. missing_hint
 * is added when the node does not exist ("is the i2c-dev module loaded?"). */
enum stm32_status bus_node_open(struct bus_node *node, const char *path, const char *missing_hint,
				struct stm32_error *err);
void bus_node_close(struct bus_node *node);

/* A bus has no modem lines, no BREAK, and nothing arrives unasked. */
enum stm32_status bus_no_modem_lines(const struct bus_node *node, const char *bus,
				     struct stm32_error *err);
enum stm32_status bus_no_break(const struct bus_node *node, const char *bus,
			       struct stm32_error *err);
enum stm32_status bus_nothing_to_drain(struct stm32_transport *t, struct stm32_error *err);

#endif
