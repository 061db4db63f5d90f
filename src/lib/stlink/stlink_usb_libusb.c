/* stlink_usb.h on libusb-1.0. Each handle has its own libusb context (no
 * globals); every transfer has a timeout. PIDs and endpoints: stlink.md §1. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stlink/stlink_usb.h"

#define IN_ENDPOINT 0x81u
#define LISTED_MAX 8
#define STRING_TIMEOUT_MS 1000u
#define LANGUAGE_EN_US 0x0409u

struct stlink_usb {
	libusb_context *context;
	libusb_device_handle *handle;
	uint8_t out_endpoint;
	char address[32];
};

static const uint16_t probe_pids[] = {0x3748, 0x374A, 0x374B, 0x3752, 0x374D,
				      0x374E, 0x374F, 0x3753, 0x3754};

static bool is_probe(libusb_device *device, uint16_t *pid)
{
	struct libusb_device_descriptor d;
	if (libusb_get_device_descriptor(device, &d) != 0 || d.idVendor != STLINK_USB_VID)
		return false;
	for (size_t i = 0; i < sizeof probe_pids / sizeof probe_pids[0]; i++)
		if (d.idProduct == probe_pids[i]) {
			*pid = d.idProduct;
			return true;
		}
	return false;
}

/* A V2 takes its commands on OUT 0x02; V2-1 and V3 on 0x01. */
static uint8_t out_endpoint_of(uint16_t pid)
{
	return pid == 0x3748 || pid == 0x374A ? 0x02 : 0x01;
}

static void address_of(libusb_device *device, char *out, size_t size)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(device, ports, sizeof ports);
	size_t used = (size_t)snprintf(out, size, "%u", libusb_get_bus_number(device));
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%c%u", i ? '.' : '-', ports[i]);
}

/* The serial as stlink-tools shows it: 24 characters as they are, or 12
 * binary bytes (old V2 firmware) in hex. */
static void read_serial(libusb_device_handle *h, uint8_t index, char *out, size_t size)
{
	unsigned char raw[2 + 2 * 32];
	out[0] = '\0';
	if (!index)
		return;
	int n = libusb_get_string_descriptor(h, index, LANGUAGE_EN_US, raw, sizeof raw);
	if (n < 2)
		return;
	size_t chars = ((size_t)n - 2) / 2, used = 0;
	bool binary = chars == 12;
	for (size_t i = 0; i < chars && used + 3 < size; i++) {
		unsigned c = raw[2 + 2 * i];
		used += (size_t)snprintf(out + used, size - used, binary ? "%02X" : "%c",
					 binary || (c >= 0x20 && c < 0x7F) ? c : '?');
	}
}

static void serial_of(libusb_device *device, char *out, size_t size)
{
	struct libusb_device_descriptor d;
	libusb_device_handle *h;
	out[0] = '\0';
	if (libusb_get_device_descriptor(device, &d) == 0 && libusb_open(device, &h) == 0) {
		read_serial(h, d.iSerialNumber, out, size);
		libusb_close(h);
	}
}

static enum stm32_status choose(libusb_device **list, const char *wanted, libusb_device **chosen,
				struct stlink_usb_info *info, struct stm32_error *err)
{
	char listed[LISTED_MAX * 64] = "";
	size_t matches = 0, used = 0;
	for (size_t i = 0; list[i]; i++) {
		uint16_t pid;
		char serial[STLINK_USB_SERIAL_MAX];
		if (!is_probe(list[i], &pid))
			continue;
		serial_of(list[i], serial, sizeof serial);
		if (*wanted && strcmp(wanted, serial) != 0)
			continue;
		if (matches++ < LISTED_MAX && used < sizeof listed)
			used += (size_t)snprintf(listed + used, sizeof listed - used, "%sstlink:%s",
						 used ? ", " : "", *serial ? serial : "(no serial)");
		*chosen = list[i];
		info->pid = pid;
		snprintf(info->serial, sizeof info->serial, "%s", serial);
	}
	if (matches == 1)
		return STM32_OK;
	if (matches == 0)
		return stm32_error_set(err, STM32_E_IO,
				       *wanted ? "no ST-LINK probe with serial '%s'"
					       : "no ST-LINK probe (0483:3748, 374b, 374f, ...) found%s",
				       wanted);
	return stm32_error_set(err, STM32_E_BUSY, "%zu ST-LINK probes: %s; name one (stlink:SERIAL)",
			       matches, listed);
}

enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err)
{
	*out = NULL;
	memset(info, 0, sizeof *info);
	struct stlink_usb *usb = calloc(1, sizeof *usb);
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
		s = choose(list, serial, &chosen, info, err);
	if (s == STM32_OK) {
		address_of(chosen, usb->address, sizeof usb->address);
		snprintf(info->address, sizeof info->address, "%s", usb->address);
		usb->out_endpoint = out_endpoint_of(info->pid);
		rc = libusb_open(chosen, &usb->handle);
		if (rc != 0)
			s = stm32_error_set(err, STM32_E_IO, "stlink:%s: %s", info->serial,
					    libusb_strerror(rc));
	}
	if (s == STM32_OK && (rc = libusb_claim_interface(usb->handle, 0)) != 0)
		s = stm32_error_set(err, rc == LIBUSB_ERROR_BUSY ? STM32_E_BUSY : STM32_E_IO,
				    "stlink:%s: claiming the probe's interface: %s%s", info->serial,
				    libusb_strerror(rc),
				    rc == LIBUSB_ERROR_BUSY ? " (another program holds it)" : "");
	if (list)
		libusb_free_device_list(list, 1);
	if (s != STM32_OK) {
		stlink_usb_close(usb);
		return s;
	}
	*out = usb;
	return STM32_OK;
}

static enum stm32_status usb_failure(const struct stlink_usb *usb, int rc, struct stm32_error *err)
{
	switch (rc) {
	case LIBUSB_ERROR_TIMEOUT:
		return stm32_error_set(err, STM32_E_TIMEOUT, "the ST-LINK at %s did not answer",
				       usb->address);
	case LIBUSB_ERROR_NO_DEVICE:
		return stm32_error_set(err, STM32_E_IO, "the ST-LINK at %s was unplugged",
				       usb->address);
	default:
		return stm32_error_set(err, STM32_E_IO, "the ST-LINK at %s: %s", usb->address,
				       libusb_strerror(rc));
	}
}

static enum stm32_status bulk(struct stlink_usb *usb, uint8_t endpoint, uint8_t *data,
			      size_t length, size_t *moved, unsigned timeout_ms,
			      struct stm32_error *err)
{
	int done = 0;
	int rc = libusb_bulk_transfer(usb->handle, endpoint, data, (int)length, &done, timeout_ms);
	if (moved)
		*moved = done > 0 ? (size_t)done : 0;
	return rc != 0 ? usb_failure(usb, rc, err) : STM32_OK;
}

enum stm32_status stlink_usb_command(struct stlink_usb *usb, const uint8_t *command,
				     const uint8_t *out, size_t out_length, uint8_t *in,
				     size_t in_length, size_t *got, unsigned timeout_ms,
				     struct stm32_error *err)
{
	uint8_t block[STLINK_COMMAND_SIZE];
	memcpy(block, command, sizeof block);
	if (got)
		*got = 0;
	enum stm32_status s = bulk(usb, usb->out_endpoint, block, sizeof block, NULL, timeout_ms, err);
	if (s == STM32_OK && out_length)
		s = bulk(usb, usb->out_endpoint, (uint8_t *)out, out_length, NULL, timeout_ms, err);
	if (s == STM32_OK && in_length)
		s = bulk(usb, IN_ENDPOINT, in, in_length, got, timeout_ms, err);
	return s;
}

void stlink_usb_close(struct stlink_usb *usb)
{
	if (!usb)
		return;
	if (usb->handle) {
		(void)libusb_release_interface(usb->handle, 0);
		libusb_close(usb->handle);
	}
	if (usb->context)
		libusb_exit(usb->context);
	free(usb);
}

size_t stlink_usb_list(struct stlink_usb_info *out, size_t max)
{
	libusb_context *context;
	if (libusb_init(&context) != 0)
		return 0;
	libusb_device **list = NULL;
	size_t found = 0;
	if (libusb_get_device_list(context, &list) >= 0) {
		for (size_t i = 0; list[i]; i++) {
			uint16_t pid;
			if (!is_probe(list[i], &pid))
				continue;
			if (found < max) {
				struct stlink_usb_info *info = &out[found];
				memset(info, 0, sizeof *info);
				info->pid = pid;
				serial_of(list[i], info->serial, sizeof info->serial);
				address_of(list[i], info->address, sizeof info->address);
			}
			found++;
		}
		libusb_free_device_list(list, 1);
	}
	libusb_exit(context);
	return found;
}
