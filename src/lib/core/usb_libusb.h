/* What the libusb back ends (dfu/dfu_usb_libusb.c, stlink/stlink_usb_libusb.c)
 * share: a device's place on the bus, its strings, finding the devices of
 * one kind and opening the one a selector names (several are refused with
 * their list), claiming an interface, libusb's failures in words. Only
 * those two files include it: above their seams (dfu_usb.h, stlink_usb.h)
 * nothing knows libusb, so a port to another USB stack changes these three
 * files. Built only with libusb-1.0. Each link has its own libusb context. */
#ifndef STM32BOOT_CORE_USB_LIBUSB_H
#define STM32BOOT_CORE_USB_LIBUSB_H

#include <libusb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#define USB_ADDRESS_MAX 32
#define USB_STRING_MAX 256
#define USB_LINK_NAME_MAX (USB_STRING_MAX + 16)
#define USB_CANDIDATES_MAX 8 /* devices a refusal lists */

/* One device of the wanted kind, as a selector sees it. */
struct usb_candidate {
	libusb_device *device; /* valid while the device list is */
	uint16_t pid;
	char address[USB_ADDRESS_MAX]; /* "1-1.4" */
	char serial[USB_STRING_MAX];
	char product[64]; /* read only when listing */
};

/* How one back end tells its devices and their serial numbers. */
struct usb_kind {
	bool (*wanted)(const struct libusb_device_descriptor *d);
	/* The strings of c, the device open as h: the serial (as the back end
	 * shows it), and with `listing` the product too. */
	void (*strings)(libusb_device_handle *h, const struct libusb_device_descriptor *d,
			struct usb_candidate *c, bool listing);
	bool by_address;       /* a selector may be the address as well as a serial */
	bool in_address_order; /* candidates sorted by address */
	const char *scheme;    /* "dfu:", the port names' prefix */
	bool named_by_serial;  /* messages name it by serial (else by address) */
	/* The error when the selector names no device, or several (matches;
	 * the first `listed` of them in found). */
	enum stm32_status (*refuse)(const struct usb_candidate *found, size_t listed,
				    size_t matches, const char *selector,
				    struct stm32_error *err);
};

/* libusb's failures of a transfer in the back end's words: printf formats
 * with the link's address as their one %s (`other` has a second: libusb's
 * text). NULL stalled: a stall is worded as `other`. */
struct usb_wording {
	const char *stalled, *silent, *gone, *other;
};

struct usb_link {
	libusb_context *context;
	libusb_device_handle *handle;
	int claimed; /* the interface claimed, -1: none */
	char address[USB_ADDRESS_MAX];
	char name[USB_LINK_NAME_MAX]; /* "dfu:1-1", "stlink:SERIAL" */
};

/* "BUS-PORT[.PORT...]": stable across re-enumeration, unlike the address. */
void usb_address_of(libusb_device *device, char *out, size_t size);
/* The device's first language (0: none), one request. */
uint16_t usb_language_of(libusb_device_handle *h);
/* String descriptor `index` in `language` as its UTF-16 code units, at most
 * max (asked for as 2 + 2 max bytes, 256 at most); how many (0: none, or no
 * such string). */
size_t usb_string_units(libusb_device_handle *h, uint8_t index, uint16_t language,
			uint16_t *units, size_t max);
/* The devices of this kind attached now, at most max written: how many. */
size_t usb_find_all(const struct usb_kind *kind, struct usb_candidate *out, size_t max);
/* Opens the one device `selector` names ("": the only one of its kind);
 * *chosen describes it. On failure the link holds nothing (usb_close is
 * still safe). */
enum stm32_status usb_open_one(struct usb_link *link, const struct usb_kind *kind,
			       const char *selector, struct usb_candidate *chosen,
			       struct stm32_error *err);
/* Claims interface `number`; `what` names it in the error ("the DFU
 * interface"), busy_note is added when another program holds it. */
enum stm32_status usb_claim(struct usb_link *link, int number, const char *what,
			    const char *busy_note, struct stm32_error *err);
/* A failed transfer's libusb code (rc < 0) as the back end words it. */
enum stm32_status usb_failure(const struct usb_link *link, const struct usb_wording *words,
			      int rc, struct stm32_error *err);
/* Releases the interface, closes the device and the context. */
void usb_close(struct usb_link *link);

#endif
