/* stm32boot command line: one run, start to end. Everything that can be
 * checked without the chip (options, the input file, GPIO sequences) is
 * checked before the port is opened, so a mistake never costs flash. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "chip.h"
#include "optionbytes.h"
#include "report.h"
#include "dfu_sim.h"
#include "stm32boot/dfu.h"
#include "stm32boot/gpio.h"
#include "stm32boot/rom.h"

struct cli_run {
	const struct cli_options *opts;
	struct stm32_image input;
	enum stm32_format input_format;
	struct stm32_gpio_sequence entry, exit;
	struct stm32_transport *transport;
	struct stm32_target *target;
	char sim_program[PATH_MAX];
};

/* --sim, else stm32boot-sim beside this executable, else NULL (PATH). */
static const char *find_sim_program(struct cli_run *run)
{
	if (run->opts->sim_program)
		return run->opts->sim_program;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(run->sim_program, sizeof run->sim_program, "%s/stm32boot-sim", self) >=
	    sizeof run->sim_program)
		return NULL;
	return access(run->sim_program, X_OK) == 0 ? run->sim_program : NULL;
}

static bool check_port_kind(const struct cli_options *opts)
{
	enum stm32_link_kind link = stm32_port_link(opts->port);
	/* A sim: port knows its device, and so the address. */
	if (link == STM32_LINK_I2C && !opts->has_i2c_address && !stm32_port_is_sim(opts->port)) {
		cli_error("%s is an I2C bus: the bootloader's address is needed (-a)", opts->port);
		cli_hint("AN2606 lists it per chip, e.g. -a 0x39 for STM32F411");
		return false;
	}
	if (opts->has_i2c_address && link != STM32_LINK_I2C)
		cli_warning("-a 0x%02X ignored: the I2C address applies only to I2C ports, and %s is not one",
			    opts->i2c_address, opts->port);
	if (opts->has_spi_speed && link != STM32_LINK_SPI)
		cli_warning("--spi-speed ignored: it applies only to SPI ports, and %s is not one",
			    opts->port);
	return true;
}

static bool load_input(struct cli_run *run)
{
	const struct cli_options *o = run->opts;
	struct stm32_error err;
	stm32_error_clear(&err);
	enum stm32_format format = o->force_binary ? STM32_FORMAT_BINARY : o->format;
	/* Binaries load at 0 and move once the chip (its flash start) is known. */
	if (stm32_format_load(o->file, format, 0, &run->input, &run->input_format, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_LOAD, strcmp(o->file, "-") ? o->file : "standard input", &err);
		return false;
	}
	cli_detail("Input:        %s, %s, %llu bytes", o->file, stm32_format_name(run->input_format),
		   (unsigned long long)stm32_image_size(&run->input));
	/* A .dfu file names its USB device: a dfu: port has the ROM's. */
	if (stm32_port_is_dfu(o->port) &&
	    stm32_format_check_usb_ids(&run->input, STM32_DFU_VENDOR_ID, STM32_DFU_PRODUCT_ID,
				       &err) != STM32_OK) {
		if (!o->force) {
			cli_report_failure(CLI_STAGE_LOAD, o->file, &err);
			cli_hint("--force writes it anyway");
			return false;
		}
		cli_warning("%s (--force: writing it anyway)", err.message);
	}
	return true;
}

/* -r into a directory can never be saved: say so before reading the chip. */
static bool check_output(const struct cli_options *o)
{
	struct stat st;
	if (o->action != CLI_ACTION_READ || strcmp(o->file, "-") == 0 || stat(o->file, &st) != 0 ||
	    !S_ISDIR(st.st_mode))
		return true;
	cli_error("can't write %s: it is a directory", o->file);
	return false;
}

static bool parse_gpio(struct cli_run *run)
{
	if (!run->opts->gpio_sequence)
		return true;
	if (stm32_port_is_dfu(run->opts->port)) {
		cli_error("-i: %s is a USB DFU port, with no modem lines or GPIO lines to drive",
			  run->opts->port);
		cli_hint("for USB DFU, hold BOOT0 high and reset or plug in the board, then give no -i");
		return false;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_gpio_parse(run->opts->gpio_sequence, &run->entry, &run->exit, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_GPIO, "-i", &err);
		return false;
	}
	return true;
}

