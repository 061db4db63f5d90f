/* stm32boot command line: option parsing and the checks that need no chip. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stm32boot/gpio.h"

/* stm32flash 0.7's option string, so its scripts parse the same way. */
static const char short_options[] = ":a:b:m:r:w:e:vn:g:jkfcChuos:S:F:i:R";

enum long_only_option {
	OPT_VERSION = 0x100,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_DRY_RUN,
	OPT_FORMAT,
	OPT_SIM,
	OPT_DIFF,
	OPT_PRESERVE,
	OPT_NO_BLANK_CHECK,
	OPT_ALLOW_PERMANENT_LOCK,
	OPT_SPI_SPEED,
	OPT_OPTION_BYTES,
	OPT_SET_OPTION,
	OPT_WRITE_PROTECT,
	OPT_LIST,
	OPT_JSON,
	OPT_FORCE,
	OPT_SWD_KHZ,
	OPT_CONNECT_UNDER_RESET,
	OPT_RESET_WITH,
	OPT_STUB,
	OPT_NO_STUB,
	OPT_STUB_BAUD,
};

static const struct option long_options[] = {
	{"address", required_argument, NULL, 'a'},
	{"baud", required_argument, NULL, 'b'},
	{"mode", required_argument, NULL, 'm'},
	{"read", required_argument, NULL, 'r'},
	{"write", required_argument, NULL, 'w'},
	{"write-unprotect", no_argument, NULL, 'u'},
	{"read-protect", no_argument, NULL, 'j'},
	{"read-unprotect", no_argument, NULL, 'k'},
	{"erase-only", no_argument, NULL, 'o'},
	{"erase-pages", required_argument, NULL, 'e'},
	{"verify", optional_argument, NULL, 'v'},
	{"retries", required_argument, NULL, 'n'},
	{"go", required_argument, NULL, 'g'},
	{"start-page", required_argument, NULL, 's'},
	{"start", required_argument, NULL, 'S'},
	{"frame", required_argument, NULL, 'F'},
	{"force-binary", no_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	{"no-init", no_argument, NULL, 'c'},
	{"gpio", required_argument, NULL, 'i'},
	{"crc", no_argument, NULL, 'C'},
	{"reset", no_argument, NULL, 'R'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"verbose", no_argument, NULL, OPT_VERBOSE},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"sim", required_argument, NULL, OPT_SIM},
	{"diff", no_argument, NULL, OPT_DIFF},
	{"preserve", no_argument, NULL, OPT_PRESERVE},
	{"no-blank-check", no_argument, NULL, OPT_NO_BLANK_CHECK},
	{"allow-permanent-lock", no_argument, NULL, OPT_ALLOW_PERMANENT_LOCK},
	{"spi-speed", required_argument, NULL, OPT_SPI_SPEED},
	{"swd-khz", required_argument, NULL, OPT_SWD_KHZ},
	{"connect-under-reset", no_argument, NULL, OPT_CONNECT_UNDER_RESET},
	{"reset-with", required_argument, NULL, OPT_RESET_WITH},
	{"option-bytes", no_argument, NULL, OPT_OPTION_BYTES},
	{"set-option", required_argument, NULL, OPT_SET_OPTION},
	{"write-protect", required_argument, NULL, OPT_WRITE_PROTECT},
	{"list", no_argument, NULL, OPT_LIST},
	{"json", no_argument, NULL, OPT_JSON},
	{"force", no_argument, NULL, OPT_FORCE},
	{"stub", no_argument, NULL, OPT_STUB},
	{"no-stub", no_argument, NULL, OPT_NO_STUB},
	{"stub-baud", required_argument, NULL, OPT_STUB_BAUD},
	{NULL, 0, NULL, 0},
};

const char *cli_action_name(enum cli_action action)
{
	switch (action) {
	case CLI_ACTION_NONE: return "connect";
	case CLI_ACTION_READ: return "memory read (-r)";
	case CLI_ACTION_WRITE: return "memory write (-w)";
	case CLI_ACTION_WRITE_UNPROTECT: return "write unprotect (-u)";
	case CLI_ACTION_READ_PROTECT: return "read protect (-j)";
	case CLI_ACTION_READ_UNPROTECT: return "read unprotect (-k)";
	case CLI_ACTION_ERASE: return "flash erase (-o)";
	case CLI_ACTION_CRC: return "memory crc (-C)";
	case CLI_ACTION_OPTION_BYTES: return "option-byte display (--option-bytes)";
	case CLI_ACTION_SET_OPTION: return "option-byte change (--set-option)";
	case CLI_ACTION_WRITE_PROTECT: return "write protect (--write-protect)";
	}
	return "?";
}

