/* stm32boot-sim: an STM32 ROM bootloader on a pseudo-terminal (AN3155 UART)
 * or on a bus socket (AN4221 I2C, AN4286 SPI). */
#define _GNU_SOURCE /* ppoll: wait for fds and stop signals without a race */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/faults.h"
#include "base/stats.h"
#include "chip/chip.h"
#include "chip/image_file.h"
#include "link/bus.h"
#include "link/control.h"
#include "link/link.h"
#include "link/link_i2c.h"
#include "link/link_spi.h"
#include "link/pty.h"
#include "link/wiring.h"
#include "rom/engine.h"

#define EXIT_USAGE 2
#define MAX_CLIENTS 8
#define CLIENT_LINE_MAX 256
#define OUTPUT_POLL_MS 100
#define OUTPUT_STUCK_MS 2000u /* host not reading: drop the rest */

struct options {
	const struct stm32_device *device;
	const char *link_path, *image_path, *stats_path, *control_path;
	bool realtime;
	struct sim_fault_spec faults;
	uint64_t seed;
	unsigned max_baud; /* 0: no limit */
	struct sim_wiring wiring;
	enum sim_interface interface;
	int i2c_address; /* -1: not given */
	uint32_t i2c_clock_hz;
	bool has_uid; /* --uid: the chip's unique ID, else one derived from the device */
	uint8_t uid[SIM_UID_BYTES];
};

struct client {
	int fd;
	char line[CLIENT_LINE_MAX];
	size_t length;
};

struct emulator {
	struct options options;
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_engine engine;
	struct sim_link link;
	struct sim_line_settings settings;
	struct sim_pty pty;
	struct sim_i2c i2c;
	struct sim_spi spi;
	struct sim_bus bus;
	bool on_bus;           /* I2C or SPI: a bus socket instead of the pty */
	char bus_dir[64];      /* temporary directory of an unnamed bus socket */
	char bus_path[128];
	int listen_fd;
	struct client clients[MAX_CLIENTS];
	struct timespec start;
	uint64_t last_rx_us, last_tx_us;
	bool hung_up;
	const sigset_t *wait_mask; /* the mask that lets SIGINT/SIGTERM in */
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
}

static void usage_error(const char *fmt, const char *arg)
{
	fputs("stm32boot-sim: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try --help)\n", stderr);
	exit(EXIT_USAGE);
}

static void print_help(void)
{
	puts("Usage: stm32boot-sim --device NAME|PID [options]\n"
	     "Emulate an STM32 ROM bootloader: AN3155 UART on a pseudo-terminal, or AN4221 I2C /\n"
	     "AN4286 SPI on a bus socket.\n"
	     "\n"
	     "  --device NAME|PID     device name, alias or PID (see --list-devices)\n"
	     "  --interface uart|i2c|spi  bootloader interface (default uart); i2c and spi\n"
	     "                        listen on a Unix bus socket instead of a pty\n"
	     "  --i2c-address ADDR    7-bit I2C address (default: the device's, if known)\n"
	     "  --i2c-clock HZ        I2C bus clock (SCL) for --speed realtime, 1000 to 5000000\n"
	     "                        (default 400000); the host cannot tell it to the slave\n"
	     "  --link PATH           symlink PATH to the pty, or create the bus socket at PATH\n"
	     "                        (else print the pty or socket path first on stdout)\n"
	     "  --image FILE          load flash/option bytes from FILE if it exists; save on exit\n"
	     "  --speed realtime|fast realtime paces bytes on the wire (UART: 11 bits at the\n"
	     "                        host's baud; I2C: 9 bits a byte plus START, address and\n"
	     "                        STOP at --i2c-clock; SPI: 8 bits at the clock the host\n"
	     "                        sends with each transfer, else 1 MHz) and spends typical\n"
	     "                        program/erase times; fast (default) does neither\n"
	     "  --faults SPEC         inject faults; SPEC is a list (',' or ';') of\n"
	     "                          corrupt-in=P corrupt-out=P drop-in=P drop-out=P nack=P\n"
	     "                          stall=P:MS reset-after=N hangup-after=N\n"
	     "                        (P probability per byte or per ACK, MS milliseconds,\n"
	     "                        N count of bytes from the host)\n"
	     "  --max-baud N          highest host baud the UART auto-baud measures right;\n"
	     "                        a 0x7F sent faster is not answered (default: no\n"
	     "                        limit; AN3155 tests 115200, many chips sync faster)\n"
	     "  --seed N              seed of the fault generator (default 1)\n"
	     "  --uid HEX             the chip's 96-bit unique ID, 24 hex digits (default:\n"
	     "                        derived from the device name)\n"
	     "  --stats FILE          write counters as JSON on exit\n"
	     "  --control SOCKET      Unix socket for LINES/BREAK/TERMIOS/STATE requests\n"
	     "  --boot0 none|rts|dtr  modem line wired to BOOT0 (default none: tied high)\n"
	     "  --reset none|rts|dtr|brk  line wired to NRST (default none)\n"
	     "  --invert-boot0, --invert-reset, --invert (both)  inverter between line and pin\n"
	     "  --list-devices        print the device database (name, PID, family, flash,\n"
	     "                        interfaces with the I2C address) and exit\n"
	     "  --help                this text\n"
	     "\n"
	     "Runs until SIGINT or SIGTERM, then saves the image and stats and exits 0.\n"
	     "Bad options exit 2.");
}

