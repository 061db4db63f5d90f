/* stm32boot-sim's command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/bus.h"
#include "options.h"
#ifdef STM32SIM_HAVE_STLINK
#include "cpu/cpu.h"
#endif

static void usage_error(const char *fmt, const char *arg)
{
	fputs("stm32boot-sim: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try --help)\n", stderr);
	exit(EXIT_USAGE);
}

static void print_help(void)
{
	puts("Usage: stm32boot-sim --device NAME|PID [options]\n"
	     "Emulate an STM32 ROM bootloader: AN3155 UART on a pseudo-terminal, or AN4221 I2C /\n"
	     "AN4286 SPI on a bus socket.\n"
	     "\n"
	     "  --device NAME|PID     device name, alias or PID (see --list-devices)\n"
	     "  --interface uart|i2c|spi|dfu  bootloader interface (default uart); i2c and\n"
	     "                        spi listen on a Unix bus socket instead of a pty; dfu\n"
	     "                        is the USB DFU bootloader (AN3156) for libusb programs\n"
	     "                        run under umockdev (print the UMOCKDEV_DIR, or --run)\n"
	     "  --count N             dfu: N boards of the device on the USB bus (1 to 8,\n"
	     "                        default 1) at dfu:1-1 .. dfu:1-N; board k >= 2 keeps\n"
	     "                        its image and stats in FILE.k and has the unique ID\n"
	     "                        with k - 1 added to its first byte (its own serial)\n"
	     "  --interface drive     the folder --drive DIR as a board's flashing drive\n"
	     "  --interface stlink    an ST-LINK probe wired to the chip by SWD, for libusb\n"
	     "                        programs under umockdev (st-info, st-flash, openocd;\n"
	     "                        print the UMOCKDEV_DIR, or --run); the core runs what\n"
	     "                        the debugger loads\n"
	     "  --stlink-version v2|v21|v3  stlink: the probe (default v2: 0483:3748)\n"
	     "  --stlink-target chip|none  stlink: the chip on the SWD wires, or nothing\n"
	     "                        (unwired or unpowered: 0 V, no SWD acknowledgement)\n"
	     "  --drive DIR           drive: the folder (created if missing)\n"
	     "  --drive-kind stlink|uf2  drive: ST-LINK mass storage (DETAILS.TXT, MBED.HTM;\n"
	     "                        takes .hex/.bin, FAIL.TXT on failure) or a UF2\n"
	     "                        bootloader (INFO_UF2.TXT; takes .uf2 of the chip's family);\n"
	     "                        --faults copy-fail=P refuses a copy with FAIL.TXT,\n"
	     "                        copy-flip=P programs one byte wrong (the middle of the\n"
	     "                        file's first range, inverted) and reports success\n"
	     "  --with-stlink         drive (stlink kind): the board's ST-LINK on USB too, on\n"
	     "                        the same chip and image (as --interface stlink, default\n"
	     "                        --stlink-version v21); DETAILS.TXT's Unique ID: is its serial\n"
	     "  --run -- CMD ARGS...  dfu, stlink, drive --with-stlink: run CMD where it sees the\n"
	     "                        device (LD_PRELOAD of libumockdev-preload, UMOCKDEV_DIR),\n"
	     "                        exit with its status\n"
	     "  --i2c-address ADDR    7-bit I2C address (default: the device's, if known)\n"
	     "  --i2c-clock HZ        I2C bus clock (SCL) for --speed realtime, 1000 to 5000000\n"
	     "                        (default 400000); the host cannot tell it to the slave\n"
	     "  --link PATH           symlink PATH to the pty, or create the bus socket at PATH\n"
	     "                        (else print the pty or socket path first on stdout)\n"
	     "  --image FILE          load flash/option bytes from FILE if it exists; save on exit\n"
	     "  --speed realtime|fast realtime paces bytes on the wire (UART: 11 bits at the\n"
	     "                        host's baud; I2C: 9 bits a byte plus START, address and\n"
	     "                        STOP at --i2c-clock; SPI: 8 bits at the clock the host\n"
	     "                        sends with each transfer, else 1 MHz) and spends typical\n"
	     "                        program/erase times; fast (default) does neither\n"
	     "  --faults SPEC         inject faults; SPEC is a list (',' or ';') of\n"
	     "                          corrupt-in=P corrupt-out=P drop-in=P drop-out=P nack=P\n"
	     "                          stall=P:MS reset-after=N hangup-after=N pll-stuck=1\n"
	     "                        (P probability per byte or per ACK, MS milliseconds,\n"
	     "                        N count of bytes from the host; pll-stuck=1: the\n"
	     "                        core's F0-L1 PLLs never lock)\n"
	     "  --max-baud N          highest host baud the UART auto-baud measures right;\n"
	     "                        a 0x7F sent faster is not answered (default: no\n"
	     "                        limit; AN3155 tests 115200, many chips sync faster)\n"
	     "  --usart N             the USART the bootloader talked on, whose program\n"
	     "                        bytes reach the pty (1 to 3, one AN2606 lists for the\n"
	     "                        device; default the first it lists, USART1 but on L031)\n"
	     "  --seed N              seed of the fault generator (default 1)\n"
	     "  --uid HEX             the chip's 96-bit unique ID, 24 hex digits (default:\n"
	     "                        derived from the device name)\n"
	     "  --stats FILE          write counters as JSON on exit\n"
	     "  --control SOCKET      Unix socket for LINES/BREAK/TERMIOS/STATE requests\n"
	     "  --boot0 none|rts|dtr  modem line wired to BOOT0 (default none: tied high)\n"
	     "  --reset none|rts|dtr|brk  line wired to NRST (default none)\n"
	     "  --invert-boot0, --invert-reset, --invert (both)  inverter between line and pin\n"
	     "  --list-devices        print the device database (name, PID, family, flash,\n"
	     "                        interfaces with the I2C address) and exit\n"
	     "  --help                this text\n"
	     "\n"
	     "Runs until SIGINT or SIGTERM, then saves the image and stats and exits 0.\n"
	     "Bad options exit 2.");
}

/* "uart,i2c@0x51,spi": what --interface accepts for the device (and so
 * sim:DEVICE,interface=...), with the I2C address where it is known. */
