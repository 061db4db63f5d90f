/* The bootloader commands over I2C (AN4221) and SPI (AN4286), byte for byte
 * and, on I2C, transaction for transaction, against a scripted device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mock_transport.h"
#include "rom/rom_protocol.h"

#define ACK 0x79
#define NACK 0x1F
#define BUSY 0x76
#define IDLE 0xA5 /* what an SPI device shifts out with nothing to say */

/* I2C v1.1 bootloader (F4-like): the classic 11 plus the six no-stretch. */
#define I2C_V11_COMMANDS 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, \
			 0x32, 0x45, 0x64, 0x74, 0x83, 0x93

struct fixture {
	struct mock *m;
	struct stm32_bl bl;
	struct stm32_error err;
};

static struct fixture *fixture_on(void **state, enum stm32_link_kind kind)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->m = mock_new();
	f->m->transport.kind = kind;
	stm32_bl_init(&f->bl, &f->m->transport);
	/* Polls that find nothing wait out these; keep the tests quick. */
	f->bl.timeouts.ack_ms = 50;
	f->bl.timeouts.sync_ms = 50;
	stm32_error_clear(&f->err);
	*state = f;
	return f;
}

static int setup_i2c(void **state)
{
	fixture_on(state, STM32_LINK_I2C);
	return 0;
}

static int setup_spi(void **state)
{
	fixture_on(state, STM32_LINK_SPI);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->m);
	free(f);
	return 0;
}

static void assert_frames(const struct mock *m, const char *expected)
{
	if (strcmp(m->frames, expected) != 0)
		fail_msg("transactions \"%s\", expected \"%s\"", m->frames, expected);
}

static void i2c_learn_v11_commands(struct fixture *f)
{
	f->bl.version = 0x11;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_reply(f->m, MOCK_BYTES(17, 0x11, I2C_V11_COMMANDS));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	memset(f->m->frames, 0, sizeof(f->m->frames));
}

/* ---- I2C ---- */

static void test_i2c_sync_sends_nothing(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->m->writes, 0);
	assert_int_equal(f->m->reads, 0);
}

static void test_i2c_get_version_one_byte(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x11, ACK));
	assert_int_equal(stm32_bl_get_version(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.version, 0x11);
	assert_frames(f->m, "W2 R1 R1 R1 ");
	mock_assert_done(f->m);
}

static void test_i2c_get_reads_the_list_in_one_transaction(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	assert_int_equal(f->bl.command_count, 17);
	/* No-stretch variants win, so a host that cannot stretch works. */
	assert_int_equal(f->bl.cmd_write, 0x32);
	assert_int_equal(f->bl.cmd_erase, 0x45);
	assert_int_equal(f->bl.cmd_write_protect, 0x64);
	assert_int_equal(f->bl.cmd_write_unprotect, 0x74);
	assert_int_equal(f->bl.cmd_readout_protect, 0x83);
	assert_int_equal(f->bl.cmd_readout_unprotect, 0x93);
	mock_assert_done(f->m);
}

static void test_i2c_get_frame_lengths(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	f->bl.version = 0x11;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_reply(f->m, MOCK_BYTES(17, 0x11, I2C_V11_COMMANDS));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 R19 R1 ");
	mock_assert_done(f->m);
}

/* Version 1.2 promises 18 opcodes; a device listing 17 has said so in the
 * count byte, and the second Get reads exactly that. */
static void test_i2c_get_asks_again_with_the_length_it_was_told(void **state)
{
	struct fixture *f = *state;
	f->bl.version = 0x12;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_reply(f->m, MOCK_BYTES(17, 0x12, I2C_V11_COMMANDS, ACK));
	mock_silence(f->m);
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_reply(f->m, MOCK_BYTES(17, 0x12, I2C_V11_COMMANDS));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.command_count, 17);
	assert_int_equal(f->bl.cmd_erase, 0x45);
	assert_non_null(strstr(f->m->frames, "W2 R1 R20 "));
	assert_non_null(strstr(f->m->frames, "W2 R1 R19 R1 "));
	mock_assert_done(f->m);
}

