/* The telnet / RFC 2217 codec (src/lib/link/rfc2217_codec.c) on byte
 * strings, and the rfc2217:// client against a scripted server on a
 * loopback socket: negotiation, 0xFF doubled both ways, the settings, and
 * the SET-CONTROL tolerance Debian 12's ser2net needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/net_internal.h"
#include "link/rfc2217_codec.h"
#include "stm32boot/transport.h"

/* ---- the codec ---- */

static void test_escape_doubles_ff(void **state)
{
	(void)state;
	const uint8_t in[] = {0x00, 0xFF, 0x7F, 0xFF, 0xFF};
	uint8_t out[10];
	size_t n = rfc2217_escape(in, sizeof in, out);
	const uint8_t want[] = {0x00, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF};
	assert_int_equal(n, sizeof want);
	assert_memory_equal(out, want, sizeof want);
}

static void test_baud_is_four_bytes_and_escaped(void **state)
{
	(void)state;
	uint8_t out[32];
	size_t n = rfc2217_encode_baud(115200, out);
	const uint8_t want[] = {0xFF, 0xFA, 44, 1, 0x00, 0x01, 0xC2, 0x00, 0xFF, 0xF0};
	assert_int_equal(n, sizeof want);
	assert_memory_equal(out, want, sizeof want);
	/* 0xFF inside a value is doubled: 0x0000FFFF baud. */
	n = rfc2217_encode_baud(0xFFFF, out);
	const uint8_t want_ff[] = {0xFF, 0xFA, 44, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0};
	assert_int_equal(n, sizeof want_ff);
	assert_memory_equal(out, want_ff, sizeof want_ff);
}

static void test_decode_data_and_iac_iac(void **state)
{
	(void)state;
	struct rfc2217_decoder d;
	rfc2217_decoder_init(&d);
	/* The STM32 Get command's reply may hold 0xFF; a telnet server sends FF FF. */
	const uint8_t in[] = {0x79, 0xFF, 0xFF, 0x00, 0xFF, 0xFF};
	uint8_t data[16];
	size_t length = 0;
	struct rfc2217_event ev;
	size_t used = rfc2217_decode(&d, in, sizeof in, data, &length, &ev);
	assert_int_equal(used, sizeof in);
	assert_int_equal(ev.kind, RFC2217_EVENT_NONE);
	const uint8_t want[] = {0x79, 0xFF, 0x00, 0xFF};
	assert_int_equal(length, sizeof want);
	assert_memory_equal(data, want, sizeof want);
}

static void test_decode_split_across_calls(void **state)
{
	(void)state;
	struct rfc2217_decoder d;
	rfc2217_decoder_init(&d);
	/* FF | FF 79 | FF FA 2C 65 00 01 C2 | 00 FF F0 arrive in pieces. */
	const uint8_t a[] = {0xFF}, b[] = {0xFF, 0x79, 0xFF, 0xFA, 44, 101, 0x00, 0x01, 0xC2},
		      c[] = {0x00, 0xFF, 0xF0, 0x1F};
	uint8_t data[32];
	size_t length = 0;
	struct rfc2217_event ev;
	assert_int_equal(rfc2217_decode(&d, a, sizeof a, data, &length, &ev), 1);
	assert_int_equal(length, 0);
	assert_int_equal(rfc2217_decode(&d, b, sizeof b, data, &length, &ev), sizeof b);
	assert_int_equal(ev.kind, RFC2217_EVENT_NONE);
	assert_int_equal(length, 2);
	size_t used = rfc2217_decode(&d, c, sizeof c, data, &length, &ev);
	assert_int_equal(used, 3); /* stops at the event */
	assert_int_equal(ev.kind, RFC2217_EVENT_COMPORT);
	assert_int_equal(ev.command, 101);
	assert_int_equal(rfc2217_decode_baud(ev.value, ev.length), 115200);
	used = rfc2217_decode(&d, c + 3, 1, data, &length, &ev);
	assert_int_equal(length, 3);
	assert_int_equal(data[2], 0x1F);
}