void cli_print_usage(FILE *stream)
{
	fputs(
"Usage: stm32boot [OPTIONS] [PORT...]\n"
"       stm32boot --list [--json]\n"
"Flash STM32 microcontrollers through their ROM bootloader (UART, I2C, SPI, USB\n"
"DFU), an ST-LINK over SWD or a board's flashing drive (stm32flash compatible).\n"
"\n"
"PORT is a serial device (/dev/ttyUSB0), an I2C bus (/dev/i2c-N, with -a), an SPI\n"
"device (/dev/spidevB.C), a USB DFU bootloader (dfu:, dfu:SERIAL, dfu:BUS-PORT,\n"
"each with an optional ,device=NAME), an ST-LINK probe over SWD (stlink:,\n"
"stlink:SERIAL), a board's flashing drive (drive:, drive:PATH: -w only; -v\n"
"verifies through the board's ST-LINK when it is on USB too), a network serial\n"
"port (rfc2217://HOST:PORT: RFC 2217, as ser2net and labgrid export;\n"
"socket://HOST:PORT: raw TCP, bytes only; IPv6 as [ADDR]:PORT) or\n"
"sim:DEVICE[,image=FILE,interface=uart|i2c|spi|dfu|stlink,uid=HEX,...] for the\n"
"emulator (interface=dfu,count=N emulates N boards: board=K or serial=SERIAL\n"
"names one). Several PORTs are flashed in parallel, one\n"
"worker per board, then a table of the results (exit status 0 only if every board\n"
"succeeded). Without a PORT: the one board --list finds (several: they are\n"
"listed, and none is used).\n"
"\n"
"Actions (at most one; without one, connect and describe the chip):\n"
"  -r, --read FILE           read memory to FILE (- = stdout)\n"
"  -w, --write FILE          write FILE (binary, Intel HEX, S-record or ELF; - = stdin)\n"
"  -o, --erase-only          erase only (whole flash, or the -S / -s -e range)\n"
"  -C, --crc                 print the CRC-32 of a memory range (whole flash by default)\n"
"  -u, --write-unprotect     disable write protection\n"
"  -j, --read-protect        enable readout protection\n"
"  -k, --read-unprotect      disable readout protection (erases the flash)\n"
"      --option-bytes        show every option-byte field decoded, marking those\n"
"                            that differ from the factory value\n"
"      --set-option NAME=VALUE[,NAME=VALUE...]  change option-byte fields by name\n"
"                            (repeatable; the whole area is read, changed, written\n"
"                            and read back; complements are derived; --dry-run\n"
"                            shows before/after)\n"
"      --write-protect LIST  write-protect pages/sectors as the chip groups them\n"
"                            (e.g. 0-3,7; --option-bytes shows which are protected);\n"
"                            -u lifts it\n"
"\n"
"Connection:\n"
"  -b, --baud RATE           baud rate (default 115200, or more for a sim:DEVICE\n"
"                            documented for more or given max-baud=N; 0 keeps the\n"
"                            port's settings); a rate above the chip's documented\n"
"                            maximum is warned about, and when the chip does not\n"
"                            answer above 115200 the hint suggests -b 115200\n"
"  -m, --mode MODE           data bits, parity, stop bits (default 8e1)\n"
"  -a, --address ADDR        bootloader's 7-bit I2C address, 0x03..0x77 (required\n"
"                            for /dev/i2c-N ports, see AN2606, e.g. 0x39; a sim:\n"
"                            port with interface=i2c defaults to its device's)\n"
"      --spi-speed HZ        SPI clock for /dev/spidevB.C and sim:...,interface=spi\n"
"                            ports (default 1000000)\n"
"      --swd-khz KHZ         stlink: ports: SWD clock, the probe's fastest not above\n"
"                            KHZ (default 4000 on a V2 or V2-1, 24000 on a V3)\n"
"      --connect-under-reset stlink: ports: hold NRST low while attaching, so that\n"
"                            firmware that disables SWD or sleeps cannot run first\n"
"      --reset-with HOW      stlink: ports: the reset that starts the program (-R,\n"
"                            and after option bytes change: aircr, the default,\n"
"                            AIRCR.SYSRESETREQ; nrst, the probe's NRST pin)\n"
"  -c, --no-init             do not send the 0x7F sync byte (bootloader already synced)\n"
"  -F, --frame RX[:TX]       largest frames the link carries (default 256:258)\n"
"  -i, --gpio SEQ            GPIO entry[:exit] sequences, e.g. -rts&dtr,-dtr:rts&dtr,-dtr\n"
"      --sim PROGRAM         emulator program for sim: ports\n"
"\n"
"Memory range and writing:\n"
"  -S, --start ADDR[:LEN]    start address (multiple of 4) and length\n"
"  -s, --start-page N        first page to erase / start of the range\n"
"  -e, --erase-pages N       pages to erase with -o (-e 0: do not erase)\n"
"  -v, --verify[=HOW]        verify what was written; HOW: auto (default: Get Checksum\n"
"                            per erase unit where the bootloader has it, else read\n"
"                            back), crc, read, none. With -r: check what was read\n"
"                            (by Get Checksum, which -r does unasked where the\n"
"                            bootloader has it, else by a second read)\n"
"      --diff                incremental: compare each touched page/sector with the\n"
"                            file first; erase and write only those that differ\n"
"      --preserve            keep the bytes of erased pages/sectors outside the file\n"
"                            (read before the erase, written back after)\n"
"      --no-blank-check      erase what the write touches even where the chip's CRC\n"
"                            shows it blank (F0-F4 with an on-chip CRC: ST-LINK, stub)\n"
"      --allow-permanent-lock  permit option bytes that lock the chip for good (-w,\n"
"                            --set-option)\n"
"                            (RDP level 2, bootloader made unreachable)\n"
"  -n, --retries N           retries of a refused or unanswered command (default 10)\n"
"  -f, --force-binary        treat the -w file as raw binary\n"
"      --format FMT          -r output format: binary, hex, srec, uf2 (the chip's UF2\n"
"                            family), dfu (default: by extension); with -w, read the\n"
"                            file as FMT (binary, hex, srec, elf, uf2, dfu) instead\n"
"                            of detecting it\n"
"      --force               write a .dfu file whose suffix names another USB device\n"
"\n"
"Afterwards:\n"
"  -g, --go ADDR             start the program at ADDR (0 = flash start)\n"
"  -R, --reset               reset the chip at the end\n"
"\n"
"General:\n"
"      --list                list the boards reachable now (serial ports with\n"
"                            their USB adapter) and exit\n"
"      --json                one JSON document on stdout (schema: docs/json.md);\n"
"                            all other text on stderr\n"
"      --stub                after connecting, load stm32boot's RAM stub (F0/F1/F3,\n"
"                            F2/F4/F7, G0/G4/L4/WB/WL, L0/L1, H7, over USART1) and read, write, erase\n"
"                            and verify (by the chip's CRC) through it; docs/stub-protocol.md. Without\n"
"                            --stub or --no-stub it is loaded when the chip has one and its\n"
"                            estimate, loading included, beats the ROM's (--dry-run shows both)\n"
"      --no-stub             keep to the ROM bootloader's protocol\n"
"      --stub-baud N         the stub's rate: by default the fastest of 2000000,\n"
"                            1000000, 460800, 230400, 115200 (8N1) that the stub makes\n"
"                            with 32 clocks a bit (WL, L0: 1000000 at most; L1:\n"
"                            460800), the port makes and a full-size frame confirms; N\n"
"                            that rate only (refused when it cannot be made), 0 the\n"
"                            ROM's rate and 8E1 (no switch)\n"
"      --dry-run             connect, identify and show the plan, what an erase would\n"
"                            destroy, option-byte changes and the time; change nothing\n"
"      --quiet               print errors only\n"
"      --verbose             print more detail\n"
"  -h, --help                show this help\n"
"      --version             show the version\n"
"\n"
"Numbers accept 0x (hex), 0 (octal) and decimal. Exit status: 0 success, 1 failure.\n"
"See stm32boot(1).\n",
		stream);
}

