/* Issue 19: where the emulator of an STM32G0B1 departed from the chip. Each
 * test is the reproduction, with the reply the reference manual
 * (RM0444) and AN3155 give. */
#include <stdlib.h>

#include "test_sim_harness.h"

#define DEVICE "stm32g0b1"
#define OPTIONS 0x1FFF7800u
#define WRP1AR_OFFSET 0x18u

static struct harness *g0_new(void)
{
	struct harness *h = harness_new(DEVICE, false);
	harness_sync(h);
	return h;
}

/* The 128-byte option block as the chip holds it now. */
static void read_options(struct harness *h, uint8_t *block)
{
	assert_true(harness_read(h, OPTIONS, block, 128));
}

/* Write Memory to the option area: ACK, then the option reload resets the
 * chip, which waits for a new sync. */
static void write_options(struct harness *h, const uint8_t *block)
{
	assert_int_equal(harness_write(h, OPTIONS, block, 128), SIM_ACK);
	harness_sync(h);
}

/* 1. Write Protect of pages 0 and 1 programs WRP1AR = 0x00010000 (area A,
 * STRT 0, END 1) with its complement; pages 0-1 then keep their bytes. */
static void test_write_protect_programs_wrp1a(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	SEND(h, 0x63, 0x9C);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x01, 0x00, 0x01, 0x00);
	EXPECT_REPLY(h, 0x79);
	harness_sync(h); /* the option reload reset the chip */
	uint8_t got[16];
	assert_true(harness_read(h, 0x1FFF7818u, got, sizeof(got)));
	const uint8_t want[16] = {0x00, 0x00, 0x01, 0x00, 0xFF, 0xFF, 0xFE, 0xFF,
				  0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00};
	assert_memory_equal(got, want, sizeof(want));
	const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(harness_write(h, 0x08000800u, data, sizeof(data)), SIM_ACK);
	assert_int_equal(harness_write(h, 0x08001000u, data, sizeof(data)), SIM_ACK);
	uint8_t page1[8], page2[8];
	assert_true(harness_read(h, 0x08000800u, page1, 8));
	assert_true(harness_read(h, 0x08001000u, page2, 8));
	const uint8_t erased[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	assert_memory_equal(page1, erased, 8);
	assert_memory_equal(page2, data, 8);
	harness_free(h);
}

/* Pages in more runs than a bank has WRP areas (two) cannot be written to
 * the option bytes: NACK, nothing changed. */
static void test_write_protect_three_runs_refused(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	uint8_t before[128], after[128];
	read_options(h, before);
	SEND(h, 0x63, 0x9C);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x02, 0x00, 0x02, 0x04, 0x02 ^ 0x00 ^ 0x02 ^ 0x04);
	EXPECT_REPLY(h, 0x1F);
	read_options(h, after);
	assert_memory_equal(before, after, sizeof(before));
	harness_free(h);
}

/* 2. WRP1AR = 0 written through Write Memory protects page 0: the write is
 * acknowledged (the ROM reports no WRPERR) and the page keeps its bytes. */
static void test_wrp_area_from_option_write_enforced(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	uint8_t block[128];
	read_options(h, block);
	memset(block + WRP1AR_OFFSET, 0x00, 4);
	write_options(h, block);
	const uint8_t data[8] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0};
	assert_int_equal(harness_write(h, 0x08000000u, data, sizeof(data)), SIM_ACK);
	uint8_t got[8];
	assert_true(harness_read(h, 0x08000000u, got, sizeof(got)));
	const uint8_t erased[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	assert_memory_equal(got, erased, sizeof(erased));
	harness_free(h);
}

/* 3. All zeros over a programmed double word is allowed (PROGERR exception);
 * other data over it is still refused. */
