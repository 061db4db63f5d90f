/* stm32boot command line: several boards at once.
 *
 * One worker process per board: fork after the input is parsed, so every
 * worker has it (and the library's state) to itself and nothing it prints
 * can interleave with another's. Its stdout and stderr go to one pipe the
 * parent collects; its struct cli_board_result comes back whole through a
 * second pipe (same program, same layout). */
#include "gang.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "report.h"

#define REDRAW_MS 100
#define STATUS_WIDTH 60

struct worker {
	const char *port;
	pid_t pid;
	int out_fd, result_fd;         /* -1 once at end of file */
	char *out;                     /* everything the worker printed */
	size_t out_length, out_size;
	struct cli_board_result result;
	size_t result_got;
	bool finished;
};

static bool out_append(struct worker *w, const char *data, size_t length)
{
	if (w->out_length + length + 1 > w->out_size) {
		size_t size = w->out_size ? w->out_size : 4096;
		while (size < w->out_length + length + 1)
			size *= 2;
		char *grown = realloc(w->out, size);
		if (!grown)
			return false;
		w->out = grown;
		w->out_size = size;
	}
	memcpy(w->out + w->out_length, data, length);
	w->out_length += length;
	w->out[w->out_length] = '\0';
	return true;
}

static void close_inherited(struct worker *workers, size_t started)
{
	for (size_t i = 0; i < started; i++) {
		if (workers[i].out_fd >= 0)
			close(workers[i].out_fd);
		if (workers[i].result_fd >= 0)
			close(workers[i].result_fd);
	}
}

static void write_all(int fd, const void *data, size_t length)
{
	const char *p = data;
	while (length > 0) {
		ssize_t n = write(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		length -= (size_t)n;
	}
}

static bool start_worker(struct cli_job *job, struct worker *workers, size_t index)
{
	struct worker *w = &workers[index];
	int out[2], result[2];
	if (pipe(out) != 0)
		return false;
	if (pipe(result) != 0) {
		close(out[0]);
		close(out[1]);
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]); close(out[1]); close(result[0]); close(result[1]);
		return false;
	}
	if (pid == 0) {
		close_inherited(workers, index);
		close(out[0]);
		close(result[0]);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		close(out[1]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		struct cli_board_result r;
		cli_board_run(job, w->port, &r);
		fflush(NULL);
		write_all(result[1], &r, sizeof r);
		_exit(r.ok ? 0 : 1);
	}
	close(out[1]);
	close(result[1]);
	w->pid = pid;
	w->out_fd = out[0];
	w->result_fd = result[0];
	return true;
}

