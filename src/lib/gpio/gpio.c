/* GPIO entry/exit sequences in stm32flash's -i syntax, plus GPIO character
 * device lines. Parsing is separate from running so that a bad sequence is
 * refused before any pin moves. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpio/gpio_internal.h"
#include "core/util.h"
#include "stm32boot/gpio.h"

#define DELAY_STEP_MS 100
#define CHIP_PREFIX "gpiochip"

static bool ends_token(char c)
{
	return c == '\0' || c == ',' || c == '&' || c == ':';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

static enum stm32_status append(struct stm32_gpio_sequence *seq, const struct stm32_gpio_step *step,
				struct stm32_error *err)
{
	struct stm32_gpio_step *grown = realloc(seq->steps, (seq->count + 1) * sizeof(*grown));
	if (!grown)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	seq->steps = grown;
	seq->steps[seq->count++] = *step;
	return STM32_OK;
}

static enum stm32_status invalid_char(char c, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_INVALID, "'%c' is not a valid signal or separator", c);
}

/* A run of name characters into buf; false if it does not fit. */
static bool take_name(const char **p, char *buf, size_t size)
{
	size_t n = 0;
	while (name_char((*p)[n]))
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p += n;
	return true;
}

static bool take_number(const char **p, unsigned *value)
{
	if (!isdigit((unsigned char)**p))
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno || v > 0xFFFFFFu)
		return false;
	*value = (unsigned)v;
	*p = end;
	return true;
}

/* "gpiochipN:LINE", LINE an offset or a line name. */
static enum stm32_status parse_chip_line(const char **p, struct stm32_gpio_step *step,
					 struct stm32_error *err)
{
	const char *start = *p;
	size_t n = strlen(CHIP_PREFIX);
	while (isdigit((unsigned char)start[n]))
		n++;
	if (n >= sizeof(step->chip))
		return stm32_error_set(err, STM32_E_INVALID, "GPIO chip name too long");
	memcpy(step->chip, start, n);
	step->chip[n] = '\0';
	*p = start + n + 1; /* past the ':' */
	step->kind = STM32_GPIO_CHARDEV;
	if (take_number(p, &step->number) && ends_token(**p))
		return STM32_OK;
	*p = start + n + 1;
	if (!take_name(p, step->line_name, sizeof(step->line_name)))
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s: needs a line number or name after ':'", step->chip);
	return STM32_OK;
}

static bool is_chip_line(const char *p)
{
	size_t n = strlen(CHIP_PREFIX);
	if (strncmp(p, CHIP_PREFIX, n) != 0 || !isdigit((unsigned char)p[n]))
		return false;
	while (isdigit((unsigned char)p[n]))
		n++;
	return p[n] == ':';
}

/* A bare word that is not rts/dtr/brk names a GPIO line; it must exist,
 * which also keeps stm32flash's error for stray letters. */
static enum stm32_status parse_line_name(const char **p, struct stm32_gpio_step *step,
					 struct stm32_error *err)
{
	const char *start = *p;
	if (!take_name(p, step->line_name, sizeof(step->line_name)) ||
	    !gpio_chardev_line_exists("", step->line_name)) {
		size_t n = 0;
		while (name_char(start[n]))
			n++;
		if (n <= 1)
			return invalid_char(*start, err);
		return stm32_error_set(err, STM32_E_INVALID,
				       "'%.*s' is not a valid signal or separator%s", (int)n, start,
				       gpio_chardev_available() ? " (nor a GPIO line name)"
								: " (GPIO line names need libgpiod)");
	}
	step->kind = STM32_GPIO_CHARDEV;
	return STM32_OK;
}

static enum stm32_status parse_signal(const char **p, struct stm32_gpio_step *step,
				      struct stm32_error *err)
{
	static const struct {
		const char *word;
		enum stm32_gpio_kind kind;
	} keywords[] = {{"rts", STM32_GPIO_RTS}, {"dtr", STM32_GPIO_DTR}, {"brk", STM32_GPIO_BREAK}};
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strncmp(*p, keywords[i].word, 3) == 0) {
			step->kind = keywords[i].kind;
			*p += 3;
			return STM32_OK;
		}
	if (take_number(p, &step->number)) {
		step->kind = STM32_GPIO_SYSFS;
		return STM32_OK;
	}
	if (is_chip_line(*p))
		return parse_chip_line(p, step, err);
	if (isalpha((unsigned char)**p) || **p == '_')
		return parse_line_name(p, step, err);
	return invalid_char(**p, err);
}

