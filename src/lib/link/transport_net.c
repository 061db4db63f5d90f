/* TCP under the network ports, and the raw socket:// transport (bytes
 * only: the server's serial settings and modem lines apply). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stm32boot/transport.h"
#include "core/util.h"
#include "link/net_internal.h"
#include "link/transport_internal.h"

uint64_t net_monotonic_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

unsigned net_ms_left(uint64_t deadline)
{
	uint64_t now = core_monotonic_ms();
	return now < deadline ? (unsigned)(deadline - now > 60000000u ? 60000000u : deadline - now) : 0;
}

/* pyserial's URL options (labgrid writes ?ign_set_control&timeout=N): this
 * client waits for what it needs with its own timeouts, so they change
 * nothing, but a name it does not know is a typo. */
static bool query_ok(const char *query, char *bad, size_t bad_size)
{
	static const char *const known[] = {"ign_set_control", "poll_modem", "timeout", "logging"};
	char copy[256];
	snprintf(copy, sizeof copy, "%s", query);
	char *save = NULL;
	for (char *item = strtok_r(copy, "&", &save); item; item = strtok_r(NULL, "&", &save)) {
		size_t name_length = strcspn(item, "=");
		bool found = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i]) == name_length && strncmp(item, known[i], name_length) == 0)
				found = true;
		if (!found) {
			snprintf(bad, bad_size, "%.*s", (int)name_length, item);
			return false;
		}
	}
	return true;
}

enum stm32_status net_parse_address(const char *scheme, const char *address, char *host,
				    size_t host_size, char *port, size_t port_size,
				    struct stm32_error *err)
{
	const char *p = address, *host_end;
	if (*p == '[') {
		host_end = strchr(p, ']');
		if (!host_end || host_end[1] != ':')
			return stm32_error_set(err, STM32_E_INVALID,
					       "%s%s: an IPv6 address is written [ADDRESS]:PORT", scheme,
					       address);
		p++;
	} else {
		host_end = strchr(p, ':');
		if (!host_end)
			return stm32_error_set(err, STM32_E_INVALID,
					       "%s%s: no port (expected %sHOST:PORT)", scheme, address,
					       scheme);
		if (memchr(p, ':', (size_t)(host_end - p)) || strchr(host_end + 1, ':'))
			return stm32_error_set(err, STM32_E_INVALID,
					       "%s%s: put an IPv6 address in brackets, [ADDRESS]:PORT",
					       scheme, address);
	}
	size_t host_length = (size_t)(host_end - p);
	if (host_length == 0 || host_length >= host_size)
		return stm32_error_set(err, STM32_E_INVALID, "%s%s: no host name", scheme, address);
	memcpy(host, p, host_length);
	host[host_length] = '\0';
	const char *digits = host_end + (*address == '[' ? 2 : 1);
	size_t digit_count = strspn(digits, "0123456789");
	const char *rest = digits + digit_count;
	unsigned long number = digit_count && digit_count < 6 ? strtoul(digits, NULL, 10) : 0;
	if (number == 0 || number > 65535)
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s%s: the port must be a number from 1 to 65535", scheme,
				       address);
	if (*rest == '/')
		rest++;
	if (*rest == '?') {
		char bad[64];
		if (!query_ok(rest + 1, bad, sizeof bad))
			return stm32_error_set(err, STM32_E_INVALID,
					       "%s%s: unknown option '%s' (pyserial's "
					       "ign_set_control, poll_modem, timeout and logging are "
					       "accepted and not needed)", scheme, address, bad);
	} else if (*rest) {
		return stm32_error_set(err, STM32_E_INVALID, "%s%s: unexpected '%s' after the port",
				       scheme, address, rest);
	}
	snprintf(port, port_size, "%lu", number);
	return STM32_OK;
}

