/* usbfs through umockdev (usb-bench.md, "Recipe"). The handler runs on
 * umockdev's worker thread: every URB is answered when it is submitted (the
 * model never waits for the host), and with --speed realtime the
 * SUBMITURB itself completes late, by the USB full-speed transfer time
 * rounded up to the next 1 ms frame, or when the busy chip answers. */
#define _GNU_SOURCE
#include <errno.h>
#include <glib.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <umockdev.h>
#include <unistd.h>

#include "usb/usbfs.h"

#define SETUP_LENGTH 8
#define FRAME_US 1000u
#define FULL_SPEED_BITS_PER_US 12u
#define PACKET_OVERHEAD_BYTES 12u /* token, handshake, CRC, sync, gaps per 64-byte packet */
#define MAX_PACKET 64u
#define STD_GET_STATUS 0x00
#define STD_GET_DESCRIPTOR 0x06
#define STD_GET_CONFIGURATION 0x08
#define STD_SET_INTERFACE 0x0B
#define TYPE_MASK 0x60
#define TYPE_STANDARD 0x00
#define TYPE_CLASS 0x20
#define CLIENT_KEY "stm32sim-client"

/* One emulated device: bus 1, port `number`, device number number + 1. */
struct usb_port {
	struct sim_usbfs *usb;
	UMockdevIoctlBase *handler;
	struct sim_dfuse *dfu;
	struct sim_usb_descriptors descriptors;
	unsigned number;
	bool gone;           /* left the bus: every request fails with ENODEV */
	bool unplugged;      /* removed from the testbed (main thread) */
	unsigned generation; /* bumped by a chip reset: older connections are dead */
	uint64_t bus_free_us; /* realtime: endpoint 0 is busy until then */
	char syspath[96], devnode[40];
};

struct sim_usbfs {
	UMockdevTestbed *testbed;
	GMutex lock; /* over every port: one worker thread serves them all */
	bool realtime;
	struct timespec start;
	char root[256];
	unsigned count;
	struct usb_port ports[SIM_USBFS_MAX_DEVICES];
};

struct client_state {
	GQueue done; /* completed URBs, not reaped yet */
	unsigned generation;
};

struct delayed_urb {
	UMockdevIoctlClient *client;
	UMockdevIoctlData *urb;
};

static uint64_t now_us(const struct sim_usbfs *usb)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - usb->start.tv_sec) * 1000000u +
	       (uint64_t)((t.tv_nsec - usb->start.tv_nsec) / 1000);
}

static void free_client_state(gpointer p)
{
	struct client_state *state = p;
	g_queue_clear_full(&state->done, g_object_unref);
	g_free(state);
}

static struct client_state *client_state(struct usb_port *port, UMockdevIoctlClient *client)
{
	struct client_state *state = g_object_get_data(G_OBJECT(client), CLIENT_KEY);
	if (!state) {
		state = g_new0(struct client_state, 1);
		g_queue_init(&state->done);
		state->generation = port->generation;
		g_object_set_data_full(G_OBJECT(client), CLIENT_KEY, state, free_client_state);
	}
	return state;
}

/* When a transfer of length data bytes would end on a full-speed bus. */
static uint64_t transfer_end_us(uint64_t now, size_t length)
{
	uint64_t packets = 1 + (length + MAX_PACKET - 1) / MAX_PACKET + 1; /* setup, data, status */
	uint64_t bytes = SETUP_LENGTH + length + packets * PACKET_OVERHEAD_BYTES;
	uint64_t end = now + bytes * 8u / FULL_SPEED_BITS_PER_US;
	return (end + FRAME_US - 1) / FRAME_US * FRAME_US;
}

