/* Private seams between the port dispatcher and the transport backends. */
#ifndef STM32BOOT_TRANSPORT_INTERNAL_H
#define STM32BOOT_TRANSPORT_INTERNAL_H

#include "stm32boot/transport.h"

/* Port names starting with this prefix run the emulator. */
#define STM32_SIM_PORT_PREFIX "sim:"
/* Network ports (transport_rfc2217.c, transport_net.c). */
#define STM32_RFC2217_PORT_PREFIX "rfc2217://"
#define STM32_SOCKET_PORT_PREFIX "socket://"

/* Start the emulator for "sim:DEVICE[,KEY[=VALUE]...]" (spec is the text
 * after the prefix) and open its pty with the UART backend, or with
 * interface=i2c|spi its bus socket with stm32_simbus_open. */
enum stm32_status stm32_sim_port_open(const char *spec, const struct stm32_port_options *opts,
				      struct stm32_transport **out, struct stm32_error *err);

/* "uart", "i2c" or "spi" (a sim: port's interface=) as a link kind; false
 * for any other name. */
bool stm32_sim_interface_named(const char *name, enum stm32_link_kind *kind);
/* The link a sim: spec (the text after the prefix) asks for: its last
 * interface= option, UART when there is none (or it names no interface). */
enum stm32_link_kind stm32_sim_port_link(const char *spec);

/* The emulator's bus socket at path as an I2C link (the device at
 * address7) or an SPI one (clocked at clock_hz, 0 = the spidev default). */
enum stm32_status stm32_simbus_open(const char *path, enum stm32_link_kind kind, unsigned address7,
				    unsigned clock_hz, struct stm32_transport **out,
				    struct stm32_error *err);

#endif
