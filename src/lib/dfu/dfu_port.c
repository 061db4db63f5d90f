/* dfu: port names, the emulator's sim:...,interface=dfu (re-executing this
 * program under stm32boot-sim --run, since only a process started under
 * umockdev's preload sees the emulated device), and the transport that
 * names the USB link for messages. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfu/dfu_target.h"

#define DFU_PREFIX "dfu:"
#define SIM_PREFIX "sim:"
#define SIM_DFU_KEY "interface=dfu"
#define MAX_ARGS 256
#define CMDLINE_MAX 65536

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

/* The transport of a DFU target: a name for messages, no bytes, no lines. */
struct usb_link {
	struct stm32_transport transport;
	char description[160];
};

static enum stm32_status no_bytes(struct stm32_transport *t, const uint8_t *data, size_t length,
				  struct stm32_error *err)
{
	(void)t, (void)data, (void)length;
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "a USB DFU link carries no byte stream");
}

static enum stm32_status no_read(struct stm32_transport *t, uint8_t *data, size_t length,
				 unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	*got = 0;
	return no_bytes(t, data, length, err);
}

static enum stm32_status no_lines(struct stm32_transport *t, enum stm32_line line, bool asserted,
				  struct stm32_error *err)
{
	(void)t, (void)line, (void)asserted;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "a USB DFU port has no modem lines for GPIO sequences (-i)");
}

static enum stm32_status no_break(struct stm32_transport *t, struct stm32_error *err)
{
	return no_lines(t, STM32_LINE_RTS, false, err);
}

static void describe_link(struct stm32_transport *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s", ((struct usb_link *)t->impl)->description);
}

static void close_link(struct stm32_transport *t)
{
	free(t->impl);
}

static const struct stm32_transport_ops usb_link_ops = {
	.name = "usb", .write = no_bytes, .read = no_read, .set_line = no_lines,
	.send_break = no_break, .describe = describe_link, .close = close_link,
};

/* /proc/self/cmdline with the port argument replaced. */
static enum stm32_status own_arguments(const char *port, const char *replacement, char *buffer,
				       char **args, size_t *count, struct stm32_error *err)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	if (!f)
		return stm32_error_sys(err, STM32_E_IO, errno, "/proc/self/cmdline");
	size_t n = fread(buffer, 1, CMDLINE_MAX - 1, f);
	fclose(f);
	buffer[n] = '\0';
	bool replaced = false;
	*count = 0;
	for (size_t at = 0; at < n && *count < MAX_ARGS; at += strlen(buffer + at) + 1) {
		bool is_port = *count > 0 && strcmp(buffer + at, port) == 0;
		args[(*count)++] = is_port ? (char *)replacement : buffer + at;
		replaced = replaced || is_port;
	}
	if (!replaced)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: the port is not an argument of its own on the command line",
				       port);
	return STM32_OK;
}

/* An ASan build must keep its runtime first in LD_PRELOAD (usb-bench.md,
 * pitfall 4): find the one this process runs with. */
static void keep_sanitizer_first(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	while (maps && fgets(line, sizeof line, maps)) {
		char *path = strchr(line, '/');
		if (!path || !strstr(path, "/libasan.so"))
			continue;
		path[strcspn(path, "\n")] = '\0';
		const char *before = getenv("LD_PRELOAD");
		if (!before || !strstr(before, "libasan"))
			setenv("LD_PRELOAD", path, 1);
		break;
	}
	if (maps)
		fclose(maps);
}

static enum stm32_status run_under_sim(const char *port, const char *sim_program,
				       struct stm32_error *err)
{
	static char spec[1024], replacement[128], cmdline[CMDLINE_MAX], self[PATH_MAX];
	char *argv[2 * MAX_ARGS + 8];
	size_t argc = 0;
	if ((size_t)snprintf(spec, sizeof spec, "%s", port + strlen(SIM_PREFIX)) >= sizeof spec)
		return stm32_error_set(err, STM32_E_INVALID, "%s: too long", port);
	argv[argc++] = (char *)(sim_program ? sim_program : "stm32boot-sim");
	char *save = NULL;
	char *device = strtok_r(spec, ",", &save);
	if (!device || !stm32_device_find(device))
		return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE, "%s: unknown device", port);
	argv[argc++] = "--device";
	argv[argc++] = device;
	for (char *item = strtok_r(NULL, ",", &save); item && argc < MAX_ARGS;
	     item = strtok_r(NULL, ",", &save)) {
		char *equals = strchr(item, '=');
		if (!equals)
			return stm32_error_set(err, STM32_E_INVALID, "%s: '%s' is not KEY=VALUE", port,
					       item);
		*equals = '\0';
		static char options[MAX_ARGS][64];
		char *option = options[argc];
		snprintf(option, sizeof options[argc], "--%s", item);
		argv[argc++] = option;
		argv[argc++] = equals + 1;
	}
	snprintf(replacement, sizeof replacement, "dfu:,device=%s", device);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return stm32_error_sys(err, STM32_E_IO, errno, "/proc/self/exe");
	self[n] = '\0';
	argv[argc++] = "--run";
	argv[argc++] = "--";
	char *own[MAX_ARGS];
	size_t own_count = 0;
	enum stm32_status s = own_arguments(port, replacement, cmdline, own, &own_count, err);
	if (s != STM32_OK)
		return s;
	argv[argc++] = self;
	for (size_t i = 1; i < own_count; i++)
		argv[argc++] = own[i];
	argv[argc] = NULL;
	keep_sanitizer_first();
	fflush(NULL); /* what was said so far must not be lost with this image */
	execvp(argv[0], argv);
	return stm32_error_sys(err, STM32_E_IO, errno, "running %s for %s", argv[0], port);
}

enum stm32_status stm32_dfu_open_port(const char *port, const struct stm32_dfu_options *opts,
				      struct stm32_transport **transport,
				      struct stm32_target **out, struct stm32_error *err)
{
	*transport = NULL;
	*out = NULL;
	if (strncmp(port, SIM_PREFIX, strlen(SIM_PREFIX)) == 0)
		return run_under_sim(port, opts ? opts->sim_program : NULL, err);
	struct usb_link *link = calloc(1, sizeof *link);
	if (!link)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	enum stm32_status s = stm32_dfu_open(port, opts, out, err);
	if (s != STM32_OK) {
		free(link);
		return s;
	}
	link->transport = (struct stm32_transport){.ops = &usb_link_ops, .impl = link};
	char address[sizeof link->description - 4] = "";
	dfu_target_describe(*out, address, sizeof address);
	snprintf(link->description, sizeof link->description, "usb %s", address);
	*transport = &link->transport;
	return STM32_OK;
}