static int standard_request(struct usb_port *port, const uint8_t *setup, uint8_t *data,
			    uint16_t length)
{
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	port->dfu->counts.standard_requests++;
	switch (setup[1]) {
	case STD_GET_DESCRIPTOR:
		return sim_usb_descriptor(&port->descriptors, value, data, length);
	case STD_GET_STATUS:
		memset(data, 0, length < 2 ? length : 2);
		return length < 2 ? length : 2;
	case STD_GET_CONFIGURATION:
		if (length)
			data[0] = 1;
		return length ? 1 : 0;
	case STD_SET_INTERFACE:
		return sim_dfuse_set_alt(port->dfu, value) ? 0 : -1;
	default: /* SET_CONFIGURATION, CLEAR_FEATURE, SET_FEATURE: nothing to do */
		return 0;
	}
}

/* One control transfer: returns when the host may see its completion (µs
 * on the model's clock; 0 or a time passed: at once). */
static uint64_t control(struct usb_port *port, struct usbdevfs_urb *urb, uint8_t *buffer)
{
	struct sim_usbfs *usb = port->usb;
	struct sim_dfuse *dfu = port->dfu;
	uint64_t now = now_us(usb);
	/* Endpoint 0 carries one control transfer at a time: a URB queued
	 * behind another starts when that one has ended. */
	if (usb->realtime && port->bus_free_us > now)
		now = port->bus_free_us;
	const uint8_t *setup = buffer;
	uint8_t *data = buffer + SETUP_LENGTH;
	uint16_t length = (uint16_t)(setup[6] | setup[7] << 8);
	if (urb->buffer_length < SETUP_LENGTH || length > urb->buffer_length - SETUP_LENGTH) {
		urb->status = -EINVAL;
		return 0;
	}
	bool in = setup[0] & 0x80;
	int result = -1;
	struct sim_dfu_reply reply = {0};
	struct sim_rx_fault fault = {0};
	if ((setup[0] & TYPE_MASK) == TYPE_STANDARD) {
		result = standard_request(port, setup, data, length);
	} else if ((setup[0] & TYPE_MASK) == TYPE_CLASS) {
		uint8_t token = setup[1];
		if (dfu->faults)
			fault = sim_faults_on_rx(dfu->faults, &token);
		struct sim_dfu_setup s = {setup[0], setup[1], (uint16_t)(setup[2] | setup[3] << 8),
					  (uint16_t)(setup[4] | setup[5] << 8), length};
		reply = sim_dfuse_request(dfu, &s, data, now);
		result = reply.stall ? -1 : (int)(in ? reply.length : length);
	}
	urb->status = result < 0 ? -EPIPE : 0;
	urb->actual_length = result < 0 ? 0 : result;
	if (reply.reset || fault.reset_chip) {
		/* The chip resets: this connection dies, the device enumerates again. */
		port->generation++;
		sim_dfuse_reset(dfu);
		/* RDP level 2 turns the ROM bootloader off: it never comes back. */
		if (sim_chip_rdp_level(dfu->chip) == 2)
			port->gone = true;
	}
	if (reply.leave || fault.hang_up)
		port->gone = true;
	uint64_t ready = usb->realtime ? transfer_end_us(now, length) : 0;
	if (reply.ready_at_us > ready)
		ready = transfer_end_us(reply.ready_at_us, 0);
	if (fault.stall_ms)
		ready = (ready > now ? ready : now) + fault.stall_ms * 1000ull;
	if (usb->realtime)
		port->bus_free_us = ready;
	return ready > now_us(usb) ? ready : 0;
}

static gboolean complete_delayed(gpointer p)
{
	struct delayed_urb *d = p;
	struct client_state *state = g_object_get_data(G_OBJECT(d->client), CLIENT_KEY);
	if (state)
		g_queue_push_tail(&state->done, d->urb);
	else
		g_object_unref(d->urb);
	umockdev_ioctl_client_complete(d->client, 0, 0);
	g_object_unref(d->client);
	g_free(d);
	return G_SOURCE_REMOVE;
}

/* A delayed completion wakes the worker thread through a timerfd armed for
 * the exact time: GLib's own timeouts wake poll() in whole milliseconds,
 * late enough to push the host's next transfer into another frame. */
struct timer_source {
	GSource base;
	int fd;
};

