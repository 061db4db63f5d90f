/* libstm32boot: helpers shared by the flash*.c files (not public). */
#ifndef STM32BOOT_FLASH_INTERNAL_H
#define STM32BOOT_FLASH_INTERNAL_H

#include "stm32boot/flash.h"

/* How long stm32_bl_resync may take before a retry; a lost byte costs at
 * most one 0xFF/0x00 pair, so this is generous. */
#define FLASH_RESYNC_MS 2000u

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

/* One try of one command. */
typedef enum stm32_status (*flash_attempt_fn)(struct stm32_session *s, void *ctx,
					       struct stm32_error *err);
/* After a failed try and a resync: did the command take effect anyway (its
 * reply was lost)? May be NULL. */
typedef bool (*flash_took_effect_fn)(struct stm32_session *s, void *ctx);

/* Run attempt; on NACK, timeout or a garbled reply resync the link and try
 * again, up to retries more times. options (may be NULL) says how to get
 * back into the bootloader after a reset. */
enum stm32_status flash_with_retries(struct stm32_session *s, unsigned retries,
				     const struct stm32_flash_options *options,
				     flash_attempt_fn attempt, flash_took_effect_fn took_effect,
				     void *ctx, struct stm32_error *err);

/* Read [address, address+length) in 256-byte commands, each with retries,
 * reporting progress in p. */
enum stm32_status flash_read_range(struct stm32_session *s, uint32_t address, uint32_t length,
				   uint8_t *buffer, unsigned retries,
				   const struct stm32_flash_options *options, struct flash_progress *p,
				   struct stm32_error *err);

/* The chip's CRC-32 of [address, address+length) by Get Checksum, with
 * retries; *available false (and STM32_OK) when the bootloader lacks the
 * command or declines the range (a NACK: reading gives the answer). */
enum stm32_status flash_chip_crc(struct stm32_session *s, unsigned retries,
				 const struct stm32_flash_options *options, uint32_t address,
				 uint32_t length, uint32_t *crc, bool *available,
				 struct stm32_error *err);

/* flash_execute.c: the plan's erase (all of it), one write block with
 * retries, and the option-byte blocks followed by a reconnect. */
enum stm32_status flash_run_erase(struct stm32_session *s, const struct stm32_plan *plan,
				  const struct stm32_flash_options *options,
				  stm32_progress_fn progress, void *user, struct stm32_error *err);
enum stm32_status flash_write_block(struct stm32_session *s, const struct stm32_plan *plan,
				   const struct stm32_flash_options *options,
				   const struct stm32_plan_block *block, struct stm32_error *err);
enum stm32_status flash_run_option_writes(struct stm32_session *s, const struct stm32_plan *plan,
					  struct flash_progress *p, struct stm32_error *err);

/* flash_write.c: a write plan: compare (diff), keep (preserve), erase,
 * write, verify, option bytes. report may be NULL. */
enum stm32_status flash_execute_write(struct stm32_session *s, const struct stm32_plan *plan,
				      const struct stm32_flash_options *options,
				      stm32_progress_fn progress, void *user,
				      struct stm32_flash_report *report, struct stm32_error *err);

#endif
