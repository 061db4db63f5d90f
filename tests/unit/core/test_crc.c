/* The STM32 CRC-32 against protocol.md §1.16 and a bit-by-bit reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stm32boot/crc.h"

/* The hardware's definition: XOR a little-endian word in, 32 MSB-first steps. */
static uint32_t reference_crc(uint32_t crc, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i + 4 <= length; i += 4) {
		crc ^= (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 |
		       (uint32_t)data[i + 3] << 24;
		for (int bit = 0; bit < 32; bit++)
			crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
	}
	return crc;
}

static void test_vectors(void **state)
{
	(void)state;
	const uint8_t zero[4] = {0};
	const uint8_t deadbeef[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
	const uint8_t counting[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	assert_int_equal(stm32_crc32(0xFFFFFFFF, zero, 4), 0xC704DD7B);
	assert_int_equal(stm32_crc32(0xFFFFFFFF, deadbeef, 4), 0xEDE062E3);
	assert_int_equal(stm32_crc32(0xFFFFFFFF, ones, 4), 0x00000000);
	assert_int_equal(stm32_crc32(0xFFFFFFFF, counting, 8), 0x9C08808D);
}

static void test_chunks_chain(void **state)
{
	(void)state;
	const uint8_t counting[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	uint32_t crc = stm32_crc32(0xFFFFFFFF, counting, 4);
	assert_int_equal(stm32_crc32(crc, counting + 4, 4), 0x9C08808D);
}

static void test_matches_bitwise_reference(void **state)
{
	(void)state;
	uint8_t data[1024];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	for (size_t length = 0; length <= sizeof(data); length += 4)
		assert_int_equal(stm32_crc32(0xFFFFFFFF, data, length),
				 reference_crc(0xFFFFFFFF, data, length));
}

static void test_empty_keeps_initial(void **state)
{
	(void)state;
	assert_int_equal(stm32_crc32(0xFFFFFFFF, NULL, 0), 0xFFFFFFFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_chunks_chain),
		cmocka_unit_test(test_matches_bitwise_reference),
		cmocka_unit_test(test_empty_keeps_initial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
