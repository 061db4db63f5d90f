/* Executor plumbing: progress reports and command retries. */
#include "flash/flash_internal.h"

const char *stm32_phase_name(enum stm32_phase phase)
{
	switch (phase) {
	case STM32_PHASE_ERASE:
		return "erase";
	case STM32_PHASE_WRITE:
		return "write";
	case STM32_PHASE_VERIFY:
		return "verify";
	case STM32_PHASE_READ:
		return "read";
	case STM32_PHASE_CHECKSUM:
		return "checksum";
	}
	return "?";
}

void flash_progress_start(struct flash_progress *p, stm32_progress_fn fn, void *user,
			  enum stm32_phase phase, uint64_t total, uint32_t address)
{
	*p = (struct flash_progress){ .fn = fn, .user = user, .phase = phase, .total = total };
	if (fn)
		(void)fn(user, phase, 0, total, address); /* a cancel here is seen at the first step */
}

enum stm32_status flash_progress_step(struct flash_progress *p, uint64_t step, uint32_t address,
				      struct stm32_error *err)
{
	p->done += step;
	if (p->fn && !p->fn(p->user, p->phase, p->done, p->total, address)) {
		stm32_error_set(err, STM32_E_CANCELLED, "cancelled during %s at 0x%08X",
				stm32_phase_name(p->phase), address);
		stm32_error_address(err, address);
		return STM32_E_CANCELLED;
	}
	return STM32_OK;
}

bool flash_worth_retrying(enum stm32_status status)
{
	/* A NACK at a command's first stage reads as readout protection, but line
	 * noise does the same; a truly protected chip just NACKs again. */
	return status == STM32_E_TIMEOUT || status == STM32_E_NACK || status == STM32_E_PROTOCOL ||
	       status == STM32_E_PROTECTED;
}

void stm32_flash_options_default(struct stm32_flash_options *opts)
{
	*opts = (struct stm32_flash_options){ .retries = STM32_FLASH_DEFAULT_RETRIES };
}

const struct stm32_flash_options *flash_options_or_default(const struct stm32_flash_options *options,
							   struct stm32_flash_options *defaults)
{
	if (options)
		return options;
	stm32_flash_options_default(defaults);
	return defaults;
}

/* A back end without recover is retried as it is. A failed recovery is no
 * reason to stop (the next try will tell); only a dead link is. */
enum stm32_status flash_recover(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->recover)
		return STM32_OK;
	struct stm32_error why;
	stm32_error_clear(&why);
	enum stm32_status st = t->ops->recover(t, &why);
	if (st == STM32_E_IO && err)
		*err = why;
	return st;
}

enum stm32_status flash_with_retries(struct stm32_target *t, unsigned retries,
				     flash_attempt_fn attempt, flash_took_effect_fn took_effect,
				     void *ctx, struct stm32_error *err)
{
	bool outcome_unknown = false;
	for (unsigned tries = 0;; tries++) {
		enum stm32_status status = attempt(t, ctx, err);
		if (status == STM32_OK || !flash_worth_retrying(status) || tries >= retries)
			return status;
		if (flash_recover(t, err) == STM32_E_IO)
			return STM32_E_IO; /* the link is gone: no retry can help */
		/* A NACK is a refusal: that request did not happen. But once an
		 * earlier try ended without a verdict it may have taken effect, and
		 * this NACK may be the chip refusing to do it twice (flash that is
		 * no longer blank): look again. */
		bool refused = status == STM32_E_NACK || status == STM32_E_PROTECTED;
		outcome_unknown = outcome_unknown || !refused;
		if (outcome_unknown && took_effect && took_effect(t, ctx)) {
			stm32_error_clear(err);
			return STM32_OK;
		}
	}
}
