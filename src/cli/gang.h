/* stm32boot command line: several boards at once, a worker process per
 * board (fork: each has its own output and its own copy of the parsed
 * input), then a table of the results. */
#ifndef STM32BOOT_CLI_GANG_H
#define STM32BOOT_CLI_GANG_H

#include <stddef.h>

#include "board.h"

/* Runs every port of ports[0..count) in parallel. On a terminal one live
 * line per board; otherwise each board's output as one block as it ends.
 * Then the table (or, with --json, the document). Exit status: 0 only
 * when every board succeeded. */
int cli_gang_run(struct cli_job *job, const char *const *ports, size_t count);

#endif
