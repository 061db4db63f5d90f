/* Small helpers every layer of the library uses. */
#include "core/util.h"

#include <errno.h>
#include <time.h>

void core_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

uint64_t core_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool core_all_bytes(const uint8_t *data, size_t length, uint8_t value)
{
	for (size_t i = 0; i < length; i++)
		if (data[i] != value)
			return false;
	return true;
}