static bool usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool usage_error(const char *fmt, ...)
{
	char message[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof message, fmt, args);
	va_end(args);
	cli_error("%s", message);
	cli_hint("stm32boot --help lists the options");
	return false;
}

/* strtoul(…, 0) like stm32flash, but the whole argument must be a number. */
static bool parse_number(const char *text, unsigned long max, unsigned long *out)
{
	if (!text || !*text || *text == '-' || *text == '+')
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long value = strtoul(text, &end, 0);
	if (errno || *end != '\0' || value > max)
		return false;
	*out = value;
	return true;
}

static bool parse_u32(const char *text, uint32_t *out)
{
	unsigned long value;
	if (!parse_number(text, UINT32_MAX, &value))
		return false;
	*out = (uint32_t)value;
	return true;
}

/* A well-formed number above max (or too large for strtoull at all). */
static bool number_too_large(const char *text, uint64_t max)
{
	if (!text || !*text || *text == '-' || *text == '+')
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 0);
	if (end == text || *end != '\0')
		return false;
	return errno == ERANGE || value > max;
}

/* stm32flash 0.7's -b list. */
static const unsigned common_bauds[] = {
	1200, 1800, 2400, 4800, 9600, 14400, 19200, 38400, 56000, 57600, 115200,
	128000, 230400, 256000, 460800, 500000, 576000, 921600, 1000000, 1152000,
	1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

unsigned cli_fastest_baud_up_to(unsigned max_baud)
{
	/* Not 128000 or 256000: -b accepts them, but termios has no constant
	 * for them (stm32flash's POSIX backend cannot set them either), so a
	 * default never picks them. */
	static const unsigned faster[] = {
		230400, 460800, 500000, 576000, 921600, 1000000, 1152000,
		1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
	};
	unsigned best = CLI_DEFAULT_BAUD;
	for (size_t i = 0; i < sizeof faster / sizeof faster[0]; i++)
		if (faster[i] <= max_baud && stm32_uart_baud_valid(faster[i]))
			best = faster[i];
	return best;
}

static bool parse_baud(const char *arg, struct cli_options *opts)
{
	unsigned long baud;
	if (!parse_number(arg, UINT_MAX, &baud) || (baud != 0 && !stm32_uart_baud_valid((unsigned)baud))) {
		/* name the choices, as stm32flash does */
		char list[400] = "";
		size_t used = 0;
		for (size_t i = 0; i < sizeof common_bauds / sizeof common_bauds[0] && used < sizeof list; i++)
			if (stm32_uart_baud_valid(common_bauds[i]))
				used += (size_t)snprintf(list + used, sizeof list - used, " %u", common_bauds[i]);
		return usage_error("invalid baud rate '%s'; valid rates:%s (0 keeps the port's)", arg, list);
	}
	opts->uart.baud = (unsigned)baud;
	opts->baud_given = true;
	return true;
}

static bool parse_mode(const char *arg, struct cli_options *opts)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	unsigned baud = opts->uart.baud;
	if (strlen(arg) != 3 || stm32_uart_parse_mode(arg, &opts->uart, &err) != STM32_OK)
		return usage_error("invalid serial mode '%s' (expected data bits 5-8, parity n/e/o, stop bits 1/2, e.g. 8e1)", arg);
	opts->uart.baud = baud;
	return true;
}

