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
#include "drive/drive_main.h"
#include "link/bus.h"
#include "link/control.h"
#include "link/link.h"
#include "link/link_i2c.h"
#include "link/link_spi.h"
#include "link/pty.h"
#include "link/wiring.h"
#include "options.h"
#include "rom/engine.h"
#ifdef STM32SIM_HAVE_USB
#include "usb/usb_main.h"
#ifdef STM32SIM_HAVE_STLINK
#include "stlink/stlink_main.h"
#endif
#endif

#define MAX_CLIENTS 8
#define CLIENT_LINE_MAX 256
#define OUTPUT_POLL_MS 100
#define OUTPUT_STUCK_MS 2000u /* host not reading: drop the rest */
/* Instructions the program on the core runs between two looks at the pty,
 * the bus, the control socket and the stop signals (well under 1 ms at
 * the core's speed, so a busy program keeps the emulator responsive). */
#define SLICE_INSTRUCTIONS 100000u


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
	/* When the last byte each way ended on the wire, in ns: a byte at
	 * 115200 8E1 is 95.486 us, and whole microseconds would run 0.5 % fast. */
	uint64_t last_rx_end_ns, last_tx_end_ns;
	bool hung_up;
	const sigset_t *wait_mask; /* the mask that lets SIGINT/SIGTERM in */
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
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

/* 11 bits per byte on the wire (start, 8 data, parity, stop); 0 when not
 * in realtime. */
static uint64_t byte_time_ns(const struct emulator *em)
{
	unsigned baud = host_baud(em);
	return em->options.realtime && baud ? 11000000000u / baud : 0;
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
	/* A byte is received when its stop bit ends: one byte time after the
	 * line was free (or after the host wrote it, if the line was idle). */
	uint64_t spacing_ns = byte_time_ns(em);
	for (ssize_t i = 0; i < n && !em->hung_up; i++) {
		uint64_t at = now;
		if (spacing_ns) {
			uint64_t start_ns = now * 1000u;
			if (em->last_rx_end_ns > start_ns)
				start_ns = em->last_rx_end_ns;
			em->last_rx_end_ns = start_ns + spacing_ns;
			at = em->last_rx_end_ns / 1000u;
		}
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
	/* In realtime a byte reaches the host when its stop bit has left: the
	 * link is asked for bytes that started a byte time before now. */
	uint64_t spacing_ns = byte_time_ns(em);
	uint64_t byte_us = (spacing_ns + 999u) / 1000u;
	uint64_t started_by = now > byte_us ? now - byte_us : 0;
	uint8_t batch[512];
	size_t count = 0;
	uint64_t wait_until = 0;
	while (!em->hung_up && count < sizeof(batch)) {
		uint64_t line_free = spacing_ns ? em->last_tx_end_ns / 1000u : 0;
		uint8_t byte;
		bool send;
		uint64_t start;
		if (!sim_link_to_host(&em->link, spacing_ns ? started_by : now, line_free, &byte, &send,
				      &start)) {
			wait_until = start ? start + byte_us : 0;
			break;
		}
		if (send)
			batch[count++] = byte;
		/* Pace from when each byte was due, not from when we woke: wakeups
		 * are late by up to a scheduler tick, and the line rate must hold. */
		if (spacing_ns) {
			uint64_t start_ns = start * 1000u;
			if (em->last_tx_end_ns > start_ns)
				start_ns = em->last_tx_end_ns;
			em->last_tx_end_ns = start_ns + spacing_ns;
		}
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

/* One slice of the program on the core, if one runs; when to run again. */
static uint64_t run_program(struct emulator *em, uint64_t now)
{
	uint64_t wake;
	if (!sim_engine_run_program(&em->engine, SLICE_INSTRUCTIONS, now, &wake))
		return 0;
	return wake ? wake : 1; /* 0 would mean "nothing to do" */
}

static void serve(struct emulator *em, const sigset_t *wait_mask)
{
	while (!stop_requested) {
		uint64_t now = elapsed_us(em);
		sim_engine_advance(&em->engine, now);
		/* Before the output: what the program printed leaves at once. */
		uint64_t program_wake = run_program(em, now);
		uint64_t wake_at = em->on_bus ? sim_bus_retry(&em->bus, now) : write_to_host(em, now);
		wake_at = earliest(wake_at, sim_engine_held_due(&em->engine));
		wake_at = earliest(wake_at, program_wake);

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
					    sim_interface_name(em->options.interface), NULL, NULL};
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

static void log_line(void *context, const char *line)
{
	(void)context;
	fprintf(stderr, "stm32boot-sim: %s\n", line);
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
	sim_engine_set_log(&em->engine, log_line, em);
	if (o->usart && !sim_engine_set_usart(&em->engine, o->usart, why, sizeof(why))) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		exit(EXIT_USAGE);
	}
	em->on_bus = o->interface != SIM_INTERFACE_UART;
	em->bus.listen_fd = -1;
	for (int i = 0; i < SIM_BUS_MAX_MASTERS; i++)
		em->bus.masters[i].fd = -1;
	if (!load_image(em))
		return false;
	sim_faults_init(&em->faults, &o->faults, o->seed, &em->stats.faults);
	em->chip.pll_stuck = o->faults.pll_stuck;
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
	sim_parse_options(argc, argv, &em.options);

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

	if (em.options.drive) {
		const struct options *o = &em.options;
		struct sim_drive_config drive = {o->device, o->drive_dir,
						 o->drive_uf2 ? SIM_DRIVE_UF2 : SIM_DRIVE_STLINK,
						 o->image_path, o->stats_path, o->realtime,
						 o->drive_copy_fail, o->drive_copy_flip, o->seed};
#ifdef STM32SIM_HAVE_STLINK
		/* One board, two ways in: the ST-LINK's loop owns the chip and
		 * looks at the drive folder between its USB work. */
		if (o->drive_with_stlink) {
			enum sim_stlink_version version =
				o->stlink_version ? (enum sim_stlink_version)(o->stlink_version - 1)
						  : SIM_STLINK_V21;
			struct sim_stlink_config stlink = {o->device, version, o->stlink_no_target,
							   o->image_path, o->stats_path,
							   o->realtime, o->faults, o->seed,
							   o->has_uid ? o->uid : NULL, o->run_argv,
							   &drive};
			return sim_stlink_main(&stlink, &wait_mask, &stop_requested);
		}
#endif
		return sim_drive_main(&drive, &wait_mask, &stop_requested);
	}
#ifdef STM32SIM_HAVE_STLINK
	if (em.options.stlink) {
		const struct options *o = &em.options;
		enum sim_stlink_version version =
			o->stlink_version ? (enum sim_stlink_version)(o->stlink_version - 1) : SIM_STLINK_V2;
		struct sim_stlink_config stlink = {o->device, version, o->stlink_no_target,
						   o->image_path, o->stats_path,
						   o->realtime, o->faults, o->seed,
						   o->has_uid ? o->uid : NULL, o->run_argv, NULL};
		return sim_stlink_main(&stlink, &wait_mask, &stop_requested);
	}
#endif
#ifdef STM32SIM_HAVE_USB
	if (em.options.dfu) {
		const struct options *o = &em.options;
		struct sim_usb_config usb = {.device = o->device, .image_path = o->image_path,
					     .stats_path = o->stats_path, .count = o->count,
					     .uid = o->has_uid ? o->uid : NULL,
					     .realtime = o->realtime, .faults = o->faults,
					     .seed = o->seed, .run_argv = o->run_argv};
		return sim_usb_main(&usb, &wait_mask, &stop_requested);
	}
#endif
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
