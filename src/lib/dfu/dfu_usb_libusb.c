/* dfu_usb.h on libusb-1.0; what it shares with the ST-LINK's seam (finding,
 * opening, claiming, libusb's failures) is core/usb_libusb.c. Each handle
 * has its own libusb context (no globals); every transfer has a timeout. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/usb_libusb.h"
#include "dfu/dfu_usb.h"

#define CLASS_APPLICATION_SPECIFIC 0xFE
#define SUBCLASS_DFU 0x01
#define DESCRIPTOR_DFU_FUNCTIONAL 0x21

struct dfu_usb {
	struct usb_link link;
	uint8_t interface_number;
	/* dfu_usb_start_in's, oldest first, until finished */
	struct libusb_transfer *started[DFU_USB_MAX_STARTED];
	int started_done[DFU_USB_MAX_STARTED];
	unsigned started_count;
};

static const struct usb_wording dfu_words = {
	.stalled = "dfu:%s stalled the request",
	.silent = "dfu:%s did not answer",
	.gone = "the USB device at dfu:%s disappeared",
	.other = "dfu:%s: %s",
};

static bool is_stm32_dfu(const struct libusb_device_descriptor *d)
{
	return d->idVendor == DFU_USB_VID && d->idProduct == DFU_USB_PID;
}

/* String descriptor index in ASCII ('?' for anything else). */
static void read_string(libusb_device_handle *h, uint16_t language, uint8_t index, char *out,
			size_t size)
{
	uint16_t units[USB_STRING_MAX / 2 - 1];
	size_t n = usb_string_units(h, index, language, units, sizeof units / sizeof units[0]);
	size_t used = 0;
	for (size_t i = 0; i < n && used + 1 < size; i++)
		out[used++] = units[i] < 0x80 ? (char)units[i] : '?';
	out[used] = '\0';
}

/* The language is asked once per handle: each string read would
 * otherwise ask for it again, a transfer each. */
static void dfu_strings(libusb_device_handle *h, const struct libusb_device_descriptor *d,
			struct usb_candidate *c, bool listing)
{
	uint16_t language = usb_language_of(h);
	read_string(h, language, d->iSerialNumber, c->serial, sizeof c->serial);
	if (listing)
		read_string(h, language, d->iProduct, c->product, sizeof c->product);
}

/* "dfu:1-1 (serial X), dfu:1-2 (serial Y)" in address order. */
static void list_candidates(const struct usb_candidate *found, size_t count, char *out,
			    size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%sdfu:%s (serial %s)",
					 i ? ", " : "", found[i].address,
					 *found[i].serial ? found[i].serial : "none");
}

static enum stm32_status refuse(const struct usb_candidate *found, size_t listed, size_t matches,
				const char *selector, struct stm32_error *err)
{
	if (matches == 0)
		return stm32_error_set(err, STM32_E_IO,
				       *selector ? "no STM32 DFU device (0483:df11) matches '%s'"
						 : "no STM32 DFU device (0483:df11) found%s",
				       selector);
	/* Not a busy port: the name is ambiguous, and the message says the fix. */
	char text[USB_CANDIDATES_MAX * 80];
	list_candidates(found, listed, text, sizeof text);
	return stm32_error_set(err, STM32_E_INVALID,
			       "%zu STM32 DFU devices: %s; name one: dfu:SERIAL or dfu:BUS-PORT",
			       matches, text);
}

static const struct usb_kind dfu_kind = {
	.wanted = is_stm32_dfu,
	.strings = dfu_strings,
	.by_address = true,
	.in_address_order = true,
	.scheme = "dfu:",
	.named_by_serial = false,
	.refuse = refuse,
};

/* The DFU interface: its alternate settings' names and the functional
 * descriptor (after the last alternate setting, or in the configuration's
 * extra bytes). */
