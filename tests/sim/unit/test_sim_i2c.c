/* The emulator's I2C personality (AN4221) driven in-process through
 * link_i2c: one transaction at a time, as the bus socket does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chip/chip.h"
#include "rom/engine.h"
#include "base/faults.h"
#include "link/link.h"
#include "link/link_i2c.h"
#include "base/stats.h"

struct bus {
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_engine engine;
	struct sim_link link;
	struct sim_i2c i2c;
	uint64_t clock_us;
	uint8_t in[300];
};

static struct bus *bus_new_with(const char *device, uint8_t address, bool timed,
				const struct sim_fault_spec *spec)
{
	struct bus *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&b->chip, dev));
	assert_true(sim_stats_init(&b->stats, b->chip.sector_count));
	assert_true(sim_engine_init(&b->engine, &b->chip, &b->stats, timed));
	sim_faults_init(&b->faults, spec, 1, &b->stats.faults);
	b->engine.faults = &b->faults;
	sim_engine_set_interface(&b->engine, SIM_INTERFACE_I2C);
	sim_engine_power_on(&b->engine);
	b->link = (struct sim_link){&b->engine, &b->faults, 0};
	sim_i2c_init(&b->i2c, &b->link, address);
	return b;
}

static struct bus *bus_new(const char *device, uint8_t address, bool timed)
{
	struct sim_fault_spec none = {0};
	return bus_new_with(device, address, timed, &none);
}

static void bus_free(struct bus *b)
{
	sim_engine_free(&b->engine);
	sim_stats_free(&b->stats);
	sim_chip_free(&b->chip);
	free(b);
}

static void write_frame(struct bus *b, const uint8_t *data, size_t length)
{
	assert_int_equal(sim_i2c_write(&b->i2c, b->i2c.address, data, length, b->clock_us),
			 SIM_BUS_DONE);
}

#define W(b, ...)                                                        \
	do {                                                             \
		const uint8_t frame_[] = {__VA_ARGS__};                  \
		write_frame((b), frame_, sizeof(frame_));                \
	} while (0)

/* A read transaction that must not stretch; returns b->in. */
static const uint8_t *read_frame(struct bus *b, size_t length)
{
	enum sim_bus_status status;
	uint64_t until = 0;
	assert_true(sim_i2c_read(&b->i2c, b->i2c.address, b->in, length, b->clock_us, &status,
				 &until));
	assert_int_equal(status, SIM_BUS_DONE);
	return b->in;
}

static uint8_t read_byte(struct bus *b)
{
	return read_frame(b, 1)[0];
}

#define EXPECT_READ(b, ...)                                              \
	do {                                                             \
		const uint8_t want_[] = {__VA_ARGS__};                   \
		assert_memory_equal(read_frame((b), sizeof(want_)), want_, sizeof(want_)); \
	} while (0)

static void command(struct bus *b, uint8_t opcode)
{
	W(b, opcode, (uint8_t)~opcode);
	assert_int_equal(read_byte(b), SIM_ACK);
}

static void address_frame(struct bus *b, uint32_t a)
{
	uint8_t f[5] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0};
	f[4] = f[0] ^ f[1] ^ f[2] ^ f[3];
	write_frame(b, f, 5);
}

/* Polls like a no-stretch host; returns the final answer and the number of
 * BUSY bytes seen before it. */
static uint8_t poll_answer(struct bus *b, unsigned *busy_count)
{
	*busy_count = 0;
	for (;;) {
		uint8_t byte = read_byte(b);
		if (byte != SIM_I2C_BUSY)
			return byte;
		++*busy_count;
		assert_true(*busy_count < 1000);
	}
}

static void write_memory(struct bus *b, uint8_t opcode, uint32_t address, const uint8_t *data,
			 size_t length, unsigned *busy_count)
{
	command(b, opcode);
	address_frame(b, address);
	assert_int_equal(read_byte(b), SIM_ACK);
	uint8_t frame[258];
	frame[0] = (uint8_t)(length - 1);
	uint8_t x = frame[0];
	for (size_t i = 0; i < length; i++)
		x ^= frame[1 + i] = data[i];
	frame[1 + length] = x;
	write_frame(b, frame, length + 2);
	assert_int_equal(poll_answer(b, busy_count), SIM_ACK);
}