static void test_decode_options_and_escaped_value(void **state)
{
	(void)state;
	struct rfc2217_decoder d;
	rfc2217_decoder_init(&d);
	const uint8_t in[] = {0xFF, 0xFD, 44, 0xFF, 0xF1 /* NOP */, 0x41,
			      0xFF, 0xFA, 44, 105, 0xFF, 0xFF, 0xFF, 0xF0};
	uint8_t data[32];
	size_t length = 0;
	struct rfc2217_event ev;
	size_t used = rfc2217_decode(&d, in, sizeof in, data, &length, &ev);
	assert_int_equal(ev.kind, RFC2217_EVENT_OPTION);
	assert_int_equal(ev.verb, TN_DO);
	assert_int_equal(ev.option, 44);
	used += rfc2217_decode(&d, in + used, sizeof in - used, data, &length, &ev);
	assert_int_equal(used, sizeof in);
	assert_int_equal(ev.kind, RFC2217_EVENT_COMPORT);
	assert_int_equal(ev.command, 105);
	assert_int_equal(ev.length, 1);
	assert_int_equal(ev.value[0], 0xFF);
	assert_int_equal(length, 1);
	assert_int_equal(data[0], 0x41);
}

static void test_other_subnegotiations_are_dropped(void **state)
{
	(void)state;
	struct rfc2217_decoder d;
	rfc2217_decoder_init(&d);
	const uint8_t in[] = {0xFF, 0xFA, 24, 1, 0xFF, 0xF0, 0x55};
	uint8_t data[8];
	size_t length = 0;
	struct rfc2217_event ev;
	assert_int_equal(rfc2217_decode(&d, in, sizeof in, data, &length, &ev), sizeof in);
	assert_int_equal(ev.kind, RFC2217_EVENT_NONE);
	assert_int_equal(length, 1);
	assert_int_equal(data[0], 0x55);
}

static void test_negotiation_rules(void **state)
{
	(void)state;
	struct rfc2217_options o;
	rfc2217_options_init(&o);
	uint8_t out[3];
	/* We ask WILL 44; the server's DO 44 agrees without a reply. */
	assert_int_equal(rfc2217_options_request(&o, TN_WILL, 44, out), 3);
	assert_int_equal(out[1], TN_WILL);
	assert_int_equal(rfc2217_options_request(&o, TN_WILL, 44, out), 0); /* asked once */
	assert_int_equal(rfc2217_options_receive(&o, TN_DO, 44, out), 0);
	assert_true(rfc2217_options_us(&o, 44));
	/* ser2net offers DO BINARY unasked: agreed with WILL BINARY. */
	assert_int_equal(rfc2217_options_receive(&o, TN_DO, TN_OPT_BINARY, out), 3);
	assert_int_equal(out[1], TN_WILL);
	assert_int_equal(out[2], TN_OPT_BINARY);
	assert_int_equal(rfc2217_options_receive(&o, TN_DO, TN_OPT_BINARY, out), 0); /* no loop */
	/* WILL ECHO is refused (DONT), and repeated refusals are not re-acked... */
	assert_int_equal(rfc2217_options_receive(&o, TN_WILL, TN_OPT_ECHO, out), 3);
	assert_int_equal(out[1], TN_DONT);
	assert_int_equal(rfc2217_options_receive(&o, TN_WONT, TN_OPT_ECHO, out), 0);
	assert_false(rfc2217_options_him(&o, TN_OPT_ECHO));
	/* ...WILL SGA agreed with DO SGA. */
	assert_int_equal(rfc2217_options_receive(&o, TN_WILL, TN_OPT_SGA, out), 3);
	assert_int_equal(out[1], TN_DO);
	assert_true(rfc2217_options_him(&o, TN_OPT_SGA));
	/* The server answering our DO with WONT: refused, no reply. */
	assert_int_equal(rfc2217_options_request(&o, TN_DO, TN_OPT_BINARY, out), 3);
	assert_int_equal(rfc2217_options_receive(&o, TN_WONT, TN_OPT_BINARY, out), 0);
	assert_false(rfc2217_options_him(&o, TN_OPT_BINARY));
	/* An option we have agreed is switched off: acknowledged once. */
	assert_int_equal(rfc2217_options_receive(&o, TN_DONT, TN_OPT_BINARY, out), 3);
	assert_int_equal(out[1], TN_WONT);
	assert_int_equal(rfc2217_options_receive(&o, TN_DONT, TN_OPT_BINARY, out), 0);
	/* Options past the table are refused. */
	assert_int_equal(rfc2217_options_receive(&o, TN_DO, 200, out), 3);
	assert_int_equal(out[1], TN_WONT);
}

