/* usbfs through umockdev (usb-bench.md, "Recipe"). The handler runs on
 * umockdev's worker thread: every URB is answered when it is submitted (the
 * model never waits for the host). With --speed realtime a URB completes
 * late, by the USB full-speed transfer time rounded up to the next 1 ms
 * frame, or when the busy chip answers: a control URB is reaped then (its
 * SUBMITURB returns at once, so a host may queue the next one behind it, as
 * on a real host controller), a bulk URB's SUBMITURB itself returns then.
 * The device node is a FIFO kept writable only while a URB waits to be
 * reaped, so libusb's poll() sleeps until then instead of spinning. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
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
#define PIPE_PAGE 4096 /* one slot of a pipe's buffer */

/* One emulated device: bus 1, port `number`, device number number + 1. */
struct usb_port {
	struct sim_usbfs *usb;
	UMockdevIoctlBase *handler;
	struct sim_usb_function fn;
	GQueue waiting_in; /* bulk IN URBs with no data yet (struct waiting_urb) */
	bool gone;           /* left the bus: every request fails with ENODEV */
	bool unplugged;      /* removed from the testbed (main thread) */
	unsigned generation; /* bumped by a chip reset: older connections are dead */
	unsigned number;
	uint64_t bus_free_us; /* realtime: endpoint 0 is busy until then */
	/* The node's FIFO (-1: none, the node stays a plain file): writable
	 * while done_urbs > 0 or the device is gone. */
	int reap_fd;
	bool reap_ready;
	unsigned done_urbs; /* in every client's done queue (worker thread only) */
	unsigned queued;    /* control URBs submitted, not yet completed (worker thread) */
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
	struct usb_port *port;
	GQueue done; /* completed URBs, not reaped yet */
	unsigned generation;
};

struct delayed_urb {
	struct usb_port *port;
	UMockdevIoctlClient *client;
	UMockdevIoctlData *urb;
	bool submit_pending; /* the SUBMITURB ioctl waits for this completion */
};

struct waiting_urb {
	UMockdevIoctlClient *client;
	UMockdevIoctlData *urb, *buffer;
};

static uint64_t now_us(const struct sim_usbfs *usb)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - usb->start.tv_sec) * 1000000u +
	       (uint64_t)((t.tv_nsec - usb->start.tv_nsec) / 1000);
}

/* libusb polls the node for POLLOUT before it reaps: the FIFO is made
 * writable by taking one page out of its full buffer, and full again by
 * putting it back. */
static void signal_reap(struct usb_port *port)
{
	bool ready = port->done_urbs > 0 || port->gone;
	if (port->reap_fd < 0 || ready == port->reap_ready)
		return;
	char page[PIPE_PAGE];
	memset(page, 0, sizeof page);
	ssize_t n = ready ? read(port->reap_fd, page, sizeof page) :
			    write(port->reap_fd, page, sizeof page);
	if (n == (ssize_t)sizeof page)
		port->reap_ready = ready;
}

static void push_done(struct client_state *state, UMockdevIoctlData *urb)
{
	g_queue_push_tail(&state->done, urb);
	state->port->done_urbs++;
	signal_reap(state->port);
}

static void free_client_state(gpointer p)
{
	struct client_state *state = p;
	state->port->done_urbs -= state->done.length;
	signal_reap(state->port);
	g_queue_clear_full(&state->done, g_object_unref);
	g_free(state);
}

static struct client_state *client_state(struct usb_port *port, UMockdevIoctlClient *client)
{
	struct client_state *state = g_object_get_data(G_OBJECT(client), CLIENT_KEY);
	if (!state) {
		state = g_new0(struct client_state, 1);
		state->port = port;
		g_queue_init(&state->done);
		state->generation = port->generation;
		g_object_set_data_full(G_OBJECT(client), CLIENT_KEY, state, free_client_state);
	}
	return state;
}

/* How long a control transfer of length data bytes keeps a full-speed
 * bus busy. */
static uint64_t control_bus_us(size_t length)
{
	uint64_t packets = 1 + (length + MAX_PACKET - 1) / MAX_PACKET + 1; /* setup, data, status */
	uint64_t bytes = SETUP_LENGTH + length + packets * PACKET_OVERHEAD_BYTES;
	return bytes * 8u / FULL_SPEED_BITS_PER_US;
}

