/* "sim:" ports: run the emulator on a fresh pty and talk to it like a tty.
 *
 * The library never links emulator code; it starts the program, reads the
 * pty path from its first line of output, and opens that path with the UART
 * backend (with interface=i2c|spi the line is the path of its bus socket,
 * opened as an I2C or SPI link). Closing the port stops the emulator and waits for it, so that its
 * image and statistics files are complete when close returns. On Linux the
 * emulator also dies with the host process. */
#ifdef __linux__
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "stm32boot/device.h"
#include "core/util.h"
#include "stm32boot/transport.h"
#include "link/transport_internal.h"

#define SIM_DEFAULT_PROGRAM "stm32boot-sim"
#define SIM_STARTUP_MS 5000   /* until the pty path is printed */
#define SIM_EXIT_MS 5000      /* after SIGTERM, before SIGKILL */
#define SIM_MAX_ARGS 64

extern char **environ;

struct sim {
	struct stm32_transport *tty; /* the UART backend on the pty slave */
	pid_t child;
	int out_fd;                  /* the child's stdout, kept open so it never gets SIGPIPE */
};

static void describe_exit(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "stopped");
}

/* SIGTERM, then give the emulator time to write its files before SIGKILL. */
static void stop_child(pid_t child)
{
	int status;
	kill(child, SIGTERM);
	for (unsigned waited = 0; waited < SIM_EXIT_MS; waited += 10) {
		pid_t r = waitpid(child, &status, WNOHANG);
		if (r == child || (r < 0 && errno != EINTR))
			return;
		core_sleep_ms(10);
	}
	kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
}

static enum stm32_status sim_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct sim *s = t->impl;
	return s->tty->ops->write(s->tty, data, length, err);
}

static enum stm32_status sim_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct sim *s = t->impl;
	return s->tty->ops->read(s->tty, data, length, timeout_ms, got, err);
}

static enum stm32_status sim_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct sim *s = t->impl;
	return s->tty->ops->drain(s->tty, err);
}

static enum stm32_status sim_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	struct sim *s = t->impl;
	return s->tty->ops->set_line(s->tty, line, asserted, err);
}

static enum stm32_status sim_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	struct sim *s = t->impl;
	return s->tty->ops->send_break(s->tty, err);
}

/* Only SPI links are full duplex; the protocol layer asks no other. */
static enum stm32_status sim_transfer(struct stm32_transport *t, const uint8_t *out, uint8_t *in,
				      size_t length, struct stm32_error *err)
{
	struct sim *s = t->impl;
	if (!s->tty->ops->transfer)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "a %s link is not full duplex",
				       s->tty->ops->name);
	return s->tty->ops->transfer(s->tty, out, in, length, err);
}

/* The emulator reads the pty's rate (termios2 included) as its host's. */
static enum stm32_status sim_reconfigure(struct stm32_transport *t,
					 const struct stm32_uart_config *cfg, struct stm32_error *err)
{
	struct sim *s = t->impl;
	enum stm32_status st = stm32_transport_reconfigure(s->tty, cfg, err);
	t->baud = s->tty->baud;
	return st;
}

static void sim_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct sim *s = t->impl;
	s->tty->ops->describe(s->tty, buf, size);
}

static void sim_close(struct stm32_transport *t)
{
	struct sim *s = t->impl;
	s->tty->ops->close(s->tty);
	stop_child(s->child);
	close(s->out_fd);
	free(s);
	free(t);
}

static const struct stm32_transport_ops sim_ops = {
	.name = "sim",
	.write = sim_write,
	.read = sim_read,
	.drain = sim_drain,
	.set_line = sim_set_line,
	.send_break = sim_send_break,
	.describe = sim_describe,
	.close = sim_close,
	.transfer = sim_transfer,
	.reconfigure = sim_reconfigure,
};

struct sim_argv {
	char *text;               /* spec copy, cut into pieces in place */
	char *args[SIM_MAX_ARGS]; /* program, --device, DEVICE, --KEY, VALUE, ..., NULL */
	char *owned[SIM_MAX_ARGS]; /* "--KEY" strings to free */
	size_t count, owned_count;
	char *device;
	enum stm32_link_kind interface; /* from interface=uart|i2c|spi */
};

static void sim_argv_free(struct sim_argv *a)
{
	for (size_t i = 0; i < a->owned_count; i++)
		free(a->owned[i]);
	free(a->text);
}