/* "uart,i2c@0x51,spi": what --interface accepts for the device (and so
 * sim:DEVICE,interface=...), with the I2C address where it is known. */
static void describe_interfaces(const struct stm32_device *d, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	if (d->interfaces & STM32_IF_UART)
		used += (size_t)snprintf(out + used, size - used, "uart");
	if ((d->interfaces & STM32_IF_I2C) && used < size) {
		used += (size_t)snprintf(out + used, size - used, "%si2c", used ? "," : "");
		if (d->i2c_address >= 0 && used < size)
			used += (size_t)snprintf(out + used, size - used, "@0x%02X", d->i2c_address);
	}
	if ((d->interfaces & STM32_IF_SPI) && used < size)
		snprintf(out + used, size - used, "%sspi", used ? "," : "");
}

static void list_devices(void)
{
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		char interfaces[32];
		describe_interfaces(d, interfaces, sizeof interfaces);
		printf("%-16s 0x%03X %-4s %6u KiB  %-18s %s\n", d->name, d->pid, d->family,
		       d->flash_size / 1024u, interfaces, d->description);
	}
}

/* --uid: exactly 24 hex digits, the 12 bytes in the order the UID
 * register holds them (byte 0 at the lowest address). */
static void parse_uid(const char *text, uint8_t uid[SIM_UID_BYTES])
{
	if (strlen(text) != 2 * SIM_UID_BYTES || strspn(text, "0123456789abcdefABCDEF") != strlen(text))
		usage_error("bad --uid '%s' (24 hex digits)", text);
	for (unsigned i = 0; i < SIM_UID_BYTES; i++) {
		char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
		uid[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
}

static uint64_t parse_seed(const char *text)
{
	char *end;
	errno = 0;
	unsigned long long seed = strtoull(text, &end, 0);
	if (end == text || *end || errno || text[0] == '-')
		usage_error("bad --seed '%s'", text);
	return seed;
}

/* A whole number in [low, high] (base: 10, or 0 for 0x... too), else
 * exit 2 with "bad --OPTION 'TEXT' (what)". */
static long parse_in_range(const char *option, const char *text, int base, long low, long high,
			   const char *what)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, base);
	if (end == text || *end || errno || value < low || value > high) {
		fprintf(stderr, "stm32boot-sim: bad --%s '%s' (%s) (try --help)\n", option, text, what);
		exit(EXIT_USAGE);
	}
	return value;
}

static unsigned parse_max_baud(const char *text)
{
	return (unsigned)parse_in_range("max-baud", text, 10, 1200, 4000000, "baud, 1200 to 4000000");
}

static enum sim_interface parse_interface(const char *text)
{
	if (strcmp(text, "uart") == 0)
		return SIM_INTERFACE_UART;
	if (strcmp(text, "i2c") == 0)
		return SIM_INTERFACE_I2C;
	if (strcmp(text, "spi") != 0)
		usage_error("bad --interface '%s' (uart, i2c or spi)", text);
	return SIM_INTERFACE_SPI;
}

static int parse_i2c_address(const char *text)
{
	return (int)parse_in_range("i2c-address", text, 0, 0x03, 0x77,
				   "a 7-bit address, 0x03 to 0x77");
}

static uint32_t parse_i2c_clock(const char *text)
{
	return (uint32_t)parse_in_range("i2c-clock", text, 10, 1000, 5000000, "Hz, 1000 to 5000000");
}