static int connect_one(const struct addrinfo *ai, unsigned timeout_ms, int *error)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*error = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		*error = errno;
		close(fd);
		return -1;
	}
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int ready;
	do
		ready = poll(&pfd, 1, (int)timeout_ms);
	while (ready < 0 && errno == EINTR);
	int so_error = 0;
	socklen_t length = sizeof so_error;
	if (ready == 0)
		so_error = ETIMEDOUT;
	else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) != 0)
		so_error = errno;
	if (so_error) {
		*error = so_error;
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

enum stm32_status net_connect(const char *scheme, const char *address, struct net_conn *c,
			      struct stm32_error *err)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	char host[256], port[8];
	enum stm32_status st = net_parse_address(scheme, address, host, sizeof host, port, sizeof port, err);
	if (st != STM32_OK)
		return st;
	snprintf(c->name, sizeof c->name, "%s", address);
	c->name[strcspn(c->name, "/?")] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(host, port, &hints, &list);
	if (gai != 0)
		return stm32_error_set(err, STM32_E_IO, "cannot connect to %s%s: %s", scheme, c->name,
				       gai_strerror(gai));
	int error = 0;
	uint64_t started = net_monotonic_us();
	for (const struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next) {
		started = net_monotonic_us();
		c->fd = connect_one(ai, NET_CONNECT_TIMEOUT_MS, &error);
	}
	freeaddrinfo(list);
	if (c->fd < 0) {
		st = stm32_error_sys(err, STM32_E_IO, error, "cannot connect to %s%s", scheme, c->name);
		if (error == ETIMEDOUT && err)
			snprintf(err->message, sizeof err->message,
				 "cannot connect to %s%s: no answer within %u ms", scheme, c->name,
				 NET_CONNECT_TIMEOUT_MS);
		return st;
	}
	uint64_t took = net_monotonic_us() - started;
	c->connect_us = took > 60000000u ? 60000000u : (unsigned)took;
	return STM32_OK;
}

void net_close(struct net_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A server's message is a line of text: printable, with a space, ended by
 * CR or LF ("Port's device already in use\r\n"); ACKs (0x79, 'y') and
 * other binary runs are not. */
void net_note_data(struct net_conn *c, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		uint8_t b = data[i];
		if (b == '\r' || b == '\n') {
			c->tail_ended = c->tail_length > 0;
			continue;
		}
		if (b < 0x20 || b > 0x7E || c->tail_ended) {
			c->tail_length = 0;
			c->tail_ended = false;
			if (b < 0x20 || b > 0x7E)
				continue;
		}
		if (c->tail_length == sizeof c->tail - 1) {
			memmove(c->tail, c->tail + 1, sizeof c->tail - 2);
			c->tail_length--;
		}
		c->tail[c->tail_length++] = (char)b;
	}
	c->tail[c->tail_length] = '\0';
}

static enum stm32_status dropped(struct net_conn *c, int errnum, struct stm32_error *err)
{
	char said[96] = "";
	if (c->tail_ended && c->tail_length >= 8 && strchr(c->tail, ' '))
		snprintf(said, sizeof said, "; the server said \"%s\"", c->tail);
	char how[96];
	if (errnum)
		snprintf(how, sizeof how, "was lost (%s)", strerror(errnum));
	else
		snprintf(how, sizeof how, "was closed by the server");
	enum stm32_status st = stm32_error_set(err, STM32_E_IO,
		"the connection to %s %s after %llu bytes sent and %llu received%s", c->name, how,
		(unsigned long long)c->sent, (unsigned long long)c->received, said);
	if (err)
		err->sys_errno = errnum ? errnum : ECONNRESET;
	return st;
}

enum stm32_status net_send(struct net_conn *c, const uint8_t *data, size_t length,
			   struct stm32_error *err)
{
	size_t done = 0;
	while (done < length) {
		ssize_t n = send(c->fd, data + done, length - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			c->sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return dropped(c, errno, err);
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		int ready = poll(&pfd, 1, (int)NET_SEND_STALL_MS);
		if (ready < 0 && errno != EINTR)
			return dropped(c, errno, err);
		if (ready == 0)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "%s accepted no data for %u ms", c->name, NET_SEND_STALL_MS);
	}
	return STM32_OK;
}

enum stm32_status net_receive(struct net_conn *c, uint8_t *buf, size_t size, unsigned timeout_ms,
			      size_t *got, struct stm32_error *err)
{
	*got = 0;
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	for (;;) {
		ssize_t n = recv(c->fd, buf, size, 0);
		if (n > 0) {
			*got = (size_t)n;
			c->received += (uint64_t)n;
			return STM32_OK;
		}
		if (n == 0)
			return dropped(c, 0, err);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return dropped(c, errno, err);
		unsigned left = net_ms_left(deadline);
		if (left == 0)
			return stm32_error_set(err, STM32_E_TIMEOUT, "nothing from %s for %u ms", c->name,
					       timeout_ms);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno != EINTR)
			return dropped(c, errno, err);
	}
}

