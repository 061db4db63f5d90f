/* stm32boot command line: one run from parsed options to exit status. */
#ifndef STM32BOOT_CLI_RUN_H
#define STM32BOOT_CLI_RUN_H

#include "options.h"

/* Returns the exit status: 0 success, 1 failure. */
int cli_run(const struct cli_options *opts);

#endif
