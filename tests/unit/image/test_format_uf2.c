/* UF2 output checked block by block against the microsoft/uf2 layout (the
 * fields are read here with their own arithmetic), the drives.md example
 * (600 bytes at 0x08010000, STM32F4: 3 blocks), and UF2 as an input. */
#include "stm32boot/device.h"
#include "test_format_util.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_block(const uint8_t *b, uint32_t number, uint32_t total, uint32_t address,
			uint32_t family)
{
	assert_int_equal(le32(b + 0), 0x0A324655u);
	assert_int_equal(le32(b + 4), 0x9E5D5157u);
	assert_int_equal(le32(b + 8), family ? 0x2000u : 0u);
	assert_int_equal(le32(b + 12), address);
	assert_int_equal(le32(b + 16), 256u);
	assert_int_equal(le32(b + 20), number);
	assert_int_equal(le32(b + 24), total);
	assert_int_equal(le32(b + 28), family);
	assert_int_equal(le32(b + 508), 0x0AB16F30u);
	for (size_t i = 32 + 256; i < 508; i++)
		assert_int_equal(b[i], 0); /* the unused data area is zero */
}

static void drives_md_example(void **state)
{
	(void)state;
	uint8_t data[600];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x08010000, data, sizeof data, &err), STM32_OK);
	const struct stm32_device *f4 = stm32_device_find("stm32f401xe");
	assert_non_null(f4);
	assert_int_equal(f4->uf2_family, 0x57755A57u);
	uint8_t *uf2;
	size_t length;
	assert_int_equal(stm32_format_uf2_encode(&image, f4->uf2_family, &uf2, &length, &err), STM32_OK);
	assert_int_equal(length, 3 * 512);
	for (uint32_t i = 0; i < 3; i++) {
		const uint8_t *b = uf2 + i * 512;
		check_block(b, i, 3, 0x08010000u + 256 * i, 0x57755A57u);
		for (size_t j = 0; j < 256; j++) {
			size_t at = i * 256 + j;
			assert_int_equal(b[32 + j], at < sizeof data ? data[at] : 0xFF);
		}
	}
	/* Read back: the same bytes, padded with 0xFF to the block's end. */
	struct stm32_image back;
	stm32_image_init(&back);
	enum stm32_format detected;
	assert_int_equal(stm32_format_parse_buffer(uf2, length, STM32_FORMAT_AUTO, 0, &back,
						   &detected, &err), STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_UF2);
	uint8_t got[768];
	assert_true(stm32_image_read(&back, 0x08010000, got, sizeof got, 0));
	assert_memory_equal(got, data, sizeof data);
	assert_int_equal(stm32_image_size(&back), 768);
	free(uf2);
	stm32_image_free(&back);
	stm32_image_free(&image);
}

static void unaligned_and_gaps(void **state)
{
	(void)state;
	uint8_t a[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, b[4] = {0xA, 0xB, 0xC, 0xD};
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	/* 0x080000FC..0x08000106 spans two windows; 0x08000180 shares the second;
	 * 0x08001000 is a window of its own. */
	assert_int_equal(stm32_image_add(&image, 0x080000FC, a, sizeof a, &err), STM32_OK);
	assert_int_equal(stm32_image_add(&image, 0x08000180, b, sizeof b, &err), STM32_OK);
	assert_int_equal(stm32_image_add(&image, 0x08001000, b, sizeof b, &err), STM32_OK);
	uint8_t *uf2;
	size_t length;
	assert_int_equal(stm32_format_uf2_encode(&image, 0, &uf2, &length, &err), STM32_OK);
	assert_int_equal(length, 3 * 512);
	check_block(uf2, 0, 3, 0x08000000, 0);
	check_block(uf2 + 512, 1, 3, 0x08000100, 0);
	check_block(uf2 + 1024, 2, 3, 0x08001000, 0);
	assert_int_equal(uf2[32 + 0xFB], 0xFF);
	assert_int_equal(uf2[32 + 0xFC], 1);
	assert_int_equal(uf2[512 + 32 + 0x06], 0xFF);
	assert_int_equal(uf2[512 + 32 + 0x05], 10);
	assert_int_equal(uf2[512 + 32 + 0x80], 0xA);
	free(uf2);
	stm32_image_free(&image);
}

static void refuses_bad_uf2(void **state)
{
	(void)state;
	uint8_t one[4] = {1, 2, 3, 4};
	struct stm32_image image, back;
	struct stm32_error err;
	stm32_image_init(&image);
	stm32_image_init(&back);
	assert_int_equal(stm32_image_add(&image, 0x08000000, one, sizeof one, &err), STM32_OK);
	uint8_t *uf2;
	size_t length;
	assert_int_equal(stm32_format_uf2_encode(&image, 0x5EE21072u, &uf2, &length, &err), STM32_OK);
	/* Cut short: not a whole block. */
	assert_int_equal(stm32_format_parse_buffer(uf2, length - 1, STM32_FORMAT_UF2, 0, &back, NULL,
						   &err), STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "512-byte blocks"));
	uf2[508] ^= 1; /* end magic */
	assert_int_equal(stm32_format_parse_buffer(uf2, length, STM32_FORMAT_UF2, 0, &back, NULL, &err),
			 STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "magic"));
	uf2[508] ^= 1;
	uf2[17] = 0x02; /* payload 512 + 256 */
	assert_int_equal(stm32_format_parse_buffer(uf2, length, STM32_FORMAT_UF2, 0, &back, NULL, &err),
			 STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "payload"));
	free(uf2);
	stm32_image_free(&image);
}

static void saved_by_extension(void **state)
{
	(void)state;
	char path[] = "/tmp/stm32boot-uf2-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char named[64];
	snprintf(named, sizeof named, "%s.uf2", path);
	uint8_t data[300] = {0};
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x08000000, data, sizeof data, &err), STM32_OK);
	assert_int_equal(stm32_format_from_extension(named), STM32_FORMAT_UF2);
	assert_int_equal(stm32_format_parse("uf2"), STM32_FORMAT_UF2);
	assert_int_equal(stm32_format_save_family(named, STM32_FORMAT_AUTO, &image, 0x6B846188u, &err),
			 STM32_OK);
	FILE *f = fopen(named, "rb");
	assert_non_null(f);
	uint8_t blocks[1024 + 1];
	size_t got = fread(blocks, 1, sizeof blocks, f);
	fclose(f);
	assert_int_equal(got, 1024);
	check_block(blocks, 0, 2, 0x08000000, 0x6B846188u);
	check_block(blocks + 512, 1, 2, 0x08000100, 0x6B846188u);
	unlink(named);
	unlink(path);
	stm32_image_free(&image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drives_md_example),
		cmocka_unit_test(unaligned_and_gaps),
		cmocka_unit_test(refuses_bad_uf2),
		cmocka_unit_test(saved_by_extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
