/* stm32boot command line: one board's run, from opening its port to
 * closing it, with what it found and did kept for --json and the gang
 * table. Everything parsed once for all boards is in struct cli_job. */
#ifndef STM32BOOT_CLI_BOARD_H
#define STM32BOOT_CLI_BOARD_H

#include <limits.h>
#include <stdbool.h>

#include "actions.h"
#include "options.h"
#include "stm32boot/gpio.h"
#include "stm32boot/image.h"

struct cli_job {
	const struct cli_options *opts;
	struct stm32_image input;        /* -w: loaded once */
	enum stm32_format input_format;
	struct stm32_gpio_sequence entry, exit;
	const char *sim_program;         /* for sim: ports; NULL: PATH */
	char sim_path[PATH_MAX];
};

struct cli_board_result {
	char port[256];
	bool ok;
	bool connected;                  /* the chip answered and was identified */
	char chip_name[32];              /* "stm32f103xb" */
	char chip_description[96];
	unsigned pid;                    /* 0: not known */
	bool uid_known;
	char uid[25];                    /* 24 hex digits */
	char error[512];                 /* the first error line, "" when ok */
	double seconds;
	struct cli_plan_summary plan;
};

/* What can be checked of port without opening it (an I2C address, a -i
 * sequence with modem lines on a port without them). Reports and returns
 * false. */
bool cli_board_check_port(const struct cli_job *job, const char *port);

/* The whole run on one board. Prints as today's single-board run does;
 * result (when not NULL) gets what the board was and how it went. */
bool cli_board_run(struct cli_job *job, const char *port, struct cli_board_result *result);

#endif
