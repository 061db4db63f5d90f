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

static bool worth_retrying(enum stm32_status status)
{
	/* A NACK at a command's first stage reads as readout protection, but line
	 * noise does the same; a truly protected chip just NACKs again. */
	return status == STM32_E_TIMEOUT || status == STM32_E_NACK || status == STM32_E_PROTOCOL ||
	       status == STM32_E_PROTECTED;
}

/* A garbled reply leaves the bootloader mid-command: resync (FF 00 pairs)
 * so the next try is not read as data. A chip that answers nothing at all
 * has most likely been reset and sits waiting for its auto-baud byte: sync
 * again and carry on with the same command, not from the start. A failed
 * recovery is no reason to stop; the next try will tell. Only a dead port
 * (STM32_E_IO) is returned, with err saying why. */
static enum stm32_status get_back_in_step(struct stm32_session *s,
					  const struct stm32_flash_options *options,
					  struct stm32_error *err)
{
	struct stm32_error why;
	stm32_error_clear(&why);
	enum stm32_status st = stm32_bl_resync(&s->bl, FLASH_RESYNC_MS, &why);
	if (st == STM32_E_TIMEOUT && options && options->reenter) {
		/* With BOOT0 on a GPIO the chip may have booted the application:
		 * only the entry sequence brings the bootloader back. */
		st = options->reenter(options->reenter_user, &why);
		if (st == STM32_E_IO && err)
			*err = why;
		if (st == STM32_E_IO)
			return st;
		st = STM32_E_TIMEOUT;
	}
	if (st == STM32_E_TIMEOUT)
		st = stm32_session_reconnect(s, &why);
	if (st == STM32_E_IO && err)
		*err = why;
	return st;
}

enum stm32_status flash_with_retries(struct stm32_session *s, unsigned retries,
				     const struct stm32_flash_options *options,
				     flash_attempt_fn attempt, flash_took_effect_fn took_effect,
				     void *ctx, struct stm32_error *err)
{
	for (unsigned tries = 0;; tries++) {
		enum stm32_status status = attempt(s, ctx, err);
		if (status == STM32_OK || !worth_retrying(status) || tries >= retries)
			return status;
		enum stm32_status back = get_back_in_step(s, options, err);
		if (back == STM32_E_IO)
			return back; /* the port is gone: no retry can help */
		/* A NACK is a refusal: the command did not happen. */
		bool refused = status == STM32_E_NACK || status == STM32_E_PROTECTED;
		if (!refused && took_effect && took_effect(s, ctx)) {
			stm32_error_clear(err);
			return STM32_OK;
		}
	}
}
