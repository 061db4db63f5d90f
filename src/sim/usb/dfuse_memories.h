/* The alternate settings (memories) the ROM's DFU interface offers for a chip. */
#ifndef STM32SIM_USB_DFUSE_MEMORIES_H
#define STM32SIM_USB_DFUSE_MEMORIES_H

#include "usb/dfuse.h"

/* Internal flash, then option bytes, OTP and the device feature word where
 * the chip has them; returns how many (at most max). */
unsigned sim_dfu_memories_of(const struct sim_chip *chip, struct sim_dfu_memory *out,
			     unsigned max);

#endif
