/* The termios serial backend: every OS-specific detail of a serial port
 * (and of a pseudo-terminal standing in for one) lives in this file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "stm32boot/transport.h"
#include "core/util.h"
#include "link/tty_rate.h"

/* A write that cannot make progress for this long means the port is stuck
 * (flow control asserted by a broken adapter, a hung pty peer). */
#define WRITE_STALL_MS 5000

struct uart {
	int fd;
	char *path;
	bool have_saved;       /* saved holds the settings to restore at close */
	struct termios saved;
	bool exclusive;        /* TIOCEXCL set by us */
	char description[40];
};

struct baud_entry {
	unsigned baud;
	speed_t code; /* 0 when this OS has no constant for it */
};

/* The rates stm32flash 0.7 accepts for -b, with this OS's termios code. */
static const struct baud_entry baud_table[] = {
	{1200, B1200}, {1800, B1800}, {2400, B2400}, {4800, B4800}, {9600, B9600},
	{14400, 0}, {19200, B19200}, {38400, B38400}, {56000, 0}, {57600, B57600},
	{115200, B115200}, {128000, 0}, {230400, B230400}, {256000, 0},
#ifdef B460800
	{460800, B460800},
#else
	{460800, 0},
#endif
#ifdef B500000
	{500000, B500000}, {576000, B576000}, {921600, B921600}, {1000000, B1000000},
	{1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000},
	{3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
#else
	{500000, 0}, {576000, 0}, {921600, 0}, {1000000, 0}, {1152000, 0}, {1500000, 0},
	{2000000, 0}, {2500000, 0}, {3000000, 0}, {3500000, 0}, {4000000, 0},
#endif
};

static const struct baud_entry *baud_lookup(unsigned baud)
{
	for (size_t i = 0; i < sizeof(baud_table) / sizeof(baud_table[0]); i++)
		if (baud_table[i].baud == baud)
			return &baud_table[i];
	return NULL;
}

static unsigned baud_from_code(speed_t code)
{
	for (size_t i = 0; i < sizeof(baud_table) / sizeof(baud_table[0]); i++)
		if (baud_table[i].code == code && baud_table[i].code != 0)
			return baud_table[i].baud;
	return 0;
}

bool stm32_uart_baud_valid(unsigned baud)
{
	return baud_lookup(baud) != NULL;
}

enum stm32_status stm32_uart_parse_mode(const char *text, struct stm32_uart_config *cfg,
					struct stm32_error *err)
{
	if (!text || strlen(text) != 3)
		return stm32_error_set(err, STM32_E_INVALID,
				       "serial mode '%s' is not three characters like 8e1",
				       text ? text : "");
	if (text[0] < '5' || text[0] > '8')
		return stm32_error_set(err, STM32_E_INVALID,
				       "serial mode '%s': data bits must be 5 to 8", text);
	char parity = text[1];
	if (parity >= 'A' && parity <= 'Z')
		parity = (char)(parity - 'A' + 'a');
	if (parity != 'n' && parity != 'e' && parity != 'o')
		return stm32_error_set(err, STM32_E_INVALID,
				       "serial mode '%s': parity must be n, e or o", text);
	if (text[2] != '1' && text[2] != '2')
		return stm32_error_set(err, STM32_E_INVALID,
				       "serial mode '%s': stop bits must be 1 or 2", text);
	cfg->data_bits = (unsigned)(text[0] - '0');
	cfg->parity = parity;
	cfg->stop_bits = (unsigned)(text[2] - '0');
	return STM32_OK;
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = core_monotonic_ms();
	if (now >= deadline)
		return 0;
	uint64_t left = deadline - now;
	return left > 60000000u ? 60000000 : (int)left;
}

static enum stm32_status io_error(struct stm32_error *err, int errnum, const char *what,
				  const char *path)
{
	return stm32_error_sys(err, STM32_E_IO, errnum, "%s %s", what, path);
}

static enum stm32_status uart_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	struct uart *u = t->impl;
	size_t done = 0;
	while (done < length) {
		ssize_t n = write(u->fd, data + done, length - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return io_error(err, errno, "cannot write to", u->path);
		struct pollfd pfd = {.fd = u->fd, .events = POLLOUT};
		int ready = poll(&pfd, 1, WRITE_STALL_MS);
		if (ready < 0 && errno != EINTR)
			return io_error(err, errno, "cannot wait for", u->path);
		if (ready == 0)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "%s accepted no data for %d ms", u->path,
					       WRITE_STALL_MS);
	}
	return STM32_OK;
}

