/* stm32boot command line: messages, and the wording of library errors. */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "stm32boot/rom.h"
#include "stm32boot/transport.h"

/* The CLI's one piece of process-wide state: where information goes. Set
 * once, before anything is printed. */
static struct {
	enum cli_verbosity verbosity;
	bool data_on_stdout;
	char first_error[512];
} output = {CLI_NORMAL, false, ""};

void cli_output_configure(enum cli_verbosity verbosity, bool data_on_stdout)
{
	output.verbosity = verbosity;
	output.data_on_stdout = data_on_stdout;
}

enum cli_verbosity cli_output_verbosity(void)
{
	return output.verbosity;
}

FILE *cli_info_stream(void)
{
	return output.data_on_stdout ? stderr : stdout;
}

static void print_line(FILE *stream, const char *prefix, const char *fmt, va_list args)
{
	fputs(prefix, stream);
	vfprintf(stream, fmt, args);
	fputc('\n', stream);
	fflush(stream);
}

void cli_info(const char *fmt, ...)
{
	if (output.verbosity < CLI_NORMAL)
		return;
	va_list args;
	va_start(args, fmt);
	print_line(cli_info_stream(), "", fmt, args);
	va_end(args);
}

void cli_detail(const char *fmt, ...)
{
	if (output.verbosity < CLI_VERBOSE)
		return;
	va_list args;
	va_start(args, fmt);
	print_line(cli_info_stream(), "", fmt, args);
	va_end(args);
}

void cli_warning(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	print_line(stderr, "stm32boot: warning: ", fmt, args);
	va_end(args);
}

void cli_error(const char *fmt, ...)
{
	fflush(stdout);
	va_list args;
	va_start(args, fmt);
	if (!output.first_error[0]) {
		va_list copy;
		va_copy(copy, args);
		vsnprintf(output.first_error, sizeof output.first_error, fmt, copy);
		va_end(copy);
	}
	print_line(stderr, "stm32boot: error: ", fmt, args);
	va_end(args);
}

const char *cli_first_error(void)
{
	return output.first_error;
}

void cli_first_error_clear(void)
{
	output.first_error[0] = '\0';
}

void cli_hint(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	print_line(stderr, "hint: ", fmt, args);
	va_end(args);
}

/* A printf template with one %s for the subject. */
static const char *stage_template(enum cli_stage stage)
{
	switch (stage) {
	case CLI_STAGE_LOAD: return "can't load %s";
	case CLI_STAGE_OPEN: return "can't open %s";
	case CLI_STAGE_GPIO: return "GPIO sequence on %s failed";
	case CLI_STAGE_CONNECT: return "connecting through %s failed";
	case CLI_STAGE_PLAN: return "%s refused";
	case CLI_STAGE_ACTION: return "%s failed";
	case CLI_STAGE_SAVE: return "can't write %s";
	case CLI_STAGE_GO: return "starting the program at %s failed";
	case CLI_STAGE_RESET: return "reset through %s failed";
	}
	return "%s";
}

/* fmt is an upper-case hex format; the lower-case spelling counts too. */
static bool message_mentions(const struct stm32_error *err, const char *fmt, unsigned value)
{
	char upper[16], lower[16];
	snprintf(upper, sizeof upper, fmt, value);
	for (size_t i = 0; i < sizeof lower; i++)
		lower[i] = (char)(upper[i] >= 'A' && upper[i] <= 'F' ? upper[i] + ('a' - 'A') : upper[i]);
	return strstr(err->message, upper) || strstr(err->message, lower);
}

/* "…: <message> (Write Memory 0x31 at 0x08000100)", leaving out what the
 * library's message already says. */
static void format_where(const struct stm32_error *err, char *buf, size_t size)
{
	buf[0] = '\0';
	bool show_command = err->command >= 0 &&
			    !message_mentions(err, "0x%02X", (unsigned)err->command);
	bool show_address = err->has_address && !message_mentions(err, "0x%08X", err->address);
	if (show_command && show_address)
		snprintf(buf, size, " (%s 0x%02X at 0x%08X)", stm32_command_name(err->command),
			 (unsigned)err->command, err->address);
	else if (show_command)
		snprintf(buf, size, " (%s 0x%02X)", stm32_command_name(err->command), (unsigned)err->command);
	else if (show_address)
		snprintf(buf, size, " (at 0x%08X)", err->address);
}

static bool is_no_answer_to_sync(enum cli_stage stage, const struct stm32_error *err)
{
	return stage == CLI_STAGE_CONNECT &&
	       (err->status == STM32_E_TIMEOUT || err->status == STM32_E_PROTOCOL);
}