static gboolean dispatch_timer(GSource *source, GSourceFunc callback, gpointer data)
{
	(void)source;
	return callback(data);
}

static void finalize_timer(GSource *source)
{
	close(((struct timer_source *)source)->fd);
}

static GSourceFuncs timer_funcs = {NULL, NULL, dispatch_timer, finalize_timer, NULL, NULL};

/* A source that becomes ready at ready_us on the model's clock. */
static GSource *timer_at(const struct sim_usbfs *usb, uint64_t ready_us)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return NULL;
	uint64_t ns = (uint64_t)usb->start.tv_nsec + ready_us % 1000000u * 1000u;
	struct itimerspec when = {
		.it_value = {.tv_sec = usb->start.tv_sec + (time_t)(ready_us / 1000000u) +
				       (time_t)(ns / 1000000000u),
			     .tv_nsec = (long)(ns % 1000000000u)}};
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &when, NULL) != 0) {
		close(fd);
		return NULL;
	}
	GSource *source = g_source_new(&timer_funcs, sizeof(struct timer_source));
	((struct timer_source *)source)->fd = fd;
	g_source_add_unix_fd(source, fd, G_IO_IN);
	return source;
}

static void submit(struct usb_port *port, UMockdevIoctlClient *client, struct client_state *state,
		   UMockdevIoctlData *arg)
{
	UMockdevIoctlData *urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb),
								  NULL);
	if (!urb_data) {
		umockdev_ioctl_client_complete(client, -1, EFAULT);
		return;
	}
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)urb_data->data;
	uint64_t ready_us = 0;
	if (urb->type != USBDEVFS_URB_TYPE_CONTROL || urb->buffer_length < SETUP_LENGTH) {
		urb->status = -EPIPE; /* no other endpoints */
		urb->actual_length = 0;
	} else {
		UMockdevIoctlData *buffer = umockdev_ioctl_data_resolve(
			urb_data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
			(gsize)urb->buffer_length, NULL);
		if (!buffer) {
			g_object_unref(urb_data);
			umockdev_ioctl_client_complete(client, -1, EFAULT);
			return;
		}
		ready_us = control(port, urb, buffer->data);
		g_object_unref(buffer);
	}
	GSource *source = ready_us ? timer_at(port->usb, ready_us) : NULL;
	if (!source) {
		g_queue_push_tail(&state->done, urb_data);
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
	struct delayed_urb *d = g_new0(struct delayed_urb, 1);
	d->client = g_object_ref(client);
	d->urb = urb_data;
	g_source_set_callback(source, complete_delayed, d, NULL);
	g_source_attach(source, g_main_context_get_thread_default());
	g_source_unref(source);
}

static void reap(UMockdevIoctlClient *client, struct client_state *state, UMockdevIoctlData *arg,
		 bool gone)
{
	UMockdevIoctlData *urb = g_queue_pop_head(&state->done);
	if (!urb) {
		umockdev_ioctl_client_complete(client, -1, gone ? ENODEV : EAGAIN);
		return;
	}
	UMockdevIoctlData *pointer = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	if (pointer) {
		umockdev_ioctl_data_set_ptr(pointer, 0, urb);
		g_object_unref(pointer);
	}
	umockdev_ioctl_client_complete(client, pointer ? 0 : -1, pointer ? 0 : EFAULT);
	g_object_unref(urb);
}

static void discard(UMockdevIoctlClient *client, struct client_state *state,
		    UMockdevIoctlData *arg)
{
	/* Every URB is complete before SUBMITURB returns: nothing left to cancel
	 * (the kernel says EINVAL for a completed URB). */
	(void)state;
	(void)arg;
	umockdev_ioctl_client_complete(client, -1, EINVAL);
}

static void capabilities(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *caps = umockdev_ioctl_data_resolve(arg, 0, sizeof(uint32_t), NULL);
	if (!caps) {
		umockdev_ioctl_client_complete(client, -1, EFAULT);
		return;
	}
	uint32_t value = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
			 USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
	memcpy(caps->data, &value, sizeof value);
	umockdev_ioctl_client_complete(client, 0, 0);
	g_object_unref(caps);
}

