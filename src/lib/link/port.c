/* Opening a port by name: an I2C or SPI device node, a tty path, a
 * network port ("rfc2217://", "socket://") or an emulator ("sim:..."). */
#include <string.h>

#include "stm32boot/transport.h"
#include "link/transport_internal.h"

void stm32_port_options_default(struct stm32_port_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->uart.baud = 115200;
	opts->uart.data_bits = 8;
	opts->uart.parity = 'e';
	opts->uart.stop_bits = 1;
	opts->sim_program = NULL;
}

/* The device nodes Linux gives I2C adapters and SPI chip selects. */
#define I2C_PORT_PREFIX "/dev/i2c-"
#define SPI_PORT_PREFIX "/dev/spidev"

/* Probing addresses would write to whatever else sits on the bus, so the
 * address is the user's to give (as stm32flash's -a). */
static enum stm32_status open_i2c(const char *port, const struct stm32_port_options *opts,
				  struct stm32_transport **out, struct stm32_error *err)
{
	if (opts->i2c_address == 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s is an I2C bus: give the bootloader's 7-bit address "
				       "(-a, e.g. -a 0x39; see AN2606)", port);
	return stm32_i2c_open(port, opts->i2c_address, out, err);
}

bool stm32_port_is_sim(const char *port)
{
	return strncmp(port, STM32_SIM_PORT_PREFIX, strlen(STM32_SIM_PORT_PREFIX)) == 0;
}

static bool has_prefix(const char *port, const char *prefix)
{
	return strncmp(port, prefix, strlen(prefix)) == 0;
}

bool stm32_port_is_network(const char *port)
{
	return has_prefix(port, STM32_RFC2217_PORT_PREFIX) || has_prefix(port, STM32_SOCKET_PORT_PREFIX);
}

bool stm32_port_has_modem_lines(const char *port)
{
	return !has_prefix(port, STM32_SOCKET_PORT_PREFIX) && stm32_port_link(port) == STM32_LINK_UART;
}

enum stm32_link_kind stm32_port_link(const char *port)
{
	if (stm32_port_is_network(port))
		return STM32_LINK_UART;
	if (stm32_port_is_sim(port))
		return stm32_sim_port_link(port + strlen(STM32_SIM_PORT_PREFIX));
	if (strncmp(port, I2C_PORT_PREFIX, strlen(I2C_PORT_PREFIX)) == 0)
		return STM32_LINK_I2C;
	if (strncmp(port, SPI_PORT_PREFIX, strlen(SPI_PORT_PREFIX)) == 0)
		return STM32_LINK_SPI;
	return STM32_LINK_UART;
}

enum stm32_status stm32_port_open(const char *port, const struct stm32_port_options *opts,
				  struct stm32_transport **out, struct stm32_error *err)
{
	*out = NULL;
	if (!port || !*port)
		return stm32_error_set(err, STM32_E_INVALID, "no port given");
	struct stm32_port_options defaults;
	if (!opts) {
		stm32_port_options_default(&defaults);
		opts = &defaults;
	}
	if (has_prefix(port, STM32_RFC2217_PORT_PREFIX))
		return stm32_rfc2217_open(port + strlen(STM32_RFC2217_PORT_PREFIX), &opts->uart, out, err);
	if (has_prefix(port, STM32_SOCKET_PORT_PREFIX))
		return stm32_socket_open(port + strlen(STM32_SOCKET_PORT_PREFIX), opts->uart.baud, out, err);
	if (stm32_port_is_sim(port))
		return stm32_sim_port_open(port + strlen(STM32_SIM_PORT_PREFIX), opts, out, err);
	switch (stm32_port_link(port)) {
	case STM32_LINK_I2C: return open_i2c(port, opts, out, err);
	case STM32_LINK_SPI: return stm32_spi_open(port, opts->spi_speed_hz, out, err);
	case STM32_LINK_UART: break;
	}
	return stm32_uart_open(port, &opts->uart, out, err);
}
