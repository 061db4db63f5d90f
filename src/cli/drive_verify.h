/* stm32boot command line: -v after a copy to a drive. The drive itself
 * cannot be read; the board's ST-LINK, when it is on USB too, can: the
 * written ranges are read back through it over SWD. */
#ifndef STM32BOOT_CLI_DRIVE_VERIFY_H
#define STM32BOOT_CLI_DRIVE_VERIFY_H

#include <stdbool.h>

#include "actions.h"

enum cli_drive_verify {
	CLI_DRIVE_VERIFIED,   /* read back through the ST-LINK: every byte as written */
	CLI_DRIVE_UNVERIFIED, /* no other way to the chip (warned, saying why) */
	CLI_DRIVE_MISMATCH,   /* the chip differs, or reading it failed (error reported) */
};

/* Which probe the drive belongs to, learnt before the copy: while the
 * drive takes a file it goes away and comes back, and its files are not to
 * be read then. */
struct cli_drive_pairing {
	bool known;
	char serial[64];
	const char *source; /* where the serial came from */
	char why[320];      /* !known: why not */
};

void cli_drive_pair(struct cli_context *ctx, struct cli_drive_pairing *pairing);

/* Verify ctx->input, just copied to the drive ctx->target, through the
 * board's ST-LINK (stlink:SERIAL, the pairing's serial). */
enum cli_drive_verify cli_drive_verify(struct cli_context *ctx,
				       const struct cli_drive_pairing *pairing);

#endif
