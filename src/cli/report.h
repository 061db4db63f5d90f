/* stm32boot command line: every message the user sees goes through here.
 *
 * Information goes to stdout (stderr when the data itself goes to stdout,
 * "-r -"); warnings and errors always go to stderr. */
#ifndef STM32BOOT_CLI_REPORT_H
#define STM32BOOT_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "stm32boot/error.h"
#include "options.h"

void cli_output_configure(enum cli_verbosity verbosity, bool data_on_stdout);
enum cli_verbosity cli_output_verbosity(void);
FILE *cli_info_stream(void);

/* Normal information (suppressed by --quiet). */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Extra detail (only with --verbose). */
void cli_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The text of the first cli_error since cli_first_error_clear ("" if
 * none): a board's error in --json and the results table. */
const char *cli_first_error(void);
void cli_first_error_clear(void);

/* What the CLI was doing when the library failed, for wording the error. */
enum cli_stage {
	CLI_STAGE_LOAD,      /* reading the input file */
	CLI_STAGE_OPEN,      /* opening the port */
	CLI_STAGE_GPIO,      /* running a GPIO sequence */
	CLI_STAGE_CONNECT,   /* sync and identify */
	CLI_STAGE_PLAN,      /* checking the request against the chip */
	CLI_STAGE_ACTION,    /* erase / write / read / ... */
	CLI_STAGE_SAVE,      /* writing the output file */
	CLI_STAGE_GO,
	CLI_STAGE_RESET,
};

/* One "stm32boot: error: ..." line naming what failed and where, then a
 * "hint:" line when there is a likely fix. subject names the file or port. */
void cli_report_failure(enum cli_stage stage, const char *subject, const struct stm32_error *err);
/* The same for a failed connect (CLI_STAGE_CONNECT) on a UART running at
 * baud (0: not a UART, or unknown): when the chip did not answer the sync
 * at a rate above 115200 the hint suggests -b 115200. */
void cli_report_connect_failure(const char *subject, const struct stm32_error *err, unsigned baud);

#endif