static enum stm32_status uart_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct uart *u = t->impl;
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	size_t have = 0;
	enum stm32_status st = STM32_OK;
	while (have < length) {
		ssize_t n = read(u->fd, data + have, length - have);
		if (n > 0) {
			have += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			st = io_error(err, errno, "cannot read from", u->path);
			break;
		}
		int left = remaining_ms(deadline);
		if (left == 0) {
			st = stm32_error_set(err, STM32_E_TIMEOUT,
					     "timed out after %u ms with %zu of %zu bytes",
					     timeout_ms, have, length);
			break;
		}
		struct pollfd pfd = {.fd = u->fd, .events = POLLIN};
		int ready = poll(&pfd, 1, left);
		if (ready < 0 && errno != EINTR) {
			st = io_error(err, errno, "cannot wait for", u->path);
			break;
		}
		/* A hang-up with nothing left to read would wake poll() forever. */
		if (ready > 0 && (pfd.revents & (POLLHUP | POLLERR)) && !(pfd.revents & POLLIN)) {
			st = stm32_error_set(err, STM32_E_IO, "%s hung up", u->path);
			if (err)
				err->sys_errno = EIO;
			break;
		}
	}
	if (got)
		*got = have;
	return st;
}

static enum stm32_status uart_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct uart *u = t->impl;
	if (!(t->flags & STM32_TRANSPORT_NOT_A_TTY) && tcflush(u->fd, TCIFLUSH) == 0)
		return STM32_OK;
	/* Not a tty (or flush refused): read away whatever is pending. */
	uint8_t sink[256];
	for (;;) {
		ssize_t n = read(u->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return STM32_OK;
		return io_error(err, errno, "cannot flush", u->path);
	}
}

static enum stm32_status uart_set_line(struct stm32_transport *t, enum stm32_line line,
				       bool asserted, struct stm32_error *err)
{
	struct uart *u = t->impl;
	int bits = line == STM32_LINE_RTS ? TIOCM_RTS : TIOCM_DTR;
	const char *name = line == STM32_LINE_RTS ? "RTS" : "DTR";
	if (ioctl(u->fd, asserted ? TIOCMBIS : TIOCMBIC, &bits) == 0)
		return STM32_OK;
	int e = errno;
	enum stm32_status st;
	if (e == ENOTTY || e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP)
		st = stm32_error_set(err, STM32_E_UNSUPPORTED,
				     "%s has no %s line to drive (%s; a pseudo-terminal has "
				     "no modem lines)", u->path, name, strerror(e));
	else
		st = stm32_error_set(err, STM32_E_IO, "cannot %s %s on %s: %s",
				     asserted ? "assert" : "clear", name, u->path, strerror(e));
	if (err)
		err->sys_errno = e;
	return st;
}

static enum stm32_status uart_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	struct uart *u = t->impl;
	if (tcsendbreak(u->fd, 0) == 0)
		return STM32_OK;
	int e = errno;
	if (e == ENOTTY || e == EINVAL) {
		enum stm32_status st = stm32_error_set(err, STM32_E_UNSUPPORTED,
						       "%s cannot send a BREAK: %s", u->path,
						       strerror(e));
		if (err)
			err->sys_errno = e;
		return st;
	}
	return io_error(err, e, "cannot send a BREAK on", u->path);
}

