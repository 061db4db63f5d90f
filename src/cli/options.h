/* stm32boot command line: what the user asked for.
 *
 * The short options and their meanings follow stm32flash 0.7 so existing
 * scripts keep working; every option also has a long name. */
#ifndef STM32BOOT_CLI_OPTIONS_H
#define STM32BOOT_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stm32boot/format.h"
#include "stm32boot/plan.h"
#include "stm32boot/transport.h"

#define CLI_DEFAULT_BAUD 115200u
#define CLI_DEFAULT_RETRIES 10u
#define CLI_FRAME_RX_MAX 256u
#define CLI_FRAME_TX_MAX 258u
#define CLI_FRAME_RX_MIN 20u
#define CLI_FRAME_TX_MIN 6u

enum cli_action {
	CLI_ACTION_NONE,            /* connect and describe the chip */
	CLI_ACTION_READ,            /* -r */
	CLI_ACTION_WRITE,           /* -w */
	CLI_ACTION_WRITE_UNPROTECT, /* -u */
	CLI_ACTION_READ_PROTECT,    /* -j */
	CLI_ACTION_READ_UNPROTECT,  /* -k */
	CLI_ACTION_ERASE,           /* -o */
	CLI_ACTION_CRC,             /* -C */
	CLI_ACTION_OPTION_BYTES,    /* --option-bytes */
	CLI_ACTION_SET_OPTION,      /* --set-option */
	CLI_ACTION_WRITE_PROTECT,   /* --write-protect */
};

#define CLI_SET_OPTION_MAX 16

/* --stub / --no-stub. */
enum cli_stub_mode {
	CLI_STUB_DEFAULT, /* the stub where its estimate beats the ROM's (stub_choice.c) */
	CLI_STUB_ON,
	CLI_STUB_OFF,
};

enum cli_verbosity {
	CLI_QUIET,
	CLI_NORMAL,
	CLI_VERBOSE,
};

struct cli_options {
	const char *port;            /* the first PORT (NULL: none given, found by --list's search) */
	const char *const *ports;    /* every PORT given (argv), port_count of them */
	size_t port_count;
	enum cli_action action;
	const char *file;            /* -r / -w */
	enum stm32_format format;    /* --format, AUTO: by extension (-r) or content (-w) */
	bool force_binary;           /* -f */
	bool force;                  /* --force: a .dfu file for another USB device */

	struct stm32_uart_config uart; /* -b, -m */
	bool baud_given;             /* -b (else the default, see cli_default_baud) */
	bool has_i2c_address;        /* -a */
	unsigned i2c_address;
	bool has_spi_speed;          /* --spi-speed */
	unsigned spi_speed_hz;
	unsigned swd_khz;            /* --swd-khz, 0: the probe's default */
	bool connect_under_reset;    /* --connect-under-reset */
	bool reset_with_nrst;        /* --reset-with nrst */

	bool verify;                 /* -v, --verify[=auto|crc|read] */
	enum stm32_verify_method verify_method; /* --verify=... */
	bool verify_given;           /* -v or --verify=... (none included) */
	bool diff;                   /* --diff */
	bool preserve;               /* --preserve */
	bool no_blank_check;         /* --no-blank-check */
	bool allow_permanent_lock;   /* --allow-permanent-lock */
	unsigned retries;            /* -n */
	const char *set_options[CLI_SET_OPTION_MAX]; /* --set-option, each NAME=VALUE[,...] */
	unsigned set_option_count;
	const char *write_protect;   /* --write-protect LIST */

	bool has_erase_count;        /* -e */
	unsigned erase_count;        /* 0 = do not erase */
	bool has_start_page;         /* -s */
	unsigned start_page;
	bool has_start_address;      /* -S */
	uint32_t start_address;
	bool has_length;
	uint32_t length;

	bool has_go;                 /* -g */
	uint32_t go_address;         /* 0 = flash start */
	bool reset;                  /* -R */
	const char *gpio_sequence;   /* -i */
	bool skip_sync;              /* -c */
	unsigned frame_rx, frame_tx; /* -F */

	enum cli_verbosity verbosity;
	bool dry_run;
	const char *sim_program;     /* --sim */
	bool show_help, show_version;
	bool list;                   /* --list */
	bool json;                   /* --json: one JSON document on stdout */
	enum cli_stub_mode stub;     /* --stub, --no-stub */
	bool has_stub_baud;          /* --stub-baud N */
	unsigned stub_baud;          /* 0: stay at the ROM's rate */
};

/* Parse argv into opts. On a usage error prints one "stm32boot: error:" line
 * (and a hint) to stderr and returns false. */
bool cli_parse_options(int argc, char **argv, struct cli_options *opts);

/* The fastest standard termios rate that is at most max_baud, and at least
 * CLI_DEFAULT_BAUD: the default for a chip known to handle max_baud. */
unsigned cli_fastest_baud_up_to(unsigned max_baud);

/* The --help text, written to stream. */
void cli_print_usage(FILE *stream);

const char *cli_action_name(enum cli_action action);

#endif
