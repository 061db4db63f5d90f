/* stm32boot command line: finding boards (--list, and a run without PORT). */
#ifndef STM32BOOT_CLI_LIST_H
#define STM32BOOT_CLI_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

struct cli_found_port {
	char port[280];         /* what to give as PORT */
	const char *kind;       /* "serial" (later "dfu", "stlink") */
	char driver[48];        /* kernel driver, "" if none */
	bool usb;               /* on a USB adapter: the fields below */
	char vid[8], pid[8];    /* 4 hex digits each */
	char manufacturer[96], product[96], serial[96];
};

/* Every board reachable now, sorted by port, at most max; *looked_in gets
 * what was searched, for the message when nothing is found. */
size_t cli_find_ports(struct cli_found_port *out, size_t max, const char **looked_in);

/* One line describing p ("0403:6001 FTDI FT232R (serial A50285BI)"). */
void cli_describe_found(const struct cli_found_port *p, char *buf, size_t size);

/* --list: prints the boards (or the --json document); exit status. */
int cli_list_run(const struct cli_options *opts);

/* No PORT given: the one board there is (written to port, and said), or
 * false with the reason reported (none found: what was looked for;
 * several: the list). */
bool cli_find_only_port(char *port, size_t size);

#endif
