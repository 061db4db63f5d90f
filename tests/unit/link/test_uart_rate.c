/* Changing the rate of an open port (stm32_transport_reconfigure) on a
 * real pseudo-terminal: rates with a termios constant and rates without
 * one (termios2/BOTHER), read back through termios2 by the test itself;
 * bytes written before the switch still arrive; the raw socket:// link
 * cannot switch. Linux only (the termios2 seam). */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stm32boot/transport.h"
#include "pty_rate_probe.h"

struct pty {
	int master, slave;
	struct stm32_transport *t;
};

static void pty_open(struct pty *p)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	const char *name = ptsname(p->master);
	assert_non_null(name);
	struct stm32_uart_config cfg = {115200, 8, 'e', 1};
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(name, &cfg, &p->t, &err), STM32_OK);
	/* A second descriptor on the slave: the settings belong to the device. */
	p->slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(p->slave >= 0);
}

static void pty_close(struct pty *p)
{
	stm32_transport_close(p->t);
	close(p->slave);
	close(p->master);
}

static void switch_to(struct pty *p, unsigned baud)
{
	struct stm32_uart_config cfg = {baud, 8, 'n', 1};
	struct stm32_error err;
	assert_int_equal(stm32_transport_reconfigure(p->t, &cfg, &err), STM32_OK);
	assert_int_equal(p->t->baud, baud);
	assert_int_equal(probe_rate(p->slave), baud);
}

static void test_rates_with_and_without_a_constant(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	assert_int_equal(probe_rate(p.slave), 115200);
	switch_to(&p, 2000000);  /* B2000000 */
	switch_to(&p, 1234567);  /* no constant: BOTHER */
	switch_to(&p, 460800);   /* back to a constant from BOTHER */
	switch_to(&p, 2000001);
	switch_to(&p, 115200);
	char text[40];
	p.t->ops->describe(p.t, text, sizeof(text));
	assert_string_equal(text, "115200 8N1");
	pty_close(&p);
}

static void test_bytes_written_before_the_switch_arrive(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	const uint8_t frame[] = {0xA5, 0x02, 0x07, 0x04, 0x00, 0x5E};
	struct stm32_error err;
	assert_int_equal(stm32_transport_write(p.t, frame, sizeof(frame), &err), STM32_OK);
	switch_to(&p, 1000000);
	uint8_t got[sizeof(frame)];
	size_t have = 0;
	while (have < sizeof(got)) {
		struct pollfd pfd = {.fd = p.master, .events = POLLIN};
		assert_true(poll(&pfd, 1, 2000) > 0);
		ssize_t n = read(p.master, got + have, sizeof(got) - have);
		assert_true(n > 0);
		have += (size_t)n;
	}
	assert_memory_equal(got, frame, sizeof(frame));
	pty_close(&p);
}

static void test_invalid_settings_are_refused(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_error err;
	struct stm32_uart_config zero = {0, 8, 'n', 1}, bad = {115200, 9, 'n', 1};
	assert_int_equal(stm32_transport_reconfigure(p.t, &zero, &err), STM32_E_INVALID);
	assert_int_equal(stm32_transport_reconfigure(p.t, &bad, &err), STM32_E_INVALID);
	assert_int_equal(p.t->baud, 115200);
	assert_int_equal(probe_rate(p.slave), 115200);
	pty_close(&p);
}

static void test_a_port_without_the_entry_says_so(void **state)
{
	(void)state;
	static const struct stm32_transport_ops fixed = {.name = "socket"};
	struct stm32_transport t = {.ops = &fixed, .kind = STM32_LINK_UART, .baud = 115200};
	struct stm32_uart_config cfg = {2000000, 8, 'n', 1};
	struct stm32_error err;
	assert_int_equal(stm32_transport_reconfigure(&t, &cfg, &err), STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "socket"));
	assert_int_equal(t.baud, 115200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_with_and_without_a_constant),
		cmocka_unit_test(test_bytes_written_before_the_switch_arrive),
		cmocka_unit_test(test_invalid_settings_are_refused),
		cmocka_unit_test(test_a_port_without_the_entry_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