static bool parse_i2c_address(const char *arg, struct cli_options *opts)
{
	unsigned long address;
	if (!parse_number(arg, 0x77, &address) || address < 0x03)
		return usage_error("invalid I2C address '%s' (must be 0x03..0x77)", arg);
	opts->has_i2c_address = true;
	opts->i2c_address = (unsigned)address;
	return true;
}

static bool parse_start(const char *arg, struct cli_options *opts)
{
	char copy[64];
	if (strlen(arg) >= sizeof copy)
		return usage_error("invalid start address '%s'", arg);
	strcpy(copy, arg);
	char *colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (!parse_u32(copy, &opts->start_address))
		return usage_error("invalid start address in -S '%s'", arg);
	if (opts->start_address % 4 != 0)
		return usage_error("start address in -S '%s' must be word-aligned (a multiple of 4)", arg);
	opts->has_start_address = true;
	opts->has_length = false;
	if (colon) {
		/* From the start to the end of the 4 GiB address space, within 32 bits. */
		uint64_t largest = (uint64_t)UINT32_MAX + 1 - opts->start_address;
		if (largest > UINT32_MAX)
			largest = UINT32_MAX;
		if (number_too_large(colon + 1, largest))
			return usage_error("length in -S '%s' is too large: the largest from 0x%08X is "
					   "0x%llX (%llu bytes, within the 4 GiB address space)", arg, (unsigned)opts->start_address,
					   (unsigned long long)largest, (unsigned long long)largest);
		if (!parse_u32(colon + 1, &opts->length) || opts->length == 0)
			return usage_error("invalid length in -S '%s' (must be a non-zero number)", arg);
		opts->has_length = true;
	}
	return true;
}

