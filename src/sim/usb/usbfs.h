/* The emulated device as Linux usbfs shows it to libusb, through umockdev:
 * a testbed with a root hub and the DFU devices under it, and an ioctl
 * handler per device node that answers the URBs (control
 * transfers to the DfuSe model) (usb-bench.md has the recipe). */
#ifndef STM32SIM_USB_USBFS_H
#define STM32SIM_USB_USBFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb/descriptors.h"
#include "usb/dfuse.h"

struct sim_usbfs;

/* The root hub; device k (1..count) sits at its port k: sysfs
 * HUB/1-k, /dev/bus/usb/001/00(k+1), dfu:1-k to the host. */
#define SIM_USBFS_HUB_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1"
#define SIM_USBFS_MAX_DEVICES 8

/* Creates the testbed (UMOCKDEV_DIR is set in this process's environment,
 * so children inherit it) and plugs count devices in, one per model. NULL
 * with why filled. */
struct sim_usbfs *sim_usbfs_open(struct sim_dfuse *const *dfus, unsigned count, bool realtime,
				 char *why, size_t why_size);
/* The testbed's root directory (the value of UMOCKDEV_DIR). */
const char *sim_usbfs_root(const struct sim_usbfs *usb);
/* Runs the deferred work of the main thread: a device that left the bus is
 * unplugged from the testbed. Call it regularly. Returns true once the
 * devices have all gone for good (left for the application, hung up). */
bool sim_usbfs_service(struct sim_usbfs *usb);
/* Device index's model, locked against the worker thread while f runs. */
void sim_usbfs_with_model(struct sim_usbfs *usb, unsigned index,
			  void (*f)(struct sim_dfuse *, void *), void *user);
/* Removes the testbed and its directory. */
void sim_usbfs_close(struct sim_usbfs *usb);

#endif
