/* Which ST-LINK a drive belongs to: the probe's USB serial, so that a copy
 * can be verified over SWD through the same probe (stlink:SERIAL).
 *
 * A real ST-LINK's marker files do not carry it: MBED.HTM's mbed ID is the
 * board ID, the firmware version and a number of its own (mbed-ls shows it
 * beside a different USB ID), and DETAILS.TXT has Version and Build. What
 * ties the drive to the probe is the USB device the drive is: the folder's
 * block device, up sysfs to its USB device (0483:....), whose serial is
 * the probe's. A DAPLink-style DETAILS.TXT "Unique ID:" line (the USB
 * serial on DAPLink; the emulator writes one, its folder having no USB
 * device behind it) is the fallback. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "stm32boot/drive.h"

#include "drive/drive_pair.h"

#define ST_VENDOR "0483"

/* A sysfs attribute's first line. */
static bool read_attribute(const char *dir, const char *name, char *out, size_t size)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok && out[0];
}

bool drive_usb_serial(const char *sys_root, const char *dir, char *out, size_t size)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return false;
	char link[PATH_MAX], device[PATH_MAX], root[PATH_MAX];
	snprintf(link, sizeof link, "%s/dev/block/%u:%u", sys_root, major(st.st_dev),
		 minor(st.st_dev));
	if (!realpath(link, device) || !realpath(sys_root, root))
		return false;
	/* Partition, disk, SCSI target and host, USB interface, USB device:
	 * the first with an idVendor is the device; nothing above sysfs. */
	size_t root_length = strlen(root);
	for (char *slash; strncmp(device, root, root_length) == 0 && strlen(device) > root_length &&
			  (slash = strrchr(device, '/'));
	     *slash = '\0') {
		char vendor[16];
		if (read_attribute(device, "idVendor", vendor, sizeof vendor))
			return strcasecmp(vendor, ST_VENDOR) == 0 &&
			       read_attribute(device, "serial", out, size);
	}
	return false;
}

static bool unique_id_line(const char *dir, char *out, size_t size)
{
	char path[PATH_MAX], text[2048];
	snprintf(path, sizeof path, "%s/DETAILS.TXT", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	static const char key[] = "Unique ID:";
	for (char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncasecmp(line, key, sizeof key - 1) != 0)
			continue;
		char *value = line + sizeof key - 1;
		value += strspn(value, " \t");
		size_t length = strcspn(value, " \t\r\n");
		if (length == 0 || length >= size)
			return false;
		memcpy(out, value, length);
		out[length] = '\0';
		return true;
	}
	return false;
}

enum stm32_status stm32_drive_stlink_serial(const struct stm32_drive_info *info, char *serial,
					    size_t size, const char **source,
					    struct stm32_error *err)
{
	serial[0] = '\0';
	if (source)
		*source = NULL;
	if (info->kind != STM32_DRIVE_STLINK)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "a UF2 drive has no ST-LINK behind it");
	if (drive_usb_serial("/sys", info->path, serial, size)) {
		if (source)
			*source = "its USB device";
		return STM32_OK;
	}
	if (unique_id_line(info->path, serial, size)) {
		if (source)
			*source = "DETAILS.TXT";
		return STM32_OK;
	}
	serial[0] = '\0';
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s does not name its ST-LINK (not on an ST USB disk, no Unique ID: "
			       "in DETAILS.TXT)", info->path);
}