static bool parse_frame_part(const char *text, unsigned max, unsigned min, const char *which,
			     unsigned *out)
{
	unsigned long value;
	if (!parse_number(text, UINT_MAX, &value))
		return usage_error("invalid frame size '%s' in -F", text);
	if (value == 0)
		value = max;
	if (value > max) {
		cli_warning("-F %s length %lu is above the maximum %u; using %u", which, value, max, max);
		value = max;
	}
	if (value < min) {
		return usage_error("-F %s length %lu is too small (minimum %u)", which, value, min);
	}
	*out = (unsigned)value;
	return true;
}

static bool parse_frame(const char *arg, struct cli_options *opts)
{
	char copy[64];
	if (strlen(arg) >= sizeof copy || !*arg)
		return usage_error("invalid frame sizes '%s' in -F (expected RX[:TX])", arg);
	strcpy(copy, arg);
	char *colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (!parse_frame_part(copy, CLI_FRAME_RX_MAX, CLI_FRAME_RX_MIN, "RX", &opts->frame_rx))
		return false;
	if (colon && !parse_frame_part(colon + 1, CLI_FRAME_TX_MAX, CLI_FRAME_TX_MIN, "TX", &opts->frame_tx))
		return false;
	return true;
}

static bool parse_gpio(const char *arg, struct cli_options *opts)
{
	struct stm32_gpio_sequence entry = {0}, exit_seq = {0};
	struct stm32_error err;
	stm32_error_clear(&err);
	enum stm32_status status = stm32_gpio_parse(arg, &entry, &exit_seq, &err);
	stm32_gpio_sequence_free(&entry);
	stm32_gpio_sequence_free(&exit_seq);
	if (status != STM32_OK) {
		return usage_error("invalid GPIO sequence '%s' in -i: %s", arg,
				   err.message[0] ? err.message : stm32_status_name(status));
	}
	opts->gpio_sequence = arg;
	return true;
}

static bool set_action(struct cli_options *opts, enum cli_action action, const char *file)
{
	if (opts->action != CLI_ACTION_NONE && opts->action != action) {
		return usage_error("can't do %s and %s at the same time",
				   cli_action_name(opts->action), cli_action_name(action));
	}
	if (opts->action == action && file)
		return usage_error("%s given twice", cli_action_name(action));
	opts->action = action;
	if (file)
		opts->file = file;
	return true;
}

static bool add_set_option(const char *arg, struct cli_options *opts)
{
	if (opts->set_option_count == CLI_SET_OPTION_MAX)
		return usage_error("--set-option given more than %u times (join them with commas)",
				   CLI_SET_OPTION_MAX);
	opts->set_options[opts->set_option_count++] = arg;
	return set_action(opts, CLI_ACTION_SET_OPTION, NULL);
}

static bool parse_output_format(const char *arg, struct cli_options *opts)
{
	enum stm32_format format = stm32_format_parse(arg);
	if (format == STM32_FORMAT_AUTO)
		return usage_error("unknown format '%s' (binary, hex, srec, elf, uf2 or dfu)", arg);
	opts->format = format;
	return true;
}

static bool parse_page_count(const char *arg, struct cli_options *opts)
{
	unsigned long count;
	if (!parse_number(arg, 0xFFFF, &count))
		return usage_error("invalid page count '%s' in -e (must be 0..0xffff)", arg);
	opts->has_erase_count = true;
	opts->erase_count = (unsigned)count;
	return true;
}

