/* The per-family flash driver (flash_f1.c, flash_f4.c, flash_dword.c): unlock, erase one unit, erase a bank or
 * everything, program, lock, and the last error. It knows registers only,
 * nothing of frames or USARTs, so a SWD RAM loader (issue 15) can link the
 * same file: it supplies its own flash_wait_hook and flash_wait_work (the
 * stub's drain the USART and refresh the IWDG while the controller is busy).
 *
 * Every function returns 0 or -1; after -1, ctl->error_sr holds the
 * controller's status register as it was and ctl->error_address where it
 * happened. One driver file per controller family is linked into an image;
 * they all implement this interface. */
#ifndef STUB_FLASH_H
#define STUB_FLASH_H

#include <stdint.h>

struct flash_ctl {
	uint32_t flash_start;
	uint32_t flash_size;
	uint32_t page_size;   /* page drivers: bytes per erase unit */
	uint32_t unit_count;  /* erase units, both banks */
	uint32_t bank2_start; /* 0: one bank */
	uint32_t flags;       /* STUB_PARAM_DUAL_BANK */
	uint32_t error_sr;
	uint32_t error_address;
	void *hook_context;   /* handed to flash_wait_hook */
};

/* Called again and again while the controller is busy (flash_wait): a
 * leaf, no call and no stack, that returns nonzero when flash_wait_work
 * must run (the stub: a byte arrived). So a wait stores nothing while
 * nothing happens, and an emulator sees it as a pure poll. */
int flash_wait_hook(void *context);
void flash_wait_work(void *context);

static inline __attribute__((always_inline)) void flash_wait(const struct flash_ctl *ctl)
{
	if (flash_wait_hook(ctl->hook_context))
		flash_wait_work(ctl->hook_context);
}

/* Waits while the status register at sr has a bit of busy set, doing
 * meanwhile what flash_wait does. Each image has its own: the stub's
 * inner loop reads three registers and stores nothing until the flash,
 * a byte or a millisecond changes, the shortest pure poll there is. */
void flash_wait_while(struct flash_ctl *ctl, uint32_t sr, uint32_t busy);

/* Bytes programmed at once; addresses and lengths are multiples of it. */
uint32_t flash_program_unit(const struct flash_ctl *ctl);
int flash_unlock(struct flash_ctl *ctl);
void flash_lock(struct flash_ctl *ctl);
int flash_erase_unit(struct flash_ctl *ctl, uint32_t unit);
int flash_erase_mass(struct flash_ctl *ctl);
/* bank 1 or 2; -1 with error_sr 0 when the chip has no such bank */
int flash_erase_bank(struct flash_ctl *ctl, uint32_t bank);
/* data need not be aligned; units that already hold their value are skipped
 * (erased gaps, and a write sent again after its reply was lost) */
int flash_program(struct flash_ctl *ctl, uint32_t address, const uint8_t *data, uint32_t length);

#endif
