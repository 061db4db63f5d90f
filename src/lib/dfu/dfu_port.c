/* dfu: port names and the transport that names the USB link for messages.
 * (sim:...,interface=dfu is the program's to run under stm32boot-sim --run:
 * only a process started under umockdev's preload sees the device.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/named_transport.h"
#include "dfu/dfu_target.h"

#define DFU_PREFIX "dfu:"
#define SIM_PREFIX "sim:"
#define SIM_DFU_KEY "interface=dfu"

bool stm32_port_is_dfu(const char *port)
{
	if (strncmp(port, DFU_PREFIX, strlen(DFU_PREFIX)) == 0)
		return true;
	if (strncmp(port, SIM_PREFIX, strlen(SIM_PREFIX)) != 0)
		return false;
	const char *at = port;
	while ((at = strstr(at, SIM_DFU_KEY)) != NULL) {
		char after = at[strlen(SIM_DFU_KEY)];
		if (at[-1] == ',' && (after == ',' || after == '\0'))
			return true;
		at++;
	}
	return false;
}

size_t stm32_dfu_find(struct stm32_dfu_device *out, size_t max)
{
	struct dfu_usb_found found[16];
	size_t count = dfu_usb_find(found, sizeof found / sizeof found[0]);
	size_t listed = count < sizeof found / sizeof found[0] ? count : sizeof found / sizeof found[0];
	for (size_t i = 0; i < listed && i < max; i++) {
		memset(&out[i], 0, sizeof out[i]);
		_Static_assert(sizeof out[i].address == sizeof found[i].address, "address sizes");
		memcpy(out[i].address, found[i].address, sizeof out[i].address);
		out[i].address[sizeof out[i].address - 1] = '\0';
		snprintf(out[i].serial, sizeof out[i].serial, "%.*s", (int)sizeof out[i].serial - 1,
			 found[i].serial);
		memcpy(out[i].product, found[i].product, sizeof out[i].product);
		out[i].product[sizeof out[i].product - 1] = '\0';
	}
	return count;
}

/* "dfu:SELECTOR[,device=NAME]" */
static enum stm32_status parse_port(const char *port, char *selector, size_t size,
				    const struct stm32_device **named, struct stm32_error *err)
{
	*named = NULL;
	const char *spec = port + strlen(DFU_PREFIX);
	const char *comma = strchr(spec, ',');
	size_t length = comma ? (size_t)(comma - spec) : strlen(spec);
	if (length >= size)
		return stm32_error_set(err, STM32_E_INVALID, "%s: name too long", port);
	memcpy(selector, spec, length);
	selector[length] = '\0';
	if (!comma)
		return STM32_OK;
	if (strncmp(comma + 1, "device=", 7) != 0)
		return stm32_error_set(err, STM32_E_INVALID, "%s: unknown option '%s' (device=NAME)",
				       port, comma + 1);
	*named = stm32_device_find(comma + 8);
	if (!*named)
		return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE, "%s: unknown device '%s'", port,
				       comma + 8);
	return STM32_OK;
}

enum stm32_status stm32_dfu_open(const char *port, const struct stm32_dfu_options *opts,
				 struct stm32_target **out, struct stm32_error *err)
{
	char selector[DFU_USB_NAME_MAX];
	const struct stm32_device *named;
	*out = NULL;
	if (strncmp(port, DFU_PREFIX, strlen(DFU_PREFIX)) != 0)
		return stm32_error_set(err, STM32_E_INVALID, "%s is not a dfu: port", port);
	enum stm32_status s = parse_port(port, selector, sizeof selector, &named, err);
	return s == STM32_OK ? dfu_target_open(selector, named, opts, out, err) : s;
}

enum stm32_status stm32_dfu_open_port(const char *port, const struct stm32_dfu_options *opts,
				      struct stm32_transport **transport,
				      struct stm32_target **out, struct stm32_error *err)
{
	*transport = NULL;
	*out = NULL;
	/* Only a process started under the emulator's umockdev preload sees its
	 * device, and a library must not replace its caller's process: the
	 * program re-executes itself (the stm32boot command does, see
	 * src/cli/dfu_sim.c). */
	if (strncmp(port, SIM_PREFIX, strlen(SIM_PREFIX)) == 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s: the emulated USB device is seen only by a program run "
				       "under stm32boot-sim --interface dfu --run", port);
	enum stm32_status s = stm32_dfu_open(port, opts, out, err);
	if (s != STM32_OK)
		return s;
	char address[156] = "", description[160];
	dfu_target_describe(*out, address, sizeof address);
	snprintf(description, sizeof description, "usb %s", address);
	*transport = core_named_transport("usb", "a USB DFU port", description);
	if (!*transport) {
		stm32_target_close(*out);
		*out = NULL;
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	}
	return STM32_OK;
}