/* The device must have the interface, and on I2C an address. */
static void check_interface(struct options *o)
{
	static const unsigned needed[] = {STM32_IF_UART, STM32_IF_I2C, STM32_IF_SPI};
	const char *name = sim_interface_name(o->interface);
	if (!(o->device->interfaces & needed[o->interface])) {
		fprintf(stderr, "stm32boot-sim: %s has no %s bootloader interface\n",
			o->device->name, name);
		exit(EXIT_USAGE);
	}
	if (o->interface != SIM_INTERFACE_I2C || o->i2c_address >= 0)
		return;
	o->i2c_address = o->device->i2c_address;
	if (o->i2c_address < 0)
		usage_error("the I2C address of %s is not known: give --i2c-address", o->device->name);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_INVERT_BOOT0 = 256, OPT_INVERT_RESET, OPT_INVERT, OPT_LIST, OPT_INTERFACE,
	       OPT_I2C_ADDRESS, OPT_I2C_CLOCK, OPT_UID };
	static const struct option long_options[] = {
		{"device", required_argument, NULL, 'd'},  {"link", required_argument, NULL, 'l'},
		{"image", required_argument, NULL, 'i'},   {"speed", required_argument, NULL, 's'},
		{"faults", required_argument, NULL, 'f'},  {"seed", required_argument, NULL, 'S'},
		{"stats", required_argument, NULL, 't'},   {"control", required_argument, NULL, 'c'},
		{"boot0", required_argument, NULL, 'b'},   {"reset", required_argument, NULL, 'r'},
		{"invert-boot0", no_argument, NULL, OPT_INVERT_BOOT0},
		{"invert-reset", no_argument, NULL, OPT_INVERT_RESET},
		{"invert", no_argument, NULL, OPT_INVERT},
		{"max-baud", required_argument, NULL, 'B'},
		{"list-devices", no_argument, NULL, OPT_LIST},
		{"interface", required_argument, NULL, OPT_INTERFACE},
		{"i2c-address", required_argument, NULL, OPT_I2C_ADDRESS},
		{"i2c-clock", required_argument, NULL, OPT_I2C_CLOCK},
		{"uid", required_argument, NULL, OPT_UID},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	char why[160];
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->i2c_address = -1;
	o->i2c_clock_hz = SIM_BUS_I2C_DEFAULT_HZ;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->device = stm32_device_find(optarg);
			if (!o->device)
				usage_error("unknown device '%s'", optarg);
			break;
		case 'l': o->link_path = optarg; break;
		case 'i': o->image_path = optarg; break;
		case 't': o->stats_path = optarg; break;
		case 'c': o->control_path = optarg; break;
		case 's':
			if (strcmp(optarg, "realtime") == 0)
				o->realtime = true;
			else if (strcmp(optarg, "fast") != 0)
				usage_error("bad --speed '%s' (realtime or fast)", optarg);
			break;
		case 'f':
			if (!sim_faults_parse(optarg, &o->faults, why, sizeof(why)))
				usage_error("%s", why);
			break;
		case 'S': o->seed = parse_seed(optarg); break;
		case 'b':
			if (!sim_line_parse(optarg, false, &o->wiring.boot0))
				usage_error("bad --boot0 '%s' (none, rts or dtr)", optarg);
			break;
		case 'r':
			if (!sim_line_parse(optarg, true, &o->wiring.reset))
				usage_error("bad --reset '%s' (none, rts, dtr or brk)", optarg);
			break;
		case OPT_INVERT_BOOT0: o->wiring.invert_boot0 = true; break;
		case OPT_INVERT_RESET: o->wiring.invert_reset = true; break;
		case OPT_INVERT: o->wiring.invert_boot0 = o->wiring.invert_reset = true; break;
		case 'B': o->max_baud = parse_max_baud(optarg); break;
		case OPT_LIST: list_devices(); exit(0);
		case OPT_INTERFACE: o->interface = parse_interface(optarg); break;
		case OPT_I2C_ADDRESS: o->i2c_address = parse_i2c_address(optarg); break;
		case OPT_I2C_CLOCK: o->i2c_clock_hz = parse_i2c_clock(optarg); break;
		case OPT_UID: parse_uid(optarg, o->uid); o->has_uid = true; break;
		case 'h': print_help(); exit(0);
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]); break;
		default: usage_error("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->device)
		usage_error("%s", "--device is required");
	check_interface(o);
}

