/* The write phase through write-behind (target.h: write_behind, finish).
 * A back end that writes behind reports a failure of an earlier block
 * during a later block's call, or at finish; the executor cannot just
 * retry the block in hand then. By the back end's promise at most the
 * two blocks handed over last were in flight when a call began: after a
 * failure worth a retry, those and the block in hand are each read back
 * and written again (synchronously, with the usual retries) unless they
 * are already on the chip. After any
 * failure the rest of the run writes synchronously: a failing link is no
 * place for a pipeline. */
#include <string.h>

#include "flash/flash_internal.h"

void flash_behind_begin(struct flash_behind *wb, const struct stm32_target *t)
{
	memset(wb, 0, sizeof *wb);
	wb->on = stm32_target_can_write_behind(t);
}

/* The block's bytes are on the chip, read back in pieces. A read that
 * fails says "not known": the block is written again. */
static bool on_chip(struct stm32_target *t, unsigned retries, const struct stm32_plan_block *b)
{
	if (!stm32_target_can(&t->desc, STM32_CAP_READ) || t->chip.read_protected)
		return false;
	uint8_t found[FLASH_PIECE_MAX];
	struct flash_progress quiet = { .phase = STM32_PHASE_WRITE };
	for (uint32_t offset = 0; offset < b->length;) {
		uint32_t n = b->length - offset < sizeof found ? b->length - offset
							       : (uint32_t)sizeof found;
		struct stm32_error ignored;
		stm32_error_clear(&ignored);
		if (flash_read_range(t, b->address + offset, n, found, retries, &quiet, &ignored) !=
			    STM32_OK ||
		    memcmp(found, b->data + offset, n) != 0)
			return false;
		offset += n;
	}
	return true;
}

/* status failed a write_behind of current (NULL: at finish); err says
 * where. Nothing is in flight any more (the back end's promise). */
static enum stm32_status settle(struct flash_behind *wb, struct stm32_target *t, unsigned retries,
				const struct stm32_plan_block *current, enum stm32_status status,
				struct stm32_error *err)
{
	wb->on = false;
	wb->in_flight = false;
	stm32_error_op(err, STM32_OP_WRITE);
	if (err && !err->has_address)
		stm32_error_address(err, current ? current->address : wb->last[1].address);
	if (!flash_worth_retrying(status) || retries == 0)
		return status;
	if (flash_recover(t, err) == STM32_E_IO)
		return STM32_E_IO;
	/* Those the back end may not have settled: the last two handed over
	 * (in flight when this call began) and the one in hand. */
	const struct stm32_plan_block *unsettled[3] = {
		wb->sent >= 2 ? &wb->last[0] : NULL, wb->sent >= 1 ? &wb->last[1] : NULL, current,
	};
	for (size_t i = 0; i < 3; i++) {
		if (!unsettled[i] || on_chip(t, retries, unsettled[i]))
			continue;
		stm32_error_clear(err);
		enum stm32_status again = flash_write_block(t, retries - 1, unsettled[i], err);
		if (again != STM32_OK)
			return again;
	}
	stm32_error_clear(err);
	return STM32_OK;
}

enum stm32_status flash_behind_write(struct flash_behind *wb, struct stm32_target *t,
				     unsigned retries, const struct stm32_plan_block *block,
				     struct stm32_error *err)
{
	if (!wb->on)
		return flash_write_block(t, retries, block, err);
	enum stm32_status status = stm32_target_write_behind(t, block->address, block->data,
							     block->length, err);
	if (status != STM32_OK)
		return settle(wb, t, retries, block, status, err);
	wb->in_flight = true;
	wb->last[0] = wb->last[1];
	wb->last[1] = *block;
	wb->sent += wb->sent < 2;
	return STM32_OK;
}

enum stm32_status flash_behind_end(struct flash_behind *wb, struct stm32_target *t,
				   unsigned retries, enum stm32_status status,
				   struct stm32_error *err)
{
	if (!wb->in_flight)
		return status;
	wb->in_flight = false;
	if (status != STM32_OK) {
		/* The first error stands; what is in flight still has to land or
		 * be abandoned before anything else talks to the chip. */
		struct stm32_error ignored;
		stm32_error_clear(&ignored);
		(void)stm32_target_finish(t, &ignored);
		return status;
	}
	status = stm32_target_finish(t, err);
	if (status == STM32_OK)
		return STM32_OK;
	return settle(wb, t, retries, NULL, status, err);
}
