/* The malformed-input corpus in tests/bad/: each file is refused with the
 * status, line and wording its README entry promises. */
#include "stm32boot/device.h"
#include "test_format_util.h"

struct bad_case {
	const char *file;
	enum stm32_status status;
	long line;          /* 0: not a line-oriented error */
	const char *mentions;
};

static const struct bad_case cases[] = {
	{ "hex-truncated.hex", STM32_E_FORMAT, 3, "byte count" },
	{ "hex-bad-checksum.hex", STM32_E_FORMAT, 3, "checksum" },
	{ "hex-unknown-record-type.hex", STM32_E_FORMAT, 3, "type 06" },
	{ "hex-missing-eof.hex", STM32_E_FORMAT, 3, "end-of-file" },
	{ "hex-data-after-eof.hex", STM32_E_FORMAT, 4, "after the end-of-file" },
	{ "hex-odd-digit-count.hex", STM32_E_FORMAT, 3, "odd number" },
	{ "hex-overlap.hex", STM32_E_FORMAT, 4, "overlaps" },
	{ "srec-count-mismatch.srec", STM32_E_FORMAT, 4, "count" },
	{ "srec-bad-checksum.srec", STM32_E_FORMAT, 3, "checksum" },
	{ "srec-overlap.srec", STM32_E_FORMAT, 4, "overlaps" },
	{ "empty.bin", STM32_E_FORMAT, 0, "is empty" },
	{ "elf-truncated.elf", STM32_E_FORMAT, 0, "ELF" },
	{ "dfu-bad-crc.dfu", STM32_E_FORMAT, 0, "offset 0x141: bad CRC 0x2C4C4F45" },
};

static void corpus_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/bad/%s", TEST_DATA_DIR, cases[i].file);
		struct stm32_image image;
		struct stm32_error err;
		stm32_image_init(&image);
		enum stm32_status got =
			stm32_format_load(path, STM32_FORMAT_AUTO, 0x08000000, &image, NULL, &err);
		char line_text[32] = "";
		if (cases[i].line)
			snprintf(line_text, sizeof(line_text), "line %ld", cases[i].line);
		if (got != cases[i].status || err.line != cases[i].line ||
		    !strstr(err.message, cases[i].mentions) || !strstr(err.message, line_text) ||
		    !strstr(err.message, cases[i].file))
			fail_msg("%s: got status %d line %ld \"%s\"", cases[i].file, got, err.line,
				 err.message);
		assert_int_equal(image.count, 0);
		/* one line, as the error contract says */
		assert_null(strchr(err.message, '\n'));
		stm32_image_free(&image);
	}
}

/* The parser accepts data outside any flash; the device database (and so
 * the flash plan) says no device has flash there. */
static void beyond_flash_parses_but_is_in_no_flash(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_load(TEST_DATA_DIR "/bad/hex-beyond-flash.hex",
					   STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x40000000);
	assert_int_equal(image.segments[0].length, 16);
	for (size_t d = 0; d < stm32_device_count(); d++)
		assert_false(stm32_device_in_flash(stm32_device_at(d), 0x40000000, 16));
	stm32_image_free(&image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_is_refused),
		cmocka_unit_test(beyond_flash_parses_but_is_in_no_flash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
