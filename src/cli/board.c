/* stm32boot command line: one board, from opening its port to closing it. */
#include "board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "optionbytes.h"
#include "progress.h"
#include "report.h"
#include "stm32boot/dfu.h"
#include "stm32boot/drive.h"
#include "stm32boot/rom.h"
#include "stm32boot/stlink.h"
#include "stm32boot/stub.h"

struct board {
	struct cli_job *job;
	struct cli_options opts;         /* the job's, with this board's port */
	struct stm32_transport *transport;
	struct stm32_target *target;
};

static bool sequence_uses_lines(const struct stm32_gpio_sequence *seq)
{
	for (size_t i = 0; i < seq->count; i++)
		if (seq->steps[i].kind == STM32_GPIO_RTS || seq->steps[i].kind == STM32_GPIO_DTR ||
		    seq->steps[i].kind == STM32_GPIO_BREAK)
			return true;
	return false;
}

bool cli_board_check_port(const struct cli_job *job, const char *port)
{
	const struct cli_options *opts = job->opts;
	if (opts->gpio_sequence && stm32_port_is_stlink(port)) {
		cli_error("-i: %s is an ST-LINK port, with no modem lines or GPIO lines to drive", port);
		return false;
	}
	if (opts->gpio_sequence && stm32_port_is_dfu(port)) {
		cli_error("-i: %s is a USB DFU port, with no modem lines or GPIO lines to drive", port);
		cli_hint("for USB DFU, hold BOOT0 high and reset or plug in the board, then give no -i");
		return false;
	}
	enum stm32_link_kind link = stm32_port_link(port);
	/* A sim: port knows its device, and so the address. */
	if (link == STM32_LINK_I2C && !opts->has_i2c_address && !stm32_port_is_sim(port)) {
		cli_error("%s is an I2C bus: the bootloader's address is needed (-a)", port);
		cli_hint("AN2606 lists it per chip, e.g. -a 0x39 for STM32F411");
		return false;
	}
	if (opts->has_i2c_address && link != STM32_LINK_I2C)
		cli_warning("-a 0x%02X ignored: the I2C address applies only to I2C ports, and %s is not one",
			    opts->i2c_address, port);
	/* A drive: port's -v goes through the board's ST-LINK, with these. */
	if ((opts->swd_khz || opts->connect_under_reset) && !stm32_port_is_stlink(port) &&
	    !(stm32_port_is_drive(port) && opts->verify))
		cli_warning("--swd-khz and --connect-under-reset ignored: they apply only to stlink: "
			    "ports (and drive: with -v), and %s is not one", port);
	if (opts->reset_with_nrst && !stm32_port_is_stlink(port))
		cli_warning("--reset-with ignored: it applies only to stlink: ports, and %s is not one "
			    "(-i says how the ROM's ports reset)", port);
	if (opts->has_spi_speed && link != STM32_LINK_SPI)
		cli_warning("--spi-speed ignored: it applies only to SPI ports, and %s is not one",
			    port);
	if (link == STM32_LINK_UART && !stm32_port_has_modem_lines(port) &&
	    (sequence_uses_lines(&job->entry) || sequence_uses_lines(&job->exit))) {
		cli_error("-i drives RTS, DTR or BREAK, and %s carries bytes only: it has no modem lines", port);
		cli_hint("rfc2217://HOST:PORT sets the lines remotely (ser2net: telnet(rfc2217) accepter)");
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
static bool open_dfu_port(struct board *b)
{
	struct stm32_dfu_options dopts;
	stm32_dfu_options_default(&dopts);
	dopts.warning = dfu_warning;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_dfu_open_port(b->opts.port, &dopts, &b->transport, &b->target, &err) == STM32_OK)
		return true;
	cli_report_connect_failure(b->opts.port, &err, 0);
	return false;
}

/* drive: ports: a folder the board's drive is mounted at. */
static bool open_drive_port(struct board *b)
{
	struct stm32_drive_options dopts;
	stm32_drive_options_default(&dopts);
	dopts.roots = getenv("STM32BOOT_DRIVE_ROOTS");
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_drive_open_port(b->opts.port, &dopts, &b->transport, &b->target, &err) == STM32_OK)
		return true;
	cli_report_connect_failure(b->opts.port, &err, 0);
	return false;
}

