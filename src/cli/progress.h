/* stm32boot command line: progress of a long phase (erase, write, verify, read).
 *
 * On a terminal a bar redrawn in place on stderr; otherwise a plain line at
 * most every 10%; nothing with --quiet. */
#ifndef STM32BOOT_CLI_PROGRESS_H
#define STM32BOOT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cli_progress {
	const char *phase;
	const char *unit;           /* "bytes", or "pages" / "sectors" for erase */
	uint64_t total;
	uint64_t done;
	bool enabled;
	bool terminal;
	bool drawn;
	int last_tenth;             /* plain mode: last 10% step printed */
	struct timespec started;
	struct timespec last_draw;
};

/* Seconds elapsed since a CLOCK_MONOTONIC time stamp. */
double cli_seconds_since(const struct timespec *start);
void cli_clock_now(struct timespec *now);

void cli_progress_begin(struct cli_progress *p, const char *phase, const char *unit,
			uint64_t total);
void cli_progress_update(struct cli_progress *p, uint64_t done);
/* Finish the phase (draws 100% when complete, ends the terminal line). */
void cli_progress_end(struct cli_progress *p);

/* "9.2 KiB/s" style rate of bytes over seconds into buf. */
void cli_format_rate(uint64_t bytes, double seconds, char *buf, size_t size);
/* "64 KiB", "1 MiB", "1536 bytes". */
void cli_format_size(uint64_t bytes, char *buf, size_t size);

#endif