/* A sim:DEVICE[,KEY=VALUE...] port names its chip before anything is sent:
 * the highest rate its auto-baud handles is its uart_max_baud, or the
 * emulator's max-baud=N when the port sets one. 0 when not known. */
static unsigned sim_port_max_baud(const char *port)
{
	char spec[256];
	if (!stm32_port_is_sim(port) || (size_t)snprintf(spec, sizeof spec, "%s", port + 4) >= sizeof spec)
		return 0;
	char *save = NULL;
	const char *name = strtok_r(spec, ",", &save);
	const struct stm32_device *dev = name ? stm32_device_find(name) : NULL;
	if (!dev)
		return 0;
	unsigned max_baud = dev->uart_max_baud;
	for (char *item = strtok_r(NULL, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (strncmp(item, "max-baud=", 9) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long value = strtoul(item + 9, &end, 10);
		if (!errno && *end == '\0' && end != item + 9 && value <= UINT_MAX)
			max_baud = (unsigned)value;
	}
	return max_baud;
}

/* Without -b: 115200, or more when the chip is known before connecting and
 * handles more. */
static unsigned chosen_baud(const struct cli_options *opts)
{
	if (opts->baud_given)
		return opts->uart.baud;
	unsigned baud = cli_fastest_baud_up_to(sim_port_max_baud(opts->port));
	if (baud > CLI_DEFAULT_BAUD)
		cli_detail("Baud rate:    %u, the highest the emulated chip handles (no -b)", baud);
	return baud > CLI_DEFAULT_BAUD ? baud : opts->uart.baud;
}

static void dfu_warning(void *user, const char *message)
{
	(void)user;
	cli_warning("%s", message);
}

/* dfu: ports open their back end at once (no tty, no baud). */
static bool open_dfu_port(struct cli_run *run)
{
	struct stm32_dfu_options dopts;
	stm32_dfu_options_default(&dopts);
	dopts.sim_program = find_sim_program(run);
	dopts.warning = dfu_warning;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_dfu_open_port(run->opts->port, &dopts, &run->transport, &run->target, &err) ==
	    STM32_OK)
		return true;
	cli_report_connect_failure(run->opts->port, &err, 0);
	return false;
}

static bool open_port(struct cli_run *run)
{
	if (stm32_port_is_dfu(run->opts->port))
		return open_dfu_port(run);
	struct stm32_port_options po;
	stm32_port_options_default(&po);
	po.uart = run->opts->uart;
	po.uart.baud = chosen_baud(run->opts);
	po.i2c_address = run->opts->i2c_address;
	po.spi_speed_hz = run->opts->spi_speed_hz;
	po.sim_program = find_sim_program(run);
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_port_open(run->opts->port, &po, &run->transport, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_OPEN, run->opts->port, &err);
		return false;
	}
	/* The emulator's pty has no parity bit; losing it there is expected. */
	if ((run->transport->flags & STM32_TRANSPORT_PARITY_LOST) && !stm32_port_is_sim(run->opts->port))
		cli_warning("%s did not keep the parity setting (%s); the bootloader may not answer",
			    run->opts->port, run->opts->uart.parity == 'n' ? "none" : "even/odd");
	return true;
}

static void show_gpio_step(const struct stm32_gpio_step *step, void *user)
{
	(void)user;
	switch (step->kind) {
	case STM32_GPIO_RTS: cli_detail("  GPIO: rts %s", step->level ? "high" : "low"); break;
	case STM32_GPIO_DTR: cli_detail("  GPIO: dtr %s", step->level ? "high" : "low"); break;
	case STM32_GPIO_BREAK: cli_detail("  GPIO: break"); break;
	case STM32_GPIO_SYSFS: cli_detail("  GPIO: gpio %u %s", step->number, step->level ? "high" : "low"); break;
	case STM32_GPIO_CHARDEV:
		cli_detail("  GPIO: %s:%s%u %s", step->chip, step->line_name, step->number,
			   step->level ? "high" : "low");
		break;
	case STM32_GPIO_DELAY: cli_detail("  GPIO: wait %u ms", step->delay_ms); break;
	}
}

