/* libFuzzer target: the protocol layer, session and executor facing a
 * hostile device. The input's first byte picks the plan variant; the rest is
 * everything the "device" will ever say, handed out read by read; once it is
 * used up every read times out. Writes always succeed.
 *
 * No wait may be real: the library measures deadlines with
 * clock_gettime(CLOCK_MONOTONIC) and sleeps with nanosleep, so this file
 * defines both (a program's own definitions win over libc's) on a virtual
 * clock that a timed-out read moves forward by its whole timeout. A run that
 * loops for ever shows up as libFuzzer's -timeout, or as the virtual clock
 * passing VIRTUAL_LIMIT_MS, which aborts. Other clocks pass through, so
 * libFuzzer's own timing is untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "protocol_conversation.h"
#include "stm32boot/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No single conversation may wait longer than this in virtual time: a
 * hostile device gets the host to give up, not to wait for days. */
#define VIRTUAL_LIMIT_MS (60ull * 60ull * 1000ull)

static uint64_t virtual_ms;  /* how far the fake clock is ahead of the real one */
static uint64_t spent_ms;    /* virtual waiting in this input */

static void wait_virtually(uint64_t ms)
{
	virtual_ms += ms;
	spent_ms += ms;
	if (spent_ms > VIRTUAL_LIMIT_MS)
		abort();
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	long rc = syscall(SYS_clock_gettime, clock, ts);
	if (rc != 0 || clock != CLOCK_MONOTONIC)
		return (int)rc;
	uint64_t ns = (uint64_t)ts->tv_nsec + (virtual_ms % 1000u) * 1000000u;
	ts->tv_sec += (time_t)(virtual_ms / 1000u + ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) {
		errno = EINVAL;
		return -1;
	}
	wait_virtually((uint64_t)req->tv_sec * 1000u + (uint64_t)req->tv_nsec / 1000000u);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

/* ---- the device: replies from the input ---- */

struct replies {
	const uint8_t *data;
	size_t size, used;
};

static enum stm32_status fake_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	(void)t;
	(void)err;
	if (length && !data)
		abort();
	return STM32_OK;
}

static enum stm32_status fake_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct replies *r = t->impl;
	size_t left = r->size - r->used;
	size_t n = length < left ? length : left;
	memcpy(data, r->data + r->used, n);
	r->used += n;
	*got = n;
	if (n == length)
		return STM32_OK;
	wait_virtually(timeout_ms);
	return stm32_error_set(err, STM32_E_TIMEOUT, "fake device: nothing more to say");
}

/* Dropping "received" bytes would only skip input the fuzzer chose. */
static enum stm32_status fake_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)t;
	(void)err;
	return STM32_OK;
}

static enum stm32_status fake_set_line(struct stm32_transport *t, enum stm32_line line,
				       bool asserted, struct stm32_error *err)
{
	(void)t;
	(void)line;
	(void)asserted;
	(void)err;
	return STM32_OK;
}

static enum stm32_status fake_break(struct stm32_transport *t, struct stm32_error *err)
{
	(void)t;
	(void)err;
	return STM32_OK;
}

static void fake_describe(struct stm32_transport *t, char *buf, size_t size)
{
	(void)t;
	if (size)
		strncpy(buf, "fuzz", size - 1), buf[size - 1] = '\0';
}

static void fake_close(struct stm32_transport *t)
{
	(void)t;
}

static const struct stm32_transport_ops fake_ops = {
	.name = "fuzz",
	.write = fake_write,
	.read = fake_read,
	.drain = fake_drain,
	.set_line = fake_set_line,
	.send_break = fake_break,
	.describe = fake_describe,
	.close = fake_close,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct replies replies = { .data = data + 1, .size = size - 1 };
	struct stm32_transport transport = {
		.ops = &fake_ops, .kind = STM32_LINK_UART, .baud = 115200, .impl = &replies,
	};
	spent_ms = 0;
	conversation_run(&transport, data[0]);
	return 0;
}
