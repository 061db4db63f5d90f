/* stm32boot command line: finding boards. Each way a board can be reached
 * has one finder in the table below; serial ports come from sysfs, DFU
 * devices (dfu:) and ST-LINK probes (stlink:) from libusb.
 *
 * STM32BOOT_SYSFS_ROOT and STM32BOOT_DEV_ROOT (default /sys and /dev) let
 * the tests point the search at a tree of their own (then no DFU devices
 * or ST-LINK probes are looked for on the real bus); STM32BOOT_DRIVE_ROOTS
 * (':'-separated, default /media:/run/media:/mnt) does for drives. */
#include "list.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "report.h"
#include "stm32boot/dfu.h"
#include "stm32boot/drive.h"
#include "stm32boot/stlink.h"

#define MAX_FOUND 64

/* Copy text into buf (cut to fit). */
static void copy_text(char *buf, size_t size, const char *text)
{
	size_t length = strnlen(text, size - 1);
	memcpy(buf, text, length);
	buf[length] = '\0';
}

static const char *root_of(const char *variable, const char *fallback)
{
	const char *value = getenv(variable);
	return value && *value ? value : fallback;
}

/* The first line of a sysfs attribute, "" when absent. */
static void read_attribute(const char *dir, const char *name, char *buf, size_t size)
{
	buf[0] = '\0';
	char path[PATH_MAX];
	/* A path too long for PATH_MAX names no attribute that could be read. */
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(f);
}

static void link_basename(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	buf[0] = '\0';
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	copy_text(buf, size, slash ? slash + 1 : target);
}

