/* dfu_usb.h on libusb-1.0. Each handle has its own libusb context (no
 * globals); every transfer has a timeout. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/dfu_usb.h"

#define CLASS_APPLICATION_SPECIFIC 0xFE
#define SUBCLASS_DFU 0x01
#define DESCRIPTOR_DFU_FUNCTIONAL 0x21
#define STRING_TIMEOUT_MS 1000u
#define LISTED_MAX 8

struct dfu_usb {
	libusb_context *context;
	libusb_device_handle *handle;
	uint8_t interface_number;
	char address[32];
	/* dfu_usb_start_in's, oldest first, until finished */
	struct libusb_transfer *started[DFU_USB_MAX_STARTED];
	int started_done[DFU_USB_MAX_STARTED];
	unsigned started_count;
};

static void address_of(libusb_device *device, char *out, size_t size)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(device, ports, sizeof ports);
	size_t used = (size_t)snprintf(out, size, "%u", libusb_get_bus_number(device));
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%c%u", i ? '.' : '-', ports[i]);
}

static bool is_stm32_dfu(libusb_device *device)
{
	struct libusb_device_descriptor d;
	return libusb_get_device_descriptor(device, &d) == 0 && d.idVendor == DFU_USB_VID &&
	       d.idProduct == DFU_USB_PID;
}

/* The device's first language, asked once per handle (0: none; each
 * string read would otherwise ask for it again, a transfer each). */
static uint16_t language_of(libusb_device_handle *h)
{
	unsigned char reply[4];
	int n = libusb_get_string_descriptor(h, 0, 0, reply, sizeof reply);
	return n >= 4 ? (uint16_t)(reply[2] | reply[3] << 8) : 0;
}

/* String descriptor index in ASCII ('?' for anything else). */
static void read_string(libusb_device_handle *h, uint16_t language, uint8_t index, char *out,
			size_t size)
{
	out[0] = '\0';
	unsigned char raw[DFU_USB_NAME_MAX];
	if (index == 0 || language == 0)
		return;
	int n = libusb_get_string_descriptor(h, index, language, raw, sizeof raw);
	if (n < 2 || raw[1] != LIBUSB_DT_STRING)
		return;
	size_t length = raw[0] < (size_t)n ? raw[0] : (size_t)n, used = 0;
	for (size_t at = 2; at + 1 < length && used + 1 < size; at += 2)
		out[used++] = raw[at + 1] == 0 && raw[at] < 0x80 ? (char)raw[at] : '?';
	out[used] = '\0';
}

/* The DFU interface: its alternate settings' names and the functional
 * descriptor (after the last alternate setting, or in the configuration's
 * extra bytes). */
static enum stm32_status describe(struct dfu_usb *usb, libusb_device *device, uint16_t language,
				  struct dfu_usb_info *info, struct stm32_error *err)
{
	struct libusb_config_descriptor *config;
	if (libusb_get_active_config_descriptor(device, &config) != 0)
		return stm32_error_set(err, STM32_E_PROTOCOL, "dfu:%s: no configuration descriptor",
				       usb->address);
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
				read_string(usb->handle, language, alt->iInterface,
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
				       usb->address);
	if (info->transfer_size == 0)
		info->transfer_size = 2048; /* AN3156's, when the descriptor is not found */
	return STM32_OK;
}

static bool selected(libusb_device *device, const char *selector, const char *serial)
{
	if (!*selector)
		return true;
	char address[32];
	address_of(device, address, sizeof address);
	return strcmp(selector, address) == 0 || strcmp(selector, serial) == 0;
}

/* The serial number needs the device open; an unopenable one has none. */
static void serial_of(libusb_device *device, char *out, size_t size)
{
	struct libusb_device_descriptor d;
	libusb_device_handle *h;
	out[0] = '\0';
	if (libusb_get_device_descriptor(device, &d) == 0 && d.iSerialNumber &&
	    libusb_open(device, &h) == 0) {
		read_string(h, language_of(h), d.iSerialNumber, out, size);
		libusb_close(h);
	}
}

/* Its serial number and product strings, for the list of devices. */
static void strings_of(libusb_device *device, struct dfu_usb_found *found)
{
	struct libusb_device_descriptor d;
	libusb_device_handle *h;
	found->serial[0] = found->product[0] = '\0';
	if (libusb_get_device_descriptor(device, &d) != 0 || libusb_open(device, &h) != 0)
		return;
	uint16_t language = language_of(h);
	read_string(h, language, d.iSerialNumber, found->serial, sizeof found->serial);
	read_string(h, language, d.iProduct, found->product, sizeof found->product);
	libusb_close(h);
}

