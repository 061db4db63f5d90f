/* The ROM's DFU device as a usbfs function (usbfs.h): its descriptors,
 * the DfuSe model behind its class requests, and the link faults drawn per
 * class request (a stall delays the reply, a reset re-enumerates, a
 * hang-up leaves the bus). */
#include <glib.h>
#include <stdio.h>

#include "chip/chip.h"
#include "usb/usbfs.h"

struct dfu_function {
	struct sim_dfuse *dfu;
	struct sim_usb_descriptors descriptors;
};

static int descriptor(void *ctx, uint16_t value, uint8_t *out, size_t max)
{
	struct dfu_function *f = ctx;
	return sim_usb_descriptor(&f->descriptors, value, out, max);
}

static void descriptors_hex(void *ctx, char *out, size_t size)
{
	struct dfu_function *f = ctx;
	sim_usb_descriptors_hex(&f->descriptors, out, size);
}

static const char *serial(void *ctx)
{
	struct dfu_function *f = ctx;
	return f->descriptors.serial;
}

static bool set_alt(void *ctx, unsigned alt)
{
	struct dfu_function *f = ctx;
	return sim_dfuse_set_alt(f->dfu, alt);
}

static struct sim_usb_reply control(void *ctx, const uint8_t *setup, uint8_t *data, uint64_t now_us)
{
	struct dfu_function *f = ctx;
	struct sim_rx_fault fault = {0};
	uint8_t token = setup[1];
	if (f->dfu->faults)
		fault = sim_faults_on_rx(f->dfu->faults, &token);
	struct sim_dfu_setup s = {setup[0], setup[1], (uint16_t)(setup[2] | setup[3] << 8),
				  (uint16_t)(setup[4] | setup[5] << 8),
				  (uint16_t)(setup[6] | setup[7] << 8)};
	struct sim_dfu_reply r = sim_dfuse_request(f->dfu, &s, data, now_us);
	return (struct sim_usb_reply){.stall = r.stall,
				      .length = r.length,
				      .ready_at_us = r.ready_at_us,
				      .delay_us = fault.stall_ms * 1000ull,
				      .leave = r.leave || fault.hang_up,
				      .reset = r.reset || fault.reset_chip};
}

static void reset(void *ctx)
{
	struct dfu_function *f = ctx;
	sim_dfuse_reset(f->dfu);
}

/* RDP level 2 turns the ROM bootloader off: the device never enumerates. */
static bool present(void *ctx)
{
	struct dfu_function *f = ctx;
	return sim_chip_rdp_level(f->dfu->chip) < 2;
}

static void release(void *ctx)
{
	g_free(ctx);
}

struct sim_usbfs *sim_usbfs_open(struct sim_dfuse *const *dfus, unsigned count, bool realtime,
				 char *why, size_t why_size)
{
	struct sim_usb_function functions[SIM_USBFS_MAX_DEVICES];
	if (count < 1 || count > SIM_USBFS_MAX_DEVICES) {
		snprintf(why, why_size, "%u DFU devices (1 to %u)", count, SIM_USBFS_MAX_DEVICES);
		return NULL;
	}
	for (unsigned i = 0; i < count; i++) {
		struct dfu_function *f = g_new0(struct dfu_function, 1);
		f->dfu = dfus[i];
		sim_usb_descriptors_build(&f->descriptors, dfus[i]);
		functions[i] = (struct sim_usb_function){
			.vid = SIM_USB_VID, .pid = SIM_USB_PID,
			.manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER",
			.speed_mbps = 12, .ctx = f,
			.descriptor = descriptor, .descriptors_hex = descriptors_hex, .serial = serial,
			.set_alt = set_alt, .control = control, .reset = reset, .present = present,
			.standard_requests = &dfus[i]->counts.standard_requests, .release = release,
			.most_queued = &dfus[i]->counts.most_queued,
		};
	}
	return sim_usbfs_open_functions(functions, count, realtime, why, why_size);
}

struct model_call {
	void (*f)(struct sim_dfuse *, void *);
	void *user;
};

static void call_with_model(void *ctx, void *user)
{
	struct dfu_function *f = ctx;
	struct model_call *call = user;
	call->f(f->dfu, call->user);
}

void sim_usbfs_with_model(struct sim_usbfs *usb, unsigned index,
			  void (*f)(struct sim_dfuse *, void *), void *user)
{
	struct model_call call = {f, user};
	sim_usbfs_locked(usb, index, call_with_model, &call);
}
