/* stm32boot command line: a sim:DEVICE,interface=dfu or
 * sim:DEVICE,interface=stlink port. Only a process started under the
 * emulator's umockdev preload sees the emulated USB device, so the program
 * re-executes itself under
 *   stm32boot-sim --device DEVICE [--KEY VALUE...] --run -- stm32boot ARGS
 * with the port replaced by "dfu:,device=DEVICE" or "stlink:" (the
 * library's back end then finds the device through the real libusb). With
 * count=N boards, board=K or serial=SERIAL (the CLI's own items, not the
 * emulator's) picks one: "dfu:1-K,device=DEVICE" (board K sits at USB port
 * 1-K) or "dfu:SERIAL,device=DEVICE". It happens before anything is
 * printed, so nothing is said twice. Linux: /proc/self. */
#define _GNU_SOURCE
#include "dfu_sim.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "stm32boot/device.h"
#include "stm32boot/dfu.h"

#define SIM_PREFIX "sim:"
#define STLINK_ITEM "interface=stlink"
#define MAX_ARGS 256
#define CMDLINE_MAX 65536
#define SERIAL_MAX 64

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

/* The sim: port names the emulated ST-LINK (an item of its own). */
static bool names_stlink(const char *port)
{
	for (const char *at = strstr(port, STLINK_ITEM); at; at = strstr(at + 1, STLINK_ITEM)) {
		char after = at[strlen(STLINK_ITEM)];
		if (at[-1] == ',' && (after == ',' || after == '\0'))
			return true;
	}
	return false;
}

/* The DFU board a sim: port talks to: board=K or serial=SERIAL, needed
 * (and checked) when count=N emulates several. */
struct board_choice {
	unsigned count, board; /* board 0: none named */
	char serial[SERIAL_MAX];
};

static bool parse_number(const char *text, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long value = strtoul(text, &end, 10);
	if (errno || end == text || *end != '\0' || value > UINT_MAX)
		return false;
	*out = (unsigned)value;
	return true;
}

/* Whether a KEY=VALUE item is the CLI's own (not passed to the emulator);
 * count=N is noted and passed on. */
static enum stm32_status take_choice_item(const char *port, const char *key, const char *value,
					  struct board_choice *choice, bool *own,
					  struct stm32_error *err)
{
	*own = strcmp(key, "board") == 0 || strcmp(key, "serial") == 0;
	if (strcmp(key, "count") == 0 && !parse_number(value, &choice->count))
		return stm32_error_set(err, STM32_E_INVALID, "%s: count=%s is not a number", port,
				       value);
	if (strcmp(key, "board") == 0 && (!parse_number(value, &choice->board) || !choice->board))
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: board=%s is not a board number (1, 2, ...)", port, value);
	if (strcmp(key, "serial") == 0 &&
	    (!*value || (size_t)snprintf(choice->serial, sizeof choice->serial, "%s", value) >=
				sizeof choice->serial))
		return stm32_error_set(err, STM32_E_INVALID, "%s: serial=%s is empty or too long",
				       port, value);
	return STM32_OK;
}

/* The dfu: port the re-executed program opens. */
static enum stm32_status dfu_replacement(const char *port, const char *device,
					 const struct board_choice *choice, char *out,
					 size_t size, struct stm32_error *err)
{
	unsigned count = choice->count ? choice->count : 1;
	if (choice->board && *choice->serial)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: board= and serial= both name a board: give one", port);
	if (choice->board > count)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: board=%u, but count=%u emulates boards 1 to %u", port,
				       choice->board, count, count);
	if (count > 1 && !choice->board && !*choice->serial)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: count=%u emulates %u DFU boards: name the one to talk to "
				       "with board=K (1 to %u) or serial=SERIAL",
				       port, count, count, count);
	if (choice->board)
		snprintf(out, size, "dfu:1-%u,device=%s", choice->board, device);
	else
		snprintf(out, size, "dfu:%s,device=%s", choice->serial, device);
	return STM32_OK;
}

static enum stm32_status run_under_sim(const char *port, const char *sim_program,
				       struct stm32_error *err)
{
	bool is_stlink = names_stlink(port);
	char spec[1024], replacement[128], cmdline[CMDLINE_MAX], self[PATH_MAX];
	char options[MAX_ARGS][64];
	char *argv[2 * MAX_ARGS + 8];
	size_t argc = 0;
	struct board_choice choice = {0, 0, ""};
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
		bool own = false;
		enum stm32_status s = take_choice_item(port, item, equals + 1, &choice, &own, err);
		if (s != STM32_OK)
			return s;
		if (own)
			continue;
		char *option = options[argc];
		snprintf(option, sizeof options[argc], "--%s", item);
		argv[argc++] = option;
		argv[argc++] = equals + 1;
	}
	if (is_stlink && (choice.board || *choice.serial))
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: board= and serial= choose among emulated DFU boards; "
				       "interface=stlink emulates one probe",
				       port);
	if (is_stlink)
		snprintf(replacement, sizeof replacement, "stlink:");
	else {
		enum stm32_status s = dfu_replacement(port, device, &choice, replacement,
						      sizeof replacement, err);
		if (s != STM32_OK)
			return s;
	}
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

bool cli_is_emulated_usb_port(const char *port)
{
	return strncmp(port, SIM_PREFIX, strlen(SIM_PREFIX)) == 0 &&
	       (stm32_port_is_dfu(port) || names_stlink(port));
}

bool cli_run_under_emulated_usb(const char *port, const char *sim_program)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	run_under_sim(port, sim_program, &err); /* returns only when it could not */
	cli_report_failure(CLI_STAGE_OPEN, port, &err);
	return false;
}
