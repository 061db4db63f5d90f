/* The ROM's USB descriptors in DFU mode: device 0483:df11, one
 * configuration, one interface (class FE, subclass 01, protocol 02) with an
 * alternate setting per memory, the DFU functional descriptor, and the
 * strings (the serial number derived from the chip's unique ID). */
#ifndef STM32SIM_USB_DESCRIPTORS_H
#define STM32SIM_USB_DESCRIPTORS_H

#include <stddef.h>
#include <stdint.h>

#include "usb/dfuse.h"

#define SIM_USB_VID 0x0483u
#define SIM_USB_PID 0xDF11u
#define SIM_USB_DESCRIPTORS_MAX 256
#define SIM_USB_SERIAL_LENGTH 12

struct sim_usb_descriptors {
	uint8_t device[18];
	uint8_t config[SIM_USB_DESCRIPTORS_MAX]; /* configuration, interfaces, functional */
	size_t config_length;
	char serial[SIM_USB_SERIAL_LENGTH + 1];
	const struct sim_dfuse *dfu; /* its alternate-setting names */
};

void sim_usb_descriptors_build(struct sim_usb_descriptors *d, const struct sim_dfuse *dfu);
/* GET_DESCRIPTOR (wValue = type << 8 | index): bytes written to out (at most
 * max), or -1 when there is no such descriptor (STALL). */
int sim_usb_descriptor(const struct sim_usb_descriptors *d, uint16_t value, uint8_t *out,
		       size_t max);
/* The hex form of device + configuration descriptors for sysfs. */
void sim_usb_descriptors_hex(const struct sim_usb_descriptors *d, char *out, size_t size);

#endif
