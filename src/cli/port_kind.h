/* Which link a port name means, before it is opened: the options that only
 * make sense on one kind of link (-a, --spi-speed) and the hints after a
 * failure depend on it. */
#ifndef STM32BOOT_CLI_PORT_KIND_H
#define STM32BOOT_CLI_PORT_KIND_H

#include <stdbool.h>

#include "stm32boot/transport.h"

/* /dev/i2c-N and /dev/spidevB.C by name; "sim:" ports by their
 * interface=i2c|spi option; anything else is a serial port. */
enum stm32_link_kind cli_port_link(const char *port);
bool cli_port_is_sim(const char *port);

#endif
