#include "port_kind.h"

#include <string.h>

bool cli_port_is_sim(const char *port)
{
	return strncmp(port, "sim:", 4) == 0;
}

/* The value of the sim: port's last interface= option ("uart" when none). */
static enum stm32_link_kind sim_interface(const char *port)
{
	enum stm32_link_kind kind = STM32_LINK_UART;
	static const char key[] = ",interface=";
	for (const char *at = strstr(port, key); at; at = strstr(at + 1, key)) {
		const char *value = at + sizeof(key) - 1;
		size_t length = strcspn(value, ",");
		if (length == 3 && strncmp(value, "i2c", 3) == 0)
			kind = STM32_LINK_I2C;
		else if (length == 3 && strncmp(value, "spi", 3) == 0)
			kind = STM32_LINK_SPI;
		else
			kind = STM32_LINK_UART;
	}
	return kind;
}

enum stm32_link_kind cli_port_link(const char *port)
{
	if (strncmp(port, "/dev/i2c-", 9) == 0)
		return STM32_LINK_I2C;
	if (strncmp(port, "/dev/spidev", 11) == 0)
		return STM32_LINK_SPI;
	if (cli_port_is_sim(port))
		return sim_interface(port);
	return STM32_LINK_UART;
}
