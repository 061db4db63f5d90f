/* GPIO sequences: stm32flash -i parsing, and running modem-line, BREAK and
 * sysfs steps (the sysfs tree is a scratch directory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_transport.h"
#include "stm32boot/gpio.h"

struct parsed {
	struct stm32_gpio_sequence entry, exit;
	struct stm32_error err;
};

static enum stm32_status parse(const char *text, struct parsed *p)
{
	stm32_error_clear(&p->err);
	return stm32_gpio_parse(text, &p->entry, &p->exit, &p->err);
}

static void release(struct parsed *p)
{
	stm32_gpio_sequence_free(&p->entry);
	stm32_gpio_sequence_free(&p->exit);
}

static void assert_step(const struct stm32_gpio_step *s, enum stm32_gpio_kind kind, bool level)
{
	assert_int_equal(s->kind, kind);
	if (kind != STM32_GPIO_DELAY)
		assert_int_equal(s->level, level);
}

static void test_parse_entry_and_exit(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("rts,-dtr:brk", &p), STM32_OK);
	assert_int_equal(p.entry.count, 3);
	assert_step(&p.entry.steps[0], STM32_GPIO_RTS, true);
	assert_step(&p.entry.steps[1], STM32_GPIO_DELAY, true);
	assert_int_equal(p.entry.steps[1].delay_ms, 100);
	assert_step(&p.entry.steps[2], STM32_GPIO_DTR, false);
	assert_int_equal(p.exit.count, 1);
	assert_step(&p.exit.steps[0], STM32_GPIO_BREAK, true);
	release(&p);
}

static void test_parse_separators(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("-rts&dtr,,-rts", &p), STM32_OK);
	assert_int_equal(p.entry.count, 5);
	assert_step(&p.entry.steps[0], STM32_GPIO_RTS, false);
	assert_step(&p.entry.steps[1], STM32_GPIO_DTR, true);
	assert_step(&p.entry.steps[2], STM32_GPIO_DELAY, true);
	assert_step(&p.entry.steps[3], STM32_GPIO_DELAY, true);
	assert_step(&p.entry.steps[4], STM32_GPIO_RTS, false);
	assert_int_equal(p.exit.count, 0);
	release(&p);
}

static void test_parse_empty_parts(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("", &p), STM32_OK);
	assert_int_equal(p.entry.count, 0);
	assert_int_equal(p.exit.count, 0);
	release(&p);
	assert_int_equal(parse(":rts,-rts", &p), STM32_OK);
	assert_int_equal(p.entry.count, 0);
	assert_int_equal(p.exit.count, 3);
	release(&p);
	assert_int_equal(parse("dtr:", &p), STM32_OK);
	assert_int_equal(p.entry.count, 1);
	assert_int_equal(p.exit.count, 0);
	release(&p);
}

static void test_parse_sysfs_numbers(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("4,-17:-4", &p), STM32_OK);
	assert_int_equal(p.entry.count, 3);
	assert_step(&p.entry.steps[0], STM32_GPIO_SYSFS, true);
	assert_int_equal(p.entry.steps[0].number, 4);
	assert_step(&p.entry.steps[2], STM32_GPIO_SYSFS, false);
	assert_int_equal(p.entry.steps[2].number, 17);
	assert_step(&p.exit.steps[0], STM32_GPIO_SYSFS, false);
	release(&p);
}

static void test_parse_chardev_lines(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("gpiochip1:BOOT0,-gpiochip0:17&rts:gpiochip0:3", &p), STM32_OK);
	assert_int_equal(p.entry.count, 4);
	assert_step(&p.entry.steps[0], STM32_GPIO_CHARDEV, true);
	assert_string_equal(p.entry.steps[0].chip, "gpiochip1");
	assert_string_equal(p.entry.steps[0].line_name, "BOOT0");
	assert_step(&p.entry.steps[2], STM32_GPIO_CHARDEV, false);
	assert_string_equal(p.entry.steps[2].chip, "gpiochip0");
	assert_int_equal(p.entry.steps[2].number, 17);
	assert_string_equal(p.entry.steps[2].line_name, "");
	assert_step(&p.entry.steps[3], STM32_GPIO_RTS, true);
	assert_int_equal(p.exit.count, 1);
	assert_string_equal(p.exit.steps[0].chip, "gpiochip0");
	assert_int_equal(p.exit.steps[0].number, 3);
	release(&p);
}

static void assert_invalid(const char *text, const char *message)
{
	struct parsed p;
	assert_int_equal(parse(text, &p), STM32_E_INVALID);
	if (!strstr(p.err.message, message))
		fail_msg("'%s': message \"%s\" lacks \"%s\"", text, p.err.message, message);
	assert_null(p.entry.steps);
	assert_null(p.exit.steps);
}

static void test_parse_invalid(void **state)
{
	(void)state;
	assert_invalid("x", "'x' is not a valid signal or separator");
	assert_invalid("rts,x", "'x' is not a valid signal or separator");
	assert_invalid("rtsx", "'x' is not a valid signal or separator");
	assert_invalid("rts#", "'#' is not a valid signal or separator");
	assert_invalid("rts;dtr", "';' is not a valid signal or separator");
	assert_invalid("rts:dtr:brk", "':' is not a valid signal or separator");
	assert_invalid("rts, dtr", "' ' is not a valid signal or separator");
	assert_invalid("--rts", "'-' is not a valid signal or separator");
	assert_invalid("-", "'-' must be followed by a signal");
	assert_invalid("no_such_line_xyz", "'no_such_line_xyz' is not a valid signal");
	assert_invalid("gpiochip0:", "needs a line number or name");
}

static void count_steps(const struct stm32_gpio_step *step, void *user)
{
	(void)step;
	(*(int *)user)++;
}

static void test_run_modem_lines(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("rts&-dtr&brk&-brk:-rts&dtr", &p), STM32_OK);
	struct mock *m = mock_new();
	int steps = 0;
	assert_int_equal(stm32_gpio_run(&m->transport, &p.entry, count_steps, &steps, &p.err),
			 STM32_OK);
	assert_string_equal(m->log, "RTS=1 DTR=0 BRK ");
	assert_int_equal(steps, 4);
	assert_int_equal(stm32_gpio_run(&m->transport, &p.exit, NULL, NULL, &p.err), STM32_OK);
	assert_string_equal(m->log, "RTS=1 DTR=0 BRK RTS=0 DTR=1 ");
	release(&p);
	free(m);
}

static void test_run_stops_at_failure(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("brk&rts&brk", &p), STM32_OK);
	struct mock *m = mock_new();
	m->fail_lines = true;
	assert_int_equal(stm32_gpio_run(&m->transport, &p.entry, NULL, NULL, &p.err),
			 STM32_E_UNSUPPORTED);
	assert_string_equal(m->log, "BRK ");
	release(&p);
	free(m);
}

static void test_run_empty_sequence(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse(":rts", &p), STM32_OK);
	struct mock *m = mock_new();
	assert_int_equal(stm32_gpio_run(&m->transport, &p.entry, NULL, NULL, &p.err), STM32_OK);
	assert_string_equal(m->log, "");
	release(&p);
	free(m);
}

/* ---- sysfs against a scratch tree ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

struct direction_log {
	char root[256];
	char seen[128];
};

static void note_direction(const struct stm32_gpio_step *step, void *user)
{
	struct direction_log *log = user;
	if (step->kind == STM32_GPIO_DELAY)
		return;
	char now[32];
	read_file(log->root, "gpio7/direction", now, sizeof(now));
	strncat(log->seen, now, sizeof(log->seen) - strlen(log->seen) - 1);
	strncat(log->seen, " ", sizeof(log->seen) - strlen(log->seen) - 1);
}

static void test_sysfs_drives_and_restores(void **state)
{
	(void)state;
	struct direction_log log = {0};
	snprintf(log.root, sizeof(log.root), "/tmp/stm32boot-gpio-XXXXXX");
	assert_non_null(mkdtemp(log.root));
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/gpio7", log.root);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(log.root, "gpio7/value", "0\n");
	write_file(log.root, "gpio7/direction", "in\n");
	setenv("STM32BOOT_GPIO_SYSFS", log.root, 1);

	struct parsed p;
	assert_int_equal(parse("7&-7&7", &p), STM32_OK);
	struct mock *m = mock_new();
	assert_int_equal(stm32_gpio_run(&m->transport, &p.entry, note_direction, &log, &p.err),
			 STM32_OK);
	/* Before each step: untouched, then the level the previous step set. */
	assert_string_equal(log.seen, "in\n high low ");
	char after[32];
	read_file(log.root, "gpio7/direction", after, sizeof(after));
	assert_string_equal(after, "in");
	release(&p);
	free(m);
	unsetenv("STM32BOOT_GPIO_SYSFS");
}

