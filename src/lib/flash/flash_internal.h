/* libstm32boot: helpers shared by the flash*.c files (not public). The
 * executor talks to the chip only through the back-end table (target.h). */
#ifndef STM32BOOT_FLASH_INTERNAL_H
#define STM32BOOT_FLASH_INTERNAL_H

#include "stm32boot/crc.h"
#include "stm32boot/flash.h"
#include "stm32boot/target.h"

/* The executor's own unit of reading back and comparing: a buffer this
 * large is read in requests of the back end's max_read. */
#define FLASH_BLOCK 256
/* The largest piece: a back end whose reads are larger than FLASH_BLOCK
 * (DFU's wTransferSize) is read back in pieces of max_read, up to this. */
#define FLASH_PIECE_MAX 4096

/* The piece the executor reads and compares at a time: FLASH_BLOCK, or the
 * back end's max_read when that is larger (so a back end whose requests are
 * costly gets full ones; the ROM's 256-byte reads are unchanged). */
static inline uint32_t flash_piece(const struct stm32_target *t)
{
	uint32_t largest = t->desc.max_read;
	if (largest <= FLASH_BLOCK)
		return FLASH_BLOCK;
	return largest < FLASH_PIECE_MAX ? largest : FLASH_PIECE_MAX;
}

/* Progress of one phase, reported to the caller's callback. */
struct flash_progress {
	stm32_progress_fn fn;
	void *user;
	enum stm32_phase phase;
	uint64_t total;
	uint64_t done;
};

void flash_progress_start(struct flash_progress *p, stm32_progress_fn fn, void *user,
			  enum stm32_phase phase, uint64_t total, uint32_t address);
/* Add step units done at address; STM32_E_CANCELLED if the caller said stop. */
enum stm32_status flash_progress_step(struct flash_progress *p, uint64_t step, uint32_t address,
				      struct stm32_error *err);

/* options, or the defaults when NULL: what every entry point works with. */
const struct stm32_flash_options *flash_options_or_default(const struct stm32_flash_options *options,
							   struct stm32_flash_options *defaults);

/* One try of one request. */
typedef enum stm32_status (*flash_attempt_fn)(struct stm32_target *t, void *ctx,
					       struct stm32_error *err);
/* After a failed try and a recovery: did the request take effect anyway
 * (its reply was lost)? May be NULL. */
typedef bool (*flash_took_effect_fn)(struct stm32_target *t, void *ctx);

/* Run attempt; on NACK, timeout or a garbled reply let the back end
 * recover and try again, up to retries more times. */
enum stm32_status flash_with_retries(struct stm32_target *t, unsigned retries,
				     flash_attempt_fn attempt, flash_took_effect_fn took_effect,
				     void *ctx, struct stm32_error *err);

/* Whether a failure of that kind is worth a retry (after flash_recover). */
bool flash_worth_retrying(enum stm32_status status);
/* The back end's recover, when it has one: STM32_E_IO (err filled) only
 * when the link is gone; any other outcome is STM32_OK or "try and see". */
enum stm32_status flash_recover(struct stm32_target *t, struct stm32_error *err);

/* Read [address, address+length) in requests of the back end's largest
 * read, each with retries, reporting progress in p. */
enum stm32_status flash_read_range(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint8_t *buffer, unsigned retries, struct flash_progress *p,
				   struct stm32_error *err);

/* The chip's CRC-32 of [address, address+length), with retries;
 * *available false (and STM32_OK) when the back end has no CRC or the chip
 * declines the range (a NACK: reading gives the answer). */
enum stm32_status flash_chip_crc(struct stm32_target *t, unsigned retries, uint32_t address,
				 uint32_t length, uint32_t *crc, bool *available,
				 struct stm32_error *err);

/* flash_blank.c: the CRC-32 of length bytes of erased flash. */
uint32_t flash_crc_of_erased(uint32_t length, uint8_t erased);
/* plan->blank_check: *left is plan with its erase cut to what the chip's
 * CRC does not show already erased (its own sector list: free
 * left->sectors); unit_blank[i] set for each plan unit whose erase was
 * dropped. A back end without CRC, or a chip declining a range, leaves
 * the erase as planned. */
enum stm32_status flash_leave_blank_unerased(struct stm32_target *t, const struct stm32_plan *plan,
					     unsigned retries, struct stm32_plan *left,
					     bool *unit_blank, struct stm32_error *err);

/* flash_steps.c: the plan's erase (all of it), one write block with
 * retries, and the option-byte blocks. */
enum stm32_status flash_run_erase(struct stm32_target *t, const struct stm32_plan *plan,
				  unsigned retries, stm32_progress_fn progress, void *user,
				  struct stm32_error *err);
enum stm32_status flash_write_block(struct stm32_target *t, unsigned retries,
				   const struct stm32_plan_block *block, struct stm32_error *err);
enum stm32_status flash_run_option_writes(struct stm32_target *t, const struct stm32_plan *plan,
					  struct flash_progress *p, struct stm32_error *err);

/* flash_behind.c: the write phase's blocks through write-behind when the
 * back end has it (target.h), else through flash_write_block. Begin, then
 * one write per block, then end: end always, also on an error path (status
 * is the phase's so far; it is returned unless it was STM32_OK and the
 * finish failed). A failure of data in flight is retried, when worth it,
 * by looking at what reached the chip and writing the rest synchronously. */
struct flash_behind {
	bool on;            /* write_behind is used (off again after a failure) */
	bool in_flight;     /* something was handed over since the last finish */
	unsigned sent;      /* blocks handed over, counted up to 2 */
	struct stm32_plan_block last[2]; /* the last two handed over, newest at 1 */
};
void flash_behind_begin(struct flash_behind *wb, const struct stm32_target *t);
enum stm32_status flash_behind_write(struct flash_behind *wb, struct stm32_target *t,
				     unsigned retries, const struct stm32_plan_block *block,
				     struct stm32_error *err);
enum stm32_status flash_behind_end(struct flash_behind *wb, struct stm32_target *t,
				   unsigned retries, enum stm32_status status,
				   struct stm32_error *err);

/* flash_write.c: a write plan: compare (diff), keep (preserve), erase,
 * write, verify, option bytes. report may be NULL; options resolved. */
enum stm32_status flash_execute_write(struct stm32_target *t, const struct stm32_plan *plan,
				      const struct stm32_flash_options *options,
				      struct stm32_flash_report *report, struct stm32_error *err);

#endif
