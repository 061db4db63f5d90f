/* The termios backend on a real pseudo-terminal, and "sim:" ports run
 * through a stand-in emulator script (socat echoing on a pty). */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "stm32boot/transport.h"

struct pty {
	int master;
	char slave[128];
};

static void pty_open(struct pty *p)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	const char *name = ptsname(p->master);
	assert_non_null(name);
	snprintf(p->slave, sizeof(p->slave), "%s", name);
}

static struct stm32_uart_config config_8e1(unsigned baud)
{
	return (struct stm32_uart_config){.baud = baud, .data_bits = 8, .parity = 'e', .stop_bits = 1};
}

static size_t master_read(int fd, uint8_t *buf, size_t want)
{
	size_t have = 0;
	while (have < want) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 2000) <= 0)
			break;
		ssize_t n = read(fd, buf + have, want - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	return have;
}

static void test_open_pty_reports_lost_parity(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(115200);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	assert_true(t->flags & STM32_TRANSPORT_PARITY_LOST);
	assert_int_equal(t->baud, 115200);
	assert_int_equal(t->kind, STM32_LINK_UART);
	char text[64];
	t->ops->describe(t, text, sizeof(text));
	assert_string_equal(text, "115200 8E1");
	stm32_transport_close(t);
	close(p.master);
}

static void test_bytes_both_ways(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(57600);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);

	const uint8_t out[] = {0x7F, 0x00, 0xFF, 0x11, 0x0A, 0x0D};
	assert_int_equal(stm32_transport_write(t, out, sizeof(out), &err), STM32_OK);
	uint8_t seen[sizeof(out)];
	assert_int_equal(master_read(p.master, seen, sizeof(seen)), sizeof(out));
	assert_memory_equal(seen, out, sizeof(out)); /* raw: no CR/LF mangling */

	const uint8_t in[] = {0x79, 0x0D, 0x0A, 0x1F};
	assert_int_equal(write(p.master, in, sizeof(in)), (ssize_t)sizeof(in));
	uint8_t got[4];
	size_t n = 0;
	assert_int_equal(stm32_transport_read(t, got, 4, 2000, &n, &err), STM32_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(got, in, 4);
	stm32_transport_close(t);
	close(p.master);
}

static void test_read_timeout_reports_partial(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(115200);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	assert_int_equal(write(p.master, "\x79\x22", 2), 2);
	uint8_t got[5];
	size_t n = 99;
	assert_int_equal(stm32_transport_read(t, got, 5, 50, &n, &err), STM32_E_TIMEOUT);
	assert_int_equal(n, 2);
	assert_int_equal(err.status, STM32_E_TIMEOUT);
	stm32_transport_close(t);
	close(p.master);
}

static void test_drain_discards_pending(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(115200);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	assert_int_equal(write(p.master, "\x12\x34", 2), 2);
	usleep(20000); /* let the pty deliver before flushing */
	assert_int_equal(t->ops->drain(t, &err), STM32_OK);
	assert_int_equal(write(p.master, "\x79", 1), 1);
	uint8_t got = 0;
	size_t n = 0;
	assert_int_equal(stm32_transport_read(t, &got, 1, 2000, &n, &err), STM32_OK);
	assert_int_equal(got, 0x79);
	stm32_transport_close(t);
	close(p.master);
}

static void test_second_open_is_busy(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(115200);
	struct stm32_transport *t = NULL, *again = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &again, &err), STM32_E_BUSY);
	assert_null(again);
	if (!strstr(err.message, "is in use by another process"))
		fail_msg("message: %s", err.message);
	stm32_transport_close(t);
	/* Released at close. */
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &again, &err), STM32_OK);
	stm32_transport_close(again);
	close(p.master);
}

static void test_pty_has_no_modem_lines(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_uart_config cfg = config_8e1(115200);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	assert_int_equal(t->ops->set_line(t, STM32_LINE_RTS, true, &err), STM32_E_UNSUPPORTED);
	if (!strstr(err.message, "RTS"))
		fail_msg("message: %s", err.message);
	stm32_transport_close(t);
	close(p.master);
}