/* stlink: ports connect over SWD at once (no tty, no baud). */
static bool open_stlink_port(struct board *b)
{
	struct stm32_stlink_options sopts;
	stm32_stlink_options_default(&sopts);
	sopts.swd_khz = b->opts.swd_khz;
	sopts.connect_under_reset = b->opts.connect_under_reset;
	sopts.reset_with_nrst = b->opts.reset_with_nrst;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_stlink_open_port(b->opts.port, &sopts, &b->transport, &b->target, &err) ==
	    STM32_OK)
		return true;
	cli_report_connect_failure(b->opts.port, &err, 0);
	return false;
}

static bool open_port(struct board *b)
{
	const struct cli_options *o = &b->opts;
	if (stm32_port_is_dfu(o->port))
		return open_dfu_port(b);
	if (stm32_port_is_stlink(o->port))
		return open_stlink_port(b);
	if (stm32_port_is_drive(o->port))
		return open_drive_port(b);
	struct stm32_port_options po;
	stm32_port_options_default(&po);
	po.uart = o->uart;
	po.uart.baud = chosen_baud(o);
	po.i2c_address = o->i2c_address;
	po.spi_speed_hz = o->spi_speed_hz;
	po.sim_program = b->job->sim_program;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_port_open(o->port, &po, &b->transport, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_OPEN, o->port, &err);
		return false;
	}
	if (b->transport->flags & STM32_TRANSPORT_BYTES_ONLY)
		cli_warning("%s carries bytes only: the server's baud rate, parity and modem lines "
			    "apply (rfc2217:// sets them)", o->port);
	/* The emulator's pty has no parity bit; losing it there is expected. */
	else if ((b->transport->flags & STM32_TRANSPORT_PARITY_LOST) && !stm32_port_is_sim(o->port))
		cli_warning("%s did not keep the parity setting (%s); the bootloader may not answer",
			    o->port, o->uart.parity == 'n' ? "none" : "even/odd");
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

static bool run_gpio(struct board *b, const struct stm32_gpio_sequence *seq, const char *which)
{
	if (seq->count == 0)
		return true;
	cli_detail("GPIO %s sequence", which);
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_gpio_run(b->transport, seq, show_gpio_step, NULL, &err) != STM32_OK) {
		char subject[300];
		snprintf(subject, sizeof subject, "%s (%s sequence)", b->opts.port, which);
		cli_report_failure(CLI_STAGE_GPIO, subject, &err);
		return false;
	}
	return true;
}

/* The engine calls this when the chip went silent mid-flash (it reset):
 * the -i entry sequence puts it back into the bootloader. */
static enum stm32_status reenter_bootloader(void *user, struct stm32_error *err)
{
	struct board *b = user;
	cli_warning("the chip stopped answering; running the -i entry sequence again");
	return stm32_gpio_run(b->transport, &b->job->entry, NULL, NULL, err);
}

static bool load_stub(struct board *b);
static bool open_stub(struct board *b);