static void test_zeros_over_programmed_double_word(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	uint8_t a5[8], zeros[8] = {0}, got[8];
	memset(a5, 0xA5, sizeof(a5));
	assert_int_equal(harness_write(h, 0x08000800u, a5, 8), SIM_ACK);
	assert_int_equal(harness_write(h, 0x08000800u, zeros, 8), SIM_ACK);
	assert_true(harness_read(h, 0x08000800u, got, 8));
	assert_memory_equal(got, zeros, 8);
	assert_int_equal(harness_write(h, 0x08000808u, a5, 8), SIM_ACK);
	uint8_t other[8];
	memset(other, 0x81, sizeof(other));
	assert_int_equal(harness_write(h, 0x08000808u, other, 8), SIM_NACK);
	harness_free(h);
}

/* 4. The 1 KiB OTP area: erased bytes read 0xFF, a double word programs
 * once, and not again, not even with zeros. */
static void test_otp_area(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	SEND(h, 0x11, 0xEE);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x1F, 0xFF, 0x70, 0x00, 0x90);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x0F, 0xF0);
	assert_int_equal(h->reply_length, 17);
	for (size_t i = 1; i < 17; i++)
		assert_int_equal(h->reply[i], 0xFF);
	const uint8_t data[8] = {0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04};
	uint8_t got[8], zeros[8] = {0};
	assert_int_equal(harness_write(h, 0x1FFF73F8u, data, 8), SIM_ACK);
	assert_true(harness_read(h, 0x1FFF73F8u, got, 8));
	assert_memory_equal(got, data, 8);
	assert_int_equal(harness_write(h, 0x1FFF73F8u, zeros, 8), SIM_NACK);
	assert_true(harness_read(h, 0x1FFF73F8u, got, 8));
	assert_memory_equal(got, data, 8);
	/* the span must stay inside the area (AN3155 Write: NACK after the data) */
	assert_int_equal(harness_write(h, 0x1FFF73FCu, data, 8), SIM_NACK);
	harness_free(h);
}

/* 5. A read that runs from system memory on into OTP returns the OTP bytes:
 * the start address is what AN3155 checks. */
static void test_read_from_sysmem_into_otp(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	uint8_t got[16];
	assert_true(harness_read(h, 0x1FFF6FF8u, got, sizeof(got)));
	for (size_t i = 8; i < 16; i++)
		assert_int_equal(got[i], 0xFF);
	harness_free(h);
}

/* 6. The G0B1's second system-memory block, 0x1FFF8000-0x1FFFEFFF, reads. */
static void test_second_system_memory_block(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	SEND(h, 0x11, 0xEE);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x1F, 0xFF, 0x80, 0x00, 0x60);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x00, 0xFF);
	assert_int_equal(h->reply_length, 2);
	uint8_t got[8];
	assert_true(harness_read(h, 0x1FFFEFF8u, got, sizeof(got)));
	assert_false(harness_read(h, 0x1FFFF000u, got, sizeof(got)));
	/* read only: Write is refused at the address */
	SEND(h, 0x31, 0xCE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, 0x1FFF8000u);
	EXPECT_REPLY(h, 0x1F);
	harness_free(h);
}

/* 7. The controller writes each option register's complement itself: a
 * complement word written as zeros reads back as the complement. */
static void test_option_complements_computed(void **state)
{
	(void)state;
	struct harness *h = g0_new();
	uint8_t block[128];
	read_options(h, block);
	memset(block + 4, 0x00, 4);
	write_options(h, block);
	uint8_t got[8];
	assert_true(harness_read(h, OPTIONS, got, sizeof(got)));
	const uint8_t want[8] = {0xAA, 0xFE, 0xFF, 0xFF, 0x55, 0x01, 0x00, 0x00};
	assert_memory_equal(got, want, sizeof(want));
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_protect_programs_wrp1a),
		cmocka_unit_test(test_write_protect_three_runs_refused),
		cmocka_unit_test(test_wrp_area_from_option_write_enforced),
		cmocka_unit_test(test_zeros_over_programmed_double_word),
		cmocka_unit_test(test_otp_area),
		cmocka_unit_test(test_read_from_sysmem_into_otp),
		cmocka_unit_test(test_second_system_memory_block),
		cmocka_unit_test(test_option_complements_computed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