/* Walk up from the tty's device to the USB device that has idVendor. */
static void find_usb(const char *device, struct cli_found_port *p)
{
	char dir[PATH_MAX];
	if (!realpath(device, dir))
		return;
	for (int level = 0; level < 8; level++) {
		char vid[16];
		read_attribute(dir, "idVendor", vid, sizeof vid);
		if (vid[0]) {
			p->usb = true;
			copy_text(p->vid, sizeof p->vid, vid);
			read_attribute(dir, "idProduct", p->pid, sizeof p->pid);
			read_attribute(dir, "manufacturer", p->manufacturer, sizeof p->manufacturer);
			read_attribute(dir, "product", p->product, sizeof p->product);
			read_attribute(dir, "serial", p->serial, sizeof p->serial);
			return;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return;
		*slash = '\0';
	}
}

/* /sys/class/tty entries with a device behind them, except the legacy
 * 8250 placeholders every PC has (ttyS0..31 with nothing attached). */
static size_t find_serial_ports(struct cli_found_port *out, size_t max)
{
	const char *sys = root_of("STM32BOOT_SYSFS_ROOT", "/sys");
	const char *dev = root_of("STM32BOOT_DEV_ROOT", "/dev");
	char class_dir[PATH_MAX];
	snprintf(class_dir, sizeof class_dir, "%s/class/tty", sys);
	DIR *d = opendir(class_dir);
	if (!d)
		return 0;
	size_t count = 0;
	struct dirent *entry;
	while ((entry = readdir(d)) && count < max) {
		if (entry->d_name[0] == '.')
			continue;
		char device[PATH_MAX], driver_link[PATH_MAX];
		if ((size_t)snprintf(device, sizeof device, "%s/%s/device", class_dir, entry->d_name) >=
			    sizeof device || access(device, F_OK) != 0)
			continue;
		struct cli_found_port *p = &out[count];
		memset(p, 0, sizeof *p);
		if ((size_t)snprintf(driver_link, sizeof driver_link, "%s/driver", device) >= sizeof driver_link)
			continue;
		link_basename(driver_link, p->driver, sizeof p->driver);
		if (strcmp(p->driver, "serial8250") == 0)
			continue;
		p->kind = "serial";
		if ((size_t)snprintf(p->port, sizeof p->port, "%s/%s", dev, entry->d_name) >= sizeof p->port)
			continue;
		find_usb(device, p);
		count++;
	}
	closedir(d);
	return count;
}

/* Flashing drives (ST-LINK, UF2) mounted now: drive:PATH each. */
static size_t find_drives(struct cli_found_port *out, size_t max)
{
	struct stm32_drive_info drives[16];
	size_t count = stm32_drive_find(getenv("STM32BOOT_DRIVE_ROOTS"), drives, 16);
	size_t n = 0;
	for (size_t i = 0; i < count && i < 16 && n < max; i++) {
		struct cli_found_port *p = &out[n];
		memset(p, 0, sizeof *p);
		if ((size_t)snprintf(p->port, sizeof p->port, "drive:%s", drives[i].path) >= sizeof p->port)
			continue;
		p->kind = drives[i].kind == STM32_DRIVE_UF2 ? "UF2 drive" : "ST-LINK drive";
		snprintf(p->product, sizeof p->product, "%s", drives[i].model);
		snprintf(p->serial, sizeof p->serial, "%s", drives[i].board_id);
		n++;
	}
	return n;
}

/* STM32 ROM DFU devices (0483:df11): dfu:SERIAL each (dfu:BUS-PORT without
 * a serial), which stays the same when the device enumerates again. */
static size_t find_dfu_devices(struct cli_found_port *out, size_t max)
{
	/* A test's own sysfs tree holds no USB bus: do not look at the real one. */
	const char *sysfs = getenv("STM32BOOT_SYSFS_ROOT");
	if (sysfs && *sysfs)
		return 0;
	struct stm32_dfu_device devices[16];
	size_t count = stm32_dfu_find(devices, 16);
	size_t n = 0;
	for (size_t i = 0; i < count && i < 16 && n < max; i++) {
		struct cli_found_port *p = &out[n];
		memset(p, 0, sizeof *p);
		const char *name = devices[i].serial[0] ? devices[i].serial : devices[i].address;
		snprintf(p->port, sizeof p->port, "dfu:%s", name);
		p->kind = "dfu"; /* docs/json.md */
		p->usb = true;
		snprintf(p->vid, sizeof p->vid, "%04x", STM32_DFU_VENDOR_ID);
		snprintf(p->pid, sizeof p->pid, "%04x", STM32_DFU_PRODUCT_ID);
		copy_text(p->product, sizeof p->product, devices[i].product);
		copy_text(p->serial, sizeof p->serial, devices[i].serial);
		n++;
	}
	return n;
}

/* ST-LINK probes libusb sees: stlink:SERIAL each. */
static size_t find_stlink_probes(struct cli_found_port *out, size_t max)
{
	/* A test's own sysfs tree holds no USB bus: do not look at the real one. */
	const char *sysfs = getenv("STM32BOOT_SYSFS_ROOT");
	if (sysfs && *sysfs)
		return 0;
	struct stm32_stlink_probe probes[16];
	size_t count = stm32_stlink_find(probes, 16);
	size_t n = 0;
	for (size_t i = 0; i < count && i < 16 && n < max; i++) {
		struct cli_found_port *p = &out[n++];
		memset(p, 0, sizeof *p);
		copy_text(p->port, sizeof p->port, probes[i].port);
		p->kind = "stlink"; /* docs/json.md */
		p->usb = true;
		copy_text(p->vid, sizeof p->vid, "0483");
		snprintf(p->pid, sizeof p->pid, "%04x", probes[i].pid & 0xFFFFu);
		copy_text(p->serial, sizeof p->serial, probes[i].serial);
	}
	return n;
}

struct finder {
	const char *looked_in; /* for "no board found: looked for ..." */
	size_t (*find)(struct cli_found_port *out, size_t max);
};

/* The extension point: one entry per way in. */
static const struct finder finders[] = {
	{"serial ports in /sys/class/tty (USB adapters and UARTs with a device)", find_serial_ports},
	{"flashing drives under /media, /run/media, /mnt", find_drives},
	{"STM32 DFU devices (0483:df11) through libusb", find_dfu_devices},
	{"ST-LINK probes on USB", find_stlink_probes},
};

static int by_port(const void *a, const void *b)
{
	return strcmp(((const struct cli_found_port *)a)->port, ((const struct cli_found_port *)b)->port);
}

size_t cli_find_ports(struct cli_found_port *out, size_t max, const char **looked_in)
{
	size_t count = 0;
	for (size_t i = 0; i < sizeof finders / sizeof finders[0]; i++)
		count += finders[i].find(out + count, max - count);
	if (looked_in)
		*looked_in = "serial ports in /sys/class/tty (USB adapters and UARTs with a device), "
			     "flashing drives (DETAILS.TXT, MBED.HTM, INFO_UF2.TXT) under /media, "
			     "/run/media, /mnt, STM32 DFU devices (0483:df11) and ST-LINK probes on USB";
	qsort(out, count, sizeof *out, by_port);
	return count;
}

void cli_describe_found(const struct cli_found_port *p, char *buf, size_t size)
{
	if (!p->usb && !p->driver[0] && (p->product[0] || p->serial[0])) {
		snprintf(buf, size, "%s%s%s%s%s", p->kind, p->product[0] ? ", " : "", p->product,
			 p->serial[0] ? ", board " : "", p->serial);
		return;
	}
	if (!p->usb) {
		snprintf(buf, size, "%s%s%s", p->kind, p->driver[0] ? ", driver " : "", p->driver);
		return;
	}
	snprintf(buf, size, "%s, USB %s:%s%s%s%s%s%s%s", p->kind, p->vid, p->pid,
		 p->manufacturer[0] ? " " : "", p->manufacturer, p->product[0] ? " " : "", p->product,
		 p->serial[0] ? ", serial " : "", p->serial);
}

int cli_list_run(const struct cli_options *opts)
{
	static struct cli_found_port found[MAX_FOUND];
	const char *looked_in = NULL;
	size_t count = cli_find_ports(found, MAX_FOUND, &looked_in);
	if (opts->json) {
		cli_json_write_list(stdout, found, count);
		return 0;
	}
	if (count == 0)
		fprintf(stderr, "No boards found (looked for %s).\n", looked_in);
	for (size_t i = 0; i < count; i++) {
		char what[400];
		cli_describe_found(&found[i], what, sizeof what);
		printf("%-20s %s\n", found[i].port, what);
	}
	return 0;
}

bool cli_find_only_port(char *port, size_t size)
{
	static struct cli_found_port found[MAX_FOUND];
	const char *looked_in = NULL;
	size_t count = cli_find_ports(found, MAX_FOUND, &looked_in);
	if (count == 0) {
		cli_error("no port given, and no board found (looked for %s)", looked_in);
		cli_hint("name the port: stm32boot [OPTIONS] /dev/ttyUSB0 (or rfc2217://HOST:PORT, sim:DEVICE)");
		return false;
	}
	char what[400];
	if (count > 1) {
		cli_error("no port given, and %zu boards found: name the one(s) to use", count);
		for (size_t i = 0; i < count; i++) {
			cli_describe_found(&found[i], what, sizeof what);
			fprintf(stderr, "  %-20s %s\n", found[i].port, what);
		}
		return false;
	}
	snprintf(port, size, "%s", found[0].port);
	cli_describe_found(&found[0], what, sizeof what);
	cli_info("Port:         %s (the only board found: %s)", port, what);
	return true;
}