static void uart_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct uart *u = t->impl;
	snprintf(buf, size, "%s", u->description);
}

static void uart_close(struct stm32_transport *t)
{
	struct uart *u = t->impl;
	if (u->have_saved)
		tcsetattr(u->fd, TCSANOW, &u->saved);
	if (u->exclusive)
		ioctl(u->fd, TIOCNXCL);
	flock(u->fd, LOCK_UN);
	close(u->fd);
	free(u->path);
	free(u);
	free(t);
}

static enum stm32_status uart_reconfigure(struct stm32_transport *t,
					  const struct stm32_uart_config *cfg,
					  struct stm32_error *err);

static const struct stm32_transport_ops uart_ops = {
	.name = "serial",
	.write = uart_write,
	.read = uart_read,
	.drain = uart_drain,
	.set_line = uart_set_line,
	.send_break = uart_send_break,
	.describe = uart_describe,
	.close = uart_close,
	.reconfigure = uart_reconfigure,
};

static tcflag_t size_flag(unsigned data_bits)
{
	switch (data_bits) {
	case 5: return CS5;
	case 6: return CS6;
	case 7: return CS7;
	default: return CS8;
	}
}

static void describe_config(char *buf, size_t size, unsigned baud, const struct stm32_uart_config *cfg)
{
	char parity = cfg->parity == 'e' ? 'E' : cfg->parity == 'o' ? 'O' : 'N';
	snprintf(buf, size, "%u %u%c%u", baud, cfg->data_bits, parity, cfg->stop_bits);
}

static enum stm32_status validate_config(const struct stm32_uart_config *cfg, speed_t *code,
					 struct stm32_error *err)
{
	if (cfg->baud == 0)
		return STM32_OK;
	const struct baud_entry *entry = baud_lookup(cfg->baud);
	if (!entry)
		return stm32_error_set(err, STM32_E_INVALID, "%u is not a valid baud rate",
				       cfg->baud);
	if (entry->code == 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "baud rate %u is not supported on this system", cfg->baud);
	if (cfg->data_bits < 5 || cfg->data_bits > 8 || (cfg->stop_bits != 1 && cfg->stop_bits != 2) ||
	    (cfg->parity != 'n' && cfg->parity != 'e' && cfg->parity != 'o'))
		return stm32_error_set(err, STM32_E_INVALID, "invalid serial mode %u%c%u",
				       cfg->data_bits, cfg->parity, cfg->stop_bits);
	*code = entry->code;
	return STM32_OK;
}

static void build_termios(struct termios *tio, const struct stm32_uart_config *cfg, speed_t code)
{
	cfmakeraw(tio);
	tio->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | IGNPAR | INPCK);
	tio->c_cflag &= ~(tcflag_t)(CRTSCTS | CSIZE | PARENB | PARODD | CSTOPB);
	tio->c_cflag |= CLOCAL | CREAD | size_flag(cfg->data_bits);
	if (cfg->parity != 'n') {
		tio->c_cflag |= PARENB;
		tio->c_iflag |= INPCK;
		if (cfg->parity == 'o')
			tio->c_cflag |= PARODD;
	}
	if (cfg->stop_bits == 2)
		tio->c_cflag |= CSTOPB;
	/* Reads poll(); the line discipline must never block on its own. */
	tio->c_cc[VMIN] = 0;
	tio->c_cc[VTIME] = 0;
	cfsetispeed(tio, code);
	cfsetospeed(tio, code);
}

/* Apply the settings and check what the driver kept: a pty drops the parity
 * and character size (the bytes still arrive intact, so carry on and let the
 * caller warn); a speed the driver did not take is an error. */
