/* stm32boot command line: one run, start to end. Everything that can be
 * checked without the chip (options, the input file, GPIO sequences) is
 * checked before a port is opened, so a mistake never costs flash. The
 * input is parsed once, then each board runs (board.c): one in this
 * process, several in parallel (gang.c). */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board.h"
#include "dfu_sim.h"
#include "gang.h"
#include "json.h"
#include "list.h"
#include "report.h"
#include "stm32boot/dfu.h"

/* --sim, else stm32boot-sim beside this executable, else NULL (PATH). */
static const char *find_sim_program(struct cli_job *job)
{
	if (job->opts->sim_program)
		return job->opts->sim_program;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(job->sim_path, sizeof job->sim_path, "%s/stm32boot-sim", self) >=
	    sizeof job->sim_path)
		return NULL;
	return access(job->sim_path, X_OK) == 0 ? job->sim_path : NULL;
}

static bool any_dfu_port(const struct cli_options *o)
{
	for (size_t i = 0; i < o->port_count; i++)
		if (stm32_port_is_dfu(o->ports[i]))
			return true;
	return false;
}

static bool load_input(struct cli_job *job)
{
	const struct cli_options *o = job->opts;
	struct stm32_error err;
	stm32_error_clear(&err);
	enum stm32_format format = o->force_binary ? STM32_FORMAT_BINARY : o->format;
	/* Binaries load at 0 and move once the chip (its flash start) is known. */
	if (stm32_format_load(o->file, format, 0, &job->input, &job->input_format, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_LOAD, strcmp(o->file, "-") ? o->file : "standard input", &err);
		return false;
	}
	cli_detail("Input:        %s, %s, %llu bytes", o->file, stm32_format_name(job->input_format),
		   (unsigned long long)stm32_image_size(&job->input));
	/* A .dfu file names its USB device: a dfu: port has the ROM's. */
	if (any_dfu_port(o) &&
	    stm32_format_check_usb_ids(&job->input, STM32_DFU_VENDOR_ID, STM32_DFU_PRODUCT_ID,
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

static bool parse_gpio(struct cli_job *job)
{
	if (!job->opts->gpio_sequence)
		return true;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_gpio_parse(job->opts->gpio_sequence, &job->entry, &job->exit, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_GPIO, "-i", &err);
		return false;
	}
	return true;
}

static bool check_ports(const struct cli_job *job, const char *const *ports, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (!cli_board_check_port(job, ports[i]))
			return false;
	return true;
}

static int run_boards(struct cli_job *job, const char *const *ports, size_t count)
{
	const struct cli_options *opts = job->opts;
	if (count > 1)
		return cli_gang_run(job, ports, count);
	if (!opts->json)
		return cli_board_run(job, ports[0], NULL) ? 0 : 1;
	struct cli_board_result result;
	bool ok = cli_board_run(job, ports[0], &result);
	cli_json_write_run(stdout, opts, ok, NULL, &result, 1);
	return ok ? 0 : 1;
}

int cli_run(const struct cli_options *opts)
{
	if (opts->list)
		return cli_list_run(opts);
	struct cli_job job;
	memset(&job, 0, sizeof job);
	job.opts = opts;
	stm32_image_init(&job.input);
	job.sim_program = find_sim_program(&job);
	const char *found[1];
	const char *const *ports = opts->ports;
	size_t count = opts->port_count;
	char only[256];
	bool ok = true;
	/* Before anything is printed: the child says it all. */
	if (count == 1 && cli_is_emulated_usb_port(ports[0]))
		return cli_run_under_emulated_usb(ports[0], job.sim_program) ? 0 : 1;
	if (count == 0) {
		ok = cli_find_only_port(only, sizeof only);
		found[0] = only;
		ports = found;
		count = 1;
	}
	ok = ok && parse_gpio(&job) && check_ports(&job, ports, count) && check_output(opts) &&
	     (opts->action != CLI_ACTION_WRITE || load_input(&job));
	int status = 1;
	if (ok)
		status = run_boards(&job, ports, count);
	else if (opts->json)
		cli_json_write_run(stdout, opts, false, cli_first_error(), NULL, 0);
	stm32_gpio_sequence_free(&job.entry);
	stm32_gpio_sequence_free(&job.exit);
	stm32_image_free(&job.input);
	return status;
}