/* ---- the client against a scripted server ---- */

enum control_mode { ACK_CONTROL, NO_CONTROL_ACK, BREAK_OFF_ACKED_AS_ON };

struct server {
	int listen_fd, fd;
	uint16_t port;
	enum control_mode mode;
	bool lie_about_parity;  /* ack parity even, report none */
	uint8_t log[8192];      /* data bytes the client sent, unescaped */
	size_t log_length;
	uint8_t controls[32];   /* SET-CONTROL values received */
	size_t control_count;
	unsigned purges;
	const uint8_t *reply;   /* data to send (raw, escaped here) once 2 bytes came */
	size_t reply_length;
	bool close_after_reply;
};

static void server_send(struct server *s, const uint8_t *data, size_t length)
{
	assert_int_equal(send(s->fd, data, length, MSG_NOSIGNAL), (ssize_t)length);
}

static void server_reply(struct server *s, uint8_t command, const uint8_t *value, size_t length)
{
	uint8_t frame[64];
	size_t n = rfc2217_encode_command((uint8_t)(command + RFC2217_SERVER_OFFSET), value, length, frame);
	server_send(s, frame, n);
}

static void on_command(struct server *s, const struct rfc2217_event *ev)
{
	uint8_t value[8];
	memcpy(value, ev->value, ev->length < sizeof value ? ev->length : sizeof value);
	switch (ev->command) {
	case RFC2217_SET_BAUDRATE:
	case RFC2217_SET_DATASIZE:
	case RFC2217_SET_STOPSIZE:
		server_reply(s, ev->command, value, ev->length);
		break;
	case RFC2217_SET_PARITY:
		if (s->lie_about_parity)
			value[0] = RFC2217_PARITY_NONE;
		server_reply(s, ev->command, value, ev->length);
		break;
	case RFC2217_SET_CONTROL:
		s->controls[s->control_count++ % sizeof s->controls] = value[0];
		if (s->mode == NO_CONTROL_ACK)
			break;
		if (s->mode == BREAK_OFF_ACKED_AS_ON && value[0] == RFC2217_CONTROL_BREAK_OFF)
			value[0] = RFC2217_CONTROL_BREAK_ON;
		server_reply(s, ev->command, value, 1);
		break;
	case RFC2217_PURGE_DATA:
		s->purges++;
		server_reply(s, ev->command, value, 1);
		break;
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	s->fd = accept(s->listen_fd, NULL, NULL);
	if (s->fd < 0)
		return NULL;
	/* What ser2net sends on connect. */
	const uint8_t hello[] = {0xFF, 0xFB, 3, 0xFF, 0xFD, 3, 0xFF, 0xFB, 1, 0xFF, 0xFE, 1,
				 0xFF, 0xFD, 0, 0xFF, 0xFB, 0, 0xFF, 0xFD, 44};
	server_send(s, hello, sizeof hello);
	struct rfc2217_decoder d;
	rfc2217_decoder_init(&d);
	uint8_t in[1024];
	for (;;) {
		ssize_t n = recv(s->fd, in, sizeof in, 0);
		if (n <= 0)
			break;
		size_t used = 0;
		while (used < (size_t)n) {
			struct rfc2217_event ev;
			used += rfc2217_decode(&d, in + used, (size_t)n - used, s->log, &s->log_length, &ev);
			if (ev.kind == RFC2217_EVENT_OPTION && ev.option == 44 && ev.verb == TN_WILL) {
				const uint8_t notify[] = {0xFF, 0xFA, 44, 107, 0x00, 0xFF, 0xF0};
				server_send(s, notify, sizeof notify);
			}
			if (ev.kind == RFC2217_EVENT_COMPORT)
				on_command(s, &ev);
		}
		if (s->reply && s->log_length >= 2) { /* the command came: answer it */
			uint8_t escaped[512];
			server_send(s, escaped, rfc2217_escape(s->reply, s->reply_length, escaped));
			s->reply = NULL;
		}
		if (s->close_after_reply && s->log_length >= 2)
			break;
	}
	close(s->fd);
	return NULL;
}

static void server_start(struct server *s, pthread_t *thread)
{
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t length = sizeof a;
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &length), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(listen(s->listen_fd, 1), 0);
	assert_int_equal(pthread_create(thread, NULL, server_main, s), 0);
}