static bool parse_start_page(const char *arg, struct cli_options *opts)
{
	unsigned long page;
	if (!parse_number(arg, 0xFFFF, &page))
		return usage_error("invalid start page '%s' in -s (must be 0..0xffff)", arg);
	opts->has_start_page = true;
	opts->start_page = (unsigned)page;
	return true;
}

static bool parse_go(const char *arg, struct cli_options *opts)
{
	if (!parse_u32(arg, &opts->go_address))
		return usage_error("invalid execution address '%s' in -g", arg);
	if (opts->go_address % 4 != 0)
		return usage_error("execution address '%s' in -g must be word-aligned (a multiple of 4)", arg);
	opts->has_go = true;
	return true;
}

/* spidev takes the clock as a 32-bit Hz value; the STM32 SPI bootloaders
 * run at most some tens of MHz, so anything above 100 MHz is a typo. */
#define SPI_SPEED_MAX_HZ 100000000ul

/* The fastest ST-LINK/V3 clock, 24 MHz; a kHz value above it is a typo. */
#define SWD_KHZ_MAX 24000ul

static bool parse_swd_khz(const char *arg, struct cli_options *opts)
{
	unsigned long khz;
	if (!parse_number(arg, SWD_KHZ_MAX, &khz) || khz == 0)
		return usage_error("invalid SWD clock '%s' in --swd-khz (1 to 24000 kHz)", arg);
	opts->swd_khz = (unsigned)khz;
	return true;
}

static bool parse_reset_with(const char *arg, struct cli_options *opts)
{
	if (strcmp(arg, "aircr") != 0 && strcmp(arg, "nrst") != 0)
		return usage_error("invalid --reset-with '%s' (aircr or nrst)", arg);
	opts->reset_with_nrst = strcmp(arg, "nrst") == 0;
	return true;
}

static bool parse_spi_speed(const char *arg, struct cli_options *opts)
{
	unsigned long hz;
	if (!parse_number(arg, SPI_SPEED_MAX_HZ, &hz) || hz == 0)
		return usage_error("invalid SPI clock '%s' in --spi-speed (1 to 100000000 Hz)", arg);
	opts->has_spi_speed = true;
	opts->spi_speed_hz = (unsigned)hz;
	return true;
}

/* The fastest USB-UART bridges run at 12 Mbaud (FT232H); 0: no switch. */
#define STUB_BAUD_MAX 12000000ul

static bool parse_stub_baud(const char *arg, struct cli_options *opts)
{
	unsigned long baud;
	if (!parse_number(arg, STUB_BAUD_MAX, &baud) || (baud > 0 && baud < 1200))
		return usage_error("invalid rate '%s' in --stub-baud (1200 to 12000000, or 0 for "
				   "the ROM's rate)", arg);
	opts->has_stub_baud = true;
	opts->stub_baud = (unsigned)baud;
	return true;
}

static bool parse_retries(const char *arg, struct cli_options *opts)
{
	unsigned long retries;
	if (!parse_number(arg, 1000000, &retries))
		return usage_error("invalid retry count '%s' in -n", arg);
	opts->retries = (unsigned)retries;
	return true;
}

/* -v / --verify: auto; --verify=none turns a -v given earlier off. */
static bool parse_verify(const char *arg, struct cli_options *opts)
{
	opts->verify_given = true;
	opts->verify = true;
	if (!arg || strcmp(arg, "auto") == 0)
		opts->verify_method = STM32_VERIFY_AUTO;
	else if (strcmp(arg, "crc") == 0)
		opts->verify_method = STM32_VERIFY_CRC;
	else if (strcmp(arg, "read") == 0)
		opts->verify_method = STM32_VERIFY_READ;
	else if (strcmp(arg, "none") == 0)
		opts->verify = false;
	else
		return usage_error("invalid --verify method '%s' (auto, crc, read or none)", arg);
	return true;
}

