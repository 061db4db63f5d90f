/* stm32boot command line: progress bars and plain progress lines. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define BAR_WIDTH 24
#define REDRAW_INTERVAL_S 0.1

void cli_clock_now(struct timespec *now)
{
	clock_gettime(CLOCK_MONOTONIC, now);
}

double cli_seconds_since(const struct timespec *start)
{
	struct timespec now;
	cli_clock_now(&now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void cli_format_rate(uint64_t bytes, double seconds, char *buf, size_t size)
{
	if (seconds <= 0.0) {
		snprintf(buf, size, "-- KiB/s");
		return;
	}
	double rate = (double)bytes / seconds;
	if (rate >= 1024.0 * 1024.0)
		snprintf(buf, size, "%.1f MiB/s", rate / (1024.0 * 1024.0));
	else
		snprintf(buf, size, "%.1f KiB/s", rate / 1024.0);
}

void cli_format_size(uint64_t bytes, char *buf, size_t size)
{
	if (bytes >= 1024u * 1024u && bytes % (1024u * 1024u) == 0)
		snprintf(buf, size, "%llu MiB", (unsigned long long)(bytes / (1024u * 1024u)));
	else if (bytes >= 1024u && bytes % 1024u == 0)
		snprintf(buf, size, "%llu KiB", (unsigned long long)(bytes / 1024u));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
}

static int percent_of(const struct cli_progress *p)
{
	if (p->total == 0)
		return 100;
	return (int)(p->done * 100u / p->total);
}

static void format_time_left(const struct cli_progress *p, double elapsed, char *buf, size_t size)
{
	if (p->done >= p->total) {
		snprintf(buf, size, "0:00");
		return;
	}
	if (p->done == 0 || elapsed <= 0.0) {
		snprintf(buf, size, "--:--");
		return;
	}
	double left = elapsed * (double)(p->total - p->done) / (double)p->done;
	unsigned seconds = (unsigned)(left + 0.5);
	snprintf(buf, size, "%u:%02u", seconds / 60, seconds % 60);
}

static void draw_bar(struct cli_progress *p)
{
	double elapsed = cli_seconds_since(&p->started);
	int percent = percent_of(p);
	char bar[BAR_WIDTH + 1];
	int filled = percent * BAR_WIDTH / 100;
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	char rate[32] = "", left[16];
	if (strcmp(p->unit, "bytes") == 0)
		cli_format_rate(p->done, elapsed, rate, sizeof rate);
	format_time_left(p, elapsed, left, sizeof left);
	fprintf(stderr, "\r%-6s [%s] %llu/%llu %s %3d%% %s %s left\033[K", p->phase, bar,
		(unsigned long long)p->done, (unsigned long long)p->total, p->unit, percent, rate,
		left);
	fflush(stderr);
	p->drawn = true;
	cli_clock_now(&p->last_draw);
}

static void print_plain_step(struct cli_progress *p)
{
	int tenth = percent_of(p) / 10;
	if (tenth <= p->last_tenth)
		return;
	p->last_tenth = tenth;
	fprintf(stderr, "%s: %d%% (%llu/%llu %s)\n", p->phase, tenth * 10,
		(unsigned long long)p->done, (unsigned long long)p->total, p->unit);
	fflush(stderr);
}

void cli_progress_begin(struct cli_progress *p, const char *phase, const char *unit,
			uint64_t total)
{
	p->phase = phase;
	p->unit = unit;
	p->total = total;
	p->done = 0;
	/* A phase with nothing to do (--diff found it all on the chip) prints nothing. */
	p->enabled = cli_output_verbosity() >= CLI_NORMAL && total > 0;
	p->terminal = isatty(STDERR_FILENO) == 1;
	p->drawn = false;
	p->last_tenth = 0;
	cli_clock_now(&p->started);
	p->last_draw = p->started;
	if (p->enabled && p->terminal)
		draw_bar(p);
}

void cli_progress_update(struct cli_progress *p, uint64_t done)
{
	p->done = done > p->total ? p->total : done;
	if (!p->enabled)
		return;
	if (!p->terminal)
		print_plain_step(p);
	else if (cli_seconds_since(&p->last_draw) >= REDRAW_INTERVAL_S || p->done == p->total)
		draw_bar(p);
}

void cli_progress_end(struct cli_progress *p)
{
	if (!p->enabled)
		return;
	if (p->terminal) {
		draw_bar(p);
		fputc('\n', stderr);
		fflush(stderr);
	} else {
		print_plain_step(p);
	}
}