static void set_interface(struct usb_port *port, UMockdevIoctlClient *client,
			  UMockdevIoctlData *arg)
{
	UMockdevIoctlData *s = umockdev_ioctl_data_resolve(arg, 0,
							   sizeof(struct usbdevfs_setinterface), NULL);
	bool ok = s && sim_dfuse_set_alt(port->dfu,
					  ((struct usbdevfs_setinterface *)s->data)->altsetting);
	umockdev_ioctl_client_complete(client, ok ? 0 : -1, ok ? 0 : EINVAL);
	if (s)
		g_object_unref(s);
}

static gboolean handle_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer user)
{
	(void)base;
	struct usb_port *port = user;
	struct sim_usbfs *usb = port->usb;
	gulong request = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	g_mutex_lock(&usb->lock);
	struct client_state *state = client_state(port, client);
	bool dead = port->gone || state->generation != port->generation;
	if (request == USBDEVFS_REAPURBNDELAY || request == USBDEVFS_REAPURB)
		reap(client, state, arg, dead);
	else if (dead)
		umockdev_ioctl_client_complete(client, -1, ENODEV);
	else if (request == USBDEVFS_SUBMITURB)
		submit(port, client, state, arg);
	else if (request == USBDEVFS_DISCARDURB)
		discard(client, state, arg);
	else if (request == USBDEVFS_GET_CAPABILITIES)
		capabilities(client, arg);
	else if (request == USBDEVFS_SETINTERFACE)
		set_interface(port, client, arg);
	else if (request == USBDEVFS_CLAIMINTERFACE || request == USBDEVFS_RELEASEINTERFACE ||
		 request == USBDEVFS_RESET || request == USBDEVFS_DISCONNECT_CLAIM ||
		 request == USBDEVFS_CLEAR_HALT || request == USBDEVFS_SETCONFIGURATION)
		umockdev_ioctl_client_complete(client, 0, 0);
	else if (request == USBDEVFS_GETDRIVER || request == USBDEVFS_IOCTL)
		umockdev_ioctl_client_complete(client, -1, ENODATA);
	else
		umockdev_ioctl_client_complete(client, -1, ENOTTY);
	g_mutex_unlock(&usb->lock);
	return TRUE;
}

static const char root_hub[] =
	"P: /devices/pci0000:00/0000:00:14.0/usb1\n"
	"N: bus/usb/001/001\n"
	"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
	"E: BUSNUM=001\nE: DEVNUM=001\nE: DEVNAME=/dev/bus/usb/001/001\n"
	"A: busnum=1\nA: devnum=1\nA: speed=480\nA: bConfigurationValue=1\n"
	"H: descriptors=12010002090001406b1d020000060302010109021900010100e000090400000109000000"
	"0705810304000c\n"
	"\n";

static bool plug_in(struct usb_port *port, GError **error)
{
	char hex[2 * (18 + SIM_USB_DESCRIPTORS_MAX) + 1];
	sim_usb_descriptors_hex(&port->descriptors, hex, sizeof hex);
	const char *serial = port->descriptors.serial;
	char *record = g_strdup_printf(
		"%s"
		"P: %s\n"
		"N: %s\n"
		"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
		"E: BUSNUM=001\nE: DEVNUM=%03u\nE: DEVNAME=%s\n"
		"E: ID_SERIAL_SHORT=%s\n"
		"A: busnum=1\nA: devnum=%u\nA: speed=12\nA: bConfigurationValue=1\n"
		"A: idVendor=0483\nA: idProduct=df11\nA: serial=%s\n"
		"A: manufacturer=STMicroelectronics\nA: product=STM32  BOOTLOADER\n"
		"H: descriptors=%s\n",
		port->number == 1 ? root_hub : "", port->syspath + strlen("/sys"), port->devnode + strlen("/dev/"),
		port->number + 1, port->devnode, serial, port->number + 1, serial, hex);
	gboolean ok = umockdev_testbed_add_from_string(port->usb->testbed, record, error);
	g_free(record);
	return ok;
}