static void server_join(struct server *s, pthread_t thread)
{
	pthread_join(thread, NULL);
	close(s->listen_fd);
}

static struct stm32_transport *client_open(struct server *s)
{
	char address[64];
	snprintf(address, sizeof address, "127.0.0.1:%u", s->port);
	struct stm32_uart_config cfg = {.baud = 115200, .data_bits = 8, .parity = 'e', .stop_bits = 1};
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	stm32_error_clear(&err);
	enum stm32_status st = stm32_rfc2217_open(address, &cfg, &t, &err);
	if (st != STM32_OK)
		fail_msg("open: %s", err.message);
	return t;
}

static void test_client_data_escaped_both_ways(void **state)
{
	(void)state;
	static const uint8_t answer[] = {0x79, 0x0B, 0xFF, 0x00};
	struct server s = {.mode = ACK_CONTROL, .reply = answer, .reply_length = sizeof answer};
	pthread_t thread;
	server_start(&s, &thread);
	struct stm32_transport *t = client_open(&s);
	assert_int_equal(t->baud, 115200);
	assert_false(t->flags & STM32_TRANSPORT_PARITY_LOST);
	struct stm32_error err;
	stm32_error_clear(&err);
	const uint8_t get[] = {0x00, 0xFF};
	assert_int_equal(stm32_transport_write(t, get, sizeof get, &err), STM32_OK);
	uint8_t got[4];
	size_t n = 0;
	assert_int_equal(stm32_transport_read(t, got, sizeof got, 1000, &n, &err), STM32_OK);
	assert_memory_equal(got, answer, sizeof answer);
	char text[160];
	t->ops->describe(t, text, sizeof text);
	assert_non_null(strstr(text, "115200 8E1"));
	stm32_transport_close(t);
	server_join(&s, thread);
	/* The server saw 00 FF, one byte each: the client doubled the FF. */
	assert_int_equal(s.log_length, 2);
	assert_int_equal(s.log[1], 0xFF);
	assert_int_equal(s.purges, 1); /* purged at connect */
}

static void test_client_parity_lie_is_flagged(void **state)
{
	(void)state;
	struct server s = {.mode = ACK_CONTROL, .lie_about_parity = true};
	pthread_t thread;
	server_start(&s, &thread);
	struct stm32_transport *t = client_open(&s);
	assert_true(t->flags & STM32_TRANSPORT_PARITY_LOST);
	stm32_transport_close(t);
	server_join(&s, thread);
}

static void run_lines(struct stm32_transport *t)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(t->ops->set_line(t, STM32_LINE_DTR, true, &err), STM32_OK);
	assert_int_equal(t->ops->set_line(t, STM32_LINE_RTS, false, &err), STM32_OK);
	assert_int_equal(t->ops->set_line(t, STM32_LINE_DTR, false, &err), STM32_OK);
	assert_int_equal(t->ops->send_break(t, &err), STM32_OK);
	assert_int_equal(t->ops->drain(t, &err), STM32_OK);
}

static bool said_unacknowledged(struct stm32_transport *t)
{
	char text[300];
	t->ops->describe(t, text, sizeof text);
	return strstr(text, "not acknowledged") != NULL;
}

static void check_controls(const struct server *s)
{
	const uint8_t want[] = {RFC2217_CONTROL_DTR_ON, RFC2217_CONTROL_RTS_OFF, RFC2217_CONTROL_DTR_OFF,
				RFC2217_CONTROL_BREAK_ON, RFC2217_CONTROL_BREAK_OFF};
	assert_int_equal(s->control_count, sizeof want);
	assert_memory_equal(s->controls, want, sizeof want);
	assert_int_equal(s->purges, 2); /* connect, drain */
}