static enum stm32_status describe(struct dfu_usb *usb, uint16_t language,
				  struct dfu_usb_info *info, struct stm32_error *err)
{
	struct libusb_config_descriptor *config;
	libusb_device *device = libusb_get_device(usb->link.handle);
	if (libusb_get_active_config_descriptor(device, &config) != 0)
		return stm32_error_set(err, STM32_E_PROTOCOL, "dfu:%s: no configuration descriptor",
				       usb->link.address);
	bool found = false;
	for (int i = 0; i < config->bNumInterfaces && !found; i++) {
		const struct libusb_interface *interface = &config->interface[i];
		for (int a = 0; a < interface->num_altsetting; a++) {
			const struct libusb_interface_descriptor *alt = &interface->altsetting[a];
			if (alt->bInterfaceClass != CLASS_APPLICATION_SPECIFIC ||
			    alt->bInterfaceSubClass != SUBCLASS_DFU)
				continue;
			found = true;
			usb->interface_number = alt->bInterfaceNumber;
			if (info->alt_count < DFU_USB_MAX_ALTS)
				read_string(usb->link.handle, language, alt->iInterface,
					    info->alt_names[info->alt_count++], DFU_USB_NAME_MAX);
			const unsigned char *extra = alt->extra;
			for (int at = 0; at + 9 <= alt->extra_length; at += extra[at] ? extra[at] : 1) {
				if (extra[at + 1] == DESCRIPTOR_DFU_FUNCTIONAL && extra[at] >= 9) {
					info->transfer_size = (uint16_t)(extra[at + 5] | extra[at + 6] << 8);
					info->bcd_dfu = (uint16_t)(extra[at + 7] | extra[at + 8] << 8);
				}
			}
		}
	}
	libusb_free_config_descriptor(config);
	info->interface_number = usb->interface_number;
	if (!found)
		return stm32_error_set(err, STM32_E_PROTOCOL, "dfu:%s has no DFU interface",
				       usb->link.address);
	if (info->transfer_size == 0)
		info->transfer_size = 2048; /* AN3156's, when the descriptor is not found */
	return STM32_OK;
}

size_t dfu_usb_find(struct dfu_usb_found *out, size_t max)
{
	struct usb_candidate *found = calloc(max ? max : 1, sizeof *found);
	if (!found)
		return 0;
	size_t count = usb_find_all(&dfu_kind, found, max);
	for (size_t i = 0; i < count && i < max; i++) {
		snprintf(out[i].address, sizeof out[i].address, "%s", found[i].address);
		snprintf(out[i].serial, sizeof out[i].serial, "%s", found[i].serial);
		snprintf(out[i].product, sizeof out[i].product, "%s", found[i].product);
	}
	free(found);
	return count;
}

enum stm32_status dfu_usb_open(const char *selector, struct dfu_usb **out,
			       struct dfu_usb_info *info, struct stm32_error *err)
{
	*out = NULL;
	memset(info, 0, sizeof *info);
	struct dfu_usb *usb = calloc(1, sizeof *usb);
	if (!usb)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	struct usb_candidate chosen;
	enum stm32_status s = usb_open_one(&usb->link, &dfu_kind, selector, &chosen, err);
	if (s == STM32_OK) {
		snprintf(info->address, sizeof info->address, "%s", chosen.address);
		snprintf(info->serial, sizeof info->serial, "%s", chosen.serial);
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(libusb_get_device(usb->link.handle), &d) == 0)
			info->bcd_device = d.bcdDevice;
		s = describe(usb, usb_language_of(usb->link.handle), info, err);
	}
	if (s == STM32_OK)
		s = usb_claim(&usb->link, usb->interface_number, "the DFU interface", "", err);
	if (s != STM32_OK) {
		dfu_usb_close(usb);
		return s;
	}
	*out = usb;
	return STM32_OK;
}

static enum stm32_status failure(const struct dfu_usb *usb, int rc, struct stm32_error *err)
{
	return usb_failure(&usb->link, &dfu_words, rc, err);
}

enum stm32_status dfu_usb_control(struct dfu_usb *usb, bool in, uint8_t request, uint16_t value,
				  uint8_t *data, uint16_t length, unsigned timeout_ms,
				  size_t *done, struct stm32_error *err)
{
	uint8_t type = (uint8_t)((in ? LIBUSB_ENDPOINT_IN : LIBUSB_ENDPOINT_OUT) |
				 LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE);
	int rc = libusb_control_transfer(usb->link.handle, type, request, value, usb->interface_number,
					 data, length, timeout_ms);
	if (done)
		*done = rc > 0 ? (size_t)rc : 0;
	return rc < 0 ? failure(usb, rc, err) : STM32_OK;
}

static void LIBUSB_CALL on_finished(struct libusb_transfer *transfer)
{
	*(int *)transfer->user_data = 1;
}