static enum stm32_status apply_config(struct stm32_transport *t, struct uart *u,
				      const struct stm32_uart_config *cfg, speed_t code,
				      struct stm32_error *err)
{
	struct termios want = u->saved;
	build_termios(&want, cfg, code);
	tcflush(u->fd, TCIFLUSH);
	if (tcsetattr(u->fd, TCSANOW, &want) != 0)
		return io_error(err, errno, "cannot configure", u->path);
	struct termios got;
	if (tcgetattr(u->fd, &got) != 0)
		return io_error(err, errno, "cannot read back the settings of", u->path);
	if (cfgetospeed(&got) != code || cfgetispeed(&got) != code)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s did not accept %u baud", u->path, cfg->baud);
	tcflag_t framing = CSIZE | PARENB | PARODD | CSTOPB;
	if ((got.c_cflag & framing) != (want.c_cflag & framing))
		t->flags |= STM32_TRANSPORT_PARITY_LOST;
	return STM32_OK;
}

static void describe_current(struct uart *u, struct stm32_transport *t)
{
	struct stm32_uart_config cur = {0};
	tcflag_t c = u->saved.c_cflag;
	cur.data_bits = (c & CSIZE) == CS5 ? 5 : (c & CSIZE) == CS6 ? 6 : (c & CSIZE) == CS7 ? 7 : 8;
	cur.parity = !(c & PARENB) ? 'n' : (c & PARODD) ? 'o' : 'e';
	cur.stop_bits = (c & CSTOPB) ? 2 : 1;
	t->baud = baud_from_code(cfgetospeed(&u->saved));
	describe_config(u->description, sizeof(u->description), t->baud, &cur);
}

static bool framing_valid(const struct stm32_uart_config *cfg)
{
	return cfg->data_bits >= 5 && cfg->data_bits <= 8 &&
	       (cfg->stop_bits == 1 || cfg->stop_bits == 2) &&
	       (cfg->parity == 'n' || cfg->parity == 'e' || cfg->parity == 'o');
}

/* The rate the driver now runs at: termios2 where the OS has it (it also
 * reports rates without a constant), else the constant's. */
static unsigned current_rate(int fd, const struct termios *tio)
{
	unsigned rate = tty_rate_get(fd);
	return rate ? rate : baud_from_code(cfgetospeed(tio));
}

/* A rate with a termios constant goes through tcsetattr; any other through
 * the OS seam (termios2/BOTHER), after the framing was set at a constant.
 * Output is drained first: the bytes already written must leave at the old
 * rate (the stub switches once its reply has left, and so must we). */
static enum stm32_status uart_reconfigure(struct stm32_transport *t,
					  const struct stm32_uart_config *cfg,
					  struct stm32_error *err)
{
	struct uart *u = t->impl;
	if (cfg->baud == 0 || !framing_valid(cfg))
		return stm32_error_set(err, STM32_E_INVALID, "invalid serial settings %u %u%c%u",
				       cfg->baud, cfg->data_bits, cfg->parity, cfg->stop_bits);
	struct termios before;
	if (tcgetattr(u->fd, &before) != 0)
		return io_error(err, errno, "cannot read the settings of", u->path);
	while (tcdrain(u->fd) != 0 && errno == EINTR)
		;
	const struct baud_entry *entry = baud_lookup(cfg->baud);
	speed_t code = entry && entry->code ? entry->code : cfgetospeed(&before);
	struct termios want = before;
	build_termios(&want, cfg, code);
	if (tcsetattr(u->fd, TCSANOW, &want) != 0)
		return io_error(err, errno, "cannot configure", u->path);
	int e = entry && entry->code ? 0 : tty_rate_set(u->fd, cfg->baud);
	struct termios got;
	unsigned rate = tcgetattr(u->fd, &got) == 0 ? current_rate(u->fd, &got) : 0;
	if (e != 0 || rate != cfg->baud) {
		tcsetattr(u->fd, TCSANOW, &before);
		if (e == 0 || e == ENOTSUP || e == EINVAL)
			return stm32_error_set(err, STM32_E_UNSUPPORTED, "%s cannot run at %u baud%s",
					       u->path, cfg->baud,
					       e == ENOTSUP ? " on this system" : "");
		return io_error(err, e, "cannot set the rate of", u->path);
	}
	t->baud = cfg->baud;
	describe_config(u->description, sizeof(u->description), cfg->baud, cfg);
	return STM32_OK;
}