static enum stm32_status add_option(struct sim_argv *a, char *item, struct stm32_error *err)
{
	char *eq = strchr(item, '=');
	if (eq)
		*eq = '\0';
	if (!*item)
		return stm32_error_set(err, STM32_E_INVALID, "empty option in sim: port name");
	if (a->count + 3 >= SIM_MAX_ARGS)
		return stm32_error_set(err, STM32_E_INVALID, "too many options in sim: port name");
	char *flag = malloc(strlen(item) + 3);
	if (!flag)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	sprintf(flag, "--%s", item);
	if (strcmp(item, "interface") == 0 &&
	    !stm32_sim_interface_named(eq ? eq + 1 : "", &a->interface)) {
		free(flag);
		return stm32_error_set(err, STM32_E_INVALID,
				       "sim: port interface '%s' is not uart, i2c or spi", eq ? eq + 1 : "");
	}
	a->owned[a->owned_count++] = flag;
	a->args[a->count++] = flag;
	if (eq)
		a->args[a->count++] = eq + 1;
	return STM32_OK;
}

bool stm32_sim_interface_named(const char *name, enum stm32_link_kind *kind)
{
	static const struct {
		const char *name;
		enum stm32_link_kind kind;
	} interfaces[] = {{"uart", STM32_LINK_UART}, {"i2c", STM32_LINK_I2C}, {"spi", STM32_LINK_SPI}};
	for (size_t i = 0; i < sizeof(interfaces) / sizeof(interfaces[0]); i++)
		if (strcmp(name, interfaces[i].name) == 0) {
			*kind = interfaces[i].kind;
			return true;
		}
	return false;
}

enum stm32_link_kind stm32_sim_port_link(const char *spec)
{
	static const char key[] = "interface=";
	enum stm32_link_kind kind = STM32_LINK_UART;
	for (const char *comma = strchr(spec, ','); comma; comma = strchr(comma + 1, ',')) {
		if (strncmp(comma + 1, key, sizeof(key) - 1) != 0)
			continue;
		const char *value = comma + sizeof(key);
		char name[8] = "";
		size_t length = strcspn(value, ",");
		if (length < sizeof(name))
			memcpy(name, value, length);
		if (!stm32_sim_interface_named(name, &kind))
			kind = STM32_LINK_UART;
	}
	return kind;
}

/* "DEVICE,key=value,flag" -> program --device DEVICE --key value --flag */
static enum stm32_status build_argv(const char *spec, const char *program, struct sim_argv *a,
				    struct stm32_error *err)
{
	memset(a, 0, sizeof(*a));
	a->text = strdup(spec);
	if (!a->text)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	char *save = NULL;
	char *device = strtok_r(a->text, ",", &save);
	if (!device || !*device || strchr(device, '='))
		return stm32_error_set(err, STM32_E_INVALID,
				       "sim: port needs a device name, e.g. sim:stm32f103xb");
	a->args[a->count++] = (char *)program;
	a->args[a->count++] = "--device";
	a->args[a->count++] = device;
	a->device = device;
	a->interface = STM32_LINK_UART;
	for (char *item = strtok_r(NULL, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		enum stm32_status st = add_option(a, item, err);
		if (st != STM32_OK)
			return st;
	}
	a->args[a->count] = NULL;
	return STM32_OK;
}

#ifdef __linux__
/* Between fork and exec only async-signal-safe calls: the host may have
 * threads. The emulator is asked to die with us (PR_SET_PDEATHSIG), so a
 * host that crashes or is killed never leaves one behind; if we are already
 * gone by then, it must not start at all. A failed exec reports its errno
 * through a close-on-exec pipe, as posix_spawnp would return it. */
static void run_child(char **args, int out_fd, int report_fd, pid_t parent)
{
	int e;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
		e = ECHILD;
	} else if (dup2(out_fd, STDOUT_FILENO) < 0) {
		e = errno;
	} else {
		execvp(args[0], args);
		e = errno;
	}
	ssize_t ignored = write(report_fd, &e, sizeof(e));
	(void)ignored;
	_exit(127);
}

static int start_child(char **args, int out_fd, pid_t *child)
{
	int report[2];
	if (pipe2(report, O_CLOEXEC) != 0)
		return errno;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(report[0]);
		close(report[1]);
		return e;
	}
	if (pid == 0)
		run_child(args, out_fd, report[1], parent);
	close(report[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof(e)) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return e ? e : ECHILD;
	}
	*child = pid;
	return 0;
}
#else
static int start_child(char **args, int out_fd, pid_t *child)
{
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	int rc = posix_spawnp(child, args[0], &actions, NULL, args, environ);
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}
#endif

static enum stm32_status spawn_sim(struct sim_argv *a, pid_t *child, int *out_fd,
				   struct stm32_error *err)
{
	int fds[2];
	if (pipe(fds) != 0)
		return stm32_error_set(err, STM32_E_IO, "cannot create a pipe: %s", strerror(errno));
	/* Neither end may leak into the emulator beyond its stdout, or into
	 * other children: the read end would keep the pipe open for ever. */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	int rc = start_child(a->args, fds[1], child);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		enum stm32_status st = stm32_error_set(err, rc == ENOENT ? STM32_E_INVALID : STM32_E_IO,
						       "cannot run the emulator '%s': %s",
						       a->args[0], strerror(rc));
		if (err)
			err->sys_errno = rc;
		return st;
	}
	*out_fd = fds[0];
	return STM32_OK;
}