static bool apply_option(int option, const char *arg, struct cli_options *opts)
{
	switch (option) {
	case 'a': return parse_i2c_address(arg, opts);
	case 'b': return parse_baud(arg, opts);
	case 'm': return parse_mode(arg, opts);
	case 'r': return set_action(opts, CLI_ACTION_READ, arg);
	case 'w': return set_action(opts, CLI_ACTION_WRITE, arg);
	case 'u': return set_action(opts, CLI_ACTION_WRITE_UNPROTECT, NULL);
	case 'j': return set_action(opts, CLI_ACTION_READ_PROTECT, NULL);
	case 'k': return set_action(opts, CLI_ACTION_READ_UNPROTECT, NULL);
	case 'o': return set_action(opts, CLI_ACTION_ERASE, NULL);
	case 'C': return set_action(opts, CLI_ACTION_CRC, NULL);
	case 'e': return parse_page_count(arg, opts);
	case 's': return parse_start_page(arg, opts);
	case 'S': return parse_start(arg, opts);
	case 'v': return parse_verify(arg, opts);
	case 'n': return parse_retries(arg, opts);
	case 'g': return parse_go(arg, opts);
	case 'F': return parse_frame(arg, opts);
	case 'f': opts->force_binary = true; return true;
	case 'c': opts->skip_sync = true; return true;
	case 'i': return parse_gpio(arg, opts);
	case 'R': opts->reset = true; return true;
	case 'h': opts->show_help = true; return true;
	case OPT_VERSION: opts->show_version = true; return true;
	case OPT_QUIET: opts->verbosity = CLI_QUIET; return true;
	case OPT_VERBOSE: opts->verbosity = CLI_VERBOSE; return true;
	case OPT_DRY_RUN: opts->dry_run = true; return true;
	case OPT_FORMAT: return parse_output_format(arg, opts);
	case OPT_FORCE: opts->force = true; return true;
	case OPT_STUB: opts->stub = CLI_STUB_ON; return true;
	case OPT_NO_STUB: opts->stub = CLI_STUB_OFF; return true;
	case OPT_STUB_BAUD: return parse_stub_baud(arg, opts);
	case OPT_SIM: opts->sim_program = arg; return true;
	case OPT_DIFF: opts->diff = true; return true;
	case OPT_PRESERVE: opts->preserve = true; return true;
	case OPT_NO_BLANK_CHECK: opts->no_blank_check = true; return true;
	case OPT_ALLOW_PERMANENT_LOCK: opts->allow_permanent_lock = true; return true;
	case OPT_SPI_SPEED: return parse_spi_speed(arg, opts);
	case OPT_SWD_KHZ: return parse_swd_khz(arg, opts);
	case OPT_CONNECT_UNDER_RESET: opts->connect_under_reset = true; return true;
	case OPT_RESET_WITH: return parse_reset_with(arg, opts);
	case OPT_OPTION_BYTES: return set_action(opts, CLI_ACTION_OPTION_BYTES, NULL);
	case OPT_SET_OPTION: return add_set_option(arg, opts);
	case OPT_WRITE_PROTECT:
		opts->write_protect = arg;
		return set_action(opts, CLI_ACTION_WRITE_PROTECT, NULL);
	case OPT_LIST: opts->list = true; return true;
	case OPT_JSON: opts->json = true; return true;
	}
	return usage_error("unhandled option %d", option);
}

static bool report_getopt_problem(int option, int bad_option, char **argv)
{
	const char *text = argv[optind - 1];
	if (option == ':') {
		if (bad_option)
			return usage_error("option -%c needs a value", (char)bad_option);
		return usage_error("option %s needs a value", text);
	}
	if (bad_option)
		return usage_error("unknown option -%c", (char)bad_option);
	return usage_error("unknown option %s", text);
}