/* Parse up to the end, or up to the ':' that starts the exit sequence. */
static enum stm32_status parse_sequence(const char **p, bool entry, struct stm32_gpio_sequence *seq,
					struct stm32_error *err)
{
	while (**p && !(entry && **p == ':')) {
		struct stm32_gpio_step step = {0};
		if (**p == ',') {
			step.kind = STM32_GPIO_DELAY;
			step.delay_ms = DELAY_STEP_MS;
			(*p)++;
		} else if (**p == '&') {
			(*p)++;
			continue;
		} else {
			step.level = true;
			if (**p == '-') {
				step.level = false;
				(*p)++;
			}
			if (**p == '\0')
				return stm32_error_set(err, STM32_E_INVALID,
						       "'-' must be followed by a signal");
			enum stm32_status st = parse_signal(p, &step, err);
			if (st != STM32_OK)
				return st;
		}
		enum stm32_status st = append(seq, &step, err);
		if (st != STM32_OK)
			return st;
	}
	return STM32_OK;
}

void stm32_gpio_sequence_free(struct stm32_gpio_sequence *seq)
{
	if (!seq)
		return;
	free(seq->steps);
	seq->steps = NULL;
	seq->count = 0;
}

enum stm32_status stm32_gpio_parse(const char *text, struct stm32_gpio_sequence *entry,
				   struct stm32_gpio_sequence *exit, struct stm32_error *err)
{
	memset(entry, 0, sizeof(*entry));
	memset(exit, 0, sizeof(*exit));
	if (!text)
		return STM32_OK;
	const char *p = text;
	enum stm32_status st = parse_sequence(&p, true, entry, err);
	if (st == STM32_OK && *p == ':') {
		p++;
		st = parse_sequence(&p, false, exit, err);
	}
	if (st != STM32_OK) {
		stm32_gpio_sequence_free(entry);
		stm32_gpio_sequence_free(exit);
	}
	return st;
}

struct gpio_run {
	struct stm32_transport *transport;
	struct gpio_sysfs sysfs;
	struct gpio_chardev *chardev;
};

static enum stm32_status run_step(struct gpio_run *run, const struct stm32_gpio_step *step,
				  struct stm32_error *err)
{
	struct stm32_transport *t = run->transport;
	switch (step->kind) {
	case STM32_GPIO_RTS:
		return t->ops->set_line(t, STM32_LINE_RTS, step->level, err);
	case STM32_GPIO_DTR:
		return t->ops->set_line(t, STM32_LINE_DTR, step->level, err);
	case STM32_GPIO_BREAK:
		/* "-brk" means nothing: a BREAK has no low form. */
		return step->level ? t->ops->send_break(t, err) : STM32_OK;
	case STM32_GPIO_SYSFS:
		return gpio_sysfs_drive(&run->sysfs, step->number, step->level, err);
	case STM32_GPIO_CHARDEV:
		return gpio_chardev_drive(&run->chardev, step, err);
	case STM32_GPIO_DELAY:
		core_sleep_ms(step->delay_ms);
		return STM32_OK;
	}
	return stm32_error_set(err, STM32_E_INVALID, "unknown GPIO step");
}

enum stm32_status stm32_gpio_run(struct stm32_transport *t, const struct stm32_gpio_sequence *seq,
				 stm32_gpio_step_fn on_step, void *user, struct stm32_error *err)
{
	struct gpio_run run = {.transport = t};
	enum stm32_status st = STM32_OK;
	for (size_t i = 0; i < seq->count && st == STM32_OK; i++) {
		if (on_step)
			on_step(&seq->steps[i], user);
		st = run_step(&run, &seq->steps[i], err);
	}
	/* Pins do not keep their levels past the sequence (as stm32flash). */
	gpio_sysfs_restore(&run.sysfs);
	gpio_chardev_release(&run.chardev);
	return st;
}