/* Read what is there; false at end of file (or error). */
static bool drain_fd(struct worker *w, int fd, bool is_result)
{
	char buf[4096];
	ssize_t n = is_result
		? read(fd, (char *)&w->result + w->result_got, sizeof w->result - w->result_got)
		: read(fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	if (is_result)
		w->result_got += (size_t)n;
	else
		out_append(w, buf, (size_t)n);
	return !(is_result && w->result_got == sizeof w->result);
}

static void finish_worker(struct worker *w)
{
	int status = 0;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->finished = true;
	if (w->result_got == sizeof w->result)
		return;
	memset(&w->result, 0, sizeof w->result);
	snprintf(w->result.port, sizeof w->result.port, "%s", w->port);
	if (WIFSIGNALED(status))
		snprintf(w->result.error, sizeof w->result.error, "the worker for %s was killed by signal %d",
			 w->port, WTERMSIG(status));
	else
		snprintf(w->result.error, sizeof w->result.error,
			 "the worker for %s ended without a result (exit status %d)", w->port,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The latest line a worker printed, for its live line. */
static void latest_line(const struct worker *w, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!w->out)
		return;
	size_t end = w->out_length;
	while (end > 0 && (w->out[end - 1] == '\n' || w->out[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && w->out[start - 1] != '\n' && w->out[start - 1] != '\r')
		start--;
	const char *line = w->out + start;
	size_t length = end - start;
	if (length > 11 && strncmp(line, "stm32boot: ", 11) == 0) {
		line += 11;
		length -= 11;
	}
	if (length >= size)
		length = size - 1;
	memcpy(buf, line, length);
	buf[length] = '\0';
}

static void status_of(const struct worker *w, char *buf, size_t size)
{
	if (!w->finished) {
		char line[STATUS_WIDTH + 1];
		latest_line(w, line, sizeof line);
		snprintf(buf, size, "%s", line[0] ? line : "starting");
	} else if (w->result.ok) {
		snprintf(buf, size, "ok, %.1f s", w->result.seconds);
	} else {
		snprintf(buf, size, "FAILED: %.*s", STATUS_WIDTH, w->result.error);
	}
}

/* The widest port name (at most limit: live lines must fit a terminal). */
static int port_width(const struct worker *workers, size_t count, size_t limit)
{
	size_t width = 4;
	for (size_t i = 0; i < count; i++)
		if (strlen(workers[i].port) > width)
			width = strlen(workers[i].port);
	return width > limit ? (int)limit : (int)width;
}

static void draw_live(const struct worker *workers, size_t count, bool redraw)
{
	if (redraw)
		fprintf(stderr, "\033[%zuA", count);
	int width = port_width(workers, count, 40);
	for (size_t i = 0; i < count; i++) {
		char status[STATUS_WIDTH + 16];
		status_of(&workers[i], status, sizeof status);
		/* Too long: its end tells boards apart (sim:...,uid=...). */
		const char *port = workers[i].port;
		size_t length = strlen(port);
		if (length > (size_t)width)
			fprintf(stderr, "\r...%s  %s\033[K\n", port + length - (size_t)(width - 3), status);
		else
			fprintf(stderr, "\r%-*s  %s\033[K\n", width, port, status);
	}
	fflush(stderr);
}

static void show_block(FILE *human, struct worker *w)
{
	if (w->out_length == 0) /* --quiet and nothing went wrong */
		return;
	fprintf(human, "--- %s ---\n%s", w->port, w->out ? w->out : "");
	if (w->out_length && w->out[w->out_length - 1] != '\n')
		fputc('\n', human);
	fflush(human);
}

static void collect(struct worker *workers, size_t count, bool live, FILE *human)
{
	struct pollfd pfds[2 * count];
	struct worker *owner[2 * count];
	bool drawn = false;
	for (;;) {
		size_t n = 0;
		for (size_t i = 0; i < count; i++) {
			if (workers[i].out_fd >= 0) {
				pfds[n] = (struct pollfd){.fd = workers[i].out_fd, .events = POLLIN};
				owner[n++] = &workers[i];
			}
			if (workers[i].result_fd >= 0) {
				pfds[n] = (struct pollfd){.fd = workers[i].result_fd, .events = POLLIN};
				owner[n++] = &workers[i];
			}
		}
		if (n == 0)
			break;
		int ready = poll(pfds, n, REDRAW_MS);
		for (size_t k = 0; ready > 0 && k < n; k++) {
			if (!(pfds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct worker *w = owner[k];
			bool is_result = pfds[k].fd == w->result_fd;
			if (!drain_fd(w, pfds[k].fd, is_result)) {
				close(pfds[k].fd);
				if (is_result)
					w->result_fd = -1;
				else
					w->out_fd = -1;
			}
			if (w->out_fd < 0 && w->result_fd < 0 && !w->finished) {
				finish_worker(w);
				if (!live)
					show_block(human, w);
			}
		}
		if (live) {
			draw_live(workers, count, drawn);
			drawn = true;
		}
	}
	if (live)
		draw_live(workers, count, drawn);
}

/* Same UID on two ports: one board reached twice, or boards whose UIDs
 * collide (clones); either way the results would mislead. */
static size_t flag_duplicates(const struct worker *workers, size_t count, bool *duplicate)
{
	size_t flagged = 0;
	for (size_t i = 0; i < count; i++) {
		duplicate[i] = false;
		for (size_t j = 0; j < count; j++)
			if (i != j && workers[i].result.uid_known && workers[j].result.uid_known &&
			    strcmp(workers[i].result.uid, workers[j].result.uid) == 0)
				duplicate[i] = true;
		flagged += duplicate[i];
	}
	return flagged;
}

static void print_table(FILE *human, const struct worker *workers, size_t count, const bool *duplicate)
{
	int width = port_width(workers, count, 512);
	fprintf(human, "\n%-*s  %-16s %-25s %-7s %s\n", width, "PORT", "CHIP", "UID", "RESULT", "TIME");
	size_t failed = 0;
	for (size_t i = 0; i < count; i++) {
		const struct cli_board_result *r = &workers[i].result;
		char uid[32];
		snprintf(uid, sizeof uid, "%s%s", r->uid_known ? r->uid : "-", duplicate[i] ? "*" : "");
		fprintf(human, "%-*.*s  %-16s %-25s %-7s %.1f s\n", width, width, workers[i].port,
			r->chip_name[0] ? r->chip_name : "-", uid, r->ok ? "ok" : "FAILED", r->seconds);
		failed += !r->ok;
	}
	for (size_t i = 0; i < count; i++)
		if (!workers[i].result.ok)
			fprintf(human, "%s: %s\n", workers[i].port, workers[i].result.error);
	fprintf(human, "%zu boards: %zu ok, %zu failed\n", count, count - failed, failed);
	fflush(human);
}

int cli_gang_run(struct cli_job *job, const char *const *ports, size_t count)
{
	const struct cli_options *opts = job->opts;
	struct worker *workers = calloc(count, sizeof *workers);
	bool *duplicate = calloc(count, sizeof *duplicate);
	if (!workers || !duplicate) {
		free(workers);
		free(duplicate);
		cli_error("out of memory");
		return 1;
	}
	FILE *human = opts->json ? stderr : stdout;
	bool live = isatty(STDERR_FILENO) == 1 && cli_output_verbosity() >= CLI_NORMAL;
	for (size_t i = 0; i < count; i++) {
		workers[i].port = ports[i];
		workers[i].out_fd = workers[i].result_fd = -1;
	}
	size_t started = 0;
	for (; started < count; started++)
		if (!start_worker(job, workers, started))
			break;
	if (started < count) {
		cli_error("cannot start a worker for %s: %s", ports[started], strerror(errno));
		for (size_t i = 0; i < started; i++)
			kill(workers[i].pid, SIGTERM);
	}
	collect(workers, started, live, human);
	bool all_ok = started == count;
	for (size_t i = 0; i < started; i++) {
		if (live && !workers[i].result.ok)
			show_block(human, &workers[i]);
		all_ok = all_ok && workers[i].result.ok;
	}
	size_t flagged = flag_duplicates(workers, started, duplicate);
	if (opts->verbosity >= CLI_NORMAL || !all_ok)
		print_table(human, workers, started, duplicate);
	if (flagged)
		cli_warning("%zu boards report the same unique ID (marked *): one board reached twice, "
			    "or boards with colliding UIDs", flagged);
	if (opts->json) {
		struct cli_board_result *results = calloc(started ? started : 1, sizeof *results);
		for (size_t i = 0; results && i < started; i++)
			results[i] = workers[i].result;
		cli_json_write_run_flagged(stdout, opts, all_ok, results, duplicate, results ? started : 0);
		free(results);
	}
	for (size_t i = 0; i < count; i++)
		free(workers[i].out);
	free(workers);
	free(duplicate);
	return all_ok ? 0 : 1;
}