/* Combinations stm32flash refuses, and those we refuse instead of ignoring. */
static bool check_combinations(const struct cli_options *opts)
{
	if (opts->has_stub_baud && opts->stub == CLI_STUB_OFF)
		return usage_error("%s", "--stub-baud sets the RAM stub's rate; --no-stub keeps the ROM");
	if (opts->verify_given && opts->action != CLI_ACTION_WRITE && opts->action != CLI_ACTION_READ)
		return usage_error("%s", "-v is only valid when writing (-w) or reading (-r)");
	if ((opts->diff || opts->preserve) && opts->action != CLI_ACTION_WRITE)
		return usage_error("%s", "--diff and --preserve only apply to -w");
	if (opts->no_blank_check && opts->action != CLI_ACTION_WRITE)
		return usage_error("%s", "--no-blank-check only applies to -w");
	if (opts->allow_permanent_lock && opts->action != CLI_ACTION_WRITE &&
	    opts->action != CLI_ACTION_SET_OPTION)
		return usage_error("%s", "--allow-permanent-lock only applies to -w and --set-option");
	if (opts->diff && opts->has_erase_count && opts->erase_count == 0)
		return usage_error("%s", "--diff decides itself what to erase; it cannot be combined with -e 0");
	if (opts->has_start_address && (opts->has_start_page || opts->has_erase_count))
		return usage_error("%s", "can't combine a start page / page count (-s, -e) with a start address / length (-S)");
	if (opts->action == CLI_ACTION_WRITE && opts->has_erase_count && opts->erase_count > 0)
		return usage_error("%s", "-e N with -w: the pages to erase follow from the file (use -e 0 to write without erasing, or -o -e N to erase pages)");
	bool ranged = opts->action == CLI_ACTION_READ || opts->action == CLI_ACTION_WRITE ||
		      opts->action == CLI_ACTION_ERASE || opts->action == CLI_ACTION_CRC;
	if (opts->has_start_page && !ranged)
		return usage_error("%s", "-s only applies to -r, -w, -o and -C");
	if (opts->has_erase_count && opts->erase_count > 0 && !ranged)
		return usage_error("%s", "-e N only applies to -o, -r and -C");
	if (opts->format != STM32_FORMAT_AUTO && opts->action != CLI_ACTION_READ &&
	    opts->action != CLI_ACTION_WRITE)
		return usage_error("%s", "--format only applies to -r and -w");
	if (opts->format == STM32_FORMAT_ELF && opts->action == CLI_ACTION_READ)
		return usage_error("%s", "--format elf: -r does not write ELF files (binary, hex, srec, uf2 or dfu)");
	if (opts->format != STM32_FORMAT_AUTO && opts->force_binary)
		return usage_error("%s", "-f and --format both choose how the -w file is read: give one");
	if (opts->force_binary && opts->action != CLI_ACTION_WRITE)
		return usage_error("%s", "-f only applies to -w");
	if (opts->list && (opts->port_count > 0 || opts->action != CLI_ACTION_NONE || opts->dry_run))
		return usage_error("%s", "--list takes no PORT and no action: it only lists the boards");
	if (opts->json && opts->action == CLI_ACTION_READ && strcmp(opts->file, "-") == 0)
		return usage_error("%s", "-r - and --json both want standard output: give -r a file name");
	if (opts->port_count > 1 && opts->action == CLI_ACTION_READ)
		return usage_error("%s", "-r with several ports would write every board's memory to one file: read one board at a time");
	if (opts->port_count > 1 && opts->action == CLI_ACTION_WRITE && strcmp(opts->file, "-") == 0)
		return usage_error("%s", "-w - with several ports: standard input can be read once, give the file name");
	return true;
}

static void set_defaults(struct cli_options *opts)
{
	memset(opts, 0, sizeof *opts);
	struct stm32_port_options port;
	stm32_port_options_default(&port);
	opts->uart = port.uart;
	opts->uart.baud = CLI_DEFAULT_BAUD;
	opts->retries = CLI_DEFAULT_RETRIES;
	opts->frame_rx = CLI_FRAME_RX_MAX;
	opts->frame_tx = CLI_FRAME_TX_MAX;
	opts->verbosity = CLI_NORMAL;
	opts->format = STM32_FORMAT_AUTO;
}

bool cli_parse_options(int argc, char **argv, struct cli_options *opts)
{
	set_defaults(opts);
	opterr = 0;
	optind = 1;
	for (;;) {
		int option = getopt_long(argc, argv, short_options, long_options, NULL);
		if (option == -1)
			break;
		if (option == '?' || option == ':') {
			if (!report_getopt_problem(option, optopt, argv))
				return false;
		} else if (!apply_option(option, optarg, opts)) {
			return false;
		}
	}
	if (opts->show_help || opts->show_version)
		return true;
	opts->port_count = (size_t)(argc - optind);
	opts->ports = (const char *const *)argv + optind;
	opts->port = opts->port_count ? argv[optind] : NULL;
	for (size_t i = 0; i < opts->port_count; i++) {
		if (!*opts->ports[i])
			return usage_error("%s", "an empty PORT was given");
		for (size_t j = 0; j < i; j++)
			if (strcmp(opts->ports[i], opts->ports[j]) == 0)
				return usage_error("PORT %s given twice", opts->ports[i]);
	}
	return check_combinations(opts);
}