static uint64_t elapsed_us(const struct emulator *em)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - em->start.tv_sec) * 1000000u +
	       (uint64_t)((now.tv_nsec - em->start.tv_nsec) / 1000);
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* The host's rate: what the interposer said (TERMIOS), else the pty's. */
static unsigned host_baud(const struct emulator *em)
{
	return em->settings.baud ? em->settings.baud : sim_pty_baud(&em->pty);
}

static unsigned host_baud_of(void *context)
{
	return host_baud(context);
}

/* 11 bits per byte on the wire (start, 8 data, parity, stop). */
static uint64_t byte_time_us(const struct emulator *em)
{
	unsigned baud = host_baud(em);
	return baud ? 11000000u / baud : 0;
}

static void hang_up(struct emulator *em)
{
	if (em->on_bus)
		sim_bus_hang_up(&em->bus);
	else
		sim_pty_close(&em->pty);
	em->hung_up = true;
}

static void read_from_host(struct emulator *em, uint64_t now)
{
	uint8_t buffer[4096];
	ssize_t n = read(em->pty.master, buffer, sizeof(buffer));
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		hang_up(em); /* EIO: nobody will ever write here again */
		return;
	}
	uint64_t spacing = em->options.realtime ? byte_time_us(em) : 0;
	for (ssize_t i = 0; i < n && !em->hung_up; i++) {
		uint64_t at = now;
		if (em->options.realtime && em->last_rx_us + spacing > at)
			at = em->last_rx_us + spacing;
		em->last_rx_us = at;
		if (sim_link_from_host(&em->link, buffer[i], at))
			hang_up(em);
	}
}

/* A host that stopped reading (or died while this process still holds the
 * pty slave) must not keep us here: a real UART's bytes are simply lost when
 * nobody listens. Waiting uses the stop-signal mask, so SIGTERM still ends
 * the emulator; after OUTPUT_STUCK_MS without progress the rest is dropped. */
