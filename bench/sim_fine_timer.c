/* LD_PRELOAD shim for stm32boot-sim used only by the benchmark.
 *
 * The emulator paces each byte it sends at 11 bit times (95 us at 115200)
 * but sleeps in ppoll with a timeout rounded up to whole milliseconds, so
 * with `--speed realtime` every byte to the host costs about 1 ms: the
 * wire runs near 10 kBd whatever the baud. Benchmarks against that would
 * measure the rounding, not the flashers.
 *
 * This shim shortens any ppoll timeout of at most one millisecond to
 * BENCH_SIM_TICK_US (default 10 us) and makes the timer slack 1 ns. The
 * emulator then wakes early, finds nothing due, and sleeps again; its own
 * schedule decides when bytes go out, so waking early is harmless. What is
 * left is the lateness of each wake-up (a few us per byte), which the bench
 * measures and reports (bench/README.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

typedef int (*ppoll_fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);

static long tick_ns = 10000;

__attribute__((constructor)) static void fine_timer_init(void)
{
	const char *tick = getenv("BENCH_SIM_TICK_US");
	if (tick && atol(tick) > 0)
		tick_ns = atol(tick) * 1000L;
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static int is_short_wait(const struct timespec *timeout)
{
	return timeout && timeout->tv_sec == 0 && timeout->tv_nsec > 0 &&
	       timeout->tv_nsec <= 1000000L;
}

int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout,
	  const sigset_t *mask)
{
	static ppoll_fn real_ppoll;
	if (!real_ppoll)
		real_ppoll = (ppoll_fn)dlsym(RTLD_NEXT, "ppoll");
	if (!is_short_wait(timeout))
		return real_ppoll(fds, count, timeout, mask);
	struct timespec shorter = {0, tick_ns < timeout->tv_nsec ? tick_ns : timeout->tv_nsec};
	return real_ppoll(fds, count, &shorter, mask);
}