static bool run_gpio(struct cli_run *run, const struct stm32_gpio_sequence *seq, const char *which)
{
	if (seq->count == 0)
		return true;
	cli_detail("GPIO %s sequence", which);
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_gpio_run(run->transport, seq, show_gpio_step, NULL, &err) != STM32_OK) {
		char subject[300];
		snprintf(subject, sizeof subject, "%s (%s sequence)", run->opts->port, which);
		cli_report_failure(CLI_STAGE_GPIO, subject, &err);
		return false;
	}
	return true;
}

/* The engine calls this when the chip went silent mid-flash (it reset):
 * the -i entry sequence puts it back into the bootloader. */
static enum stm32_status reenter_bootloader(void *user, struct stm32_error *err)
{
	struct cli_run *run = user;
	cli_warning("the chip stopped answering; running the -i entry sequence again");
	return stm32_gpio_run(run->transport, &run->entry, NULL, NULL, err);
}

static bool connect_chip(struct cli_run *run)
{
	if (run->target) { /* a back end that connected as the port opened (dfu:) */
		cli_describe_chip(run->target, run->transport);
		return true;
	}
	struct stm32_rom_options so;
	stm32_rom_options_default(&so);
	so.skip_sync = run->opts->skip_sync;
	if (run->entry.count > 0) {
		so.reenter = reenter_bootloader;
		so.reenter_user = run;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	unsigned baud = run->transport->kind == STM32_LINK_UART ? run->transport->baud : 0;
	if (stm32_rom_open(run->transport, &so, &run->target, &err) != STM32_OK) {
		cli_report_connect_failure(run->opts->port, &err, baud);
		return false;
	}
	cli_describe_chip(run->target, run->transport);
	cli_describe_option_fields(run->target);
	/* AN3155 tests the auto-baud up to 115200; above a family's documented
	 * maximum it may mis-measure. This chip answered, so go on, but say so. */
	const struct stm32_device *dev = run->target->desc.device;
	if (dev && baud > dev->uart_max_baud)
		cli_warning("%u baud is above %u, the highest rate documented for the %s bootloader; "
			    "it answered, so carrying on (-b %u if transfers fail)",
			    baud, (unsigned)dev->uart_max_baud, dev->description,
			    (unsigned)dev->uart_max_baud);
	return true;
}

/* -g, else -R (skipped after -u/-j/-k, whose chip resets itself, and when
 * an exit GPIO sequence does the reset). */
static bool run_afterwards(struct cli_run *run, struct cli_context *ctx)
{
	if (run->opts->has_go)
		return cli_run_go(ctx);
	if (!run->opts->reset || run->exit.count > 0)
		return true;
	if (ctx->chip_reset_itself) {
		cli_detail("-R skipped: the chip already reset itself");
		return true;
	}
	return cli_run_software_reset(ctx);
}

static bool run_with_port(struct cli_run *run)
{
	if (!run_gpio(run, &run->entry, "entry") || !connect_chip(run))
		return false;
	struct cli_context ctx = {
		.opts = run->opts,
		.target = run->target,
		.transport = run->transport,
		.input = &run->input,
		.input_format = run->input_format,
	};
	return cli_run_action(&ctx) && run_afterwards(run, &ctx);
}

int cli_run(const struct cli_options *opts)
{
	struct cli_run run;
	memset(&run, 0, sizeof run);
	run.opts = opts;
	if (opts->port && cli_is_emulated_dfu_port(opts->port))
		return cli_run_under_emulated_dfu(opts->port, find_sim_program(&run)) ? 0 : 1;
	stm32_image_init(&run.input);
	bool ok = check_port_kind(opts) && check_output(opts) && parse_gpio(&run) &&
		  (opts->action != CLI_ACTION_WRITE || load_input(&run)) && open_port(&run);
	if (ok)
		ok = run_with_port(&run);
	stm32_target_close(run.target);
	if (run.transport) {
		/* stm32flash runs the exit sequence whenever there is one. */
		if (!run_gpio(&run, &run.exit, "exit"))
			ok = false;
		stm32_transport_close(run.transport);
	}
	stm32_gpio_sequence_free(&run.entry);
	stm32_gpio_sequence_free(&run.exit);
	stm32_image_free(&run.input);
	return ok ? 0 : 1;
}
