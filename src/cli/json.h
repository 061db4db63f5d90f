/* stm32boot command line: --json, one document on stdout (docs/json.md). */
#ifndef STM32BOOT_CLI_JSON_H
#define STM32BOOT_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "board.h"
#include "list.h"
#include "options.h"

#define CLI_JSON_SCHEMA 1

/* {"schema": 1, "status": ..., "action": ..., ["error": ...,] "boards": [...]}.
 * error: a failure before any board ran (NULL otherwise). duplicate[i]
 * (NULL: none) flags boards whose UID another board reported too. */
void cli_json_write_run(FILE *out, const struct cli_options *opts, bool ok, const char *error,
			const struct cli_board_result *boards, size_t count);
void cli_json_write_run_flagged(FILE *out, const struct cli_options *opts, bool ok,
				const struct cli_board_result *boards, const bool *duplicate,
				size_t count);
/* --list --json: {"schema": 1, "status": "ok", "boards": [{"port", "kind", "usb"}]}. */
void cli_json_write_list(FILE *out, const struct cli_found_port *ports, size_t count);

#endif