static void test_i2c_get_id_one_transaction(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x02, 0xFD));
	mock_reply(f->m, MOCK_BYTES(ACK, 0x01, 0x04, 0x31, ACK));
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.pid, 0x431);
	assert_frames(f->m, "W2 R1 R3 R1 ");
	mock_assert_done(f->m);
}

static void test_i2c_read_memory(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0xFC));
	mock_reply(f->m, MOCK_BYTES(ACK, 0xDE, 0xAD, 0xBE, 0xEF));
	uint8_t data[4];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 4, &f->err), STM32_OK);
	assert_memory_equal(data, ((uint8_t[]){0xDE, 0xAD, 0xBE, 0xEF}), 4);
	assert_frames(f->m, "W2 R1 W5 R1 W2 R1 R4 ");
	mock_assert_done(f->m);
}

/* No-stretch Write Memory: BUSY while programming, polled until ACK. */
static void test_i2c_write_polls_through_busy(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x32, 0xCD));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x01, 0x00, 0x09));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0x01, 0x02, 0x03, 0x04, 0x07));
	mock_reply(f->m, MOCK_BYTES(BUSY, BUSY));
	mock_silence(f->m); /* address not acknowledged: busy too */
	mock_reply(f->m, MOCK_BYTES(BUSY, ACK));
	const uint8_t data[4] = {1, 2, 3, 4};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000100, data, 4, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 W5 R1 W6 R1 R1 R1 R1 R1 ");
	mock_assert_done(f->m);
}

static void test_i2c_busy_forever_times_out(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	f->bl.timeouts.write_ms = 20;
	mock_expect(f->m, MOCK_BYTES(0x32, 0xCD));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x03, 0x01, 0x02, 0x03, 0x04, 0x07));
	const uint8_t data[4] = {1, 2, 3, 4};
	size_t reads_before = f->m->reads;
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000000, data, 4, &f->err),
			 STM32_E_TIMEOUT);
	assert_non_null(strstr(f->err.message, "no ACK"));
	/* It kept polling rather than giving up at the first silence. */
	assert_true(f->m->reads - reads_before > 3);
}

static void test_i2c_nack_is_reported(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x21, 0xDE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x20, 0x00, 0x00, 0x00, 0x20));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_go(&f->bl, 0x20000000, &f->err), STM32_E_NACK);
	mock_assert_done(f->m);
}

/* AN4221: the count has its own check; the page list's excludes it. */
static void test_i2c_erase_pages_in_two_frames(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x45, 0xBA));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x01, 0x01));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x05, 0x00, 0x07, 0x02));
	mock_reply(f->m, MOCK_BYTES(BUSY, BUSY, ACK));
	const uint16_t pages[2] = {5, 7};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 2, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 W3 R1 W5 R1 R1 R1 ");
	mock_assert_done(f->m);
}

