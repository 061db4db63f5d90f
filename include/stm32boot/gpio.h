/* libstm32boot: GPIO entry/exit sequences (stm32flash -i syntax).
 *
 *   SEQ   = [entry][:[exit]]
 *   entry = signal { sep signal }
 *   signal: rts | dtr | brk          modem lines / BREAK of the port
 *           N                        host GPIO N (Linux sysfs numbering)
 *           gpiochipN:LINE | NAME    GPIO character device (libgpiod); LINE a
 *                                    number, NAME a line name
 *           a leading '-' drives it low (clears the modem bit)
 *   sep:  ','  100 ms delay (repeatable)   '&'  no delay
 */
#ifndef STM32BOOT_GPIO_H
#define STM32BOOT_GPIO_H

#include <stdbool.h>
#include <stddef.h>

#include "stm32boot/error.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_gpio_kind {
	STM32_GPIO_RTS,
	STM32_GPIO_DTR,
	STM32_GPIO_BREAK,
	STM32_GPIO_SYSFS,    /* number = sysfs GPIO number */
	STM32_GPIO_CHARDEV,  /* chip + line (offset or name) */
	STM32_GPIO_DELAY,    /* delay_ms */
};

struct stm32_gpio_step {
	enum stm32_gpio_kind kind;
	bool level;          /* high (true) or low */
	unsigned number;     /* sysfs GPIO number or chardev line offset */
	char chip[32];       /* chardev: "gpiochip0"; "" = search by line name */
	char line_name[32];  /* chardev by name */
	unsigned delay_ms;
};

struct stm32_gpio_sequence {
	struct stm32_gpio_step *steps;
	size_t count;
};

/* Split and parse "entry:exit". Either part may be empty (count 0). */
enum stm32_status stm32_gpio_parse(const char *text, struct stm32_gpio_sequence *entry,
				   struct stm32_gpio_sequence *exit, struct stm32_error *err);
void stm32_gpio_sequence_free(struct stm32_gpio_sequence *seq);

/* Called before each step, for a caller that reports progress. */
typedef void (*stm32_gpio_step_fn)(const struct stm32_gpio_step *step, void *user);

enum stm32_status stm32_gpio_run(struct stm32_transport *t, const struct stm32_gpio_sequence *seq,
				 stm32_gpio_step_fn on_step, void *user, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
