/* The USB seam of the ST-LINK back end: finding the probe, one command
 * with its data phase on the bulk endpoints. stlink_usb_libusb.c implements
 * it on libusb-1.0; nothing above it knows libusb. */
#ifndef STM32BOOT_STLINK_USB_H
#define STM32BOOT_STLINK_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#define STLINK_USB_VID 0x0483u
#define STLINK_USB_SERIAL_MAX 64
#define STLINK_COMMAND_SIZE 16u

struct stlink_usb;

struct stlink_usb_info {
	uint16_t pid;
	char serial[STLINK_USB_SERIAL_MAX]; /* as stlink-tools prints it (hex when binary) */
	char address[32];                   /* "1-1.4" */
};

/* serial: "" (the only probe; several are refused with their list) or the
 * probe's serial number. */
enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err);
/* One command: the 16 bytes, then out_length bytes of data OUT, or an IN
 * reply of in_length bytes (*got: bytes received). A vanished probe is
 * STM32_E_IO, no answer STM32_E_TIMEOUT. */
enum stm32_status stlink_usb_command(struct stlink_usb *usb, const uint8_t *command,
				     const uint8_t *out, size_t out_length, uint8_t *in,
				     size_t in_length, size_t *got, unsigned timeout_ms,
				     struct stm32_error *err);
void stlink_usb_close(struct stlink_usb *usb);
/* The probes attached now (at most max written); the number found. */
size_t stlink_usb_list(struct stlink_usb_info *out, size_t max);

#endif
