/* The two-key unlock sequence of the flash controllers: see flash_keys.h. */
#include "cpu/flash_keys.h"

#include "cpu/soc_env.h"

enum sim_key_result sim_flash_key_step(uint32_t *step, uint32_t value, uint32_t k1, uint32_t k2)
{
	if (*step == 0 && value == k1) {
		*step = 1;
		return SIM_KEY_PENDING;
	}
	bool done = *step == 1 && value == k2;
	*step = 0;
	return done ? SIM_KEY_DONE : SIM_KEY_WRONG;
}

/* A wrong key: locked until reset, and the bus answers with an error. */
static void key_error(struct sim_flashctl *fc, bool options, bool options_until_reset)
{
	if (options) {
		fc->optlocked_until_reset = fc->optlocked_until_reset || options_until_reset;
		fc->optlocked = true;
	} else {
		fc->locked_until_reset = true;
		fc->locked = true;
	}
	sim_env_request_fault(fc->env, "bus error: wrong flash key sequence", 0);
}

void sim_flash_write_key(struct sim_flashctl *fc, uint32_t *step, uint32_t value, uint32_t k1,
			 uint32_t k2, bool options, bool options_until_reset)
{
	switch (sim_flash_key_step(step, value, k1, k2)) {
	case SIM_KEY_PENDING: break;
	case SIM_KEY_DONE:
		if (options)
			fc->optlocked = false;
		else
			fc->locked = false;
		break;
	case SIM_KEY_WRONG: key_error(fc, options, options_until_reset); break;
	}
}