/* When the host hears of a bus event at `end`: a full-speed host
 * controller reports completed transfers at the next frame boundary (OHCI
 * writes its done queue back to memory as a frame starts). */
static uint64_t reported_us(uint64_t end)
{
	return (end + FRAME_US - 1) / FRAME_US * FRAME_US;
}

/* When a transfer of length data bytes started at now is reported done. */
static uint64_t transfer_end_us(uint64_t now, size_t length)
{
	return reported_us(now + control_bus_us(length));
}

/* When a bulk transfer would end: its packets at the bus's rate (full
 * speed: 64-byte packets in 1 ms frames; high speed: 512-byte packets in
 * 125 us microframes). */
static uint64_t bulk_end_us(const struct usb_port *port, uint64_t now, size_t length)
{
	bool high = port->fn.speed_mbps >= 480;
	uint64_t packet = high ? 512u : MAX_PACKET, frame = high ? 125u : FRAME_US;
	uint64_t bits_per_us = high ? 480u : FULL_SPEED_BITS_PER_US;
	uint64_t packets = length ? (length + packet - 1) / packet : 1;
	uint64_t bytes = length + packets * PACKET_OVERHEAD_BYTES;
	uint64_t end = now + (bytes * 8u + bits_per_us - 1) / bits_per_us;
	return (end + frame - 1) / frame * frame;
}

static bool set_alt(struct usb_port *port, unsigned alt)
{
	return port->fn.set_alt ? port->fn.set_alt(port->fn.ctx, alt) : alt == 0;
}

static bool present(const struct usb_port *port)
{
	return !port->fn.present || port->fn.present(port->fn.ctx);
}

static int standard_request(struct usb_port *port, const uint8_t *setup, uint8_t *data,
			    uint16_t length)
{
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	if (port->fn.standard_requests)
		(*port->fn.standard_requests)++;
	switch (setup[1]) {
	case STD_GET_DESCRIPTOR:
		return port->fn.descriptor(port->fn.ctx, value, data, length);
	case STD_GET_STATUS:
		memset(data, 0, length < 2 ? length : 2);
		return length < 2 ? length : 2;
	case STD_GET_CONFIGURATION:
		if (length)
			data[0] = 1;
		return length ? 1 : 0;
	case STD_SET_INTERFACE:
		return set_alt(port, value) ? 0 : -1;
	default: /* SET_CONFIGURATION, CLEAR_FEATURE, SET_FEATURE: nothing to do */
		return 0;
	}
}

static void after_reply(struct usb_port *port, const struct sim_usb_reply *reply)
{
	if (reply->reset) {
		/* The device resets: this connection dies, the device enumerates
		 * again (unless it is no longer there to enumerate). */
		port->generation++;
		if (port->fn.reset)
			port->fn.reset(port->fn.ctx);
		if (!present(port))
			port->gone = true;
	}
	if (reply->leave)
		port->gone = true;
}

/* One control transfer: returns when the host may see its completion (µs
 * on the model's clock; 0 or a time passed: at once). */
static uint64_t control(struct usb_port *port, struct usbdevfs_urb *urb, uint8_t *buffer)
{
	struct sim_usbfs *usb = port->usb;
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
	struct sim_usb_reply reply = {0};
	if ((setup[0] & TYPE_MASK) == TYPE_STANDARD) {
		result = standard_request(port, setup, data, length);
	} else if ((setup[0] & TYPE_MASK) == TYPE_CLASS && port->fn.control) {
		reply = port->fn.control(port->fn.ctx, setup, data, now);
		result = reply.stall ? -1 : (int)(in ? reply.length : length);
	}
	urb->status = result < 0 ? -EPIPE : 0;
	urb->actual_length = result < 0 ? 0 : result;
	after_reply(port, &reply);
	uint64_t ready = usb->realtime ? transfer_end_us(now, length) : 0;
	/* The bus is free when the status stage has ended, not when the host
	 * is told: a transfer queued behind this one starts at once. */
	uint64_t bus_free = now + control_bus_us(length);
	if (reply.ready_at_us > ready) {
		ready = transfer_end_us(reply.ready_at_us, 0);
		bus_free = reply.ready_at_us + control_bus_us(0);
	}
	if (reply.delay_us) {
		ready = (ready > now ? ready : now) + reply.delay_us;
		bus_free = ready;
	}
	if (usb->realtime)
		port->bus_free_us = bus_free;
	return ready > now_us(usb) ? ready : 0;
}