static void test_sysfs_exports_missing_pin(void **state)
{
	(void)state;
	char root[64];
	snprintf(root, sizeof(root), "/tmp/stm32boot-gpio-XXXXXX");
	assert_non_null(mkdtemp(root));
	write_file(root, "export", "");
	setenv("STM32BOOT_GPIO_SYSFS", root, 1);
	struct parsed p;
	assert_int_equal(parse("9", &p), STM32_OK);
	struct mock *m = mock_new();
	/* The scratch tree never grows gpio9/, as the kernel would. */
	assert_int_equal(stm32_gpio_run(&m->transport, &p.entry, NULL, NULL, &p.err), STM32_E_IO);
	if (!strstr(p.err.message, "GPIO 9"))
		fail_msg("message \"%s\" does not name the GPIO", p.err.message);
	char exported[16];
	read_file(root, "export", exported, sizeof(exported));
	assert_string_equal(exported, "9");
	release(&p);
	free(m);
	unsetenv("STM32BOOT_GPIO_SYSFS");
}

static void test_chardev_missing_chip(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse("gpiochip250:1", &p), STM32_OK);
	struct mock *m = mock_new();
	enum stm32_status st = stm32_gpio_run(&m->transport, &p.entry, NULL, NULL, &p.err);
	assert_true(st == STM32_E_IO || st == STM32_E_UNSUPPORTED);
	if (!strstr(p.err.message, "gpiochip250"))
		fail_msg("message \"%s\" does not name the chip", p.err.message);
	release(&p);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_entry_and_exit),
		cmocka_unit_test(test_parse_separators),
		cmocka_unit_test(test_parse_empty_parts),
		cmocka_unit_test(test_parse_sysfs_numbers),
		cmocka_unit_test(test_parse_chardev_lines),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_run_modem_lines),
		cmocka_unit_test(test_run_stops_at_failure),
		cmocka_unit_test(test_run_empty_sequence),
		cmocka_unit_test(test_sysfs_drives_and_restores),
		cmocka_unit_test(test_sysfs_exports_missing_pin),
		cmocka_unit_test(test_chardev_missing_chip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