enum stm32_status dfu_usb_start_in(struct dfu_usb *usb, uint8_t request, uint16_t value,
				   uint16_t length, unsigned timeout_ms, struct stm32_error *err)
{
	if (usb->started_count == DFU_USB_MAX_STARTED)
		return stm32_error_set(err, STM32_E_INVALID, "dfu:%s: %u requests are already waiting",
				       usb->link.address, DFU_USB_MAX_STARTED);
	struct libusb_transfer *transfer = libusb_alloc_transfer(0);
	unsigned char *buffer = malloc(LIBUSB_CONTROL_SETUP_SIZE + (size_t)length);
	if (!transfer || !buffer) {
		libusb_free_transfer(transfer);
		free(buffer);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	}
	uint8_t type = LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE;
	libusb_fill_control_setup(buffer, type, request, value, usb->interface_number, length);
	unsigned slot = usb->started_count;
	usb->started_done[slot] = 0;
	libusb_fill_control_transfer(transfer, usb->link.handle, buffer, on_finished,
				     &usb->started_done[slot], timeout_ms);
	transfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	int rc = libusb_submit_transfer(transfer);
	if (rc != 0) {
		libusb_free_transfer(transfer);
		return failure(usb, rc, err);
	}
	usb->started[slot] = transfer;
	usb->started_count++;
	return STM32_OK;
}

/* Until the oldest started request ended (completed, failed, cancelled). */
static bool wait_oldest(struct dfu_usb *usb)
{
	int *done = &usb->started_done[0];
	while (!*done) {
		int rc = libusb_handle_events_completed(usb->link.context, done);
		if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED) {
			/* The event loop itself failed: give up on the transfer. */
			libusb_cancel_transfer(usb->started[0]);
			struct timeval tick = {0, 10000};
			(void)libusb_handle_events_timeout_completed(usb->link.context, &tick, done);
			return *done != 0;
		}
	}
	return true;
}

/* The oldest off the list: the others move up (their flags with them, so
 * the callbacks must be told where they went). */
static struct libusb_transfer *pop_oldest(struct dfu_usb *usb)
{
	struct libusb_transfer *t = usb->started[0];
	for (unsigned i = 1; i < usb->started_count; i++) {
		usb->started[i - 1] = usb->started[i];
		usb->started_done[i - 1] = usb->started_done[i];
		usb->started[i - 1]->user_data = &usb->started_done[i - 1];
	}
	usb->started_count--;
	return t;
}

enum stm32_status dfu_usb_finish_in(struct dfu_usb *usb, uint8_t *data, size_t *done,
				    struct stm32_error *err)
{
	*done = 0;
	if (usb->started_count == 0)
		return stm32_error_set(err, STM32_E_INVALID, "dfu:%s: no request is waiting",
				       usb->link.address);
	bool ended = wait_oldest(usb);
	struct libusb_transfer *t = pop_oldest(usb);
	if (!ended) /* left to libusb rather than freed while it may hold it */
		return stm32_error_set(err, STM32_E_IO, "dfu:%s: the USB event loop failed",
				       usb->link.address);
	enum stm32_status s = STM32_OK;
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		*done = (size_t)t->actual_length;
		if (data)
			memcpy(data, libusb_control_transfer_get_data(t), *done);
		break;
	case LIBUSB_TRANSFER_STALL: s = failure(usb, LIBUSB_ERROR_PIPE, err); break;
	case LIBUSB_TRANSFER_TIMED_OUT: s = failure(usb, LIBUSB_ERROR_TIMEOUT, err); break;
	case LIBUSB_TRANSFER_NO_DEVICE: s = failure(usb, LIBUSB_ERROR_NO_DEVICE, err); break;
	default: s = failure(usb, LIBUSB_ERROR_IO, err); break;
	}
	libusb_free_transfer(t);
	return s;
}

enum stm32_status dfu_usb_set_alt(struct dfu_usb *usb, unsigned alt, struct stm32_error *err)
{
	int rc = libusb_set_interface_alt_setting(usb->link.handle, usb->interface_number, (int)alt);
	return rc < 0 ? failure(usb, rc, err) : STM32_OK;
}

void dfu_usb_close(struct dfu_usb *usb)
{
	if (!usb)
		return;
	for (unsigned i = 0; i < usb->started_count; i++)
		libusb_cancel_transfer(usb->started[i]);
	while (usb->started_count) {
		bool ended = wait_oldest(usb);
		struct libusb_transfer *t = pop_oldest(usb);
		if (ended)
			libusb_free_transfer(t);
	}
	usb_close(&usb->link);
	free(usb);
}