/* socket://: bytes both ways, nothing else. */
struct raw {
	struct net_conn c;
	unsigned slack_ms;
	char description[256];
};

static enum stm32_status raw_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct raw *r = t->impl;
	return net_send(&r->c, data, length, err);
}

static enum stm32_status raw_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct raw *r = t->impl;
	uint64_t deadline = core_monotonic_ms() + timeout_ms + r->slack_ms;
	size_t have = 0;
	enum stm32_status st = STM32_OK;
	while (have < length) {
		size_t n = 0;
		st = net_receive(&r->c, data + have, length - have, net_ms_left(deadline), &n, err);
		net_note_data(&r->c, data + have, n);
		have += n;
		if (st == STM32_E_TIMEOUT) {
			st = stm32_error_set(err, STM32_E_TIMEOUT,
					     "timed out after %u ms with %zu of %zu bytes", timeout_ms,
					     have, length);
			break;
		}
		if (st != STM32_OK)
			break;
	}
	if (got)
		*got = have;
	return st;
}

static enum stm32_status raw_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct raw *r = t->impl;
	uint8_t sink[512];
	for (;;) {
		size_t n = 0;
		enum stm32_status st = net_receive(&r->c, sink, sizeof sink, 0, &n, err);
		net_note_data(&r->c, sink, n);
		if (st == STM32_E_TIMEOUT)
			return STM32_OK;
		if (st != STM32_OK)
			return st;
	}
}

static enum stm32_status raw_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	struct raw *r = t->impl;
	(void)asserted;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "socket://%s carries bytes only: it cannot drive %s (rfc2217:// can)",
			       r->c.name, line == STM32_LINE_RTS ? "RTS" : "DTR");
}

static enum stm32_status raw_send_break(struct stm32_transport *t, struct stm32_error *err)
{
	struct raw *r = t->impl;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "socket://%s carries bytes only: it cannot send a BREAK (rfc2217:// can)",
			       r->c.name);
}

static void raw_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct raw *r = t->impl;
	snprintf(buf, size, "%s", r->description);
}

static void raw_close(struct stm32_transport *t)
{
	struct raw *r = t->impl;
	net_close(&r->c);
	free(r);
	free(t);
}

static const struct stm32_transport_ops raw_ops = {
	.name = "socket",
	.write = raw_write,
	.read = raw_read,
	.drain = raw_drain,
	.set_line = raw_set_line,
	.send_break = raw_send_break,
	.describe = raw_describe,
	.close = raw_close,
};

/* Reads wait this much longer than the protocol asks: the bytes cross the
 * network twice. */
unsigned stm32_net_slack_ms(unsigned round_trip_us)
{
	unsigned ms = 2u * (round_trip_us / 1000u + 1u) + 5u;
	return ms > 5000u ? 5000u : ms;
}

enum stm32_status stm32_socket_open(const char *address, unsigned baud, struct stm32_transport **out,
				    struct stm32_error *err)
{
	*out = NULL;
	struct stm32_transport *t = calloc(1, sizeof *t);
	struct raw *r = calloc(1, sizeof *r);
	if (!t || !r) {
		free(t);
		free(r);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory opening socket://%s", address);
	}
	enum stm32_status st = net_connect(STM32_SOCKET_PORT_PREFIX, address, &r->c, err);
	if (st != STM32_OK) {
		free(r);
		free(t);
		return st;
	}
	r->slack_ms = stm32_net_slack_ms(r->c.connect_us);
	snprintf(r->description, sizeof r->description, "%s, the server's line settings", r->c.name);
	t->ops = &raw_ops;
	t->kind = STM32_LINK_UART;
	t->impl = r;
	/* The server's settings apply: as on a pty, parity cannot be set. */
	t->flags = STM32_TRANSPORT_PARITY_LOST | STM32_TRANSPORT_BYTES_ONLY;
	t->baud = baud;
	*out = t;
	return STM32_OK;
}
