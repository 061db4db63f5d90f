/* A libstm32boot built without libusb-1.0: dfu: ports are named and refused. */
#include <string.h>

#include "stm32boot/dfu.h"

void stm32_dfu_options_default(struct stm32_dfu_options *opts)
{
	memset(opts, 0, sizeof *opts);
}

bool stm32_port_is_dfu(const char *port)
{
	return strncmp(port, "dfu:", 4) == 0 || (strncmp(port, "sim:", 4) == 0 &&
						  strstr(port, ",interface=dfu") != NULL);
}

enum stm32_status stm32_dfu_open(const char *port, const struct stm32_dfu_options *opts,
				 struct stm32_target **out, struct stm32_error *err)
{
	(void)opts;
	*out = NULL;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s: this libstm32boot was built without libusb-1.0 (no USB DFU)", port);
}

enum stm32_status stm32_dfu_open_port(const char *port, const struct stm32_dfu_options *opts,
				      struct stm32_transport **transport,
				      struct stm32_target **out, struct stm32_error *err)
{
	*transport = NULL;
	return stm32_dfu_open(port, opts, out, err);
}

bool stm32_dfu_info(const struct stm32_target *t, struct stm32_dfu_info *info)
{
	(void)t;
	(void)info;
	return false;
}

size_t stm32_dfu_find(struct stm32_dfu_device *out, size_t max)
{
	(void)out;
	(void)max;
	return 0;
}
