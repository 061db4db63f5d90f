/* The emulator's SPI personality (AN4286) driven in-process through
 * link_spi: full-duplex transfers, as the bus socket does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chip/chip.h"
#include "rom/engine.h"
#include "base/faults.h"
#include "link/link.h"
#include "link/link_spi.h"
#include "base/stats.h"

struct bus {
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_engine engine;
	struct sim_link link;
	struct sim_spi spi;
	uint64_t clock_us;
	uint8_t in[300];
};

static struct bus *bus_new(const char *device, bool timed)
{
	struct bus *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&b->chip, dev));
	assert_true(sim_stats_init(&b->stats, b->chip.sector_count));
	assert_true(sim_engine_init(&b->engine, &b->chip, &b->stats, timed));
	struct sim_fault_spec none = {0};
	sim_faults_init(&b->faults, &none, 1, &b->stats.faults);
	b->engine.faults = &b->faults;
	sim_engine_set_interface(&b->engine, SIM_INTERFACE_SPI);
	sim_engine_power_on(&b->engine);
	b->link = (struct sim_link){&b->engine, &b->faults, 0};
	sim_spi_init(&b->spi, &b->link);
	return b;
}

static void bus_free(struct bus *b)
{
	sim_engine_free(&b->engine);
	sim_stats_free(&b->stats);
	sim_chip_free(&b->chip);
	free(b);
}

static const uint8_t *transfer(struct bus *b, const uint8_t *out, size_t length)
{
	assert_true(length <= sizeof(b->in));
	sim_spi_transfer(&b->spi, out, b->in, length, b->clock_us);
	return b->in;
}

/* X(b, host bytes...) then EXPECT_IN(b, chip bytes...) for the same clocks */
#define X(b, ...)                                                        \
	do {                                                             \
		const uint8_t out_[] = {__VA_ARGS__};                    \
		transfer((b), out_, sizeof(out_));                       \
	} while (0)

#define EXPECT_IN(b, ...)                                                \
	do {                                                             \
		const uint8_t want_[] = {__VA_ARGS__};                   \
		assert_memory_equal((b)->in, want_, sizeof(want_));      \
	} while (0)

static const uint8_t *clock_in(struct bus *b, size_t length)
{
	uint8_t zeros[300] = {0};
	return transfer(b, zeros, length);
}

/* The host's side of the ACK procedure: clock dummies until 79 or 1F,
 * then confirm with 79. Returns the answer. */
static uint8_t ack_procedure(struct bus *b)
{
	for (int i = 0; i < 100; i++) {
		uint8_t byte = clock_in(b, 1)[0];
		if (byte == SIM_ACK || byte == SIM_NACK) {
			X(b, SIM_ACK);
			return byte;
		}
		assert_true(byte == SIM_SPI_IDLE || byte == SIM_SPI_DUMMY);
	}
	fail_msg("no ACK or NACK");
	return 0;
}

static void sync_chip(struct bus *b)
{
	X(b, SIM_SPI_START_OF_FRAME);
	EXPECT_IN(b, SIM_SPI_IDLE);
	clock_in(b, 2);
	EXPECT_IN(b, SIM_SPI_DUMMY, SIM_ACK);
	X(b, SIM_ACK);
	EXPECT_IN(b, SIM_SPI_IDLE);
}

static void command(struct bus *b, uint8_t opcode)
{
	X(b, SIM_SPI_START_OF_FRAME, opcode, (uint8_t)~opcode);
	assert_int_equal(ack_procedure(b), SIM_ACK);
}

/* Payload: one dummy byte, then length bytes. */
static const uint8_t *payload(struct bus *b, size_t length)
{
	const uint8_t *in = clock_in(b, length + 1);
	assert_int_equal(in[0], SIM_SPI_DUMMY);
	return in + 1;
}

static void frame(struct bus *b, const uint8_t *bytes, size_t length)
{
	transfer(b, bytes, length);
}

static void address_frame(struct bus *b, uint32_t a)
{
	uint8_t f[5] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0};
	f[4] = f[0] ^ f[1] ^ f[2] ^ f[3];
	frame(b, f, 5);
}

static void test_sync_and_ack_procedure(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	X(b, 0x02, 0xFD); /* before the sync the chip does not listen to commands */
	clock_in(b, 2);
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE);
	sync_chip(b);
	clock_in(b, 3);
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE, SIM_SPI_IDLE);
	bus_free(b);
}

static void test_get_id_with_dummy_byte(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	X(b, 0x5A, 0x02, 0xFD);
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE, SIM_SPI_IDLE);
	clock_in(b, 2);
	EXPECT_IN(b, SIM_SPI_DUMMY, SIM_ACK);
	X(b, SIM_ACK);
	assert_memory_equal(payload(b, 3), ((uint8_t[]){0x01, 0x04, 0x31}), 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_int_equal(b->stats.commands[0x02], 1);
	bus_free(b);
}

