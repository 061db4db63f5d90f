/* The USB seam of the DFU back end: finding the one STM32 DFU device,
 * control transfers, alternate settings. dfu_usb_libusb.c implements it on
 * libusb-1.0 (Linux, and the BSDs and macOS libusb supports); nothing above
 * it knows libusb. */
#ifndef STM32BOOT_DFU_USB_H
#define STM32BOOT_DFU_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#define DFU_USB_VID 0x0483u
#define DFU_USB_PID 0xDF11u
#define DFU_USB_MAX_ALTS 8
#define DFU_USB_NAME_MAX 256
/* Requests dfu_usb_start_in keeps waiting at once. Three: a completion is
 * reported up to a frame after the bus finished it, so the next block but
 * one must already wait when the host hears of a block (docs/sim.md). */
#define DFU_USB_MAX_STARTED 3

struct dfu_usb;

/* What the device said of itself. */
struct dfu_usb_info {
	char address[32];            /* "1-1.4": bus, then the port path */
	char serial[DFU_USB_NAME_MAX];
	unsigned alt_count;
	char alt_names[DFU_USB_MAX_ALTS][DFU_USB_NAME_MAX]; /* iInterface strings */
	uint16_t transfer_size;      /* wTransferSize of the DFU functional descriptor */
	uint16_t bcd_dfu;
	uint16_t bcd_device;         /* of the device descriptor: the bootloader's version */
	uint8_t interface_number;
};

/* One 0483:df11 device on the bus. */
struct dfu_usb_found {
	char address[32];
	char serial[DFU_USB_NAME_MAX];
	char product[64]; /* its product string, "" when it has none */
};

/* The 0483:df11 devices attached now, in address order: how many there
 * are, at most max written. */
size_t dfu_usb_find(struct dfu_usb_found *out, size_t max);

/* selector: "" (the only 0483:df11 device; several are refused with their
 * list in the message), a serial number, or BUS-PORT[.PORT...]. */
enum stm32_status dfu_usb_open(const char *selector, struct dfu_usb **out,
			       struct dfu_usb_info *info, struct stm32_error *err);
/* One control transfer on endpoint 0 (wIndex = the DFU interface). A STALL is
 * STM32_E_NACK, no answer STM32_E_TIMEOUT, a device that left STM32_E_IO
 * naming its address. *done: bytes moved in the data stage. */
enum stm32_status dfu_usb_control(struct dfu_usb *usb, bool in, uint8_t request, uint16_t value,
				  uint8_t *data, uint16_t length, unsigned timeout_ms,
				  size_t *done, struct stm32_error *err);
/* An IN class request started now and finished later, so that it waits on
 * endpoint 0 while the caller still handles the one before (the host
 * controller runs them one after the other). Up to DFU_USB_MAX_STARTED,
 * finished oldest first; no other request may be sent until all are. */
enum stm32_status dfu_usb_start_in(struct dfu_usb *usb, uint8_t request, uint16_t value,
				   uint16_t length, unsigned timeout_ms, struct stm32_error *err);
/* Wait for the oldest started request; its data into data (NULL: dropped), *done
 * bytes. The errors are dfu_usb_control's. */
enum stm32_status dfu_usb_finish_in(struct dfu_usb *usb, uint8_t *data, size_t *done,
				    struct stm32_error *err);
enum stm32_status dfu_usb_set_alt(struct dfu_usb *usb, unsigned alt, struct stm32_error *err);
void dfu_usb_close(struct dfu_usb *usb);

#endif