static void send_batch(struct emulator *em, const uint8_t *batch, size_t count)
{
	size_t done = 0;
	unsigned waited_ms = 0;
	while (done < count && !stop_requested && waited_ms < OUTPUT_STUCK_MS) {
		ssize_t n = write(em->pty.master, batch + done, count - done);
		if (n > 0) {
			done += (size_t)n;
			waited_ms = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		struct pollfd p = {em->pty.master, POLLOUT, 0};
		struct timespec step = {0, OUTPUT_POLL_MS * 1000000L};
		(void)ppoll(&p, 1, &step, em->wait_mask);
		waited_ms += OUTPUT_POLL_MS;
	}
	em->stats.output_dropped += count - done;
}

/* Send what is due; returns when to look again (0 = nothing queued). */
static uint64_t write_to_host(struct emulator *em, uint64_t now)
{
	uint64_t spacing = em->options.realtime ? byte_time_us(em) : 0;
	uint8_t batch[512];
	size_t count = 0;
	uint64_t wait_until = 0;
	while (!em->hung_up && count < sizeof(batch)) {
		uint64_t not_before = em->options.realtime ? em->last_tx_us + spacing : 0;
		uint8_t byte;
		bool send;
		uint64_t sent_at;
		if (!sim_link_to_host(&em->link, now, not_before, &byte, &send, &sent_at)) {
			wait_until = sent_at;
			break;
		}
		if (send)
			batch[count++] = byte;
		/* Pace from when each byte was due, not from when we woke: wakeups
		 * are late by up to a scheduler tick, and the line rate must hold. */
		if (em->options.realtime)
			em->last_tx_us = sent_at;
	}
	send_batch(em, batch, count);
	if (count && !wait_until)
		return now; /* more may be due already */
	return wait_until;
}

static int open_control_socket(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "stm32boot-sim: control socket path too long: %s\n", path);
		return -1;
	}
	strcpy(address.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    listen(fd, MAX_CLIENTS) != 0) {
		fprintf(stderr, "stm32boot-sim: control socket %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void accept_client(struct emulator *em)
{
	int fd = accept(em->listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (em->clients[i].fd < 0) {
			em->clients[i] = (struct client){.fd = fd};
			return;
		}
	}
	close(fd);
}

static void drop_client(struct client *client)
{
	close(client->fd);
	client->fd = -1;
	client->length = 0;
}

static void serve_client(struct emulator *em, struct client *client)
{
	char buffer[256];
	ssize_t n = read(client->fd, buffer, sizeof(buffer));
	if (n <= 0) {
		drop_client(client);
		return;
	}
	struct sim_control_target target = {&em->engine, &em->options.wiring, &em->settings,
					    sleep_ms};
	for (ssize_t i = 0; i < n; i++) {
		if (buffer[i] != '\n') {
			if (client->length + 1 < sizeof(client->line))
				client->line[client->length++] = buffer[i];
			continue;
		}
		if (client->length && client->line[client->length - 1] == '\r')
			client->length--;
		client->line[client->length] = '\0';
		client->length = 0;
		char reply[128];
		sim_control_request(&target, client->line, reply, sizeof(reply));
		size_t reply_length = strlen(reply);
		reply[reply_length++] = '\n';
		if (send(client->fd, reply, reply_length, MSG_NOSIGNAL) != (ssize_t)reply_length) {
			drop_client(client);
			return;
		}
	}
}

/* Microseconds to sleep, or -1 for "until something happens"; at 115200
 * baud a byte lasts 95 us, so millisecond poll timeouts would slow the line. */
static long poll_timeout_us(uint64_t now, uint64_t wake_at)
{
	if (!wake_at)
		return -1;
	if (wake_at <= now)
		return 0;
	uint64_t us = wake_at - now;
	return us > 1000000 ? 1000000 : (long)us;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a && (!b || a < b) ? a : b;
}

static void serve(struct emulator *em, const sigset_t *wait_mask)
{
	while (!stop_requested) {
		uint64_t now = elapsed_us(em);
		sim_engine_advance(&em->engine, now);
		uint64_t wake_at = em->on_bus ? sim_bus_retry(&em->bus, now) : write_to_host(em, now);
		wake_at = earliest(wake_at, sim_engine_held_due(&em->engine));

		struct pollfd fds[2 + MAX_CLIENTS + 1 + SIM_BUS_MAX_MASTERS];
		nfds_t count = 0;
		int pty_fd = em->hung_up || em->on_bus ? -1 : em->pty.master;
		fds[count++] = (struct pollfd){pty_fd, POLLIN, 0};
		fds[count++] = (struct pollfd){em->listen_fd, POLLIN, 0};
		for (int i = 0; i < MAX_CLIENTS; i++)
			fds[count++] = (struct pollfd){em->clients[i].fd, POLLIN, 0};
		nfds_t bus_first = count;
		if (em->on_bus)
			count += sim_bus_poll_fds(&em->bus, fds + bus_first);
		long timeout = poll_timeout_us(now, wake_at);
		struct timespec ts = {timeout / 1000000, (timeout % 1000000) * 1000L};
		int ready = ppoll(fds, count, timeout < 0 ? NULL : &ts, wait_mask);
		if (ready <= 0)
			continue;
		/* An error or hang-up on the pty without data would be reported
		 * again at once by every ppoll: a busy loop. The line is gone. */
		if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) && !(fds[0].revents & POLLIN))
			hang_up(em);
		now = elapsed_us(em);
		/* Bytes already in the pty were written before any pending control
		 * request got its reply, so they go first. */
		if (fds[0].revents & POLLIN)
			read_from_host(em, now);
		if (em->on_bus && !em->bus.hung_up) {
			sim_bus_service(&em->bus, fds + bus_first, now);
			em->hung_up = em->bus.hung_up;
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (fds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
				serve_client(em, &em->clients[i]);
		if (fds[1].revents & POLLIN)
			accept_client(em);
	}
}

static bool load_image(struct emulator *em)
{
	char why[320];
	bool existed;
	if (!em->options.image_path)
		return true;
	if (!sim_image_load(&em->chip, em->options.image_path, &existed, why, sizeof(why))) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	return true;
}

static bool save_results(struct emulator *em)
{
	bool ok = true;
	char why[320];
	if (em->options.image_path &&
	    !sim_image_save(&em->chip, em->options.image_path, why, sizeof(why))) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		ok = false;
	}
	struct sim_stats_context context = {em->chip.dev->name, sim_chip_rdp_level(&em->chip),
					    sim_engine_state_name(&em->engine),
					    sim_interface_name(em->options.interface)};
	if (em->options.stats_path &&
	    !sim_stats_save(em->options.stats_path, &em->stats, &context)) {
		fprintf(stderr, "stm32boot-sim: %s: %s\n", em->options.stats_path, strerror(errno));
		ok = false;
	}
	return ok;
}

static bool publish_pty(struct emulator *em)
{
	if (!em->options.link_path) {
		printf("%s\n", em->pty.path);
		fflush(stdout);
		return true;
	}
	struct stat st;
	if (lstat(em->options.link_path, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(em->options.link_path);
	if (symlink(em->pty.path, em->options.link_path) != 0) {
		fprintf(stderr, "stm32boot-sim: --link %s: %s\n", em->options.link_path,
			strerror(errno));
		return false;
	}
	return true;
}

/* The bus socket at --link, else in a fresh temporary directory. */
static bool open_bus(struct emulator *em)
{
	char why[320];
	const char *path = em->options.link_path;
	if (!path) {
		strcpy(em->bus_dir, "/tmp/stm32boot-sim.XXXXXX");
		if (!mkdtemp(em->bus_dir)) {
			em->bus_dir[0] = '\0';
			fprintf(stderr, "stm32boot-sim: temporary directory: %s\n", strerror(errno));
			return false;
		}
		snprintf(em->bus_path, sizeof(em->bus_path), "%s/bus", em->bus_dir);
		path = em->bus_path;
	}
	em->bus.interface = em->options.interface;
	em->bus.i2c = &em->i2c;
	em->bus.spi = &em->spi;
	sim_i2c_init(&em->i2c, &em->link, (uint8_t)em->options.i2c_address);
	sim_spi_init(&em->spi, &em->link);
	em->bus.paced = em->options.realtime;
	em->i2c.clock_hz = em->options.realtime ? em->options.i2c_clock_hz : 0;
	em->bus.spi_clock_hz = SIM_BUS_SPI_DEFAULT_HZ;
	if (!sim_bus_open(&em->bus, path, why, sizeof(why))) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	if (!em->options.link_path) {
		printf("%s\n", path);
		fflush(stdout);
	}
	return true;
}

static bool set_up(struct emulator *em)
{
	char why[320];
	const struct options *o = &em->options;
	em->listen_fd = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		em->clients[i].fd = -1;
	em->settings.framing_8e1 = true;
	if (!sim_chip_init(&em->chip, o->device) ||
	    !sim_stats_init(&em->stats, em->chip.sector_count) ||
	    !sim_engine_init(&em->engine, &em->chip, &em->stats, o->realtime)) {
		fprintf(stderr, "stm32boot-sim: out of memory\n");
		return false;
	}
	if (o->has_uid)
		memcpy(em->chip.uid, o->uid, SIM_UID_BYTES);
	sim_engine_set_interface(&em->engine, o->interface);
	sim_engine_set_autobaud(&em->engine, o->max_baud, host_baud_of, em);
	em->on_bus = o->interface != SIM_INTERFACE_UART;
	em->bus.listen_fd = -1;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++)
		em->bus.masters[i].fd = -1;
	if (!load_image(em))
		return false;
	sim_faults_init(&em->faults, &o->faults, o->seed, &em->stats.faults);
	em->engine.faults = &em->faults;
	em->link = (struct sim_link){&em->engine, &em->faults, 0};
	sim_engine_set_boot0(&em->engine, sim_wiring_boot0_high(&o->wiring));
	if (sim_wiring_nrst_high(&o->wiring))
		sim_engine_power_on(&em->engine);
	if (o->control_path && (em->listen_fd = open_control_socket(o->control_path)) < 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &em->start);
	if (em->on_bus)
		return open_bus(em);
	if (!sim_pty_open(&em->pty, why, sizeof(why))) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	return publish_pty(em);
}

static void tear_down(struct emulator *em)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (em->clients[i].fd >= 0)
			close(em->clients[i].fd);
	if (em->listen_fd >= 0) {
		close(em->listen_fd);
		unlink(em->options.control_path);
	}
	if (em->options.link_path)
		unlink(em->options.link_path);
	if (em->on_bus) {
		sim_bus_close(&em->bus);
		if (em->bus_dir[0]) {
			unlink(em->bus_path);
			rmdir(em->bus_dir);
		}
	} else if (!em->hung_up) {
		sim_pty_close(&em->pty);
	}
	sim_engine_free(&em->engine);
	sim_stats_free(&em->stats);
	sim_chip_free(&em->chip);
}

int main(int argc, char **argv)
{
	static struct emulator em;
	em.pty.master = em.pty.slave = -1;
	parse_options(argc, argv, &em.options);

	sigset_t stop_signals, wait_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	struct sigaction action = {.sa_handler = on_stop_signal};
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!set_up(&em)) {
		tear_down(&em);
		return 1;
	}
	em.wait_mask = &wait_mask;
	serve(&em, &wait_mask);
	bool saved = save_results(&em);
	tear_down(&em);
	return saved ? 0 : 1;
}