static void free_waiting(gpointer p)
{
	struct waiting_urb *w = p;
	g_object_unref(w->urb);
	g_object_unref(w->buffer);
	g_object_unref(w->client);
	g_free(w);
}

/* The bulk IN URBs this client left waiting take what the function has
 * now, in the order they were submitted (a reply goes to the program that
 * sent the command); those of clients that went away are dropped. */
static void feed_waiting(struct usb_port *port, UMockdevIoctlClient *client)
{
	for (GList *l = port->waiting_in.head, *next; l; l = next) {
		next = l->next;
		struct waiting_urb *w = l->data;
		if (!umockdev_ioctl_client_get_connected(w->client)) {
			g_queue_delete_link(&port->waiting_in, l);
			free_waiting(w);
			continue;
		}
		if (w->client != client)
			continue;
		struct usbdevfs_urb *urb = (struct usbdevfs_urb *)w->urb->data;
		int n = port->fn.bulk_in(port->fn.ctx, urb->endpoint, w->buffer->data,
					 (size_t)urb->buffer_length);
		if (n < 0)
			return;
		g_queue_delete_link(&port->waiting_in, l);
		urb->status = 0;
		urb->actual_length = n;
		struct client_state *state = g_object_get_data(G_OBJECT(w->client), CLIENT_KEY);
		if (state)
			push_done(state, g_object_ref(w->urb));
		free_waiting(w);
	}
}

/* One bulk transfer: returns when the host may see its completion (as
 * control does), or UINT64_MAX when an IN transfer waits for data (then it
 * is queued). */
static uint64_t bulk(struct usb_port *port, UMockdevIoctlClient *client, UMockdevIoctlData *urb_data,
		     UMockdevIoctlData *buffer)
{
	struct sim_usbfs *usb = port->usb;
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)urb_data->data;
	uint64_t now = now_us(usb);
	size_t length = (size_t)urb->buffer_length;
	uint64_t delay_us = 0;
	if (urb->endpoint & 0x80) {
		int n = port->fn.bulk_in(port->fn.ctx, urb->endpoint, buffer->data, length);
		if (n < 0) {
			struct waiting_urb *w = g_new0(struct waiting_urb, 1);
			w->client = g_object_ref(client);
			w->urb = urb_data;
			w->buffer = g_object_ref(buffer);
			g_queue_push_tail(&port->waiting_in, w);
			return UINT64_MAX;
		}
		urb->status = 0;
		urb->actual_length = n;
		length = (size_t)n;
	} else {
		struct sim_usb_reply reply = port->fn.bulk_out(port->fn.ctx, urb->endpoint,
							       buffer->data, length, now);
		urb->status = reply.stall ? -EPIPE : 0;
		urb->actual_length = reply.stall ? 0 : (int)length;
		after_reply(port, &reply);
		feed_waiting(port, client);
		delay_us = reply.delay_us;
	}
	uint64_t ready = usb->realtime ? bulk_end_us(port, now, length) : 0;
	/* The function's own time after the packets (the probe's SWD work, a
	 * stall): the host hears of the transfer only then. */
	if (delay_us)
		ready = (ready > now ? ready : now) + delay_us;
	return ready > now ? ready : 0;
}