/* What a path that is not a terminal is, for the refusal, or NULL when
 * st is a character device (a tty, or not: tcgetattr tells). */
static const char *not_a_port_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return "a regular file";
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISBLK(st->st_mode))
		return "a block device";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	return NULL;
}

static enum stm32_status refuse_not_a_port(const char *path, const char *kind,
					   struct stm32_error *err)
{
	stm32_error_set(err, STM32_E_INVALID, "%s is %s, not a serial port", path, kind);
	if (err)
		err->sys_errno = ENOTTY;
	return STM32_E_INVALID;
}

static enum stm32_status lock_port(struct uart *u, struct stm32_error *err)
{
	if (flock(u->fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return stm32_error_set(err, STM32_E_BUSY, "%s is in use by another process",
					       u->path);
		/* Some filesystems have no flock; TIOCEXCL still guards a tty. */
	}
	return STM32_OK;
}

static enum stm32_status configure_port(struct stm32_transport *t, struct uart *u,
					const struct stm32_uart_config *cfg, struct stm32_error *err)
{
	speed_t code = 0;
	enum stm32_status st = validate_config(cfg, &code, err);
	if (st != STM32_OK)
		return st;
	if (tcgetattr(u->fd, &u->saved) != 0) {
		if (errno != ENOTTY && errno != EINVAL)
			return io_error(err, errno, "cannot read the settings of", u->path);
		struct stat st;
		const char *kind = fstat(u->fd, &st) == 0 ? not_a_port_kind(&st) : NULL;
		return refuse_not_a_port(u->path, kind ? kind : "a non-terminal character device",
					 err);
	}
	u->have_saved = true;
	if (ioctl(u->fd, TIOCEXCL) == 0)
		u->exclusive = true;
	if (cfg->baud == 0) {
		describe_current(u, t);
		return STM32_OK;
	}
	st = apply_config(t, u, cfg, code, err);
	if (st != STM32_OK)
		return st;
	t->baud = cfg->baud;
	describe_config(u->description, sizeof(u->description), cfg->baud, cfg);
	return STM32_OK;
}

enum stm32_status stm32_uart_open(const char *path, const struct stm32_uart_config *cfg,
				  struct stm32_transport **out, struct stm32_error *err)
{
	*out = NULL;
	/* Refused before open: a directory cannot be opened for writing, and
	 * the bootloader would never answer through a file. */
	struct stat node;
	const char *kind = stat(path, &node) == 0 ? not_a_port_kind(&node) : NULL;
	if (kind)
		return refuse_not_a_port(path, kind, err);
	struct stm32_transport *t = calloc(1, sizeof(*t));
	struct uart *u = calloc(1, sizeof(*u));
	char *copy = strdup(path);
	if (!t || !u || !copy) {
		free(t);
		free(u);
		free(copy);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening %s", path);
	}
	u->path = copy;
	t->ops = &uart_ops;
	t->kind = STM32_LINK_UART;
	t->impl = u;
	u->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (u->fd < 0) {
		int e = errno;
		enum stm32_status st = e == EBUSY
			? stm32_error_set(err, STM32_E_BUSY, "%s is in use by another process", path)
			: io_error(err, e, "cannot open", path);
		free(copy);
		free(u);
		free(t);
		return st;
	}
	enum stm32_status st = lock_port(u, err);
	if (st == STM32_OK)
		st = configure_port(t, u, cfg, err);
	if (st != STM32_OK) {
		uart_close(t);
		return st;
	}
	*out = t;
	return STM32_OK;
}
