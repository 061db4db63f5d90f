/* stlink: ports (stlink.h): "stlink:" or "stlink:SERIAL", and the
 * transport that only names the probe for messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/named_transport.h"
#include "stlink/stlink_target.h"
#include "stlink/stlink_usb.h"

#define STLINK_PREFIX "stlink:"
#define SIM_PREFIX "sim:"
#define SIM_STLINK_ITEM "interface=stlink"

static bool has_prefix(const char *port, const char *prefix)
{
	return strncmp(port, prefix, strlen(prefix)) == 0;
}

/* sim:DEVICE,...,interface=stlink,...: the item on its own. */
static bool is_emulated_stlink(const char *port)
{
	if (!has_prefix(port, SIM_PREFIX))
		return false;
	for (const char *at = strstr(port, SIM_STLINK_ITEM); at; at = strstr(at + 1, SIM_STLINK_ITEM)) {
		char after = at[strlen(SIM_STLINK_ITEM)];
		if (at[-1] == ',' && (after == ',' || after == '\0'))
			return true;
	}
	return false;
}

bool stm32_port_is_stlink(const char *port)
{
	return port && (has_prefix(port, STLINK_PREFIX) || is_emulated_stlink(port));
}

enum stm32_status stm32_stlink_open(const char *port, const struct stm32_stlink_options *opts,
				    struct stm32_target **out, struct stm32_error *err)
{
	*out = NULL;
	/* Only a process started under the emulator's umockdev preload sees its
	 * probe, and a library must not replace its caller's process: the
	 * program re-executes itself (the stm32boot command does, see
	 * src/cli/dfu_sim.c). */
	if (is_emulated_stlink(port))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s: the emulated ST-LINK is seen only by a program run under "
				       "stm32boot-sim --interface stlink --run", port);
	if (!has_prefix(port, STLINK_PREFIX))
		return stm32_error_set(err, STM32_E_INVALID, "%s is not an stlink: port", port);
	const char *serial = port + strlen(STLINK_PREFIX);
	if (strlen(serial) >= STLINK_USB_SERIAL_MAX || strchr(serial, ','))
		return stm32_error_set(err, STM32_E_INVALID, "%s: not a probe serial number", port);
	return stlink_target_open(serial, opts, out, err);
}

#define FIND_MAX 16

size_t stm32_stlink_find(struct stm32_stlink_probe *out, size_t max)
{
	struct stlink_usb_info infos[FIND_MAX];
	size_t found = stlink_usb_list(infos, FIND_MAX);
	for (size_t i = 0; i < found && i < FIND_MAX && i < max; i++) {
		struct stm32_stlink_probe *p = &out[i];
		memset(p, 0, sizeof *p);
		snprintf(p->port, sizeof p->port, "%s%s", STLINK_PREFIX, infos[i].serial);
		snprintf(p->serial, sizeof p->serial, "%s", infos[i].serial);
		snprintf(p->address, sizeof p->address, "%s", infos[i].address);
		p->pid = infos[i].pid;
	}
	return found;
}

enum stm32_status stm32_stlink_open_port(const char *port, const struct stm32_stlink_options *opts,
					 struct stm32_transport **transport,
					 struct stm32_target **out, struct stm32_error *err)
{
	*transport = NULL;
	*out = NULL;
	enum stm32_status s = stm32_stlink_open(port, opts, out, err);
	if (s != STM32_OK)
		return s;
	char probe[190] = "", description[200];
	stlink_target_describe(*out, probe, sizeof probe);
	snprintf(description, sizeof description, "swd %s", probe);
	*transport = core_named_transport("swd", "an ST-LINK port", description);
	if (!*transport) {
		stm32_target_close(*out);
		*out = NULL;
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	}
	return STM32_OK;
}
