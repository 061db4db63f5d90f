/* Protection changes made on a copy of the option area (dfu_options.c): the
 * DFU back end writes the result through the "Option Bytes" memory. */
#ifndef STM32BOOT_DFU_OPTIONS_H
#define STM32BOOT_DFU_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"

/* RDP to a level-1 value (never the permanent level 2). */
enum stm32_status dfu_options_readout_protect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err);
/* Protect these write-protection groups (stm32_option_wrp_group_count's
 * numbering, as AN3155 Write Protect), keeping the others as they are. */
enum stm32_status dfu_options_write_protect(const struct stm32_device *dev, uint8_t *bytes,
					    size_t size, const uint32_t *groups, size_t count,
					    struct stm32_error *err);
/* Every group unprotected. */
enum stm32_status dfu_options_write_unprotect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err);

/* Does this block (at address, in the option area) hold a permanent value
 * (RDP level 2)? */
bool dfu_options_permanent(const struct stm32_device *dev, const uint8_t *block, size_t length,
			   uint32_t address);

#endif