static int by_address(const void *a, const void *b)
{
	return strcmp(((const struct dfu_usb_found *)a)->address,
		      ((const struct dfu_usb_found *)b)->address);
}

/* "dfu:1-1 (serial X), dfu:1-2 (serial Y)" in address order. */
static void list_candidates(struct dfu_usb_found *found, size_t count, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%sdfu:%s (serial %s)",
					 i ? ", " : "", found[i].address,
					 *found[i].serial ? found[i].serial : "none");
}

static enum stm32_status choose(libusb_device **list, const char *selector,
				libusb_device **chosen, char *chosen_serial, struct stm32_error *err)
{
	struct dfu_usb_found found[LISTED_MAX];
	size_t matches = 0;
	for (size_t i = 0; list[i]; i++) {
		if (!is_stm32_dfu(list[i]))
			continue;
		char serial[DFU_USB_NAME_MAX];
		serial_of(list[i], serial, sizeof serial);
		if (!selected(list[i], selector, serial))
			continue;
		if (matches < LISTED_MAX) {
			address_of(list[i], found[matches].address, sizeof found[matches].address);
			snprintf(found[matches].serial, sizeof found[matches].serial, "%s", serial);
		}
		matches++;
		*chosen = list[i];
		snprintf(chosen_serial, DFU_USB_NAME_MAX, "%s", serial);
	}
	if (matches == 1)
		return STM32_OK;
	if (matches == 0)
		return stm32_error_set(err, STM32_E_IO,
				       *selector ? "no STM32 DFU device (0483:df11) matches '%s'"
						 : "no STM32 DFU device (0483:df11) found%s",
				       selector);
	/* Not a busy port: the name is ambiguous, and the message says the fix. */
	char listed[LISTED_MAX * 80];
	size_t listed_count = matches < LISTED_MAX ? matches : LISTED_MAX;
	qsort(found, listed_count, sizeof found[0], by_address);
	list_candidates(found, listed_count, listed, sizeof listed);
	return stm32_error_set(err, STM32_E_INVALID,
			       "%zu STM32 DFU devices: %s; name one: dfu:SERIAL or dfu:BUS-PORT",
			       matches, listed);
}

size_t dfu_usb_find(struct dfu_usb_found *out, size_t max)
{
	libusb_context *context;
	if (libusb_init(&context) != 0)
		return 0;
	libusb_device **list = NULL;
	size_t count = 0;
	if (libusb_get_device_list(context, &list) >= 0) {
		for (size_t i = 0; list[i]; i++) {
			if (!is_stm32_dfu(list[i]))
				continue;
			if (count < max) {
				address_of(list[i], out[count].address, sizeof out[count].address);
				strings_of(list[i], &out[count]);
			}
			count++;
		}
		libusb_free_device_list(list, 1);
	}
	libusb_exit(context);
	qsort(out, count < max ? count : max, sizeof out[0], by_address);
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
	int rc = libusb_init(&usb->context);
	if (rc != 0) {
		free(usb);
		return stm32_error_set(err, STM32_E_IO, "libusb: %s", libusb_strerror(rc));
	}
	libusb_device **list = NULL;
	libusb_device *chosen = NULL;
	enum stm32_status s = STM32_OK;
	if (libusb_get_device_list(usb->context, &list) < 0)
		s = stm32_error_set(err, STM32_E_IO, "libusb: cannot list USB devices");
	if (s == STM32_OK)
		s = choose(list, selector, &chosen, info->serial, err);
	if (s == STM32_OK) {
		address_of(chosen, usb->address, sizeof usb->address);
		rc = libusb_open(chosen, &usb->handle);
		if (rc != 0)
			s = stm32_error_set(err, STM32_E_IO, "dfu:%s: %s", usb->address,
					    libusb_strerror(rc));
	}
	if (s == STM32_OK) {
		snprintf(info->address, sizeof info->address, "%s", usb->address);
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(chosen, &d) == 0)
			info->bcd_device = d.bcdDevice;
		s = describe(usb, chosen, language_of(usb->handle), info, err);
	}
	if (s == STM32_OK && (rc = libusb_claim_interface(usb->handle, usb->interface_number)) != 0)
		s = stm32_error_set(err, rc == LIBUSB_ERROR_BUSY ? STM32_E_BUSY : STM32_E_IO,
				    "dfu:%s: claiming the DFU interface: %s", usb->address,
				    libusb_strerror(rc));
	if (list)
		libusb_free_device_list(list, 1);
	if (s != STM32_OK) {
		dfu_usb_close(usb);
		return s;
	}
	*out = usb;
	return STM32_OK;
}