static void test_get_lists_no_stretch_codes(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	command(b, 0x00);
	EXPECT_READ(b, 17, 0x11, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92,
		    0x32, 0x45, 0x64, 0x74, 0x83, 0x93);
	assert_int_equal(read_byte(b), SIM_ACK);
	bus_free(b);
}

static void test_get_version_is_one_byte(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	command(b, 0x01);
	assert_int_equal(read_byte(b), 0x11);
	assert_int_equal(read_byte(b), SIM_ACK);
	bus_free(b);
}

static void test_crc_device_reports_v12_and_lists_a1_last(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32u575", 0x5A, false);
	command(b, 0x00);
	const uint8_t *in = read_frame(b, 20);
	assert_int_equal(in[0], 18);
	assert_int_equal(in[1], 0x12);
	assert_int_equal(in[13], 0x32);
	assert_int_equal(in[19], 0xA1);
	assert_int_equal(read_byte(b), SIM_ACK);
	bus_free(b);
}

static void test_get_id(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	command(b, 0x02);
	EXPECT_READ(b, 0x01, 0x04, 0x31);
	assert_int_equal(read_byte(b), SIM_ACK);
	assert_int_equal(b->stats.commands[0x02], 1);
	bus_free(b);
}

static void test_other_address_is_not_acknowledged(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	const uint8_t get[] = {0x00, 0xFF};
	assert_int_equal(sim_i2c_write(&b->i2c, 0x3A, get, 2, 0), SIM_BUS_NO_DEVICE);
	enum sim_bus_status status;
	uint64_t until;
	assert_true(sim_i2c_read(&b->i2c, 0x3A, b->in, 1, 0, &status, &until));
	assert_int_equal(status, SIM_BUS_NO_DEVICE);
	assert_int_equal(b->stats.bytes_in, 0);
	bus_free(b);
}

static void test_no_auto_baud_byte(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	W(b, 0x7F);
	/* 0x7F is an opcode byte here: its complement is missing, nothing queued */
	assert_int_equal(read_byte(b), SIM_I2C_IDLE);
	bus_free(b);
}

static void test_unlisted_command_nacks(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	W(b, 0xA1, 0x5E); /* F411 has no Get Checksum */
	assert_int_equal(read_byte(b), SIM_NACK);
	W(b, 0x00, 0xFE); /* bad complement */
	assert_int_equal(read_byte(b), SIM_NACK);
	bus_free(b);
}

static void test_no_stretch_write_answers_busy_then_ack(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	unsigned busy;
	write_memory(b, 0x32, 0x08000000, data, sizeof(data), &busy);
	assert_int_equal(busy, 1); /* fast mode still shows BUSY once */
	write_memory(b, 0x31, 0x08000008, data, sizeof(data), &busy);
	assert_int_equal(busy, 0); /* the stretch command never answers BUSY */
	assert_int_equal(b->stats.bytes_programmed, 16);

	command(b, 0x11);
	address_frame(b, 0x08000000);
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 15, (uint8_t)~15);
	assert_int_equal(read_byte(b), SIM_ACK);
	EXPECT_READ(b, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8);
	bus_free(b);
}

static void test_realtime_busy_until_programmed(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, true);
	command(b, 0x32);
	address_frame(b, 0x08000000);
	assert_int_equal(read_byte(b), SIM_ACK);
	uint8_t frame[258] = {0xFF};
	frame[257] = 0xFF; /* XOR of N=0xFF and 256 zero bytes */
	write_frame(b, frame, sizeof(frame));
	/* 64 units of 4 bytes at 16 us each: BUSY until 1024 us later */
	for (int i = 0; i < 5; i++) {
		b->clock_us += 200;
		assert_int_equal(read_byte(b), SIM_I2C_BUSY);
	}
	b->clock_us += 100;
	assert_int_equal(read_byte(b), SIM_ACK);
	bus_free(b);
}

