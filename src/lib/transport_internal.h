/* Private seams between the port dispatcher and the transport backends. */
#ifndef STM32BOOT_TRANSPORT_INTERNAL_H
#define STM32BOOT_TRANSPORT_INTERNAL_H

#include "stm32boot/transport.h"

/* Port names starting with this prefix run the emulator. */
#define STM32_SIM_PORT_PREFIX "sim:"

/* Start the emulator for "sim:DEVICE[,KEY[=VALUE]...]" (spec is the text
 * after the prefix) and open its pty with the UART backend. */
enum stm32_status stm32_sim_port_open(const char *spec, const struct stm32_port_options *opts,
				      struct stm32_transport **out, struct stm32_error *err);

#endif
