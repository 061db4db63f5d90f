/* The drive's ST-LINK from sysfs (drive_pair.c), with the sysfs root as a
 * parameter so that a test can hand it a tree of its own. */
#ifndef STM32BOOT_DRIVE_PAIR_H
#define STM32BOOT_DRIVE_PAIR_H

#include <stdbool.h>
#include <stddef.h>

/* The serial of the ST USB device (idVendor 0483) whose disk holds dir:
 * sys_root/dev/block/MAJ:MIN of dir's st_dev, then up its device path to
 * the first directory with an idVendor. */
bool drive_usb_serial(const char *sys_root, const char *dir, char *serial, size_t size);

#endif