static void test_realtime_stretch_command_stretches(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, true);
	command(b, 0x44);
	W(b, 0xFF, 0xFF, 0x00);
	enum sim_bus_status status;
	uint64_t until = 0;
	assert_false(sim_i2c_read(&b->i2c, 0x39, b->in, 1, b->clock_us, &status, &until));
	assert_int_equal(until, 8000u * 1000u);
	b->clock_us = until;
	assert_int_equal(read_byte(b), SIM_ACK);
	assert_int_equal(b->stats.mass_erases, 1);
	bus_free(b);
}

static void test_erase_split_frames(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	unsigned busy;
	command(b, 0x44);
	W(b, 0x00, 0x01, 0x01); /* two pages */
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 0x00, 0x02, 0x00, 0x03, 0x01); /* XOR of the page bytes only */
	assert_int_equal(poll_answer(b, &busy), SIM_ACK);
	assert_int_equal(busy, 0);
	assert_int_equal(b->stats.erased_pages[2], 1);
	assert_int_equal(b->stats.erased_pages[3], 1);

	command(b, 0x45);
	W(b, 0x00, 0x00, 0x00);
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 0x00, 0x04, 0x04);
	assert_int_equal(poll_answer(b, &busy), SIM_ACK);
	assert_int_equal(busy, 1);
	assert_int_equal(b->stats.page_erases, 3);
	bus_free(b);
}

static void test_erase_checksums_refused(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	command(b, 0x44);
	W(b, 0x00, 0x00, 0x01); /* bad count XOR */
	assert_int_equal(read_byte(b), SIM_NACK);
	command(b, 0x44);
	W(b, 0x00, 0x00, 0x00);
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 0x00, 0x04, 0x04 ^ 0x00 ^ 0x00 ^ 0x00 ^ 0x01); /* XOR wrongly over count too */
	assert_int_equal(read_byte(b), SIM_NACK);
	assert_int_equal(b->stats.page_erases, 0);
	bus_free(b);
}

static void test_no_stretch_mass_erase_special_code(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	unsigned busy;
	command(b, 0x45);
	W(b, 0xFF, 0xFF, 0x00);
	assert_int_equal(poll_answer(b, &busy), SIM_ACK);
	assert_int_equal(busy, 1);
	assert_int_equal(b->stats.mass_erases, 1);
	command(b, 0x45);
	W(b, 0xFF, 0xFE, 0x01); /* bank erase: F411 has one bank */
	assert_int_equal(poll_answer(b, &busy), SIM_NACK);
	bus_free(b);
}

static void test_write_protect_split_frames(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	unsigned busy;
	command(b, 0x64);
	W(b, 0x00, 0xFE); /* bad complement */
	assert_int_equal(read_byte(b), SIM_NACK);
	command(b, 0x64);
	W(b, 0x01, 0xFE);
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 0x00, 0x01, 0x01);
	assert_int_equal(poll_answer(b, &busy), SIM_ACK);
	assert_int_equal(busy, 1);
	assert_true(sim_chip_sector_protected(&b->chip, 0));
	assert_true(sim_chip_sector_protected(&b->chip, 1));
	assert_false(sim_chip_sector_protected(&b->chip, 2));
	assert_int_equal(b->stats.resets, 1);

	command(b, 0x63); /* after the reset: no sync needed on I2C */
	W(b, 0x00, 0xFF);
	assert_int_equal(read_byte(b), SIM_ACK);
	W(b, 0x02, 0x03); /* XOR wrong */
	assert_int_equal(read_byte(b), SIM_NACK);
	bus_free(b);
}