static enum stm32_status usb_failure(const struct dfu_usb *usb, int rc, struct stm32_error *err)
{
	switch (rc) {
	case LIBUSB_ERROR_PIPE:
		return stm32_error_set(err, STM32_E_NACK, "dfu:%s stalled the request", usb->address);
	case LIBUSB_ERROR_TIMEOUT:
		return stm32_error_set(err, STM32_E_TIMEOUT, "dfu:%s did not answer", usb->address);
	case LIBUSB_ERROR_NO_DEVICE:
		return stm32_error_set(err, STM32_E_IO, "the USB device at dfu:%s disappeared",
				       usb->address);
	default:
		return stm32_error_set(err, STM32_E_IO, "dfu:%s: %s", usb->address,
				       libusb_strerror(rc));
	}
}

enum stm32_status dfu_usb_control(struct dfu_usb *usb, bool in, uint8_t request, uint16_t value,
				  uint8_t *data, uint16_t length, unsigned timeout_ms,
				  size_t *done, struct stm32_error *err)
{
	uint8_t type = (uint8_t)((in ? LIBUSB_ENDPOINT_IN : LIBUSB_ENDPOINT_OUT) |
				 LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE);
	int rc = libusb_control_transfer(usb->handle, type, request, value, usb->interface_number,
					 data, length, timeout_ms);
	if (done)
		*done = rc > 0 ? (size_t)rc : 0;
	return rc < 0 ? usb_failure(usb, rc, err) : STM32_OK;
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
				       usb->address, DFU_USB_MAX_STARTED);
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
	libusb_fill_control_transfer(transfer, usb->handle, buffer, on_finished,
				     &usb->started_done[slot], timeout_ms);
	transfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	int rc = libusb_submit_transfer(transfer);
	if (rc != 0) {
		libusb_free_transfer(transfer);
		return usb_failure(usb, rc, err);
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
		int rc = libusb_handle_events_completed(usb->context, done);
		if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED) {
			/* The event loop itself failed: give up on the transfer. */
			libusb_cancel_transfer(usb->started[0]);
			struct timeval tick = {0, 10000};
			(void)libusb_handle_events_timeout_completed(usb->context, &tick, done);
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
				       usb->address);
	bool ended = wait_oldest(usb);
	struct libusb_transfer *t = pop_oldest(usb);
	if (!ended) /* left to libusb rather than freed while it may hold it */
		return stm32_error_set(err, STM32_E_IO, "dfu:%s: the USB event loop failed",
				       usb->address);
	enum stm32_status s = STM32_OK;
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		*done = (size_t)t->actual_length;
		if (data)
			memcpy(data, libusb_control_transfer_get_data(t), *done);
		break;
	case LIBUSB_TRANSFER_STALL: s = usb_failure(usb, LIBUSB_ERROR_PIPE, err); break;
	case LIBUSB_TRANSFER_TIMED_OUT: s = usb_failure(usb, LIBUSB_ERROR_TIMEOUT, err); break;
	case LIBUSB_TRANSFER_NO_DEVICE: s = usb_failure(usb, LIBUSB_ERROR_NO_DEVICE, err); break;
	default: s = usb_failure(usb, LIBUSB_ERROR_IO, err); break;
	}
	libusb_free_transfer(t);
	return s;
}

enum stm32_status dfu_usb_set_alt(struct dfu_usb *usb, unsigned alt, struct stm32_error *err)
{
	int rc = libusb_set_interface_alt_setting(usb->handle, usb->interface_number, (int)alt);
	return rc < 0 ? usb_failure(usb, rc, err) : STM32_OK;
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
	if (usb->handle) {
		(void)libusb_release_interface(usb->handle, usb->interface_number);
		libusb_close(usb->handle);
	}
	if (usb->context)
		libusb_exit(usb->context);
	free(usb);
}
