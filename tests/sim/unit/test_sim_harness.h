/* In-process harness for the emulator core: a chip, its stats and a
 * protocol engine, driven byte by byte without a pty. */
#ifndef TEST_SIM_HARNESS_H
#define TEST_SIM_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chip/chip.h"
#include "rom/engine.h"
#include "base/stats.h"

struct harness {
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_engine engine;
	uint64_t clock_us;
	uint8_t reply[70000];
	size_t reply_length;
};

static inline struct harness *harness_new(const char *device, bool timed)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&h->chip, dev));
	assert_true(sim_stats_init(&h->stats, h->chip.sector_count));
	assert_true(sim_engine_init(&h->engine, &h->chip, &h->stats, timed));
	sim_engine_power_on(&h->engine);
	return h;
}

static inline void harness_free(struct harness *h)
{
	sim_engine_free(&h->engine);
	sim_stats_free(&h->stats);
	sim_chip_free(&h->chip);
	free(h);
}

/* Collect every reply byte queued so far, whatever its ready time. */
static inline void harness_collect(struct harness *h)
{
	struct sim_output out;
	while (sim_engine_peek_output(&h->engine, &out)) {
		assert_true(h->reply_length < sizeof(h->reply));
		h->reply[h->reply_length++] = out.byte;
		sim_engine_drop_output(&h->engine);
	}
}

/* What the emulator's poll loop does between host bytes: run the program
 * a Go or a boot started (on the core, when built), until it waits, ends
 * or has run for a while. */
static inline void harness_run_program(struct harness *h)
{
	uint64_t wake;
	for (int slice = 0; slice < 100; slice++)
		if (!sim_engine_run_program(&h->engine, 100000, h->clock_us, &wake) ||
		    wake > h->clock_us)
			return;
}

static inline void harness_send(struct harness *h, const uint8_t *bytes, size_t length)
{
	h->reply_length = 0;
	for (size_t i = 0; i < length; i++)
		sim_engine_receive(&h->engine, bytes[i], h->clock_us);
	harness_run_program(h);
	harness_collect(h);
}

#define SEND(h, ...)                                                      \
	do {                                                              \
		const uint8_t bytes_[] = {__VA_ARGS__};                   \
		harness_send((h), bytes_, sizeof(bytes_));                \
	} while (0)

/* The reply equals exactly the given bytes. */
#define EXPECT_REPLY(h, ...)                                              \
	do {                                                              \
		const uint8_t want_[] = {__VA_ARGS__};                    \
		assert_int_equal((h)->reply_length, sizeof(want_));       \
		assert_memory_equal((h)->reply, want_, sizeof(want_));    \
	} while (0)

static inline void harness_sync(struct harness *h)
{
	SEND(h, 0x7F);
	EXPECT_REPLY(h, 0x79);
}

/* Address frame: 4 bytes MSB first + XOR. */
static inline void harness_address(struct harness *h, uint32_t a)
{
	uint8_t b[5] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0};
	b[4] = b[0] ^ b[1] ^ b[2] ^ b[3];
	harness_send(h, b, 5);
}

/* Full Write Memory; returns the final reply byte (ACK/NACK), or -1 if an
 * earlier stage was refused. */
static inline int harness_write(struct harness *h, uint32_t address, const uint8_t *data,
				size_t length)
{
	SEND(h, 0x31, 0xCE);
	if (h->reply_length != 1 || h->reply[0] != 0x79)
		return -1;
	harness_address(h, address);
	if (h->reply_length != 1 || h->reply[0] != 0x79)
		return -1;
	uint8_t frame[258];
	frame[0] = (uint8_t)(length - 1);
	uint8_t x = frame[0];
	for (size_t i = 0; i < length; i++) {
		frame[1 + i] = data[i];
		x ^= data[i];
	}
	frame[1 + length] = x;
	harness_send(h, frame, length + 2);
	assert_int_equal(h->reply_length, 1);
	return h->reply[0];
}

/* Full Read Memory into out; false if refused. */
static inline bool harness_read(struct harness *h, uint32_t address, uint8_t *out, size_t length)
{
	SEND(h, 0x11, 0xEE);
	if (h->reply_length != 1 || h->reply[0] != 0x79)
		return false;
	harness_address(h, address);
	if (h->reply_length != 1 || h->reply[0] != 0x79)
		return false;
	SEND(h, (uint8_t)(length - 1), (uint8_t)~(length - 1));
	if (h->reply_length != length + 1 || h->reply[0] != 0x79)
		return false;
	memcpy(out, h->reply + 1, length);
	return true;
}

#endif
