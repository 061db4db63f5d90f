/* Inside the chip part (src/sim/chip): family tests its files share.
 * chip.c defines them; chip_flash.c and chip_options.c use them. */
#ifndef STM32SIM_CHIP_PRIVATE_H
#define STM32SIM_CHIP_PRIVATE_H

#include <stdbool.h>

#include "chip/chip.h"

/* The device's family is a, b or c (b, c may be NULL). */
bool sim_chip_family_is(const struct sim_chip *chip, const char *a, const char *b, const char *c);
/* The 64-bit flash controllers (L4, G0, G4, WB, WL): double-word program
 * unit with ECC, PROGERR unless the target is erased or the data all zero,
 * option registers whose complements the controller writes itself. */
bool sim_chip_dword_controller(const struct sim_chip *chip);

#endif
