/* USB face of the emulated ST-LINK (probe_usb.h): one vendor-specific
 * interface with the command, reply and trace bulk endpoints. */
#include <stdio.h>
#include <string.h>

#include "stlink/probe_usb.h"

#define DESC_DEVICE 1
#define DESC_CONFIG 2
#define DESC_STRING 3
#define DESC_INTERFACE 4
#define DESC_ENDPOINT 5
#define STRING_MANUFACTURER 1
#define STRING_PRODUCT 2
#define STRING_SERIAL 3
#define BULK 2
#define VID 0x0483u

static const char manufacturer[] = "STMicroelectronics";

static const char *product(const struct sim_stlink *st)
{
	return st->version == SIM_STLINK_V3 ? "STLINK-V3" : "STM32 STLink";
}

static unsigned max_packet(const struct sim_stlink *st)
{
	return st->version == SIM_STLINK_V3 ? 512u : 64u; /* V3 is high speed */
}

static size_t put_endpoint(uint8_t *at, uint8_t address, unsigned packet)
{
	const uint8_t e[7] = {7, DESC_ENDPOINT, address, BULK, (uint8_t)packet, (uint8_t)(packet >> 8), 0};
	memcpy(at, e, sizeof e);
	return sizeof e;
}

void sim_stlink_usb_init(struct sim_stlink_usb *u, struct sim_stlink *stlink, const uint8_t *uid,
			 struct sim_faults *faults)
{
	memset(u, 0, sizeof *u);
	u->stlink = stlink;
	u->faults = faults;
	bool v2 = stlink->version == SIM_STLINK_V2;
	/* Commands go OUT on 0x02 on a V2, on 0x01 on V2-1 and V3; the trace
	 * (SWO) endpoint is 0x83 on a V2, else 0x82 (stlink.md §1). */
	u->out_endpoint = v2 ? 0x02 : 0x01;
	u->in_endpoint = 0x81;
	u->trace_endpoint = v2 ? 0x83 : 0x82;
	uint16_t pid = stlink->pid;
	const uint8_t device[18] = {18, DESC_DEVICE, 0x00, 0x02, 0, 0, 0, 64,
				    (uint8_t)VID, (uint8_t)(VID >> 8), (uint8_t)pid, (uint8_t)(pid >> 8),
				    0x00, 0x01, STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL, 1};
	memcpy(u->device, device, sizeof device);
	uint8_t *c = u->config;
	size_t n = 9;
	const uint8_t interface[9] = {9, DESC_INTERFACE, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0};
	memcpy(c + n, interface, sizeof interface);
	n += sizeof interface;
	unsigned packet = max_packet(stlink);
	n += put_endpoint(c + n, u->in_endpoint, packet);
	n += put_endpoint(c + n, u->out_endpoint, packet);
	n += put_endpoint(c + n, u->trace_endpoint, packet);
	const uint8_t config[9] = {9, DESC_CONFIG, (uint8_t)n, (uint8_t)(n >> 8), 1, 1, 0, 0x80, 0x32};
	memcpy(c, config, sizeof config);
	u->config_length = n;
	for (unsigned i = 0; i < SIM_STLINK_SERIAL_LENGTH / 2; i++)
		snprintf(u->serial + 2 * i, 3, "%02X", uid[i]);
}

static int copy_out(const uint8_t *from, size_t length, uint8_t *out, size_t max)
{
	size_t n = length < max ? length : max;
	memcpy(out, from, n);
	return (int)n;
}

static int string_descriptor(const char *text, uint8_t *out, size_t max)
{
	uint8_t buffer[2 + 2 * 64];
	size_t length = strlen(text) < 64 ? strlen(text) : 64;
	buffer[0] = (uint8_t)(2 + 2 * length);
	buffer[1] = DESC_STRING;
	for (size_t i = 0; i < length; i++) {
		buffer[2 + 2 * i] = (uint8_t)text[i];
		buffer[3 + 2 * i] = 0;
	}
	return copy_out(buffer, buffer[0], out, max);
}

