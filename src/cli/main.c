/* stm32boot: flash STM32 microcontrollers through their ROM bootloader. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "json.h"
#include "options.h"
#include "report.h"
#include "run.h"
#include "stm32boot/version.h"

static void on_interrupt(int signo)
{
	(void)signo;
	cli_request_cancel();
}

/* Ctrl-C stops after the current bootloader command, so the chip is never
 * left mid-frame and the exit GPIO sequence still runs. */
static void install_interrupt_handler(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = on_interrupt;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	/* A pipe whose reader has gone, or a file-size limit, is a write
	 * error to report (and clean up after), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct cli_options opts;
	if (!cli_parse_options(argc, argv, &opts)) {
		/* Even a usage error is a document, wherever --json stood. */
		for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
			if (strcmp(argv[i], "--json") == 0)
				opts.json = true;
		if (opts.json)
			cli_json_write_run(stdout, &opts, false, cli_first_error(), NULL, 0);
		return 1;
	}
	if (opts.show_help) {
		cli_print_usage(stdout);
		return 0;
	}
	if (opts.show_version) {
		printf("stm32boot %s (libstm32boot %s)\n", STM32BOOT_VERSION, stm32boot_version());
		return 0;
	}
	/* --json: stdout carries the document only. */
	bool data_on_stdout = opts.json || (opts.action == CLI_ACTION_READ && strcmp(opts.file, "-") == 0);
	cli_output_configure(opts.verbosity, data_on_stdout);
	install_interrupt_handler();
	return cli_run(&opts);
}