static bool connect_chip(struct board *b)
{
	if (b->target) { /* a back end that connected as the port opened (dfu:, stlink:) */
		cli_describe_chip(b->target, b->transport);
		cli_describe_option_fields(b->target);
		return true;
	}
	struct stm32_rom_options so;
	stm32_rom_options_default(&so);
	so.skip_sync = b->opts.skip_sync;
	if (b->job->entry.count > 0) {
		so.reenter = reenter_bootloader;
		so.reenter_user = b;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	unsigned baud = b->transport->kind == STM32_LINK_UART ? b->transport->baud : 0;
	if (stm32_rom_open(b->transport, &so, &b->target, &err) != STM32_OK) {
		cli_report_connect_failure(b->opts.port, &err, baud);
		return false;
	}
	cli_describe_chip(b->target, b->transport);
	cli_describe_option_fields(b->target);
	/* AN3155 tests the auto-baud up to 115200; above a family's documented
	 * maximum it may mis-measure. This chip answered, so go on, but say so. */
	const struct stm32_device *dev = b->target->desc.device;
	if (dev && baud > dev->uart_max_baud)
		cli_warning("%u baud is above %u, the highest rate documented for the %s bootloader; "
			    "it answered, so carrying on (-b %u if transfers fail)",
			    baud, (unsigned)dev->uart_max_baud, dev->description,
			    (unsigned)dev->uart_max_baud);
	return load_stub(b);
}

/* The actions the stub serves: the rest need the ROM's own commands. */
static bool stub_serves(enum cli_action action)
{
	return action == CLI_ACTION_READ || action == CLI_ACTION_WRITE ||
	       action == CLI_ACTION_ERASE || action == CLI_ACTION_CRC;
}

/* The stub writes flash only; an image that also holds option bytes (or
 * RAM, OTP) would fail half-way through it, after the flash part. */
static bool input_all_in_flash(const struct board *b, const struct stm32_device *dev)
{
	const struct stm32_image *image = &b->job->input;
	if (b->job->input_format == STM32_FORMAT_BINARY) /* placed at -S, else the flash start */
		return !b->opts.has_start_address ||
		       stm32_device_in_flash(dev, b->opts.start_address, stm32_image_size(image));
	for (size_t i = 0; i < image->count; i++)
		if (!stm32_device_in_flash(dev, image->segments[i].address, image->segments[i].length))
			return false;
	return true;
}

/* --stub: load the RAM stub through the ROM target and carry on with it. */
static bool load_stub(struct board *b)
{
	if (b->opts.stub != CLI_STUB_ON) {
		if (b->opts.has_stub_baud)
			cli_warning("--stub-baud applies to the RAM stub, which is loaded with --stub only");
		return true;
	}
	if (b->opts.dry_run) /* a dry run changes nothing: not even RAM */
		return true;
	const struct stm32_device *dev = b->target->desc.device;
	char why[200];
	if (b->opts.action == CLI_ACTION_NONE) {
		cli_detail("--stub: nothing to read, write, erase or check; the stub is not loaded");
		return true;
	}
	if (!stub_serves(b->opts.action)) {
		cli_warning("--stub: %s needs the ROM bootloader's own commands; not loading the stub",
			    cli_action_name(b->opts.action));
		return true;
	}
	if (b->opts.action == CLI_ACTION_WRITE && dev && !input_all_in_flash(b, dev)) {
		cli_warning("--stub: the input has bytes outside flash (option bytes, RAM, OTP), which "
			    "the stub does not write; not loading the stub");
		return true;
	}
	if (b->transport->kind != STM32_LINK_UART || !dev || !stm32_stub_supported(dev, why, sizeof why)) {
		cli_error("--stub: %s", b->transport->kind != STM32_LINK_UART
						? "the stub talks over a UART only"
						: dev ? why : "the chip is not in the device table");
		return false;
	}
	return open_stub(b);
}

/* Load the stub through the ROM target, which it replaces. */
static bool open_stub(struct board *b)
{
	struct stm32_stub_options so;
	stm32_stub_options_default(&so);
	if (b->opts.has_stub_baud)
		so.baud = b->opts.stub_baud ? b->opts.stub_baud : STM32_STUB_BAUD_KEEP;
	so.overlap = true; /* actions.c calls stm32_stub_finish after each execute */
	if (b->job->entry.count > 0) {
		so.reenter = reenter_bootloader;
		so.reenter_user = b;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	struct stm32_target *stub = NULL;
	enum stm32_status st = stm32_stub_open(b->target, b->transport, &so, &stub, &err);
	stm32_target_close(b->target);
	b->target = stub;
	if (st != STM32_OK) {
		cli_report_failure(CLI_STAGE_CONNECT, b->opts.port, &err);
		return false;
	}
	struct stm32_stub_info info;
	if (stm32_stub_info(stub, &info)) {
		cli_detail("RAM stub %s (%zu bytes) running at 0x%08X: window %u, USART clock %u Hz",
			   info.image, info.image_size, info.load_address, info.window, info.clock_hz);
		cli_info("Stub running at %u baud %s", info.baud, info.framing);
	}
	return true;
}

/* -g, else -R (skipped after -u/-j/-k, whose chip resets itself, and when
 * an exit GPIO sequence does the reset). */
static bool run_afterwards(struct board *b, struct cli_context *ctx)
{
	if (b->target->chip.power_cycle_needed)
		cli_info("Power-cycle the board now: readout protection was set through the debug "
			 "port, and the chip runs nothing from flash until a power-on reset (a reset "
			 "is not enough).");
	if (stm32_target_can(&b->target->desc, STM32_CAP_WRITE_IMAGE)) {
		if (b->opts.has_go || b->opts.reset)
			cli_detail("-g/-R skipped: the drive resets the chip and starts its program itself");
		return true;
	}
	if (b->opts.has_go)
		return cli_run_go(ctx);
	if (!b->opts.reset || b->job->exit.count > 0)
		return true;
	if (ctx->chip_reset_itself) {
		cli_detail("-R skipped: the chip already reset itself");
		return true;
	}
	return cli_run_software_reset(ctx);
}

static void note_chip(const struct board *b, struct cli_board_result *r)
{
	const struct stm32_device *dev = b->target->desc.device;
	r->connected = true;
	if (dev) {
		snprintf(r->chip_name, sizeof r->chip_name, "%s", dev->name);
		snprintf(r->chip_description, sizeof r->chip_description, "%s", dev->description);
		r->pid = dev->pid;
	}
	struct stm32_rom_info rom;
	if (stm32_rom_info(b->target, &rom))
		r->pid = rom.pid;
	r->uid_known = b->target->chip.uid_known;
	if (r->uid_known)
		for (size_t i = 0; i < sizeof b->target->chip.uid; i++)
			snprintf(r->uid + 2 * i, 3, "%02X", b->target->chip.uid[i]);
}

/* Neither --stub nor --no-stub, and the action's estimate says the stub
 * pays (actions.c): load it now. */
static bool stub_pays(struct cli_context *ctx)
{
	struct board *b = ctx->board;
	cli_detail("the RAM stub's estimate beats the ROM's: loading it (--no-stub keeps the ROM)");
	bool ok = open_stub(b);
	ctx->target = b->target;
	return ok;
}

static bool run_with_port(struct board *b, struct cli_board_result *result)
{
	if (!run_gpio(b, &b->job->entry, "entry") || !connect_chip(b))
		return false;
	if (result)
		note_chip(b, result);
	struct cli_context ctx = {
		.opts = &b->opts,
		.target = b->target,
		.transport = b->transport,
		.input = &b->job->input,
		.input_format = b->job->input_format,
		.summary = result ? &result->plan : NULL,
		.use_stub = stub_pays,
		.board = b,
	};
	return cli_run_action(&ctx) && run_afterwards(b, &ctx);
}

bool cli_board_run(struct cli_job *job, const char *port, struct cli_board_result *result)
{
	struct board b = {.job = job, .opts = *job->opts};
	b.opts.port = port;
	struct timespec started;
	cli_clock_now(&started);
	cli_first_error_clear();
	if (result) {
		memset(result, 0, sizeof *result);
		snprintf(result->port, sizeof result->port, "%s", port);
	}
	bool ok = open_port(&b);
	if (ok)
		ok = run_with_port(&b, result);
	stm32_target_close(b.target);
	if (b.transport) {
		/* stm32flash runs the exit sequence whenever there is one. */
		if (!run_gpio(&b, &job->exit, "exit"))
			ok = false;
		stm32_transport_close(b.transport);
	}
	if (result) {
		result->ok = ok;
		result->seconds = cli_seconds_since(&started);
		if (!ok)
			snprintf(result->error, sizeof result->error, "%s",
				 cli_first_error()[0] ? cli_first_error() : "failed");
	}
	return ok;
}
