/* Host GPIOs through the (deprecated) Linux sysfs interface, as stm32flash
 * drives them: export if needed, write "high"/"low" to direction (output
 * and level in one step), and undo it all when the sequence ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gpio/gpio_internal.h"
#include "core/util.h"

#define SYSFS_ROOT "/sys/class/gpio"
#define EXPORT_WAIT_MS 1000 /* udev may take a while to make the files writable */

static const char *sysfs_root(void)
{
	const char *root = getenv("STM32BOOT_GPIO_SYSFS");
	return root && *root ? root : SYSFS_ROOT;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t length = strlen(text);
	ssize_t n = write(fd, text, length);
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)length ? 0 : -1;
}

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void pin_path(char *buf, size_t size, unsigned number, const char *file)
{
	snprintf(buf, size, "%s/gpio%u/%s", sysfs_root(), number, file);
}

static enum stm32_status export_pin(unsigned number, struct stm32_error *err)
{
	char path[512], text[16];
	snprintf(path, sizeof(path), "%s/export", sysfs_root());
	snprintf(text, sizeof(text), "%u", number);
	if (write_text(path, text) != 0) {
		enum stm32_status st = stm32_error_set(err, STM32_E_IO, "cannot export GPIO %u: %s",
						       number, strerror(errno));
		if (err)
			err->sys_errno = errno;
		return st;
	}
	pin_path(path, sizeof(path), number, "direction");
	for (unsigned waited = 0; waited < EXPORT_WAIT_MS; waited += 10) {
		if (access(path, W_OK) == 0)
			return STM32_OK;
		core_sleep_ms(10);
	}
	return stm32_error_set(err, STM32_E_IO, "GPIO %u did not appear in %s after export",
			       number, sysfs_root());
}

static struct gpio_sysfs_pin *find_pin(struct gpio_sysfs *state, unsigned number)
{
	for (size_t i = 0; i < state->count; i++)
		if (state->pins[i].number == number)
			return &state->pins[i];
	return NULL;
}

/* First touch of a pin: export it if absent and note how to undo. */
static enum stm32_status claim_pin(struct gpio_sysfs *state, unsigned number,
				   struct stm32_error *err)
{
	if (find_pin(state, number))
		return STM32_OK;
	if (state->count == GPIO_MAX_PINS)
		return stm32_error_set(err, STM32_E_INVALID, "too many GPIOs in one sequence");
	struct gpio_sysfs_pin pin = {.number = number};
	char path[512], direction[16];
	pin_path(path, sizeof(path), number, "value");
	if (access(path, F_OK) != 0) {
		enum stm32_status st = export_pin(number, err);
		if (st != STM32_OK)
			return st;
		pin.exported_by_us = true;
	}
	pin_path(path, sizeof(path), number, "direction");
	if (!pin.exported_by_us && read_text(path, direction, sizeof(direction)) == 0)
		pin.was_input = strcmp(direction, "in") == 0;
	state->pins[state->count++] = pin;
	return STM32_OK;
}

enum stm32_status gpio_sysfs_drive(struct gpio_sysfs *state, unsigned number, bool level,
				   struct stm32_error *err)
{
	enum stm32_status st = claim_pin(state, number, err);
	if (st != STM32_OK)
		return st;
	char path[512];
	pin_path(path, sizeof(path), number, "direction");
	if (write_text(path, level ? "high" : "low") != 0) {
		st = stm32_error_set(err, STM32_E_IO, "cannot drive GPIO %u %s: %s", number,
				     level ? "high" : "low", strerror(errno));
		if (err)
			err->sys_errno = errno;
		return st;
	}
	return STM32_OK;
}

void gpio_sysfs_restore(struct gpio_sysfs *state)
{
	char path[512], text[16];
	while (state->count > 0) {
		const struct gpio_sysfs_pin *pin = &state->pins[--state->count];
		if (pin->exported_by_us) {
			snprintf(path, sizeof(path), "%s/unexport", sysfs_root());
			snprintf(text, sizeof(text), "%u", pin->number);
			write_text(path, text);
		} else if (pin->was_input) {
			pin_path(path, sizeof(path), pin->number, "direction");
			write_text(path, "in");
		}
	}
}
