/* libstm32boot: carrying out flash plans, and the other memory actions.
 *
 * The policy lives here (order, retries, verification), once for every
 * back end: a back end (target.h) only carries out single requests. Nothing here prints: progress goes through a
 * callback the caller may use to draw bars and rates, and to cancel. */
#ifndef STM32BOOT_FLASH_H
#define STM32BOOT_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/image.h"
#include "stm32boot/plan.h"
#include "stm32boot/target.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_phase {
	STM32_PHASE_ERASE,    /* done/total in erase units (a mass / bank erase counts 1) */
	STM32_PHASE_WRITE,    /* bytes: with verify the image's, as VERIFY counts; else the blocks' */
	STM32_PHASE_VERIFY,   /* bytes */
	STM32_PHASE_READ,     /* bytes */
	STM32_PHASE_CHECKSUM, /* bytes */
};
/* Diff's compare (chip against image, before anything is written) reports as
 * a verify phase, preserve's reading of what an erase would destroy as a read
 * phase: they are just that. (Own phase names need stm32_phase_name to learn
 * them first.) */
#define STM32_PHASE_COMPARE STM32_PHASE_VERIFY
#define STM32_PHASE_KEEP    STM32_PHASE_READ

const char *stm32_phase_name(enum stm32_phase phase); /* "erase", "write", ... */

/* Called once with done 0 when a phase starts, then after every request with
 * the running total, address = where the last request worked. Return false
 * to cancel: the action stops after the current request with
 * STM32_E_CANCELLED. */
typedef bool (*stm32_progress_fn)(void *user, enum stm32_phase phase, uint64_t done,
				  uint64_t total, uint32_t address);

/* How the engine carries out what it is given: one struct for every call
 * below. NULL options mean the defaults. */
struct stm32_flash_options {
	stm32_progress_fn progress; /* may be NULL */
	void *progress_user;
	/* Extra attempts per request after a NACK, a timeout or a garbled
	 * reply, each after the back end's recover (stm32flash -n). */
	unsigned retries;
};

#define STM32_FLASH_DEFAULT_RETRIES 10u /* stm32flash -n default */

void stm32_flash_options_default(struct stm32_flash_options *opts);

/* What a write plan did, for the caller's summary. */
struct stm32_flash_report {
	size_t units;            /* flash erase units the image touches */
	size_t units_unchanged;  /* diff: equal already; neither erased nor written */
	size_t units_blank;      /* diff: blank where the image goes; written unerased */
	size_t units_erased;     /* erased by page list (a mass erase counts all) */
	size_t blocks_written;
	size_t blocks_skipped;   /* all 0xFF on erased flash, or in unchanged units */
	uint64_t bytes_written;
	uint64_t bytes_kept;     /* preserve: bytes read and written back */
	bool verified;
	bool verified_by_crc;    /* on the chip (the back end's CRC), not by reading */
	size_t units_rewritten;  /* units erased and written again after a failed verify */
};

/* Carry out a STM32_PLAN_WRITE or STM32_PLAN_ERASE plan on a target:
 * erase, write every block (a request that NACKs or times out is retried
 * up to options->retries times after the back end's recover; a block that
 * reads back right after a lost ACK is not rewritten), verify (the chip's
 * CRC where the back end has one, else by reading back: "verify failed at
 * 0x08000123: expected 0x5A, read 0xFF", with the address in err), and last
 * the option-byte blocks. report may be NULL. READ / CHECKSUM plans: use
 * the calls below. */
enum stm32_status stm32_flash_execute(struct stm32_target *t, const struct stm32_plan *plan,
				      const struct stm32_flash_options *options,
				      struct stm32_flash_report *report, struct stm32_error *err);

/* Read [address, address+length) into buffer in requests of the back end's
 * largest read, each retried like a write block. */
enum stm32_status stm32_flash_read(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint8_t *buffer, const struct stm32_flash_options *options,
				   struct stm32_error *err);

/* Same, adding the bytes to image (initialised; the range must be free). */
enum stm32_status stm32_flash_read_image(struct stm32_target *t, uint32_t address,
					 uint32_t length, struct stm32_image *image,
					 const struct stm32_flash_options *options,
					 struct stm32_error *err);

/* What stm32_flash_check_read did. */
struct stm32_read_check_report {
	bool checked;
	bool by_crc;          /* the chip's CRC (the few bytes outside its
			       * 4-aligned middle are read a second time) */
	size_t blocks_reread; /* blocks that had come back wrong and were read again */
};

/* Check length bytes read from address into buffer against the chip, and
 * repair in buffer the blocks that came back wrong: a ROM Read Memory reply
 * has no checksum, so a byte flipped on the line goes unseen. how AUTO or
 * CRC, where the back end has a CRC: one CRC over the range; on a mismatch
 * the range is halved down to the 256-byte blocks that differ, each read
 * again until it matches. READ, or no CRC (or the chip declines the range):
 * a second read, and a block whose two reads differ is read until a read
 * agrees with one before it. STM32_E_VERIFY (address in err) when a block
 * never settles. Progress: a STM32_PHASE_VERIFY phase. */
enum stm32_status stm32_flash_check_read(struct stm32_target *t, uint32_t address,
					 uint32_t length, uint8_t *buffer,
					 enum stm32_verify_method how,
					 const struct stm32_flash_options *options,
					 struct stm32_read_check_report *report,
					 struct stm32_error *err);

/* CRC-32 of the STM32 CRC unit (stm32_crc32) over [address, address+length),
 * both multiples of 4: the chip's own where the back end has it, else read
 * back and computed here. *on_device (may be NULL) tells which. */
enum stm32_status stm32_flash_checksum(struct stm32_target *t, uint32_t address, uint32_t length,
				       uint32_t *crc, bool *on_device,
				       const struct stm32_flash_options *options,
				       struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