static bool open_port(struct sim_usbfs *usb, struct usb_port *port, unsigned number,
		      struct sim_dfuse *dfu, GError **error)
{
	port->usb = usb;
	port->dfu = dfu;
	port->number = number;
	snprintf(port->syspath, sizeof port->syspath, "%s/1-%u", SIM_USBFS_HUB_SYSPATH, number);
	snprintf(port->devnode, sizeof port->devnode, "/dev/bus/usb/001/%03u", number + 1);
	sim_usb_descriptors_build(&port->descriptors, dfu);
	port->handler = umockdev_ioctl_base_new();
	g_signal_connect(port->handler, "handle-ioctl", G_CALLBACK(handle_ioctl), port);
	/* At RDP level 2 the ROM bootloader never runs: no device to see. */
	bool bootloader = sim_chip_rdp_level(dfu->chip) < 2;
	port->gone = port->unplugged = !bootloader;
	/* The handler first: a client must never find the node unanswered. */
	return umockdev_testbed_attach_ioctl(usb->testbed, port->devnode, port->handler, error) &&
	       (!bootloader || plug_in(port, error));
}

struct sim_usbfs *sim_usbfs_open(struct sim_dfuse *const *dfus, unsigned count, bool realtime,
				 char *why, size_t why_size)
{
	struct sim_usbfs *usb = g_new0(struct sim_usbfs, 1);
	g_mutex_init(&usb->lock);
	usb->realtime = realtime;
	clock_gettime(CLOCK_MONOTONIC, &usb->start);
	usb->testbed = umockdev_testbed_new();
	gchar *root = umockdev_testbed_get_root_dir(usb->testbed);
	snprintf(usb->root, sizeof usb->root, "%s", root);
	g_free(root);
	GError *error = NULL;
	bool ok = count >= 1 && count <= SIM_USBFS_MAX_DEVICES;
	for (unsigned i = 0; ok && i < count; i++) {
		ok = open_port(usb, &usb->ports[i], i + 1, dfus[i], &error);
		usb->count = i + 1;
	}
	if (!ok) {
		snprintf(why, why_size, "umockdev testbed: %s", error ? error->message : "failed");
		g_clear_error(&error);
		sim_usbfs_close(usb);
		return NULL;
	}
	return usb;
}

const char *sim_usbfs_root(const struct sim_usbfs *usb)
{
	return usb->root;
}

bool sim_usbfs_service(struct sim_usbfs *usb)
{
	bool all_gone = true;
	for (unsigned i = 0; i < usb->count; i++) {
		struct usb_port *port = &usb->ports[i];
		g_mutex_lock(&usb->lock);
		bool unplug = port->gone && !port->unplugged;
		all_gone = all_gone && port->gone;
		port->unplugged = port->unplugged || unplug;
		g_mutex_unlock(&usb->lock);
		/* No "remove" uevent: this process is not under the preload, so its
		 * uevent could not reach the clients (usb-bench.md, "Recipe" 7); a
		 * client that holds the device sees ENODEV, a new one no device. */
		if (unplug)
			umockdev_testbed_remove_device(usb->testbed, port->syspath);
	}
	return all_gone;
}

void sim_usbfs_with_model(struct sim_usbfs *usb, unsigned index,
			  void (*f)(struct sim_dfuse *, void *), void *user)
{
	g_mutex_lock(&usb->lock);
	f(usb->ports[index].dfu, user);
	g_mutex_unlock(&usb->lock);
}

void sim_usbfs_close(struct sim_usbfs *usb)
{
	if (!usb)
		return;
	if (usb->testbed)
		g_object_unref(usb->testbed);
	for (unsigned i = 0; i < usb->count; i++)
		if (usb->ports[i].handler)
			g_object_unref(usb->ports[i].handler);
	g_mutex_clear(&usb->lock);
	g_free(usb);
}