static bool is_memory_operation(enum stm32_op op)
{
	return op == STM32_OP_READ || op == STM32_OP_WRITE || op == STM32_OP_ERASE ||
	       op == STM32_OP_CRC || op == STM32_OP_OPTION_WRITE;
}

static void print_hint(enum cli_stage stage, const char *subject, const struct stm32_error *err,
		       unsigned baud)
{
	if (err->status == STM32_E_PROTECTED)
		cli_hint("the chip is read-protected: -k removes protection (and erases the flash)");
	else if (err->status == STM32_E_NACK && is_memory_operation(err->op))
		cli_hint("the bootloader refused it: a noisy line (-n sets the retries, a lower -b helps) or an address it does not accept");
	else if (err->status == STM32_E_BUSY)
		cli_hint("another program holds %s (a terminal, ModemManager, another stm32boot?)", subject);
	else if (is_no_answer_to_sync(stage, err) && subject && stm32_port_link(subject) == STM32_LINK_I2C)
		cli_hint("is BOOT0 high and was the chip reset? is -a the bootloader's 7-bit address (AN2606 lists it per part)? right bus?");
	else if (is_no_answer_to_sync(stage, err) && subject && stm32_port_link(subject) == STM32_LINK_SPI)
		cli_hint("is BOOT0 high and was the chip reset? is --spi-speed too high? right bus and chip select?");
	else if (is_no_answer_to_sync(stage, err) && baud > CLI_DEFAULT_BAUD)
		cli_hint("%u baud is above 115200, the highest rate AN3155 tests the bootloader's auto-baud at: try -b 115200 (and is BOOT0 high, was the chip reset, right port?)",
			 baud);
	else if (is_no_answer_to_sync(stage, err))
		cli_hint("is BOOT0 high and was the chip reset? is the baud rate too high? right port?");
	else if (err->status == STM32_E_UNKNOWN_DEVICE)
		cli_hint("this chip is not in stm32boot's device table: check the port, or report its PID");
	else if (err->status == STM32_E_VERIFY)
		cli_hint("the flash did not keep what was written: is the area write-protected (-u removes it) or was it not erased (-e 0)? try a lower baud rate");
	else if (err->status == STM32_E_RANGE)
		cli_hint("compare the addresses (the file's, -S, -s, -e) with the chip's memory map: stm32boot PORT shows it");
	else if (err->status == STM32_E_FORMAT && stage == CLI_STAGE_LOAD && err->reason != STM32_REASON_EMPTY_INPUT)
		cli_hint("if the file is meant to be raw binary, -f writes it as it is");
	else if (stage == CLI_STAGE_OPEN && subject && strncmp(subject, "sim:", 4) == 0)
		cli_hint("stm32boot-sim --list-devices names the emulated devices; sim: options are its long options (sim:DEVICE,image=FILE)");
	else if (err->status == STM32_E_IO && stage == CLI_STAGE_OPEN)
		cli_hint("check that %s exists and that you may use it (group dialout?)", subject);
	else if (err->status == STM32_E_TIMEOUT)
		cli_hint("the chip stopped answering: check the wiring and power, try a lower baud rate");
	else if (err->status == STM32_E_UNSUPPORTED && stage != CLI_STAGE_GPIO && stage != CLI_STAGE_OPEN)
		cli_hint("not offered through this port: the chip's bootloader lacks that command, or this way in does not do it yet");
}

static void report(enum cli_stage stage, const char *subject, const struct stm32_error *err,
		   unsigned baud)
{
	char where[96];
	format_where(err, where, sizeof where);
	const char *message = err->message[0] ? err->message : stm32_status_name(err->status);
	if (is_no_answer_to_sync(stage, err))
		cli_error("no answer from the bootloader on %s: %s%s", subject, message, where);
	else if (stage == CLI_STAGE_LOAD && subject && strncmp(message, subject, strlen(subject)) == 0)
		/* The message names the file already. */
		cli_error("%s%s%s", message[strlen(subject)] == ':' ? "can't load " : "", message, where);
	else if ((stage == CLI_STAGE_OPEN || stage == CLI_STAGE_SAVE) && subject &&
		 strstr(message, subject))
		/* "cannot open /dev/ttyX: ..." says it all */
		cli_error("%s%s", message, where);
	else {
		char what[300];
		snprintf(what, sizeof what, stage_template(stage), subject ? subject : "");
		cli_error("%s: %s%s", what, message, where);
	}
	print_hint(stage, subject, err, baud);
}

void cli_report_failure(enum cli_stage stage, const char *subject, const struct stm32_error *err)
{
	report(stage, subject, err, 0);
}

void cli_report_connect_failure(const char *subject, const struct stm32_error *err, unsigned baud)
{
	report(CLI_STAGE_CONNECT, subject, err, baud);
}