static void test_close_restores_settings(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	int fd = open(p.slave, O_RDWR | O_NOCTTY);
	assert_true(fd >= 0);
	struct termios before;
	assert_int_equal(tcgetattr(fd, &before), 0);
	assert_true(before.c_lflag & ICANON); /* a fresh pty is cooked */

	struct stm32_uart_config cfg = config_8e1(9600);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	struct termios during;
	assert_int_equal(tcgetattr(fd, &during), 0);
	assert_false(during.c_lflag & ICANON);
	assert_int_equal(cfgetospeed(&during), B9600);
	stm32_transport_close(t);

	struct termios after;
	assert_int_equal(tcgetattr(fd, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(cfgetospeed(&after), cfgetospeed(&before));
	close(fd);
	close(p.master);
}

static void test_baud_zero_keeps_settings(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	int fd = open(p.slave, O_RDWR | O_NOCTTY);
	struct termios tio;
	assert_int_equal(tcgetattr(fd, &tio), 0);
	cfsetospeed(&tio, B19200);
	cfsetispeed(&tio, B19200);
	assert_int_equal(tcsetattr(fd, TCSANOW, &tio), 0);
	struct stm32_uart_config cfg = config_8e1(0);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_OK);
	struct termios during;
	assert_int_equal(tcgetattr(fd, &during), 0);
	assert_true(during.c_lflag & ICANON); /* untouched */
	assert_int_equal(t->baud, 19200);
	stm32_transport_close(t);
	close(fd);
	close(p.master);
}

static void test_bad_baud_rates(void **state)
{
	(void)state;
	struct pty p;
	pty_open(&p);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	struct stm32_uart_config cfg = config_8e1(12345);
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_E_INVALID);
	cfg.baud = 14400; /* accepted by stm32flash's parser, no Linux constant */
	assert_int_equal(stm32_uart_open(p.slave, &cfg, &t, &err), STM32_E_UNSUPPORTED);
	assert_null(t);
	close(p.master);
}

static void test_baud_list(void **state)
{
	(void)state;
	const unsigned valid[] = {1200, 1800, 2400, 4800, 9600, 14400, 19200, 38400, 56000, 57600,
				  115200, 128000, 230400, 256000, 460800, 500000, 576000, 921600,
				  1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000,
				  4000000};
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		assert_true(stm32_uart_baud_valid(valid[i]));
	assert_false(stm32_uart_baud_valid(0));
	assert_false(stm32_uart_baud_valid(300));
	assert_false(stm32_uart_baud_valid(76800));
	assert_false(stm32_uart_baud_valid(4000001));
}

