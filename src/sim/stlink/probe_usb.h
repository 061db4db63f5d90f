/* The ST-LINK as a USB device function for usbfs (usb/usbfs.h): VID:PID
 * and endpoints per probe version (stlink.md §1), the serial string as
 * stlink-tools wants it (24 characters), bulk OUT to the command model and
 * bulk IN from it. */
#ifndef STM32SIM_STLINK_PROBE_USB_H
#define STM32SIM_STLINK_PROBE_USB_H

#include <stddef.h>
#include <stdint.h>

#include "stlink/stlink_cmd.h"
#include "usb/usbfs.h"

#define SIM_STLINK_SERIAL_LENGTH 24

struct sim_stlink_usb {
	struct sim_stlink *stlink;
	struct sim_faults *faults; /* per command: stall=P:MS, reset-after=N, hangup-after=N */
	uint8_t device[18];
	uint8_t config[64];
	size_t config_length;
	uint8_t out_endpoint, in_endpoint, trace_endpoint;
	char serial[SIM_STLINK_SERIAL_LENGTH + 1];
	uint64_t standard_requests, bulk_out, bulk_in, stray_transfers;
};

/* Descriptors from the probe's version; the serial is the hex of uid (12 bytes). */
void sim_stlink_usb_init(struct sim_stlink_usb *u, struct sim_stlink *stlink, const uint8_t *uid,
			 struct sim_faults *faults);
/* The table usbfs serves (ctx = u). */
struct sim_usb_function sim_stlink_usb_function(struct sim_stlink_usb *u);

#endif
