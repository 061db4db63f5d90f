/* The emulated device as Linux usbfs shows it to libusb, through umockdev:
 * a testbed with a root hub and the DFU device under it, and an ioctl
 * handler for /dev/bus/usb/001/002 that answers the URBs (control
 * transfers to the DfuSe model) (usb-bench.md has the recipe). */
#ifndef STM32SIM_USB_USBFS_H
#define STM32SIM_USB_USBFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb/descriptors.h"
#include "usb/dfuse.h"

struct sim_usbfs;

/* The device's sysfs path and bus address (dfu:1-1 names it). */
#define SIM_USBFS_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
#define SIM_USBFS_DEVNODE "/dev/bus/usb/001/002"

/* Creates the testbed (UMOCKDEV_DIR is set in this process's environment,
 * so children inherit it) and plugs the device in. NULL with why filled. */
struct sim_usbfs *sim_usbfs_open(struct sim_dfuse *dfu, bool realtime, char *why,
				 size_t why_size);
/* The testbed's root directory (the value of UMOCKDEV_DIR). */
const char *sim_usbfs_root(const struct sim_usbfs *usb);
/* Runs the deferred work of the main thread: a device that left the bus is
 * unplugged from the testbed. Call it regularly. Returns true once the
 * device has gone for good (it left for the application, or hung up). */
bool sim_usbfs_service(struct sim_usbfs *usb);
/* The model, locked against the worker thread while f runs. */
void sim_usbfs_with_model(struct sim_usbfs *usb, void (*f)(struct sim_dfuse *, void *),
			  void *user);
/* Unplug for good (a hang-up fault). */
void sim_usbfs_hang_up(struct sim_usbfs *usb);
/* Removes the testbed and its directory. */
void sim_usbfs_close(struct sim_usbfs *usb);

#endif