static void test_parse_mode(void **state)
{
	(void)state;
	struct stm32_uart_config cfg = {0};
	struct stm32_error err;
	assert_int_equal(stm32_uart_parse_mode("8e1", &cfg, &err), STM32_OK);
	assert_int_equal(cfg.data_bits, 8);
	assert_int_equal(cfg.parity, 'e');
	assert_int_equal(cfg.stop_bits, 1);
	assert_int_equal(stm32_uart_parse_mode("7O2", &cfg, &err), STM32_OK);
	assert_int_equal(cfg.data_bits, 7);
	assert_int_equal(cfg.parity, 'o');
	assert_int_equal(cfg.stop_bits, 2);
	assert_int_equal(stm32_uart_parse_mode("8N1", &cfg, &err), STM32_OK);
	assert_int_equal(cfg.parity, 'n');
	const char *bad[] = {"9e1", "4e1", "8x1", "8e3", "8e", "8e1 ", "", "e81"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(stm32_uart_parse_mode(bad[i], &cfg, &err), STM32_E_INVALID);
}

/* ---- sim: ports ---- */

static enum stm32_status open_sim(const char *port, const char *program,
				  struct stm32_transport **t, struct stm32_error *err)
{
	struct stm32_port_options opts;
	stm32_port_options_default(&opts);
	opts.sim_program = program;
	return stm32_port_open(port, &opts, t, err);
}

static void test_sim_program_missing(void **state)
{
	(void)state;
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_not_equal(open_sim("sim:stm32f103xb", "/nonexistent/stm32boot-sim", &t, &err),
			     STM32_OK);
	assert_null(t);
	if (!strstr(err.message, "/nonexistent/stm32boot-sim"))
		fail_msg("message: %s", err.message);
}

static void test_sim_exits_early(void **state)
{
	(void)state;
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(open_sim("sim:stm32f103xb", "false", &t, &err), STM32_E_IO);
	if (!strstr(err.message, "exited with status 1"))
		fail_msg("message: %s", err.message);
	assert_int_equal(open_sim("sim:stm32f103xb", "true", &t, &err), STM32_E_IO);
	if (!strstr(err.message, "exited with status 0"))
		fail_msg("message: %s", err.message);
}

static void test_sim_needs_device(void **state)
{
	(void)state;
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	assert_int_equal(open_sim("sim:", "true", &t, &err), STM32_E_INVALID);
	assert_int_equal(open_sim("sim:,image=x", "true", &t, &err), STM32_E_INVALID);
}

/* A stand-in emulator: records its arguments, echoes bytes on a pty made
 * by socat, prints the pty path first, and on SIGTERM stops socat and
 * writes a marker file (as the real one writes its stats). */
static const char *fake_sim_script =
	"#!/bin/sh\n"
	"dir=$(dirname \"$0\")\n"
	"echo \"$@\" > \"$dir/args\"\n"
	"socat PTY,link=\"$dir/pty\",raw,echo=0 EXEC:cat &\n"
	"pid=$!\n"
	"trap 'kill $pid; wait $pid; echo done > \"$dir/stopped\"; exit 0' TERM\n"
	"while [ ! -e \"$dir/pty\" ]; do sleep 0.05; done\n"
	"echo \"$dir/pty\"\n"
	"while :; do sleep 0.1; done\n";

static void test_sim_runs_program_and_stops_it(void **state)
{
	(void)state;
	char dir[64], script[128], path[160];
	snprintf(dir, sizeof(dir), "/tmp/stm32boot-fakesim-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/fake-sim", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs(fake_sim_script, f);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);

	struct stm32_transport *t = NULL;
	struct stm32_error err;
	enum stm32_status st = open_sim("sim:stm32f103xb,image=/tmp/x.img,speed=fast,invert", script,
					&t, &err);
	if (st != STM32_OK)
		fail_msg("open failed: %s", err.message);
	assert_true(t->flags & STM32_TRANSPORT_PARITY_LOST);

	const uint8_t out[] = {0x7F, 0x00, 0xFF};
	assert_int_equal(stm32_transport_write(t, out, 3, &err), STM32_OK);
	uint8_t back[3];
	size_t n = 0;
	assert_int_equal(stm32_transport_read(t, back, 3, 3000, &n, &err), STM32_OK);
	assert_memory_equal(back, out, 3);
	stm32_transport_close(t);

	/* close returned only after the program had finished its exit work. */
	snprintf(path, sizeof(path), "%s/stopped", dir);
	assert_int_equal(access(path, F_OK), 0);
	char args[256] = {0};
	snprintf(path, sizeof(path), "%s/args", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(args, sizeof(args), f));
	fclose(f);
	assert_string_equal(args, "--device stm32f103xb --image /tmp/x.img --speed fast --invert\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_pty_reports_lost_parity),
		cmocka_unit_test(test_bytes_both_ways),
		cmocka_unit_test(test_read_timeout_reports_partial),
		cmocka_unit_test(test_drain_discards_pending),
		cmocka_unit_test(test_second_open_is_busy),
		cmocka_unit_test(test_pty_has_no_modem_lines),
		cmocka_unit_test(test_close_restores_settings),
		cmocka_unit_test(test_baud_zero_keeps_settings),
		cmocka_unit_test(test_bad_baud_rates),
		cmocka_unit_test(test_baud_list),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_sim_program_missing),
		cmocka_unit_test(test_sim_exits_early),
		cmocka_unit_test(test_sim_needs_device),
		cmocka_unit_test(test_sim_runs_program_and_stops_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