static void test_client_set_control_never_acked(void **state)
{
	(void)state;
	struct server s = {.mode = NO_CONTROL_ACK};
	pthread_t thread;
	server_start(&s, &thread);
	struct stm32_transport *t = client_open(&s);
	run_lines(t); /* every change still succeeds, in order */
	assert_true(said_unacknowledged(t));
	stm32_transport_close(t);
	server_join(&s, thread);
	check_controls(&s);
}

static void test_client_break_off_acked_as_on(void **state)
{
	(void)state;
	struct server s = {.mode = BREAK_OFF_ACKED_AS_ON};
	pthread_t thread;
	server_start(&s, &thread);
	struct stm32_transport *t = client_open(&s);
	run_lines(t);
	/* The wrong value was taken as the ack: nothing went unanswered. */
	assert_false(said_unacknowledged(t));
	stm32_transport_close(t);
	server_join(&s, thread);
	check_controls(&s);
}

static void test_client_drop_says_what_was_done(void **state)
{
	(void)state;
	struct server s = {.mode = ACK_CONTROL, .close_after_reply = true};
	pthread_t thread;
	server_start(&s, &thread);
	struct stm32_transport *t = client_open(&s);
	struct stm32_error err;
	stm32_error_clear(&err);
	const uint8_t frame[] = {0x31, 0xCE};
	assert_int_equal(stm32_transport_write(t, frame, sizeof frame, &err), STM32_OK);
	uint8_t byte;
	size_t n = 0;
	assert_int_equal(stm32_transport_read(t, &byte, 1, 2000, &n, &err), STM32_E_IO);
	assert_non_null(strstr(err.message, "closed by the server"));
	assert_non_null(strstr(err.message, "bytes sent"));
	stm32_transport_close(t);
	server_join(&s, thread);
}

static void test_addresses(void **state)
{
	(void)state;
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	struct stm32_uart_config cfg = {.baud = 115200, .data_bits = 8, .parity = 'e', .stop_bits = 1};
	static const char *const bad[] = {"localhost", "localhost:", "localhost:0", "localhost:65536",
					  "::1:4000", "[::1]4000", ":4000", "h:1?bogus", "h:1x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		stm32_error_clear(&err);
		assert_int_equal(stm32_rfc2217_open(bad[i], &cfg, &t, &err), STM32_E_INVALID);
		assert_null(t);
	}
	/* IPv6 literals in brackets (parsed only: tests talk to 127.0.0.1). */
	char host[64], port[8];
	stm32_error_clear(&err);
	assert_int_equal(net_parse_address("socket://", "[fe80::1%eth0]:4001/", host, sizeof host, port,
					   sizeof port, &err), STM32_OK);
	assert_string_equal(host, "fe80::1%eth0");
	assert_string_equal(port, "4001");
	/* Nothing listens on port 1 of 127.0.0.1: an I/O error naming it. */
	stm32_error_clear(&err);
	assert_int_equal(stm32_socket_open("127.0.0.1:1", 115200, &t, &err), STM32_E_IO);
	assert_non_null(strstr(err.message, "127.0.0.1:1"));
	stm32_error_clear(&err);
	assert_int_equal(stm32_rfc2217_open("127.0.0.1:1/?ign_set_control&timeout=3", &cfg, &t, &err),
			 STM32_E_IO);
	assert_true(stm32_port_is_network("rfc2217://h:1"));
	assert_false(stm32_port_has_modem_lines("socket://h:1"));
	assert_true(stm32_port_has_modem_lines("rfc2217://h:1"));
	assert_int_equal(stm32_port_link("socket://h:1"), STM32_LINK_UART);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_doubles_ff),
		cmocka_unit_test(test_baud_is_four_bytes_and_escaped),
		cmocka_unit_test(test_decode_data_and_iac_iac),
		cmocka_unit_test(test_decode_split_across_calls),
		cmocka_unit_test(test_decode_options_and_escaped_value),
		cmocka_unit_test(test_other_subnegotiations_are_dropped),
		cmocka_unit_test(test_negotiation_rules),
		cmocka_unit_test(test_client_data_escaped_both_ways),
		cmocka_unit_test(test_client_parity_lie_is_flagged),
		cmocka_unit_test(test_client_set_control_never_acked),
		cmocka_unit_test(test_client_break_off_acked_as_on),
		cmocka_unit_test(test_client_drop_says_what_was_done),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