static void describe_interfaces(const struct stm32_device *d, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	if (d->interfaces & STM32_IF_UART)
		used += (size_t)snprintf(out + used, size - used, "uart");
	if ((d->interfaces & STM32_IF_I2C) && used < size) {
		used += (size_t)snprintf(out + used, size - used, "%si2c", used ? "," : "");
		if (d->i2c_address >= 0 && used < size)
			used += (size_t)snprintf(out + used, size - used, "@0x%02X", d->i2c_address);
	}
	if ((d->interfaces & STM32_IF_SPI) && used < size)
		used += (size_t)snprintf(out + used, size - used, "%sspi", used ? "," : "");
	if ((d->interfaces & STM32_IF_DFU) && used < size)
		snprintf(out + used, size - used, "%sdfu", used ? "," : "");
}

static void list_devices(void)
{
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		char interfaces[32];
		describe_interfaces(d, interfaces, sizeof interfaces);
		printf("%-16s 0x%03X %-4s %6u KiB  %-18s %s\n", d->name, d->pid, d->family,
		       d->flash_size / 1024u, interfaces, d->description);
	}
}

static uint64_t parse_seed(const char *text)
{
	char *end;
	errno = 0;
	unsigned long long seed = strtoull(text, &end, 0);
	if (end == text || *end || errno || text[0] == '-')
		usage_error("bad --seed '%s'", text);
	return seed;
}

/* A whole number in [low, high] (base: 10, or 0 for 0x... too), else
 * exit 2 with "bad --OPTION 'TEXT' (what)". */
static long parse_in_range(const char *option, const char *text, int base, long low, long high,
			   const char *what)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, base);
	if (end == text || *end || errno || value < low || value > high) {
		fprintf(stderr, "stm32boot-sim: bad --%s '%s' (%s) (try --help)\n", option, text, what);
		exit(EXIT_USAGE);
	}
	return value;
}