static void test_i2c_mass_erase(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x45, 0xBA));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0xFF, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(BUSY, ACK));
	assert_int_equal(stm32_bl_erase_mass(&f->bl, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 W3 R1 R1 ");
	mock_assert_done(f->m);
}

static void test_i2c_write_protect_in_two_frames(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x64, 0x9B));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x02, 0x03, 0x01));
	mock_reply(f->m, MOCK_BYTES(BUSY, ACK));
	const uint8_t sectors[2] = {2, 3};
	assert_int_equal(stm32_bl_write_protect(&f->bl, sectors, 2, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_i2c_readout_unprotect_polls_second_ack(void **state)
{
	struct fixture *f = *state;
	i2c_learn_v11_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x93, 0x6C));
	mock_reply(f->m, MOCK_BYTES(ACK, BUSY, BUSY, ACK));
	assert_int_equal(stm32_bl_readout_unprotect(&f->bl, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 R1 R1 R1 ");
	mock_assert_done(f->m);
}

/* AN4221's checksum: address and size only, then BUSY, ACK, result. */
static void test_i2c_checksum_fixed_polynomial(void **state)
{
	struct fixture *f = *state;
	f->bl.version = 0x12;
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_reply(f->m, MOCK_BYTES(18, 0x12, I2C_V11_COMMANDS, 0xA1));
	mock_reply(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	memset(f->m->frames, 0, sizeof(f->m->frames));
	mock_expect(f->m, MOCK_BYTES(0xA1, 0x5E));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	mock_reply(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(0x00, 0x00, 0x00, 0x04, 0x04));
	mock_reply(f->m, MOCK_BYTES(ACK, BUSY, ACK, 0xED, 0xE0, 0x62, 0xE3, 0x8C));
	uint32_t crc = 0;
	assert_int_equal(stm32_bl_get_checksum(&f->bl, 0x08000000, 4, &crc, &f->err), STM32_OK);
	assert_int_equal(crc, 0xEDE062E3);
	assert_frames(f->m, "W2 R1 W5 R1 W5 R1 R1 R1 R5 ");
	mock_assert_done(f->m);
}

static void test_i2c_resync_sends_an_invalid_frame(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	/* was the NACK the FF's, the 00 kept as an opcode? a lone 00 settles it */
	mock_expect(f->m, MOCK_BYTES(0x00));
	mock_reply(f->m, MOCK_BYTES(NACK));
	assert_int_equal(stm32_bl_resync(&f->bl, 500, &f->err), STM32_OK);
	assert_frames(f->m, "W2 R1 W1 R1 ");
	mock_assert_done(f->m);
}

/* ---- SPI ---- */

static void spi_ack(struct mock *m)
{
	mock_reply(m, MOCK_BYTES(IDLE, 0x00, ACK));
	mock_expect(m, MOCK_BYTES(ACK));
}

static void test_spi_sync(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(ACK, 0x5A));
	spi_ack(f->m);
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_spi_sync_silence_times_out(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(ACK, 0x5A));
	assert_int_equal(stm32_bl_sync(&f->bl, &f->err), STM32_E_TIMEOUT);
	assert_non_null(strstr(f->err.message, "0x5A"));
}

/* The device NACKs before the frame is complete (it was out of step): the
 * host sees it on MISO, confirms it and reports the frame as not taken. */
static void test_spi_answer_during_a_frame_is_confirmed(void **state)
{
	struct fixture *f = *state;
	mock_clock_out(f->m, MOCK_BYTES(IDLE, NACK, IDLE));
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x02, 0xFD));
	mock_expect(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_E_PROTOCOL);
	assert_non_null(strstr(f->err.message, "0x1F before the frame was complete"));
	mock_assert_done(f->m);
}

/* A device that reset waits for 0x5A: it takes the resync round's 0x5A as
 * its sync and answers while the round is still going out. The host
 * confirms that ACK and goes round again, which the device now NACKs. */
static void test_spi_resync_after_a_reset(void **state)
{
	struct fixture *f = *state;
	mock_clock_out(f->m, MOCK_BYTES(IDLE, IDLE, 0x00, ACK));
	mock_expect(f->m, MOCK_BYTES(ACK, 0x5A, 0xFF, 0x00));
	mock_expect(f->m, MOCK_BYTES(ACK));
	mock_expect(f->m, MOCK_BYTES(ACK, 0x5A, 0xFF, 0x00));
	mock_reply(f->m, MOCK_BYTES(IDLE, NACK));
	mock_expect(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_resync(&f->bl, 500, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_spi_get_id(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x02, 0xFD));
	spi_ack(f->m);
	mock_reply(f->m, MOCK_BYTES(0x00, 0x01, 0x04, 0x62)); /* dummy first */
	spi_ack(f->m);
	assert_int_equal(stm32_bl_get_id(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.pid, 0x462);
	mock_assert_done(f->m);
}

static void test_spi_get_and_version(void **state)
{
	struct fixture *f = *state;
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x00, 0xFF));
	spi_ack(f->m);
	mock_reply(f->m, MOCK_BYTES(0x00, 11, 0x11, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
				    0x73, 0x82, 0x92));
	spi_ack(f->m);
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
	assert_int_equal(f->bl.version, 0x11);
	assert_int_equal(f->bl.command_count, 11);
	assert_int_equal(f->bl.cmd_erase, 0x44);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x01, 0xFE));
	spi_ack(f->m);
	mock_reply(f->m, MOCK_BYTES(0x00, 0x11));
	spi_ack(f->m);
	assert_int_equal(stm32_bl_get_version(&f->bl, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void spi_learn_commands(struct fixture *f)
{
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x00, 0xFF));
	spi_ack(f->m);
	mock_reply(f->m, MOCK_BYTES(0x00, 11, 0x11, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
				    0x73, 0x82, 0x92));
	spi_ack(f->m);
	assert_int_equal(stm32_bl_get(&f->bl, &f->err), STM32_OK);
}

