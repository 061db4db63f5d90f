/* USB descriptors of the DFU-mode ROM (usb-bench.md, "Descriptors seen to
 * satisfy the peers"; DFU 1.1 §4.2). */
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "usb/descriptors.h"

#define DESC_DEVICE 1
#define DESC_CONFIG 2
#define DESC_STRING 3
#define DESC_INTERFACE 4
#define DESC_DFU_FUNCTIONAL 0x21
#define STRING_MANUFACTURER 1
#define STRING_PRODUCT 2
#define STRING_SERIAL 3
#define STRING_FIRST_ALT 4
#define FUNCTIONAL_LENGTH 9

static const char manufacturer[] = "STMicroelectronics";
static const char product[] = "STM32  BOOTLOADER";

/* The serial string of ST's USB device library: the hex of UID word 0 plus
 * word 2 (8 digits), then the top 16 bits of word 1 (4 digits). That the ROM
 * uses the same derivation is not confirmed. */
static void serial_of(const uint8_t uid[SIM_UID_BYTES], char *out)
{
	uint32_t w0 = sim_get_le32(uid), w1 = sim_get_le32(uid + 4), w2 = sim_get_le32(uid + 8);
	snprintf(out, SIM_USB_SERIAL_LENGTH + 1, "%08X%04X", (unsigned)(w0 + w2),
		 (unsigned)(w1 >> 16));
}

static const uint8_t dfu_functional[FUNCTIONAL_LENGTH] = {
	FUNCTIONAL_LENGTH, DESC_DFU_FUNCTIONAL,
	0x0B,       /* bmAttributes: download, upload, manifestation tolerant */
	0xFF, 0x00, /* wDetachTimeOut 255 ms */
	(uint8_t)SIM_DFU_TRANSFER_SIZE, (uint8_t)(SIM_DFU_TRANSFER_SIZE >> 8),
	0x1A, 0x01, /* bcdDFU 1.1a: DfuSe */
};

void sim_usb_descriptors_build(struct sim_usb_descriptors *d, const struct sim_dfuse *dfu)
{
	memset(d, 0, sizeof *d);
	d->dfu = dfu;
	const uint8_t device[18] = {18, DESC_DEVICE, 0x00, 0x02, 0, 0, 0, 64,
				    (uint8_t)SIM_USB_VID, (uint8_t)(SIM_USB_VID >> 8),
				    (uint8_t)SIM_USB_PID, (uint8_t)(SIM_USB_PID >> 8),
				    0x00, 0x22, /* bcdDevice 2.2 */
				    STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL, 1};
	memcpy(d->device, device, sizeof device);
	uint8_t *c = d->config;
	size_t n = 9;
	for (unsigned alt = 0; alt < dfu->memory_count; alt++) {
		const uint8_t interface[9] = {9, DESC_INTERFACE, 0, (uint8_t)alt, 0, 0xFE, 0x01, 0x02,
					      (uint8_t)(STRING_FIRST_ALT + alt)};
		memcpy(c + n, interface, sizeof interface);
		n += sizeof interface;
	}
	memcpy(c + n, dfu_functional, sizeof dfu_functional);
	n += sizeof dfu_functional;
	const uint8_t config[9] = {9, DESC_CONFIG, (uint8_t)n, (uint8_t)(n >> 8), 1, 1, 0, 0xC0,
				   0x32};
	memcpy(c, config, sizeof config);
	d->config_length = n;
	serial_of(dfu->chip->uid, d->serial);
}

static int string_descriptor(const char *text, uint8_t *out, size_t max)
{
	size_t length = strlen(text);
	size_t total = 2 + 2 * length;
	if (total > 254)
		total = 254;
	uint8_t buffer[254];
	buffer[0] = (uint8_t)total;
	buffer[1] = DESC_STRING;
	for (size_t i = 0; 2 + 2 * i < total; i++) {
		buffer[2 + 2 * i] = (uint8_t)text[i];
		buffer[3 + 2 * i] = 0;
	}
	size_t n = total < max ? total : max;
	memcpy(out, buffer, n);
	return (int)n;
}

static int copy_out(const uint8_t *from, size_t length, uint8_t *out, size_t max)
{
	size_t n = length < max ? length : max;
	memcpy(out, from, n);
	return (int)n;
}

int sim_usb_descriptor(const struct sim_usb_descriptors *d, uint16_t value, uint8_t *out,
		       size_t max)
{
	unsigned type = value >> 8, index = value & 0xFFu;
	static const uint8_t languages[4] = {4, DESC_STRING, 0x09, 0x04}; /* en-US */
	switch (type) {
	case DESC_DEVICE:
		return copy_out(d->device, sizeof d->device, out, max);
	case DESC_CONFIG:
		return index == 0 ? copy_out(d->config, d->config_length, out, max) : -1;
	case DESC_DFU_FUNCTIONAL:
		return copy_out(dfu_functional, sizeof dfu_functional, out, max);
	case DESC_STRING:
		break;
	default:
		return -1;
	}
	switch (index) {
	case 0: return copy_out(languages, sizeof languages, out, max);
	case STRING_MANUFACTURER: return string_descriptor(manufacturer, out, max);
	case STRING_PRODUCT: return string_descriptor(product, out, max);
	case STRING_SERIAL: return string_descriptor(d->serial, out, max);
	default:
		if (index - STRING_FIRST_ALT < d->dfu->memory_count)
			return string_descriptor(d->dfu->memories[index - STRING_FIRST_ALT].name, out,
						 max);
		return -1;
	}
}

void sim_usb_descriptors_hex(const struct sim_usb_descriptors *d, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof d->device && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%02x", d->device[i]);
	for (size_t i = 0; i < d->config_length && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%02x", d->config[i]);
}