static int descriptor(void *ctx, uint16_t value, uint8_t *out, size_t max)
{
	struct sim_stlink_usb *u = ctx;
	unsigned type = value >> 8, index = value & 0xFFu;
	static const uint8_t languages[4] = {4, DESC_STRING, 0x09, 0x04};
	if (type == DESC_DEVICE)
		return copy_out(u->device, sizeof u->device, out, max);
	if (type == DESC_CONFIG)
		return index == 0 ? copy_out(u->config, u->config_length, out, max) : -1;
	if (type != DESC_STRING)
		return -1;
	switch (index) {
	case 0: return copy_out(languages, sizeof languages, out, max);
	case STRING_MANUFACTURER: return string_descriptor(manufacturer, out, max);
	case STRING_PRODUCT: return string_descriptor(product(u->stlink), out, max);
	case STRING_SERIAL: return string_descriptor(u->serial, out, max);
	default: return -1;
	}
}

static void descriptors_hex(void *ctx, char *out, size_t size)
{
	const struct sim_stlink_usb *u = ctx;
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof u->device && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%02x", u->device[i]);
	for (size_t i = 0; i < u->config_length && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%02x", u->config[i]);
}

static const char *serial(void *ctx)
{
	const struct sim_stlink_usb *u = ctx;
	return u->serial;
}

static struct sim_usb_reply bulk_out(void *ctx, uint8_t endpoint, const uint8_t *data, size_t length,
				     uint64_t now_us)
{
	struct sim_stlink_usb *u = ctx;
	if (endpoint != u->out_endpoint) {
		u->stray_transfers++;
		return (struct sim_usb_reply){.stall = true};
	}
	u->bulk_out++;
	/* Each transfer counts as one unit of the byte faults: the probe
	 * unplugged (hangup-after), the chip reset (reset-after), the reply
	 * late (stall). USB's CRCs leave no corrupted or lost bytes. */
	struct sim_rx_fault fault = {0};
	uint8_t token = data && length ? data[0] : 0;
	if (u->faults)
		fault = sim_faults_on_rx(u->faults, &token);
	if (fault.hang_up)
		return (struct sim_usb_reply){.leave = true};
	struct sim_swd_target *target = u->stlink->target;
	target->wall_us = now_us;
	sim_stlink_out(u->stlink, data, length);
	if (fault.reset_chip)
		sim_swd_system_reset(target, SIM_RESET_NONE);
	/* Realtime: the transfer completes once the probe has done its SWD
	 * work, so the host's next transfer waits for it. */
	uint64_t wire_ns = sim_stlink_take_wire_ns(u->stlink);
	uint64_t wire_us = target->realtime ? (wire_ns + 999u) / 1000u : 0u;
	return (struct sim_usb_reply){.delay_us = fault.stall_ms * 1000ull + wire_us};
}

static int bulk_in(void *ctx, uint8_t endpoint, uint8_t *data, size_t max)
{
	struct sim_stlink_usb *u = ctx;
	if (endpoint != u->in_endpoint)
		return -1; /* the trace endpoint never has data: SWO is not modelled */
	int n = sim_stlink_in(u->stlink, data, max);
	if (n >= 0)
		u->bulk_in++;
	return n;
}

static void reset(void *ctx)
{
	struct sim_stlink_usb *u = ctx;
	sim_stlink_usb_reset(u->stlink);
}

struct sim_usb_function sim_stlink_usb_function(struct sim_stlink_usb *u)
{
	return (struct sim_usb_function){
		.vid = VID, .pid = u->stlink->pid,
		.manufacturer = manufacturer, .product = product(u->stlink),
		.speed_mbps = u->stlink->version == SIM_STLINK_V3 ? 480 : 12, .ctx = u,
		.descriptor = descriptor, .descriptors_hex = descriptors_hex, .serial = serial,
		.reset = reset, .bulk_out = bulk_out, .bulk_in = bulk_in,
		.standard_requests = &u->standard_requests,
	};
}