static void test_spi_read_memory(void **state)
{
	struct fixture *f = *state;
	spi_learn_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x11, 0xEE));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x01, 0xFE));
	spi_ack(f->m);
	mock_reply(f->m, MOCK_BYTES(0x00, 0xAB, 0xCD));
	uint8_t data[2];
	assert_int_equal(stm32_bl_read_memory(&f->bl, 0x08000000, data, 2, &f->err), STM32_OK);
	assert_int_equal(data[0], 0xAB);
	assert_int_equal(data[1], 0xCD);
	mock_assert_done(f->m);
}

static void test_spi_write_memory_waits_through_idle(void **state)
{
	struct fixture *f = *state;
	spi_learn_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x31, 0xCE));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x08, 0x00, 0x00, 0x00, 0x08));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x03, 0x01, 0x02, 0x03, 0x04, 0x07));
	mock_reply(f->m, MOCK_BYTES(IDLE, IDLE, IDLE, IDLE));
	spi_ack(f->m);
	const uint8_t data[4] = {1, 2, 3, 4};
	assert_int_equal(stm32_bl_write_memory(&f->bl, 0x08000000, data, 4, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

/* The device waits for the host's 0x79 after a NACK as after an ACK. */
static void test_spi_nack_is_confirmed(void **state)
{
	struct fixture *f = *state;
	spi_learn_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x21, 0xDE));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x20, 0x00, 0x00, 0x00, 0x20));
	mock_reply(f->m, MOCK_BYTES(IDLE, NACK));
	mock_expect(f->m, MOCK_BYTES(ACK));
	assert_int_equal(stm32_bl_go(&f->bl, 0x20000000, &f->err), STM32_E_NACK);
	mock_assert_done(f->m);
}

static void test_spi_erase_pages_in_two_frames(void **state)
{
	struct fixture *f = *state;
	spi_learn_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x44, 0xBB));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x00, 0x00, 0x00));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x01, 0x02, 0x03));
	spi_ack(f->m);
	const uint16_t pages[1] = {0x0102};
	assert_int_equal(stm32_bl_erase_pages(&f->bl, pages, 1, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

static void test_spi_write_protect_in_two_frames(void **state)
{
	struct fixture *f = *state;
	spi_learn_commands(f);
	mock_expect(f->m, MOCK_BYTES(0x5A, 0x63, 0x9C));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x00, 0xFF));
	spi_ack(f->m);
	mock_expect(f->m, MOCK_BYTES(0x04, 0x04));
	spi_ack(f->m);
	const uint8_t sectors[1] = {4};
	assert_int_equal(stm32_bl_write_protect(&f->bl, sectors, 1, &f->err), STM32_OK);
	mock_assert_done(f->m);
}

/* ---- port names ---- */

static void test_i2c_port_needs_an_address(void **state)
{
	(void)state;
	struct stm32_port_options opts;
	stm32_port_options_default(&opts);
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_port_open("/dev/i2c-97", &opts, &t, &err), STM32_E_INVALID);
	assert_null(t);
	assert_non_null(strstr(err.message, "-a"));
}

