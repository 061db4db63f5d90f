/* Small helpers every layer of the library uses (not public). */
#ifndef STM32BOOT_CORE_UTIL_H
#define STM32BOOT_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sleep ms milliseconds, resuming after signals. */
void core_sleep_ms(unsigned ms);
/* Milliseconds on a clock that never jumps. */
uint64_t core_monotonic_ms(void);
/* True when every byte is value (erased flash: stm32_device_erased_byte);
 * true for length 0. */
bool core_all_bytes(const uint8_t *data, size_t length, uint8_t value);

#endif
