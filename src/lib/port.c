/* Opening a port by name: a tty path or an emulator ("sim:..."). */
#include <string.h>

#include "stm32boot/transport.h"
#include "transport_internal.h"

void stm32_port_options_default(struct stm32_port_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->uart.baud = 115200;
	opts->uart.data_bits = 8;
	opts->uart.parity = 'e';
	opts->uart.stop_bits = 1;
	opts->sim_program = NULL;
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
	size_t prefix = strlen(STM32_SIM_PORT_PREFIX);
	if (strncmp(port, STM32_SIM_PORT_PREFIX, prefix) == 0)
		return stm32_sim_port_open(port + prefix, opts, out, err);
	return stm32_uart_open(port, &opts->uart, out, err);
}

void stm32_transport_close(struct stm32_transport *t)
{
	if (t)
		t->ops->close(t);
}
