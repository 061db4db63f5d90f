/* core/usb_libusb.h on libusb-1.0. */
#include "core/usb_libusb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usb_address_of(libusb_device *device, char *out, size_t size)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(device, ports, sizeof ports);
	size_t used = (size_t)snprintf(out, size, "%u", libusb_get_bus_number(device));
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%c%u", i ? '.' : '-', ports[i]);
}

uint16_t usb_language_of(libusb_device_handle *h)
{
	unsigned char reply[4];
	int n = libusb_get_string_descriptor(h, 0, 0, reply, sizeof reply);
	return n >= 4 ? (uint16_t)(reply[2] | reply[3] << 8) : 0;
}

size_t usb_string_units(libusb_device_handle *h, uint8_t index, uint16_t language,
			uint16_t *units, size_t max)
{
	unsigned char raw[USB_STRING_MAX];
	if (index == 0 || language == 0)
		return 0;
	/* Asks for no more than max units (wLength), as the back ends did. */
	int asked = (int)(2 + 2 * max < sizeof raw ? 2 + 2 * max : sizeof raw);
	int n = libusb_get_string_descriptor(h, index, language, raw, asked);
	if (n < 2 || raw[1] != LIBUSB_DT_STRING)
		return 0;
	size_t length = raw[0] < (size_t)n ? raw[0] : (size_t)n, count = 0;
	for (size_t at = 2; at + 1 < length && count < max; at += 2)
		units[count++] = (uint16_t)(raw[at] | raw[at + 1] << 8);
	return count;
}

/* A candidate of the device (its strings read with it open), or false when
 * it is not of the kind. An unopenable device has no strings. */
static bool candidate_of(const struct usb_kind *kind, libusb_device *device, bool listing,
			 struct usb_candidate *c)
{
	struct libusb_device_descriptor d;
	if (libusb_get_device_descriptor(device, &d) != 0 || !kind->wanted(&d))
		return false;
	memset(c, 0, sizeof *c);
	c->device = device;
	c->pid = d.idProduct;
	usb_address_of(device, c->address, sizeof c->address);
	libusb_device_handle *h;
	if ((d.iSerialNumber || listing) && libusb_open(device, &h) == 0) {
		kind->strings(h, &d, c, listing);
		libusb_close(h);
	}
	return true;
}

static int by_address(const void *a, const void *b)
{
	return strcmp(((const struct usb_candidate *)a)->address,
		      ((const struct usb_candidate *)b)->address);
}

/* The devices of the kind in list that selector names, at most max in out:
 * how many match. */
static size_t match(const struct usb_kind *kind, libusb_device **list, const char *selector,
		    bool listing, struct usb_candidate *out, size_t max)
{
	size_t matches = 0;
	for (size_t i = 0; list[i]; i++) {
		struct usb_candidate c;
		if (!candidate_of(kind, list[i], listing, &c))
			continue;
		if (*selector && strcmp(selector, c.serial) != 0 &&
		    !(kind->by_address && strcmp(selector, c.address) == 0))
			continue;
		if (matches < max)
			out[matches] = c;
		matches++;
	}
	if (kind->in_address_order)
		qsort(out, matches < max ? matches : max, sizeof out[0], by_address);
	return matches;
}

size_t usb_find_all(const struct usb_kind *kind, struct usb_candidate *out, size_t max)
{
	libusb_context *context;
	if (libusb_init(&context) != 0)
		return 0;
	libusb_device **list = NULL;
	size_t count = 0;
	if (libusb_get_device_list(context, &list) >= 0) {
		count = match(kind, list, "", true, out, max);
		libusb_free_device_list(list, 1);
	}
	libusb_exit(context);
	for (size_t i = 0; i < count && i < max; i++)
		out[i].device = NULL; /* the list is gone */
	return count;
}

static enum stm32_status open_chosen(struct usb_link *link, const struct usb_kind *kind,
				     libusb_device **list, const char *selector,
				     struct usb_candidate *chosen, struct stm32_error *err)
{
	struct usb_candidate found[USB_CANDIDATES_MAX];
	size_t matches = match(kind, list, selector, false, found, USB_CANDIDATES_MAX);
	if (matches != 1)
		return kind->refuse(found, matches < USB_CANDIDATES_MAX ? matches : USB_CANDIDATES_MAX,
				    matches, selector, err);
	*chosen = found[0];
	snprintf(link->address, sizeof link->address, "%s", chosen->address);
	snprintf(link->name, sizeof link->name, "%s%s", kind->scheme,
		 kind->named_by_serial ? chosen->serial : chosen->address);
	int rc = libusb_open(chosen->device, &link->handle);
	if (rc != 0) {
		link->handle = NULL;
		return stm32_error_set(err, STM32_E_IO, "%s: %s", link->name, libusb_strerror(rc));
	}
	return STM32_OK;
}

enum stm32_status usb_open_one(struct usb_link *link, const struct usb_kind *kind,
			       const char *selector, struct usb_candidate *chosen,
			       struct stm32_error *err)
{
	memset(link, 0, sizeof *link);
	link->claimed = -1;
	memset(chosen, 0, sizeof *chosen);
	int rc = libusb_init(&link->context);
	if (rc != 0) {
		link->context = NULL;
		return stm32_error_set(err, STM32_E_IO, "libusb: %s", libusb_strerror(rc));
	}
	libusb_device **list = NULL;
	enum stm32_status s = libusb_get_device_list(link->context, &list) < 0 ?
				      stm32_error_set(err, STM32_E_IO, "libusb: cannot list USB devices") :
				      open_chosen(link, kind, list, selector, chosen, err);
	if (list)
		libusb_free_device_list(list, 1); /* the open handle keeps its device */
	chosen->device = NULL;
	if (s != STM32_OK)
		usb_close(link);
	return s;
}

enum stm32_status usb_claim(struct usb_link *link, int number, const char *what,
			    const char *busy_note, struct stm32_error *err)
{
	int rc = libusb_claim_interface(link->handle, number);
	if (rc == 0) {
		link->claimed = number;
		return STM32_OK;
	}
	bool busy = rc == LIBUSB_ERROR_BUSY;
	return stm32_error_set(err, busy ? STM32_E_BUSY : STM32_E_IO, "%s: claiming %s: %s%s",
			       link->name, what, libusb_strerror(rc), busy ? busy_note : "");
}

enum stm32_status usb_failure(const struct usb_link *link, const struct usb_wording *words,
			      int rc, struct stm32_error *err)
{
	if (rc == LIBUSB_ERROR_PIPE && words->stalled)
		return stm32_error_set(err, STM32_E_NACK, words->stalled, link->address);
	if (rc == LIBUSB_ERROR_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT, words->silent, link->address);
	if (rc == LIBUSB_ERROR_NO_DEVICE)
		return stm32_error_set(err, STM32_E_IO, words->gone, link->address);
	return stm32_error_set(err, STM32_E_IO, words->other, link->address, libusb_strerror(rc));
}

void usb_close(struct usb_link *link)
{
	if (link->handle) {
		if (link->claimed >= 0)
			(void)libusb_release_interface(link->handle, link->claimed);
		libusb_close(link->handle);
	}
	if (link->context)
		libusb_exit(link->context);
	link->handle = NULL;
	link->context = NULL;
	link->claimed = -1;
}
