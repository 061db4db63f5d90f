/* stlink_usb.h on libusb-1.0; what it shares with the DFU seam (finding,
 * opening, claiming, libusb's failures) is core/usb_libusb.c. Each handle
 * has its own libusb context (no globals); every transfer has a timeout.
 * PIDs and endpoints: stlink.md §1. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/usb_libusb.h"
#include "stlink/stlink_usb.h"

#define IN_ENDPOINT 0x81u
#define LANGUAGE_EN_US 0x0409u
#define SERIAL_CHARS_MAX 32

struct stlink_usb {
	struct usb_link link;
	uint8_t out_endpoint;
};

static const uint16_t probe_pids[] = {0x3748, 0x374A, 0x374B, 0x3752, 0x374D,
				      0x374E, 0x374F, 0x3753, 0x3754};

static const struct usb_wording stlink_words = {
	.stalled = NULL,
	.silent = "the ST-LINK at %s did not answer",
	.gone = "the ST-LINK at %s was unplugged",
	.other = "the ST-LINK at %s: %s",
};

static bool is_probe(const struct libusb_device_descriptor *d)
{
	if (d->idVendor != STLINK_USB_VID)
		return false;
	for (size_t i = 0; i < sizeof probe_pids / sizeof probe_pids[0]; i++)
		if (d->idProduct == probe_pids[i])
			return true;
	return false;
}

/* A V2 takes its commands on OUT 0x02; V2-1 and V3 on 0x01. */
static uint8_t out_endpoint_of(uint16_t pid)
{
	return pid == 0x3748 || pid == 0x374A ? 0x02 : 0x01;
}

/* The serial as stlink-tools shows it: 24 characters as they are, or 12
 * binary bytes (old V2 firmware) in hex. */
static void read_serial(libusb_device_handle *h, const struct libusb_device_descriptor *d,
			struct usb_candidate *c, bool listing)
{
	(void)listing; /* a probe's product string is not shown */
	uint16_t units[SERIAL_CHARS_MAX];
	size_t chars = usb_string_units(h, d->iSerialNumber, LANGUAGE_EN_US, units,
					SERIAL_CHARS_MAX);
	bool binary = chars == 12;
	size_t used = 0, size = sizeof c->serial < STLINK_USB_SERIAL_MAX ? sizeof c->serial :
									   STLINK_USB_SERIAL_MAX;
	c->serial[0] = '\0';
	for (size_t i = 0; i < chars && used + 3 < size; i++) {
		unsigned byte = units[i] & 0xFFu;
		used += (size_t)snprintf(c->serial + used, size - used, binary ? "%02X" : "%c",
					 binary || (byte >= 0x20 && byte < 0x7F) ? byte : '?');
	}
}

/* read_serial keeps it within STLINK_USB_SERIAL_MAX. */
static void copy_serial(char out[STLINK_USB_SERIAL_MAX], const char *serial)
{
	memcpy(out, serial, STLINK_USB_SERIAL_MAX);
	out[STLINK_USB_SERIAL_MAX - 1] = '\0';
}

static enum stm32_status refuse(const struct usb_candidate *found, size_t listed, size_t matches,
				const char *wanted, struct stm32_error *err)
{
	if (matches == 0)
		return stm32_error_set(err, STM32_E_IO,
				       *wanted ? "no ST-LINK probe with serial '%s'"
					       : "no ST-LINK probe (0483:3748, 374b, 374f, ...) found%s",
				       wanted);
	char text[USB_CANDIDATES_MAX * 64] = "";
	size_t used = 0;
	for (size_t i = 0; i < listed && used < sizeof text; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%sstlink:%s",
					 used ? ", " : "",
					 *found[i].serial ? found[i].serial : "(no serial)");
	return stm32_error_set(err, STM32_E_BUSY, "%zu ST-LINK probes: %s; name one (stlink:SERIAL)",
			       matches, text);
}

static const struct usb_kind probe_kind = {
	.wanted = is_probe,
	.strings = read_serial,
	.by_address = false,
	.in_address_order = false,
	.scheme = "stlink:",
	.named_by_serial = true,
	.refuse = refuse,
};

enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err)
{
	*out = NULL;
	memset(info, 0, sizeof *info);
	struct stlink_usb *usb = calloc(1, sizeof *usb);
	if (!usb)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	struct usb_candidate chosen;
	enum stm32_status s = usb_open_one(&usb->link, &probe_kind, serial, &chosen, err);
	if (s == STM32_OK) {
		info->pid = chosen.pid;
		copy_serial(info->serial, chosen.serial);
		snprintf(info->address, sizeof info->address, "%s", chosen.address);
		usb->out_endpoint = out_endpoint_of(info->pid);
		s = usb_claim(&usb->link, 0, "the probe's interface", " (another program holds it)",
			      err);
	}
	if (s != STM32_OK) {
		stlink_usb_close(usb);
		return s;
	}
	*out = usb;
	return STM32_OK;
}

static enum stm32_status bulk(struct stlink_usb *usb, uint8_t endpoint, uint8_t *data,
			      size_t length, size_t *moved, unsigned timeout_ms,
			      struct stm32_error *err)
{
	int done = 0;
	int rc = libusb_bulk_transfer(usb->link.handle, endpoint, data, (int)length, &done, timeout_ms);
	if (moved)
		*moved = done > 0 ? (size_t)done : 0;
	return rc != 0 ? usb_failure(&usb->link, &stlink_words, rc, err) : STM32_OK;
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
	usb_close(&usb->link);
	free(usb);
}

size_t stlink_usb_list(struct stlink_usb_info *out, size_t max)
{
	struct usb_candidate *found = calloc(max ? max : 1, sizeof *found);
	if (!found)
		return 0;
	size_t count = usb_find_all(&probe_kind, found, max);
	for (size_t i = 0; i < count && i < max; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].pid = found[i].pid;
		copy_serial(out[i].serial, found[i].serial);
		snprintf(out[i].address, sizeof out[i].address, "%s", found[i].address);
	}
	free(found);
	return count;
}