/* The emulator's first stdout line is the pty slave path (or bus socket). */
static enum stm32_status read_first_line(int fd, pid_t child, const char *program, char *line,
					 size_t size, bool *reaped, struct stm32_error *err)
{
	size_t have = 0;
	unsigned waited = 0;
	while (have + 1 < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = poll(&pfd, 1, 50);
		if (ready < 0 && errno != EINTR)
			return stm32_error_set(err, STM32_E_IO, "cannot read from the emulator: %s",
					       strerror(errno));
		if (ready <= 0) {
			waited += 50;
			if (waited >= SIM_STARTUP_MS)
				return stm32_error_set(err, STM32_E_TIMEOUT,
						       "the emulator '%s' printed no pty or bus path within %d ms",
						       program, SIM_STARTUP_MS);
			continue;
		}
		ssize_t n = read(fd, line + have, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int status = 0;
			char how[64];
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			*reaped = true;
			describe_exit(status, how, sizeof(how));
			return stm32_error_set(err, STM32_E_IO,
					       "the emulator '%s' %s before printing its pty or bus path",
					       program, how);
		}
		if (line[have] == '\n')
			break;
		have++;
	}
	line[have] = '\0';
	if (have == 0 || line[0] != '/')
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the emulator '%s' printed '%s' instead of a pty or bus path", program,
				       line);
	return STM32_OK;
}

static enum stm32_status wrap(struct stm32_transport *tty, pid_t child, int out_fd,
			      struct stm32_transport **out, struct stm32_error *err)
{
	struct stm32_transport *t = calloc(1, sizeof(*t));
	struct sim *s = calloc(1, sizeof(*s));
	if (!t || !s) {
		free(t);
		free(s);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	}
	s->tty = tty;
	s->child = child;
	s->out_fd = out_fd;
	t->ops = &sim_ops;
	t->kind = tty->kind;
	t->flags = tty->flags;
	t->baud = tty->baud;
	t->impl = s;
	*out = t;
	return STM32_OK;
}

/* -a when given, else the device's own address (the emulator's default):
 * a wrong -a then finds nobody answering, as on a real bus. */
static enum stm32_status bus_address(const char *device_name, const struct stm32_port_options *opts,
				     unsigned *address, struct stm32_error *err)
{
	if (opts->i2c_address) {
		*address = opts->i2c_address;
		return STM32_OK;
	}
	const struct stm32_device *device = stm32_device_find(device_name);
	if (!device)
		return stm32_error_set(err, STM32_E_INVALID, "sim: unknown device '%s'", device_name);
	if (!(device->interfaces & STM32_IF_I2C))
		return stm32_error_set(err, STM32_E_INVALID, "%s's bootloader has no I2C interface",
				       device->name);
	if (device->i2c_address < 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s has no known I2C bootloader address: give it with -a",
				       device->name);
	*address = (unsigned)device->i2c_address;
	return STM32_OK;
}

enum stm32_status stm32_sim_port_open(const char *spec, const struct stm32_port_options *opts,
				      struct stm32_transport **out, struct stm32_error *err)
{
	*out = NULL;
	const char *program = opts->sim_program ? opts->sim_program : SIM_DEFAULT_PROGRAM;
	struct sim_argv argv;
	enum stm32_status st = build_argv(spec, program, &argv, err);
	enum stm32_link_kind interface = argv.interface;
	unsigned i2c_address = 0;
	if (st == STM32_OK && interface == STM32_LINK_I2C)
		st = bus_address(argv.device, opts, &i2c_address, err);
	pid_t child = -1;
	int out_fd = -1;
	if (st == STM32_OK)
		st = spawn_sim(&argv, &child, &out_fd, err);
	sim_argv_free(&argv);
	if (st != STM32_OK)
		return st;
	char path[512];
	struct stm32_transport *tty = NULL;
	bool reaped = false;
	st = read_first_line(out_fd, child, program, path, sizeof(path), &reaped, err);
	if (st == STM32_OK && interface == STM32_LINK_UART)
		st = stm32_uart_open(path, &opts->uart, &tty, err);
	else if (st == STM32_OK)
		st = stm32_simbus_open(path, interface, i2c_address, opts->spi_speed_hz, &tty, err);
	if (st == STM32_OK)
		st = wrap(tty, child, out_fd, out, err);
	if (st != STM32_OK) {
		if (tty)
			stm32_transport_close(tty);
		if (!reaped)
			stop_child(child);
		close(out_fd);
	}
	return st;
}
