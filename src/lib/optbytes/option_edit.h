/* What the ROM's Readout Protect, Write Protect and Write Unprotect commands
 * do to the option bytes, done on a copy of the option area (as the chip
 * maps it at opt_start): for the back ends that have no such commands and
 * write the option bytes whole (DfuSe's "Option Bytes" memory, the flash
 * controller's option registers over SWD). The fields and their
 * complements come from the option-byte table. */
#ifndef STM32BOOT_OPTION_EDIT_H
#define STM32BOOT_OPTION_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"

enum option_edit_kind {
	OPTION_EDIT_READOUT_PROTECT, /* RDP to a level-1 value (never level 2) */
	OPTION_EDIT_WRITE_PROTECT,   /* these groups protected, the others kept */
	OPTION_EDIT_WRITE_UNPROTECT, /* every group unprotected */
};

struct option_edit {
	enum option_edit_kind kind;
	const uint32_t *groups; /* WRITE_PROTECT: stm32_option_wrp_group_count's numbering,
				 * as AN3155 Write Protect */
	size_t count;
};

enum stm32_status option_edit_apply(const struct stm32_device *dev, uint8_t *bytes, size_t size,
				    const struct option_edit *edit, struct stm32_error *err);

enum stm32_status option_edit_readout_protect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err);
enum stm32_status option_edit_write_protect(const struct stm32_device *dev, uint8_t *bytes,
					    size_t size, const uint32_t *groups, size_t count,
					    struct stm32_error *err);
enum stm32_status option_edit_write_unprotect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err);

/* Does this block (at address, in the option area) hold a permanent value
 * (RDP level 2)? */
bool option_edit_permanent(const struct stm32_device *dev, const uint8_t *block, size_t length,
			   uint32_t address);

#endif
