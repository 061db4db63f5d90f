/* libstm32boot: carrying out flash plans, and the other memory actions.
 *
 * The policy lives here (order, retries, verification); the protocol layer
 * only sends single commands. Nothing here prints: progress goes through a
 * callback the caller may use to draw bars and rates, and to cancel. */
#ifndef STM32BOOT_FLASH_H
#define STM32BOOT_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/image.h"
#include "stm32boot/plan.h"
#include "stm32boot/session.h"

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

/* Called once with done 0 when a phase starts, then after every command with
 * the running total, address = where the last command worked. Return false
 * to cancel: the action stops after the current command with
 * STM32_E_CANCELLED. May be NULL. */
typedef bool (*stm32_progress_fn)(void *user, enum stm32_phase phase, uint64_t done,
				  uint64_t total, uint32_t address);

/* Carry out a STM32_PLAN_WRITE or STM32_PLAN_ERASE plan on a connected
 * session: erase, write every block (a block whose command NACKs or times out
 * is retried up to plan->retries times after stm32_bl_resync; a block that
 * reads back right after a lost ACK is not rewritten), verify by reading
 * back ("verify failed at 0x08000123: expected 0x5A, read 0xFF", with the
 * address in err), and last the option-byte blocks followed by
 * stm32_session_reconnect. READ / CHECKSUM plans: use the calls below. */
enum stm32_status stm32_flash_execute(struct stm32_session *s, const struct stm32_plan *plan,
				      stm32_progress_fn progress, void *user,
				      struct stm32_error *err);

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
	bool verified_by_crc;    /* on the chip with Get Checksum, not by reading */
	size_t units_rewritten;  /* units erased and written again after a failed verify */
};

/* stm32_flash_execute, filling report (may be NULL). */
enum stm32_status stm32_flash_execute_report(struct stm32_session *s, const struct stm32_plan *plan,
					     stm32_progress_fn progress, void *user,
					     struct stm32_flash_report *report,
					     struct stm32_error *err);

/* Re-entering the bootloader after the chip reset on its own (brown-out,
 * watchdog, a glitch on NRST): the caller's -i entry sequence, for instance.
 * Called when a retry finds the chip answering nothing at all, before the
 * executor syncs again (0x7F, Get) and carries on from the block that failed.
 * Return STM32_OK when the sequence ran. */
typedef enum stm32_status (*stm32_reentry_fn)(void *user, struct stm32_error *err);

struct stm32_flash_options {
	stm32_reentry_fn reenter; /* NULL: only sync again (BOOT0 assumed to stay high) */
	void *reenter_user;
};

/* stm32_flash_execute_report with options (may be NULL: as without). */
enum stm32_status stm32_flash_execute_options(struct stm32_session *s, const struct stm32_plan *plan,
					      const struct stm32_flash_options *options,
					      stm32_progress_fn progress, void *user,
					      struct stm32_flash_report *report,
					      struct stm32_error *err);

/* Read [address, address+length) into buffer in 256-byte Read Memory
 * commands, each retried like a write block. */
enum stm32_status stm32_flash_read(struct stm32_session *s, uint32_t address, uint32_t length,
				   uint8_t *buffer, stm32_progress_fn progress, void *user,
				   struct stm32_error *err);

/* Same, adding the bytes to image (initialised; the range must be free). */
enum stm32_status stm32_flash_read_image(struct stm32_session *s, uint32_t address,
					 uint32_t length, struct stm32_image *image,
					 stm32_progress_fn progress, void *user,
					 struct stm32_error *err);

/* What stm32_flash_check_read did. */
struct stm32_read_check_report {
	bool checked;
	bool by_crc;          /* Get Checksum on the chip (the few bytes outside its
			       * 4-aligned middle are read a second time) */
	size_t blocks_reread; /* blocks that had come back wrong and were read again */
};

/* Check length bytes read from address into buffer against the chip, and
 * repair in buffer the blocks that came back wrong: a Read Memory reply has
 * no checksum, so a byte flipped on the line goes unseen. how AUTO or CRC,
 * where the bootloader lists Get Checksum: one CRC over the range; on a
 * mismatch the range is halved down to the 256-byte blocks that differ,
 * each read again until it matches. READ, or no Get Checksum (or the chip
 * declines the range): a second read, and a block whose two reads differ is
 * read until a read agrees with one before it. STM32_E_VERIFY (address in
 * err) when a block never settles. progress: a STM32_PHASE_VERIFY phase. */
enum stm32_status stm32_flash_check_read(struct stm32_session *s, uint32_t address,
					 uint32_t length, uint8_t *buffer,
					 enum stm32_verify_method how, stm32_progress_fn progress,
					 void *user, struct stm32_read_check_report *report,
					 struct stm32_error *err);

/* CRC-32 of the STM32 CRC unit (stm32_crc32) over [address, address+length),
 * both multiples of 4: Get Checksum (0xA1) when the bootloader lists it,
 * else read back and computed here. *on_device (may be NULL) tells which. */
enum stm32_status stm32_flash_checksum(struct stm32_session *s, uint32_t address, uint32_t length,
				       uint32_t *crc, bool *on_device, stm32_progress_fn progress,
				       void *user, struct stm32_error *err);

/* Software reset (stm32flash -R without an exit GPIO sequence): write a small
 * Thumb stub to RAM at device->ram_start that requests SYSRESETREQ through
 * AIRCR, and Go to it. So that a chip programmed from blank leaves its
 * bootloader, STM32_DEV_OBL_LAUNCH devices get an option-byte reload
 * (FLASH_CR.OBL_LAUNCH) instead, and STM32_DEV_PEMPTY devices clear
 * FLASH_SR.PEMPTY first. STM32_E_UNSUPPORTED when the device has no usable RAM
 * or no Write / Go command. The session is not usable afterwards. */
enum stm32_status stm32_flash_reset(struct stm32_session *s, struct stm32_error *err);

/* The stub stm32_flash_reset writes, for inspection and tests: fills
 * buf (at least STM32_RESET_STUB_MAX bytes) and returns its length, or 0 when
 * the device has no usable RAM for it. */
#define STM32_RESET_STUB_MAX 64u
size_t stm32_flash_reset_stub(const struct stm32_device *device, uint8_t *buf);

/* Go (0x21) to address, which must be a multiple of 4 (0 is not special
 * here: callers map stm32flash's "-g 0" to flash_start). */
enum stm32_status stm32_flash_go(struct stm32_session *s, uint32_t address,
				 struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