static gboolean complete_delayed(gpointer p)
{
	struct delayed_urb *d = p;
	struct client_state *state = g_object_get_data(G_OBJECT(d->client), CLIENT_KEY);
	if (state)
		push_done(state, d->urb);
	else
		g_object_unref(d->urb);
	if (d->submit_pending)
		umockdev_ioctl_client_complete(d->client, 0, 0);
	else
		d->port->queued--;
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
	bool is_control = urb->type == USBDEVFS_URB_TYPE_CONTROL && urb->buffer_length >= SETUP_LENGTH;
	bool is_bulk = urb->type == USBDEVFS_URB_TYPE_BULK && port->fn.bulk_out && port->fn.bulk_in;
	if (!is_control && !is_bulk) {
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
		ready_us = is_control ? control(port, urb, buffer->data) :
					bulk(port, client, urb_data, buffer);
		g_object_unref(buffer);
	}
	if (ready_us == UINT64_MAX) { /* submitted; completes when data comes */
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
	GSource *source = ready_us ? timer_at(port->usb, ready_us) : NULL;
	if (!source) {
		push_done(state, urb_data);
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
	struct delayed_urb *d = g_new0(struct delayed_urb, 1);
	d->port = port;
	d->client = g_object_ref(client);
	d->urb = urb_data;
	/* A control URB is submitted now and reaped later (the FIFO tells
	 * libusb when), so the host can queue another behind it; without the
	 * FIFO libusb would spin on REAPURBNDELAY, so then SUBMITURB waits. */
	d->submit_pending = !is_control || port->reap_fd < 0;
	g_source_set_callback(source, complete_delayed, d, NULL);
	g_source_attach(source, g_main_context_get_thread_default());
	g_source_unref(source);
	if (!d->submit_pending) {
		port->queued++;
		if (port->fn.most_queued && port->queued > *port->fn.most_queued)
			*port->fn.most_queued = port->queued;
		umockdev_ioctl_client_complete(client, 0, 0);
	}
}

static void reap(UMockdevIoctlClient *client, struct client_state *state, UMockdevIoctlData *arg,
		 bool gone)
{
	UMockdevIoctlData *urb = g_queue_pop_head(&state->done);
	if (!urb) {
		umockdev_ioctl_client_complete(client, -1, gone ? ENODEV : EAGAIN);
		return;
	}
	state->port->done_urbs--;
	signal_reap(state->port);
	UMockdevIoctlData *pointer = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	if (pointer) {
		umockdev_ioctl_data_set_ptr(pointer, 0, urb);
		g_object_unref(pointer);
	}
	umockdev_ioctl_client_complete(client, pointer ? 0 : -1, pointer ? 0 : EFAULT);
	g_object_unref(urb);
}

static void discard(struct usb_port *port, UMockdevIoctlClient *client,
		    struct client_state *state, UMockdevIoctlData *arg)
{
	/* Only a bulk IN URB still waiting for data can be cancelled; every
	 * other URB is complete (the kernel says EINVAL for a completed URB). */
	gulong address = (gulong)arg->data;
	for (GList *l = port->waiting_in.head; l; l = l->next) {
		struct waiting_urb *w = l->data;
		if (w->client != client || w->urb->client_addr != address)
			continue;
		g_queue_delete_link(&port->waiting_in, l);
		struct usbdevfs_urb *urb = (struct usbdevfs_urb *)w->urb->data;
		urb->status = -ENOENT;
		urb->actual_length = 0;
		push_done(state, w->urb);
		g_object_unref(w->buffer);
		g_object_unref(w->client);
		g_free(w);
		umockdev_ioctl_client_complete(client, 0, 0);
		return;
	}
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
	bool ok = s && set_alt(port, ((struct usbdevfs_setinterface *)s->data)->altsetting);
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
		discard(port, client, state, arg);
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
	signal_reap(port); /* it may have left the bus */
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
	const struct sim_usb_function *fn = &port->fn;
	fn->descriptors_hex(fn->ctx, hex, sizeof hex);
	const char *serial = fn->serial(fn->ctx);
	char *record = g_strdup_printf(
		"%s"
		"P: %s\n"
		"N: %s\n"
		"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
		"E: BUSNUM=001\nE: DEVNUM=%03u\nE: DEVNAME=%s\n"
		"E: ID_SERIAL_SHORT=%s\n"
		"A: busnum=1\nA: devnum=%u\nA: speed=%u\nA: bConfigurationValue=1\n"
		"A: idVendor=%04x\nA: idProduct=%04x\nA: serial=%s\n"
		"A: manufacturer=%s\nA: product=%s\n"
		"H: descriptors=%s\n",
		port->number == 1 ? root_hub : "", port->syspath + strlen("/sys"),
		port->devnode + strlen("/dev/"), port->number + 1, port->devnode, serial,
		port->number + 1, fn->speed_mbps, fn->vid, fn->pid, serial, fn->manufacturer,
		fn->product, hex);
	gboolean ok = umockdev_testbed_add_from_string(port->usb->testbed, record, error);
	g_free(record);
	return ok;
}

/* The device node becomes a FIFO with a full buffer (not writable: no URB
 * to reap); -1 when that fails, and the node stays as umockdev made it. A
 * FIFO opened for reading and writing never blocks its opener. */
static int make_reap_fifo(const struct usb_port *port)
{
	char node[sizeof port->usb->root + sizeof port->devnode], fifo[sizeof node + 8];
	snprintf(node, sizeof node, "%s%s", port->usb->root, port->devnode);
	snprintf(fifo, sizeof fifo, "%s.fifo", node);
	if (mkfifo(fifo, 0666) != 0)
		return -1;
	int fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || rename(fifo, node) != 0) {
		if (fd >= 0)
			close(fd);
		unlink(fifo);
		return -1;
	}
	char page[PIPE_PAGE];
	memset(page, 0, sizeof page);
	while (write(fd, page, sizeof page) == (ssize_t)sizeof page)
		;
	return fd;
}

static bool open_port(struct sim_usbfs *usb, struct usb_port *port, unsigned number,
		      const struct sim_usb_function *function, GError **error)
{
	port->usb = usb;
	port->fn = *function;
	port->number = number;
	port->reap_fd = -1;
	g_queue_init(&port->waiting_in);
	snprintf(port->syspath, sizeof port->syspath, "%s/1-%u", SIM_USBFS_HUB_SYSPATH, number);
	snprintf(port->devnode, sizeof port->devnode, "/dev/bus/usb/001/%03u", number + 1);
	port->handler = umockdev_ioctl_base_new();
	g_signal_connect(port->handler, "handle-ioctl", G_CALLBACK(handle_ioctl), port);
	bool there = present(port);
	port->gone = port->unplugged = !there;
	/* The handler first: a client must never find the node unanswered. */
	if (!umockdev_testbed_attach_ioctl(usb->testbed, port->devnode, port->handler, error) ||
	    (there && !plug_in(port, error)))
		return false;
	if (there)
		port->reap_fd = make_reap_fifo(port);
	return true;
}

struct sim_usbfs *sim_usbfs_open_functions(const struct sim_usb_function *functions,
					   unsigned count, bool realtime, char *why,
					   size_t why_size)
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
		ok = open_port(usb, &usb->ports[i], i + 1, &functions[i], &error);
		usb->count = i + 1;
	}
	if (!ok) {
		snprintf(why, why_size, "umockdev testbed: %s",
			 error ? error->message : "bad device count");
		g_clear_error(&error);
		/* The ports opened release their functions at close; the rest here. */
		for (unsigned i = usb->count; i < count && i < SIM_USBFS_MAX_DEVICES; i++)
			if (functions[i].release)
				functions[i].release(functions[i].ctx);
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

void sim_usbfs_locked(struct sim_usbfs *usb, unsigned index, void (*f)(void *ctx, void *user),
		      void *user)
{
	g_mutex_lock(&usb->lock);
	f(usb->ports[index].fn.ctx, user);
	g_mutex_unlock(&usb->lock);
}

void sim_usbfs_close(struct sim_usbfs *usb)
{
	if (!usb)
		return;
	if (usb->testbed)
		g_object_unref(usb->testbed);
	for (unsigned i = 0; i < usb->count; i++) {
		struct usb_port *port = &usb->ports[i];
		if (port->handler)
			g_object_unref(port->handler);
		g_queue_clear_full(&port->waiting_in, free_waiting);
		if (port->reap_fd >= 0)
			close(port->reap_fd);
		if (port->fn.release)
			port->fn.release(port->fn.ctx);
	}
	g_mutex_clear(&usb->lock);
	g_free(usb);
}
