/* stm32boot command line: the actions (-w -r -o -C -u -j -k) and what
 * follows them (-g, -R), on a connected target. */
#ifndef STM32BOOT_CLI_ACTIONS_H
#define STM32BOOT_CLI_ACTIONS_H

#include <stdbool.h>

#include "options.h"
#include "stm32boot/flash.h"
#include "stm32boot/format.h"
#include "stm32boot/gpio.h"
#include "stm32boot/image.h"
#include "stm32boot/target.h"

/* What the action planned, for --json and the results table. */
struct cli_plan_summary {
	bool known;
	bool dry_run;
	enum stm32_erase_kind erase_kind;
	size_t erase_units;      /* units erased (STM32_ERASE_KIND_PAGES) */
	uint64_t write_bytes;    /* bytes written (-w) */
	uint64_t blank_bytes;    /* all-0xFF bytes not sent: their units are erased */
	bool verify;
	enum stm32_verify_method verify_method;
	bool diff, preserve;
	bool blank_check;        /* erase only what the chip's CRC shows not blank */
	uint32_t address;        /* -r / -C: the range */
	uint64_t length;
};

struct cli_context {
	const struct cli_options *opts;
	struct stm32_target *target;
	struct stm32_transport *transport;
	struct stm32_image *input;       /* -w: the loaded file */
	enum stm32_format input_format;  /* -w: what it was parsed as */
	bool chip_reset_itself;          /* after -u / -j / -k or an option-byte write */
	struct cli_plan_summary *summary; /* filled when not NULL */
	/* Load the RAM stub and make it ctx->target (board.c); prints its
	 * own errors. NULL: no stub here. */
	bool (*use_stub)(struct cli_context *ctx);
	void *board;
};

/* Run the requested action (or with --dry-run, show its plan). Prints its
 * own errors; returns false on failure. */
bool cli_run_action(struct cli_context *ctx);

/* -g: Go to the address (0 = flash start). */
bool cli_run_go(struct cli_context *ctx);

/* -R without an exit GPIO sequence: software reset. */
bool cli_run_software_reset(struct cli_context *ctx);

/* Set by the SIGINT handler: cancel at the next progress callback. */
void cli_request_cancel(void);

#endif