static unsigned parse_max_baud(const char *text)
{
	return (unsigned)parse_in_range("max-baud", text, 10, 1200, 4000000, "baud, 1200 to 4000000");
}

static enum sim_interface parse_interface(const char *text)
{
	if (strcmp(text, "uart") == 0)
		return SIM_INTERFACE_UART;
	if (strcmp(text, "i2c") == 0)
		return SIM_INTERFACE_I2C;
	if (strcmp(text, "spi") != 0)
		usage_error("bad --interface '%s' (uart, i2c, spi, dfu, drive or stlink)", text);
	return SIM_INTERFACE_SPI;
}

static int parse_i2c_address(const char *text)
{
	return (int)parse_in_range("i2c-address", text, 0, 0x03, 0x77,
				   "a 7-bit address, 0x03 to 0x77");
}

static uint32_t parse_i2c_clock(const char *text)
{
	return (uint32_t)parse_in_range("i2c-clock", text, 10, 1000, 5000000, "Hz, 1000 to 5000000");
}

/* --uid: exactly 24 hex digits, the 12 bytes in the order the UID
 * register holds them (byte 0 at the lowest address). */
static void parse_uid(const char *text, uint8_t uid[SIM_UID_BYTES])
{
	if (strlen(text) != 2 * SIM_UID_BYTES || strspn(text, "0123456789abcdefABCDEF") != strlen(text))
		usage_error("bad --uid '%s' (24 hex digits)", text);
	for (unsigned i = 0; i < SIM_UID_BYTES; i++) {
		char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
		uid[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
}

/* --count: boards on the emulated USB bus. */
static unsigned parse_count(const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	if (end == text || *end || text[0] == '-' || n < 1 || n > SIM_MAX_USB_BOARDS)
		usage_error("bad --count '%s' (1 to 8)", text);
	return (unsigned)n;
}

/* --stlink-version: the index of enum sim_stlink_version, plus one (0 = not given). */
static unsigned parse_stlink_version(const char *text)
{
	static const char *const names[] = {"v2", "v21", "v3"};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(text, names[i]) == 0)
			return i + 1;
	usage_error("bad --stlink-version '%s' (v2, v21 or v3)", text);
	return 0;
}

/* The drive's --faults copy-fail=P / copy-flip=P: P from 0 to 1. */
static double parse_copy_fault(const char *text)
{
	char *end;
	double p = strtod(text + 10, &end);
	if (*end || end == text + 10 || !(p >= 0) || p > 1)
		usage_error("bad --faults '%s' (copy-fail=P or copy-flip=P, P from 0 to 1)", text);
	return p;
}

/* --interface drive --with-stlink: the drive and the ST-LINK of one board. */
static void check_drive_with_stlink(const struct options *o)
{
	if (!o->drive)
		usage_error("%s", "--with-stlink needs --interface drive");
	if (o->drive_uf2)
		usage_error("%s", "--with-stlink needs --drive-kind stlink (a UF2 bootloader has no ST-LINK)");
#ifdef STM32SIM_HAVE_STLINK
	enum sim_cpu_core core;
	if (!sim_cpu_core_of_family(o->device->family, &core))
		usage_error("%s: no Cortex-M core is modelled for its family", o->device->name);
#else
	usage_error("%s", "--with-stlink: this stm32boot-sim was built without umockdev or unicorn");
#endif
}

/* The device must have the interface, and on I2C an address. */
static void check_interface(struct options *o)
{
	static const unsigned needed[] = {STM32_IF_UART, STM32_IF_I2C, STM32_IF_SPI};
	const char *name = sim_interface_name(o->interface);
	if (!o->drive && (o->drive_dir || o->drive_copy_fail > 0 || o->drive_copy_flip > 0))
		usage_error("%s", "--drive, copy-fail and copy-flip need --interface drive");
	if (o->drive_with_stlink)
		check_drive_with_stlink(o);
	if (o->run_argv && !o->dfu && !o->stlink && !o->drive_with_stlink)
		usage_error("%s", "--run needs --interface dfu or stlink (or drive --with-stlink)");
	if (o->count && !o->dfu)
		usage_error("%s", "--count needs --interface dfu");
	if ((o->stlink_version || o->stlink_no_target) && !o->stlink && !o->drive_with_stlink)
		usage_error("%s", "--stlink-version and --stlink-target need --interface stlink "
				  "(or drive --with-stlink)");
	if (o->stlink) {
#ifdef STM32SIM_HAVE_STLINK
		enum sim_cpu_core core;
		if (!sim_cpu_core_of_family(o->device->family, &core))
			usage_error("%s: no Cortex-M core is modelled for its family", o->device->name);
#else
		usage_error("%s", "--interface stlink: this stm32boot-sim was built without umockdev "
				  "or unicorn");
#endif
		return;
	}
	if (o->drive) {
		if (!o->drive_dir)
			usage_error("%s", "--interface drive needs --drive DIR");
		if (o->drive_uf2 && !o->device->uf2_family)
			usage_error("%s has no UF2 family ID in the device table", o->device->name);
		return;
	}
	if (o->dfu) {
#ifndef STM32SIM_HAVE_USB
		usage_error("%s", "--interface dfu: this stm32boot-sim was built without umockdev");
#endif
		if (!(o->device->interfaces & STM32_IF_DFU))
			usage_error("%s has no USB DFU bootloader", o->device->name);
		return;
	}
	if (!(o->device->interfaces & needed[o->interface])) {
		fprintf(stderr, "stm32boot-sim: %s has no %s bootloader interface\n",
			o->device->name, name);
		exit(EXIT_USAGE);
	}
	if (o->interface != SIM_INTERFACE_I2C || o->i2c_address >= 0)
		return;
	o->i2c_address = o->device->i2c_address;
	if (o->i2c_address < 0)
		usage_error("the I2C address of %s is not known: give --i2c-address", o->device->name);
}

void sim_parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_INVERT_BOOT0 = 256, OPT_INVERT_RESET, OPT_INVERT, OPT_LIST, OPT_INTERFACE,
	       OPT_I2C_ADDRESS, OPT_I2C_CLOCK, OPT_RUN, OPT_UID, OPT_DRIVE, OPT_DRIVE_KIND,
	       OPT_COUNT, OPT_USART, OPT_STLINK_VERSION, OPT_STLINK_TARGET,
	       OPT_WITH_STLINK };
	static const struct option long_options[] = {
		{"device", required_argument, NULL, 'd'},  {"link", required_argument, NULL, 'l'},
		{"image", required_argument, NULL, 'i'},   {"speed", required_argument, NULL, 's'},
		{"faults", required_argument, NULL, 'f'},  {"seed", required_argument, NULL, 'S'},
		{"stats", required_argument, NULL, 't'},   {"control", required_argument, NULL, 'c'},
		{"boot0", required_argument, NULL, 'b'},   {"reset", required_argument, NULL, 'r'},
		{"invert-boot0", no_argument, NULL, OPT_INVERT_BOOT0},
		{"invert-reset", no_argument, NULL, OPT_INVERT_RESET},
		{"invert", no_argument, NULL, OPT_INVERT},
		{"max-baud", required_argument, NULL, 'B'},
		{"list-devices", no_argument, NULL, OPT_LIST},
		{"interface", required_argument, NULL, OPT_INTERFACE},
		{"i2c-address", required_argument, NULL, OPT_I2C_ADDRESS},
		{"i2c-clock", required_argument, NULL, OPT_I2C_CLOCK},
		{"run", no_argument, NULL, OPT_RUN},
		{"uid", required_argument, NULL, OPT_UID},
		{"count", required_argument, NULL, OPT_COUNT},
		{"drive", required_argument, NULL, OPT_DRIVE},
		{"drive-kind", required_argument, NULL, OPT_DRIVE_KIND},
		{"usart", required_argument, NULL, OPT_USART},
		{"stlink-version", required_argument, NULL, OPT_STLINK_VERSION},
		{"stlink-target", required_argument, NULL, OPT_STLINK_TARGET},
		{"with-stlink", no_argument, NULL, OPT_WITH_STLINK},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	char why[160];
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->i2c_address = -1;
	o->i2c_clock_hz = SIM_BUS_I2C_DEFAULT_HZ;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->device = stm32_device_find(optarg);
			if (!o->device)
				usage_error("unknown device '%s'", optarg);
			break;
		case 'l': o->link_path = optarg; break;
		case 'i': o->image_path = optarg; break;
		case 't': o->stats_path = optarg; break;
		case 'c': o->control_path = optarg; break;
		case 's':
			if (strcmp(optarg, "realtime") == 0)
				o->realtime = true;
			else if (strcmp(optarg, "fast") != 0)
				usage_error("bad --speed '%s' (realtime or fast)", optarg);
			break;
		case 'f':
			if (strncmp(optarg, "copy-fail=", 10) == 0)
				o->drive_copy_fail = parse_copy_fault(optarg);
			else if (strncmp(optarg, "copy-flip=", 10) == 0)
				o->drive_copy_flip = parse_copy_fault(optarg);
			else if (!sim_faults_parse(optarg, &o->faults, why, sizeof(why)))
				usage_error("%s", why);
			break;
		case 'S': o->seed = parse_seed(optarg); break;
		case 'b':
			if (!sim_line_parse(optarg, false, &o->wiring.boot0))
				usage_error("bad --boot0 '%s' (none, rts or dtr)", optarg);
			break;
		case 'r':
			if (!sim_line_parse(optarg, true, &o->wiring.reset))
				usage_error("bad --reset '%s' (none, rts, dtr or brk)", optarg);
			break;
		case OPT_INVERT_BOOT0: o->wiring.invert_boot0 = true; break;
		case OPT_INVERT_RESET: o->wiring.invert_reset = true; break;
		case OPT_INVERT: o->wiring.invert_boot0 = o->wiring.invert_reset = true; break;
		case 'B': o->max_baud = parse_max_baud(optarg); break;
		case OPT_LIST: list_devices(); exit(0);
		case OPT_INTERFACE:
			o->dfu = strcmp(optarg, "dfu") == 0;
			o->drive = strcmp(optarg, "drive") == 0;
			o->stlink = strcmp(optarg, "stlink") == 0;
			if (!o->dfu && !o->drive && !o->stlink)
				o->interface = parse_interface(optarg);
			break;
		case OPT_RUN: o->run_argv = argv; break; /* the command: after "--" */
		case OPT_DRIVE: o->drive_dir = optarg; break;
		case OPT_DRIVE_KIND:
			if (strcmp(optarg, "uf2") != 0 && strcmp(optarg, "stlink") != 0)
				usage_error("bad --drive-kind '%s' (stlink or uf2)", optarg);
			o->drive_uf2 = strcmp(optarg, "uf2") == 0;
			break;
		case OPT_STLINK_VERSION: o->stlink_version = parse_stlink_version(optarg); break;
		case OPT_STLINK_TARGET:
			if (strcmp(optarg, "chip") != 0 && strcmp(optarg, "none") != 0)
				usage_error("bad --stlink-target '%s' (chip or none)", optarg);
			o->stlink_no_target = strcmp(optarg, "none") == 0;
			break;
		case OPT_WITH_STLINK: o->drive_with_stlink = true; break;
		case OPT_UID: parse_uid(optarg, o->uid); o->has_uid = true; break;
		case OPT_COUNT: o->count = parse_count(optarg); break;
		case OPT_I2C_ADDRESS: o->i2c_address = parse_i2c_address(optarg); break;
		case OPT_I2C_CLOCK: o->i2c_clock_hz = parse_i2c_clock(optarg); break;
		case OPT_USART:
			o->usart = (unsigned)parse_in_range("usart", optarg, 10, 1, 3, "1 to 3");
			break;
		case 'h': print_help(); exit(0);
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]); break;
		default: usage_error("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (o->run_argv && optind >= argc)
		usage_error("%s", "--run needs a command: --run -- CMD ARGS...");
	if (o->run_argv)
		o->run_argv = argv + optind;
	else if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->device)
		usage_error("%s", "--device is required");
	check_interface(o);
}