static void test_get_and_get_version(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	command(b, 0x00);
	const uint8_t want[] = {11, 0x11, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31,
				0x44, 0x63, 0x73, 0x82, 0x92};
	assert_memory_equal(payload(b, sizeof(want)), want, sizeof(want));
	assert_int_equal(ack_procedure(b), SIM_ACK);
	command(b, 0x01);
	assert_int_equal(payload(b, 1)[0], 0x11);
	assert_int_equal(ack_procedure(b), SIM_ACK); /* the version byte alone */
	bus_free(b);
}

static void test_nack_needs_confirmation_too(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	X(b, 0x5A, 0x32, 0xCD); /* no-stretch codes are I2C only */
	clock_in(b, 1);
	EXPECT_IN(b, SIM_NACK);
	/* until the host confirms, a new command is ignored */
	X(b, 0x5A, 0x02, 0xFD);
	clock_in(b, 2);
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE);
	X(b, SIM_ACK);
	command(b, 0x02);
	bus_free(b);
}

static void test_command_needs_start_of_frame(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	X(b, 0x02, 0xFD);
	clock_in(b, 3);
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE, SIM_SPI_IDLE);
	assert_int_equal(b->stats.commands[0x02], 0);
	bus_free(b);
}

static void test_write_then_read_memory(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	command(b, 0x31);
	address_frame(b, 0x08000000);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x03 ^ 0xDE ^ 0xAD ^ 0xBE ^ 0xEF}, 6);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_int_equal(b->stats.bytes_programmed, 4);

	command(b, 0x11);
	address_frame(b, 0x08000000);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x03, 0xFC}, 2);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_memory_equal(payload(b, 4), ((uint8_t[]){0xDE, 0xAD, 0xBE, 0xEF}), 4);

	command(b, 0x11);
	address_frame(b, 0x08000000);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x03, 0xFB}, 2); /* bad complement */
	assert_int_equal(ack_procedure(b), SIM_NACK);
	bus_free(b);
}

static void test_erase_split_frames(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	command(b, 0x44);
	frame(b, (uint8_t[]){0x00, 0x00, 0x00}, 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x00, 0x05, 0x05}, 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_int_equal(b->stats.erased_pages[5], 1);

	command(b, 0x44);
	frame(b, (uint8_t[]){0x00, 0x00, 0x00}, 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x00, 0x05, 0x04}, 3); /* XOR including the count: wrong */
	assert_int_equal(ack_procedure(b), SIM_NACK);

	command(b, 0x44);
	frame(b, (uint8_t[]){0xFF, 0xFF, 0x00}, 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_int_equal(b->stats.mass_erases, 1);
	assert_int_equal(b->stats.page_erases, 1);
	bus_free(b);
}

static void test_write_protect_split_frames(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", false);
	sync_chip(b);
	command(b, 0x63);
	frame(b, (uint8_t[]){0x00, 0xFF}, 2);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x03, 0x03}, 2);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	assert_true(sim_chip_sector_protected(&b->chip, 3));
	assert_false(sim_chip_sector_protected(&b->chip, 2));
	/* the option reload reset the chip: it waits for a new sync */
	X(b, 0x5A, 0x02, 0xFD);
	/* the 0x5A is the sync; its ACK goes out while the host clocks 02 FD */
	EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_DUMMY, SIM_ACK);
	assert_int_equal(b->stats.commands[0x02], 0);
	bus_free(b);
}

static void test_realtime_erase_clocks_out_a5(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", true);
	sync_chip(b);
	command(b, 0x44);
	frame(b, (uint8_t[]){0x00, 0x00, 0x00}, 3);
	assert_int_equal(ack_procedure(b), SIM_ACK);
	frame(b, (uint8_t[]){0x00, 0x00, 0x00}, 3); /* page 0: 16 KiB, 250 ms */
	for (int i = 0; i < 4; i++) {
		b->clock_us += 60000;
		clock_in(b, 2);
		EXPECT_IN(b, SIM_SPI_IDLE, SIM_SPI_IDLE);
	}
	b->clock_us += 20000;
	clock_in(b, 2);
	EXPECT_IN(b, SIM_SPI_DUMMY, SIM_ACK);
	X(b, SIM_ACK);
	bus_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_and_ack_procedure),
		cmocka_unit_test(test_get_id_with_dummy_byte),
		cmocka_unit_test(test_get_and_get_version),
		cmocka_unit_test(test_nack_needs_confirmation_too),
		cmocka_unit_test(test_command_needs_start_of_frame),
		cmocka_unit_test(test_write_then_read_memory),
		cmocka_unit_test(test_erase_split_frames),
		cmocka_unit_test(test_write_protect_split_frames),
		cmocka_unit_test(test_realtime_erase_clocks_out_a5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
