/* The emulated devices as Linux usbfs shows them to libusb, through
 * umockdev: a testbed with a root hub and the devices under it, and an
 * ioctl handler per device node that answers the URBs (usb-bench.md has the
 * recipe). What a device is comes from a struct sim_usb_function: the
 * ROM's DFU (the DfuSe model, sim_usbfs_open) or the ST-LINK
 * (src/sim/stlink), each a table of descriptors and handlers. */
#ifndef STM32SIM_USB_USBFS_H
#define STM32SIM_USB_USBFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb/descriptors.h"
#include "usb/dfuse.h"

struct sim_usbfs;

/* What a handler asks of the transfer it answered. */
struct sim_usb_reply {
	bool stall;
	size_t length;        /* IN bytes written to data */
	uint64_t ready_at_us; /* 0: at once; else not before (the device is busy) */
	uint64_t delay_us;    /* more on top (a stall fault) */
	bool leave;           /* after this reply the device leaves the bus */
	bool reset;           /* after this reply the device resets and re-enumerates */
};

/* One device function. The handlers run on umockdev's worker thread with
 * the device lock held; ctx is theirs. */
struct sim_usb_function {
	uint16_t vid, pid;
	const char *manufacturer, *product; /* sysfs attributes */
	unsigned speed_mbps;                /* 12 (full speed) or 480 (high speed) */
	void *ctx;
	/* GET_DESCRIPTOR (wValue = type << 8 | index): bytes written, -1 = STALL. */
	int (*descriptor)(void *ctx, uint16_t value, uint8_t *out, size_t max);
	/* Device and configuration descriptors in hex, for sysfs. */
	void (*descriptors_hex)(void *ctx, char *out, size_t size);
	const char *(*serial)(void *ctx);
	/* SET_INTERFACE; NULL: alternate setting 0 only. */
	bool (*set_alt)(void *ctx, unsigned alt);
	/* A class request (setup: the 8 setup bytes; data: its OUT stage, or
	 * room for its IN stage); NULL: every class request stalls. */
	struct sim_usb_reply (*control)(void *ctx, const uint8_t *setup, uint8_t *data,
					uint64_t now_us);
	/* After a reply asked for a reset. */
	void (*reset)(void *ctx);
	/* Whether the device is on the bus at plug-in and after a reset (a ROM
	 * bootloader turned off by RDP level 2 never enumerates); NULL: yes. */
	bool (*present)(void *ctx);
	/* Bulk OUT data; NULL: no bulk endpoints. */
	struct sim_usb_reply (*bulk_out)(void *ctx, uint8_t endpoint, const uint8_t *data,
					 size_t length, uint64_t now_us);
	/* Bulk IN: bytes written (at most max), or -1 while there is nothing to
	 * send (the URB waits for a later bulk OUT to give it data). */
	int (*bulk_in)(void *ctx, uint8_t endpoint, uint8_t *data, size_t max);
	uint64_t *standard_requests; /* counted here when not NULL */
	/* The most control URBs submitted and not yet completed at once (a
	 * host that queues them; realtime only), when not NULL. */
	uint64_t *most_queued;
	void (*release)(void *ctx);  /* by sim_usbfs_close; may be NULL */
};

/* The root hub; device k (1..count) sits at its port k: sysfs
 * HUB/1-k, /dev/bus/usb/001/00(k+1), dfu:1-k or the serial to the host. */
#define SIM_USBFS_HUB_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1"
#define SIM_USBFS_MAX_DEVICES 8

/* Creates the testbed (UMOCKDEV_DIR is set in this process's environment,
 * so children inherit it) and plugs count devices in, one per function.
 * The functions' contexts are the usbfs's from then on (released at close,
 * or at once when it fails). NULL with why filled. */
struct sim_usbfs *sim_usbfs_open_functions(const struct sim_usb_function *functions,
					   unsigned count, bool realtime, char *why,
					   size_t why_size);
/* The same for the ROM's DFU devices, one per model (dfu_function.c). */
struct sim_usbfs *sim_usbfs_open(struct sim_dfuse *const *dfus, unsigned count, bool realtime,
				 char *why, size_t why_size);
/* The testbed's root directory (the value of UMOCKDEV_DIR). */
const char *sim_usbfs_root(const struct sim_usbfs *usb);
/* Runs the deferred work of the main thread: a device that left the bus is
 * unplugged from the testbed. Call it regularly. Returns true once the
 * devices have all gone for good (left for the application, hung up). */
bool sim_usbfs_service(struct sim_usbfs *usb);
/* Device index's function ctx, locked against the worker thread while f
 * runs. */
void sim_usbfs_locked(struct sim_usbfs *usb, unsigned index, void (*f)(void *ctx, void *user),
		      void *user);
/* Device index's DFU model, the same way (devices sim_usbfs_open made). */
void sim_usbfs_with_model(struct sim_usbfs *usb, unsigned index,
			  void (*f)(struct sim_dfuse *, void *), void *user);
/* Removes the testbed and its directory. */
void sim_usbfs_close(struct sim_usbfs *usb);

#endif
