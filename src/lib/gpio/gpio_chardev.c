/* Host GPIOs through the Linux GPIO character device (libgpiod 1.6).
 * Built without libgpiod, every such step is reported as unsupported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpio/gpio_internal.h"

#ifdef HAVE_LIBGPIOD
#include <gpiod.h>

#define CONSUMER "stm32boot"

struct held_line {
	char key[80];             /* how the step named it */
	struct gpiod_chip *chip;
	struct gpiod_line *line;
};

struct gpio_chardev {
	struct held_line lines[GPIO_MAX_PINS];
	size_t count;
};

bool gpio_chardev_available(void)
{
	return true;
}

static void step_key(const struct stm32_gpio_step *step, char *key, size_t size)
{
	if (step->line_name[0])
		snprintf(key, size, "%s:%s", step->chip, step->line_name);
	else
		snprintf(key, size, "%s:%u", step->chip, step->number);
}

static const char *describe_step(const struct stm32_gpio_step *step, char *buf, size_t size)
{
	if (step->chip[0] && step->line_name[0])
		snprintf(buf, size, "%s:%s", step->chip, step->line_name);
	else if (step->chip[0])
		snprintf(buf, size, "%s:%u", step->chip, step->number);
	else
		snprintf(buf, size, "%s", step->line_name);
	return buf;
}

static enum stm32_status open_line(const struct stm32_gpio_step *step, struct held_line *held,
				   struct stm32_error *err)
{
	char name[80];
	if (step->chip[0]) {
		held->chip = gpiod_chip_open_by_name(step->chip);
		if (!held->chip)
			return stm32_error_set(err, STM32_E_IO, "cannot open %s: %s", step->chip,
					       strerror(errno));
		held->line = step->line_name[0] ? gpiod_chip_find_line(held->chip, step->line_name)
						: gpiod_chip_get_line(held->chip, step->number);
	} else {
		held->line = gpiod_line_find(step->line_name);
		if (held->line)
			held->chip = gpiod_line_get_chip(held->line);
	}
	if (!held->line) {
		if (held->chip)
			gpiod_chip_close(held->chip);
		held->chip = NULL;
		return stm32_error_set(err, STM32_E_INVALID, "no GPIO line %s",
				       describe_step(step, name, sizeof(name)));
	}
	return STM32_OK;
}

static struct held_line *find_held(struct gpio_chardev *state, const char *key)
{
	for (size_t i = 0; i < state->count; i++)
		if (strcmp(state->lines[i].key, key) == 0)
			return &state->lines[i];
	return NULL;
}

enum stm32_status gpio_chardev_drive(struct gpio_chardev **state, const struct stm32_gpio_step *step,
				     struct stm32_error *err)
{
	if (!*state && !(*state = calloc(1, sizeof(**state))))
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	struct gpio_chardev *s = *state;
	char key[80], name[80];
	step_key(step, key, sizeof(key));
	struct held_line *held = find_held(s, key);
	if (held) {
		if (gpiod_line_set_value(held->line, step->level) == 0)
			return STM32_OK;
		return stm32_error_set(err, STM32_E_IO, "cannot set GPIO line %s: %s",
				       describe_step(step, name, sizeof(name)), strerror(errno));
	}
	if (s->count == GPIO_MAX_PINS)
		return stm32_error_set(err, STM32_E_INVALID, "too many GPIO lines in one sequence");
	struct held_line fresh = {0};
	snprintf(fresh.key, sizeof(fresh.key), "%s", key);
	enum stm32_status st = open_line(step, &fresh, err);
	if (st != STM32_OK)
		return st;
	if (gpiod_line_request_output(fresh.line, CONSUMER, step->level) != 0) {
		int e = errno;
		gpiod_chip_close(fresh.chip);
		return stm32_error_set(err, e == EBUSY ? STM32_E_BUSY : STM32_E_IO,
				       "cannot drive GPIO line %s: %s",
				       describe_step(step, name, sizeof(name)), strerror(e));
	}
	s->lines[s->count++] = fresh;
	return STM32_OK;
}

void gpio_chardev_release(struct gpio_chardev **state)
{
	struct gpio_chardev *s = *state;
	if (!s)
		return;
	while (s->count > 0) {
		struct held_line *held = &s->lines[--s->count];
		gpiod_line_release(held->line);
		gpiod_chip_close(held->chip);
	}
	free(s);
	*state = NULL;
}

bool gpio_chardev_line_exists(const char *chip, const char *name)
{
	if (chip && *chip) {
		struct gpiod_chip *c = gpiod_chip_open_by_name(chip);
		if (!c)
			return false;
		bool found = gpiod_chip_find_line(c, name) != NULL;
		gpiod_chip_close(c);
		return found;
	}
	struct gpiod_line *line = gpiod_line_find(name);
	if (!line)
		return false;
	gpiod_line_close_chip(line);
	return true;
}

#else /* no libgpiod */

struct gpio_chardev {
	int unused;
};

bool gpio_chardev_available(void)
{
	return false;
}

enum stm32_status gpio_chardev_drive(struct gpio_chardev **state, const struct stm32_gpio_step *step,
				     struct stm32_error *err)
{
	(void)state;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "GPIO character device lines (%s) need libgpiod, which this build "
			       "lacks", step->chip[0] ? step->chip : step->line_name);
}

void gpio_chardev_release(struct gpio_chardev **state)
{
	*state = NULL;
}

bool gpio_chardev_line_exists(const char *chip, const char *name)
{
	(void)chip;
	(void)name;
	return false;
}

#endif