static void test_unprotect_and_readout_commands_ack_twice(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	unsigned busy;
	static const struct {
		uint8_t opcode;
		unsigned busy;
	} steps[] = {{0x74, 1}, {0x73, 0}, {0x83, 1}, {0x93, 1}, {0x82, 0}, {0x92, 0}};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		command(b, steps[i].opcode);
		assert_int_equal(poll_answer(b, &busy), SIM_ACK);
		assert_int_equal(busy, steps[i].busy);
	}
	assert_int_equal(b->stats.resets, 6);
	assert_int_equal(sim_chip_rdp_level(&b->chip), 0);
	bus_free(b);
}

static void test_get_checksum_i2c_form(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32u575", 0x5A, false);
	const uint8_t word[16] = {0xDE, 0xAD, 0xBE, 0xEF};
	unsigned busy;
	write_memory(b, 0x32, 0x08000000, word, sizeof(word), &busy);
	command(b, 0xA1);
	address_frame(b, 0x08000000);
	assert_int_equal(read_byte(b), SIM_ACK);
	address_frame(b, 4); /* size */
	assert_int_equal(read_byte(b), SIM_ACK);
	assert_int_equal(poll_answer(b, &busy), SIM_ACK);
	assert_int_equal(busy, 1);
	EXPECT_READ(b, 0xED, 0xE0, 0x62, 0xE3, 0x8C);

	command(b, 0xA1);
	address_frame(b, 0x08000000);
	assert_int_equal(read_byte(b), SIM_ACK);
	address_frame(b, 6); /* not a multiple of 4 */
	assert_int_equal(read_byte(b), SIM_NACK);
	bus_free(b);
}

static void test_short_read_then_new_frame(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	command(b, 0x00);
	read_frame(b, 1); /* the host read less than queued */
	W(b, 0xFF, 0x00); /* stm32flash's resync: a new frame drops the rest */
	assert_int_equal(read_byte(b), SIM_NACK);
	bus_free(b);
}

static void test_nack_fault_applies(void **state)
{
	(void)state;
	struct sim_fault_spec spec = {.nack = 1.0};
	struct bus *b = bus_new_with("stm32f411xe", 0x39, false, &spec);
	W(b, 0x02, 0xFD);
	assert_int_equal(read_byte(b), SIM_NACK);
	assert_int_equal(b->stats.faults.nack, 1);
	assert_int_equal(b->stats.bytes_in, 2);
	assert_int_equal(b->stats.bytes_out, 1);
	bus_free(b);
}

static void test_stats_name_the_interface(void **state)
{
	(void)state;
	struct bus *b = bus_new("stm32f411xe", 0x39, false);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	struct sim_stats_context context = {"stm32f411xe", 0, "bootloader", "i2c", NULL, NULL};
	sim_stats_write_json(out, &b->stats, &context);
	fclose(out);
	assert_non_null(strstr(text, "\"interface\": \"i2c\""));
	free(text);
	bus_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_lists_no_stretch_codes),
		cmocka_unit_test(test_get_version_is_one_byte),
		cmocka_unit_test(test_crc_device_reports_v12_and_lists_a1_last),
		cmocka_unit_test(test_get_id),
		cmocka_unit_test(test_other_address_is_not_acknowledged),
		cmocka_unit_test(test_no_auto_baud_byte),
		cmocka_unit_test(test_unlisted_command_nacks),
		cmocka_unit_test(test_no_stretch_write_answers_busy_then_ack),
		cmocka_unit_test(test_realtime_busy_until_programmed),
		cmocka_unit_test(test_realtime_stretch_command_stretches),
		cmocka_unit_test(test_erase_split_frames),
		cmocka_unit_test(test_erase_checksums_refused),
		cmocka_unit_test(test_no_stretch_mass_erase_special_code),
		cmocka_unit_test(test_write_protect_split_frames),
		cmocka_unit_test(test_unprotect_and_readout_commands_ack_twice),
		cmocka_unit_test(test_get_checksum_i2c_form),
		cmocka_unit_test(test_short_read_then_new_frame),
		cmocka_unit_test(test_nack_fault_applies),
		cmocka_unit_test(test_stats_name_the_interface),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