/* What stm32_port_open would open, told from the name alone. */
static void test_port_names_give_their_link(void **state)
{
	(void)state;
	assert_int_equal(stm32_port_link("/dev/ttyUSB0"), STM32_LINK_UART);
	assert_int_equal(stm32_port_link("/dev/i2c-1"), STM32_LINK_I2C);
	assert_int_equal(stm32_port_link("/dev/spidev0.0"), STM32_LINK_SPI);
	assert_int_equal(stm32_port_link("sim:stm32g071rb"), STM32_LINK_UART);
	assert_int_equal(stm32_port_link("sim:stm32g071rb,image=x,interface=i2c"), STM32_LINK_I2C);
	assert_int_equal(stm32_port_link("sim:stm32g071rb,interface=spi,speed=fast"), STM32_LINK_SPI);
	/* the last interface= wins; a name that is no interface means UART */
	assert_int_equal(stm32_port_link("sim:g0,interface=i2c,interface=spi"), STM32_LINK_SPI);
	assert_int_equal(stm32_port_link("sim:g0,interface=can"), STM32_LINK_UART);
	assert_int_equal(stm32_port_link("sim:g0,interface=i2cx"), STM32_LINK_UART);
	assert_int_equal(stm32_port_link("sim:g0,xinterface=i2c"), STM32_LINK_UART);
	assert_true(stm32_port_is_sim("sim:g0"));
	assert_false(stm32_port_is_sim("/dev/ttyS0"));
}

static void test_i2c_port_goes_to_i2c_dev(void **state)
{
	(void)state;
	struct stm32_port_options opts;
	stm32_port_options_default(&opts);
	opts.i2c_address = 0x39;
	struct stm32_transport *t = NULL;
	struct stm32_error err;
	stm32_error_clear(&err);
	/* No such adapter: the i2c-dev backend's own error, not a tty's. */
	assert_int_not_equal(stm32_port_open("/dev/i2c-97", &opts, &t, &err), STM32_OK);
	assert_non_null(strstr(err.message, "i2c-dev"));
	opts.i2c_address = 0x01;
	assert_int_equal(stm32_port_open("/dev/i2c-97", &opts, &t, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "0x03..0x77"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define I2C(name) cmocka_unit_test_setup_teardown(name, setup_i2c, teardown)
#define SPI(name) cmocka_unit_test_setup_teardown(name, setup_spi, teardown)
		I2C(test_i2c_sync_sends_nothing),
		I2C(test_i2c_get_version_one_byte),
		I2C(test_i2c_get_reads_the_list_in_one_transaction),
		I2C(test_i2c_get_frame_lengths),
		I2C(test_i2c_get_asks_again_with_the_length_it_was_told),
		I2C(test_i2c_get_id_one_transaction),
		I2C(test_i2c_read_memory),
		I2C(test_i2c_write_polls_through_busy),
		I2C(test_i2c_busy_forever_times_out),
		I2C(test_i2c_nack_is_reported),
		I2C(test_i2c_erase_pages_in_two_frames),
		I2C(test_i2c_mass_erase),
		I2C(test_i2c_write_protect_in_two_frames),
		I2C(test_i2c_readout_unprotect_polls_second_ack),
		I2C(test_i2c_checksum_fixed_polynomial),
		I2C(test_i2c_resync_sends_an_invalid_frame),
		SPI(test_spi_sync),
		SPI(test_spi_sync_silence_times_out),
		SPI(test_spi_answer_during_a_frame_is_confirmed),
		SPI(test_spi_resync_after_a_reset),
		SPI(test_spi_get_id),
		SPI(test_spi_get_and_version),
		SPI(test_spi_read_memory),
		SPI(test_spi_write_memory_waits_through_idle),
		SPI(test_spi_nack_is_confirmed),
		SPI(test_spi_erase_pages_in_two_frames),
		SPI(test_spi_write_protect_in_two_frames),
		cmocka_unit_test(test_i2c_port_needs_an_address),
		cmocka_unit_test(test_i2c_port_goes_to_i2c_dev),
		cmocka_unit_test(test_port_names_give_their_link),
#undef I2C
#undef SPI
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
