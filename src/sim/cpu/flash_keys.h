/* The two-key unlock sequence every STM32 flash controller shares (KEYR,
 * OPTKEYR, PEKEYR...), for the family controllers (flash_*.c). */
#ifndef STM32SIM_CPU_FLASH_KEYS_H
#define STM32SIM_CPU_FLASH_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/periph.h"

enum sim_key_result { SIM_KEY_PENDING, SIM_KEY_DONE, SIM_KEY_WRONG };

/* One write of value to a key register whose sequence is k1 then k2;
 * *step is the sequence's progress (0 again after DONE or WRONG). */
enum sim_key_result sim_flash_key_step(uint32_t *step, uint32_t value, uint32_t k1, uint32_t k2);

/* One write of value to a key register: k1 then k2 unlocks (the option
 * lock with options, else the controller lock); anything else is a bus
 * error and locks the controller until reset, and the option lock too
 * where the family does that (options_until_reset). *step is the
 * sequence's progress. */
void sim_flash_write_key(struct sim_flashctl *fc, uint32_t *step, uint32_t value, uint32_t k1,
			 uint32_t k2, bool options, bool options_until_reset);

#endif
