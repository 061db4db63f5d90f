/* The ST-LINK back end's table (target.h) and its connection. */
#ifndef STM32BOOT_STLINK_TARGET_H
#define STM32BOOT_STLINK_TARGET_H

#include <stddef.h>

#include "stm32boot/stlink.h"

enum stm32_status stlink_target_open(const char *serial, const struct stm32_stlink_options *opts,
				     struct stm32_target **out, struct stm32_error *err);
/* "stlink:SERIAL V2J37S7 3.30 V" (short: the CLI's interface line). */
void stlink_target_describe(struct stm32_target *t, char *out, size_t size);

#endif
