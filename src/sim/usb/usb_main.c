/* The DFU emulator's main thread: chip and image, the umockdev testbed, the
 * --run child, the stats file. The model itself runs on umockdev's worker
 * thread (usbfs.c); this thread only unplugs the device when it left the
 * bus, and waits. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/stats.h"
#include "chip/chip.h"
#include "chip/image_file.h"
#include "usb/usb_main.h"
#include "usb/usbfs.h"

#define SERVICE_PERIOD_NS 10000000L /* how often to look at the device and the child */
#define NOT_STARTED 127

/* One emulated board: its chip, image and stats files, counters. */
struct usb_board {
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_dfuse dfu;
	char image_path[SIM_USB_PATH_MAX], stats_path[SIM_USB_PATH_MAX];
	bool ready; /* chip and stats set up (freed at the end) */
};

struct usb_emulator {
	const struct sim_usb_config *config;
	unsigned count;
	struct usb_board boards[SIM_USBFS_MAX_DEVICES];
	struct sim_usbfs *usb;
};

/* The client sees the device only through the preload; whatever the caller
 * preloads already (libasan must stay first) keeps its place in front. */
static void exec_child(char **argv)
{
	const char *before = getenv("LD_PRELOAD");
	char preload[4096];
	snprintf(preload, sizeof preload, "%s%s%s", before && *before ? before : "",
		 before && *before ? " " : "", SIM_USB_PRELOAD);
	setenv("LD_PRELOAD", preload, 1);
	/* Control transfers take a few hundred microseconds; the default 50 us
	 * timer slack of the preload's usleep(0) would double that. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "stm32boot-sim: --run %s: %s\n", argv[0], strerror(errno));
	_exit(NOT_STARTED);
}

static void write_names(FILE *out, const char *title, const uint64_t *counts, size_t n,
			const char *(*name)(unsigned))
{
	fprintf(out, "\"%s\": {", title);
	const char *separator = "";
	for (size_t i = 0; i < n; i++) {
		if (!counts[i])
			continue;
		fprintf(out, "%s\"%s\": %" PRIu64, separator, name((unsigned)i), counts[i]);
		separator = ", ";
	}
	fputs("}", out);
}

static const char *request_name(unsigned request)
{
	static const char *const names[SIM_DFU_REQUEST_COUNT] = {
		"DETACH", "DNLOAD", "UPLOAD", "GETSTATUS", "CLRSTATUS", "GETSTATE", "ABORT"};
	return names[request];
}

static const char *state_name(unsigned state)
{
	return sim_dfu_state_name((enum sim_dfu_state)state);
}

static const char *status_name(unsigned status)
{
	return sim_dfu_status_name((enum sim_dfu_status)status);
}

static const char *command_name(unsigned command)
{
	static char names[256][5];
	snprintf(names[command], sizeof names[command], "0x%02X", command);
	return names[command];
}

/* The "dfu" member of the stats file (docs/sim.md). */
static void write_dfu_stats(FILE *out, const void *extra)
{
	const struct sim_dfuse *dfu = extra;
	const struct sim_dfu_counts *c = &dfu->counts;
	fputs("  \"dfu\": {", out);
	write_names(out, "requests", c->requests, SIM_DFU_REQUEST_COUNT, request_name);
	fputs(",\n          ", out);
	write_names(out, "commands", c->commands, 256, command_name);
	fputs(",\n          ", out);
	write_names(out, "states", c->states, SIM_DFU_STATE_COUNT, state_name);
	fputs(",\n          ", out);
	write_names(out, "errors", c->errors, SIM_DFU_STATUS_COUNT, status_name);
	fprintf(out, ",\n          \"mass_erase_commands\": %" PRIu64 ", \"stalls\": %" PRIu64
		", \"standard_requests\": %" PRIu64 ",\n          \"upload_bytes\": %" PRIu64
		", \"download_bytes\": %" PRIu64 ", \"resets\": %" PRIu64 ", \"leaves\": %" PRIu64
		",\n          \"most_queued\": %" PRIu64 ", \"final_state\": \"%s\"},\n",
		c->mass_erase_commands, c->stalls, c->standard_requests, c->upload_bytes,
		c->download_bytes, c->resets, c->leaves, c->most_queued,
		sim_dfu_state_name(dfu->state));
}

struct save_job {
	struct usb_board *board;
	bool ok;
};

static void save(struct sim_dfuse *dfu, void *user)
{
	struct save_job *job = user;
	struct usb_board *b = job->board;
	char why[320];
	if (*b->image_path && !sim_image_save(&b->chip, b->image_path, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		job->ok = false;
	}
	struct sim_stats_context context = {b->chip.dev->name, sim_chip_rdp_level(&b->chip),
					    dfu->in_application ? "application" : "bootloader",
					    "dfu", write_dfu_stats, dfu};
	if (*b->stats_path && !sim_stats_save(b->stats_path, &b->stats, &context)) {
		fprintf(stderr, "stm32boot-sim: %s: %s\n", b->stats_path, strerror(errno));
		job->ok = false;
	}
}

static int status_of(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 1;
}

/* Until a stop signal, or until the --run child has ended. */
static int serve(struct sim_usbfs *usb, pid_t child, const sigset_t *wait_mask,
		 volatile sig_atomic_t *stop, void (*tick)(void *user), void *user)
{
	int status = 0;
	while (!*stop) {
		struct timespec period = {0, SERVICE_PERIOD_NS};
		(void)ppoll(NULL, 0, &period, wait_mask);
		(void)sim_usbfs_service(usb);
		if (tick)
			tick(user);
		int wait_status;
		if (child > 0 && waitpid(child, &wait_status, WNOHANG) == child)
			return status_of(wait_status);
	}
	if (child > 0) {
		kill(child, SIGTERM);
		int wait_status;
		if (waitpid(child, &wait_status, 0) == child)
			status = status_of(wait_status);
	}
	return status;
}

int sim_usb_serve(struct sim_usbfs *usb, char **run_argv, const sigset_t *wait_mask,
		  volatile sig_atomic_t *stop)
{
	return sim_usb_serve_ticking(usb, run_argv, wait_mask, stop, NULL, NULL);
}

int sim_usb_serve_ticking(struct sim_usbfs *usb, char **run_argv, const sigset_t *wait_mask,
			  volatile sig_atomic_t *stop, void (*tick)(void *user), void *user)
{
	pid_t child = 0;
	if (run_argv) {
		fflush(NULL);
		child = fork();
		if (child == 0)
			exec_child(run_argv);
		if (child < 0) {
			fprintf(stderr, "stm32boot-sim: --run: %s\n", strerror(errno));
			return SIM_USB_NOT_SERVED;
		}
	} else {
		/* What a client needs: UMOCKDEV_DIR=<this> LD_PRELOAD=<preload>. */
		printf("%s\n", sim_usbfs_root(usb));
		fflush(stdout);
	}
	return serve(usb, child, wait_mask, stop, tick, user);
}

/* Board k >= 2 keeps its files beside the first's: FILE.k. */
static bool board_path(const char *path, unsigned number, char *out, size_t size)
{
	out[0] = '\0';
	if (!path)
		return true;
	int n = number == 1 ? snprintf(out, size, "%s", path)
			    : snprintf(out, size, "%s.%u", path, number);
	return n >= 0 && (size_t)n < size;
}

static bool set_up_board(struct usb_emulator *em, unsigned index)
{
	const struct sim_usb_config *c = em->config;
	struct usb_board *b = &em->boards[index];
	char why[320];
	bool existed;
	if (!board_path(c->image_path, index + 1, b->image_path, sizeof b->image_path) ||
	    !board_path(c->stats_path, index + 1, b->stats_path, sizeof b->stats_path)) {
		fprintf(stderr, "stm32boot-sim: --image/--stats path too long\n");
		return false;
	}
	if (!sim_chip_init(&b->chip, c->device) ||
	    !sim_stats_init(&b->stats, b->chip.sector_count)) {
		fprintf(stderr, "stm32boot-sim: out of memory\n");
		return false;
	}
	b->ready = true;
	if (c->uid)
		memcpy(b->chip.uid, c->uid, SIM_UID_BYTES);
	/* Boards of one kind differ in their unique ID, so in their serial. */
	b->chip.uid[0] = (uint8_t)(b->chip.uid[0] + index);
	if (*b->image_path && !sim_image_load(&b->chip, b->image_path, &existed, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	sim_faults_init(&b->faults, &c->faults, c->seed + index, &b->stats.faults);
	sim_dfuse_init(&b->dfu, &b->chip, &b->stats, &b->faults, c->realtime);
	b->stats.boots_bootloader = 1;
	return true;
}

static bool set_up(struct usb_emulator *em)
{
	const struct sim_usb_config *c = em->config;
	em->count = c->count ? c->count : 1;
	struct sim_dfuse *models[SIM_USBFS_MAX_DEVICES];
	for (unsigned i = 0; i < em->count; i++) {
		if (!set_up_board(em, i))
			return false;
		models[i] = &em->boards[i].dfu;
	}
	char why[320];
	em->usb = sim_usbfs_open(models, em->count, c->realtime, why, sizeof why);
	if (!em->usb) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	return true;
}

int sim_usb_main(const struct sim_usb_config *config, const sigset_t *wait_mask,
		 volatile sig_atomic_t *stop)
{
	static struct usb_emulator em;
	em.config = config;
	int status = 1;
	if (set_up(&em)) {
		status = sim_usb_serve(em.usb, config->run_argv, wait_mask, stop);
		if (status != SIM_USB_NOT_SERVED) {
			for (unsigned i = 0; i < em.count; i++) {
				struct save_job job = {&em.boards[i], true};
				sim_usbfs_with_model(em.usb, i, save, &job);
				if (!job.ok && status == 0)
					status = 1;
			}
		} else {
			status = 1;
		}
	}
	sim_usbfs_close(em.usb);
	for (unsigned i = 0; i < SIM_USBFS_MAX_DEVICES; i++) {
		if (!em.boards[i].ready)
			continue;
		sim_stats_free(&em.boards[i].stats);
		sim_chip_free(&em.boards[i].chip);
	}
	return status;
}
