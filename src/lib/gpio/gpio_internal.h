/* Private seams between the GPIO sequence runner and its pin backends. */
#ifndef STM32BOOT_GPIO_INTERNAL_H
#define STM32BOOT_GPIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "stm32boot/error.h"
#include "stm32boot/gpio.h"

#define GPIO_MAX_PINS 32 /* distinct host pins one sequence may touch */

/* Linux sysfs GPIOs. The root is /sys/class/gpio unless the environment
 * variable STM32BOOT_GPIO_SYSFS names another (for tests). */
struct gpio_sysfs_pin {
	unsigned number;
	bool exported_by_us; /* unexport at the end */
	bool was_input;      /* set back to "in" at the end */
};

struct gpio_sysfs {
	struct gpio_sysfs_pin pins[GPIO_MAX_PINS];
	size_t count;
};

enum stm32_status gpio_sysfs_drive(struct gpio_sysfs *state, unsigned number, bool level,
				   struct stm32_error *err);
/* Undo exports and direction changes, in reverse order. */
void gpio_sysfs_restore(struct gpio_sysfs *state);

/* GPIO character device lines (libgpiod); the lines stay requested until
 * released at the end of the sequence. */
struct gpio_chardev;

enum stm32_status gpio_chardev_drive(struct gpio_chardev **state, const struct stm32_gpio_step *step,
				     struct stm32_error *err);
void gpio_chardev_release(struct gpio_chardev **state);
/* True when a line of that name exists (on chip, or on any chip if chip is
 * ""); false without libgpiod. */
bool gpio_chardev_line_exists(const char *chip, const char *name);
bool gpio_chardev_available(void);

#endif
