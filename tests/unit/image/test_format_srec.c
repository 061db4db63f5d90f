/* S-record reader: S0-S3, S5-S9, counts, checksums, and each refusal. */
#include "test_format_util.h"

static const uint8_t four[] = { 0xDE, 0xAD, 0xBE, 0xEF };
static const uint8_t header[] = { 'h', 'd', 'r' };

static void literal_s1_and_s9(void **state)
{
	(void)state;
	/* Checked by hand: 07+00+10+DE+AD+BE+EF = 0x34F, ones complement of 0x4F = 0xB0;
	 * S0: 06+68+64+72 = 0x144 -> 0xBB. */
	const char *text = "S0060000686472BB\nS1070010DEADBEEFB0\nS9030000FC\n";
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer((const uint8_t *)text, strlen(text),
						   STM32_FORMAT_AUTO, 0x5000, &image, &detected,
						   &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_SREC);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x10);
	assert_bytes_at(&image, 0x10, four, 4);
	assert_false(image.has_entry); /* S9 0000: no entry */
	stm32_image_free(&image);
}

static void s2_s3_addresses_and_entries(void **state)
{
	(void)state;
	static const struct {
		int data_type, end_type;
		uint32_t address, entry;
	} cases[] = {
		{ 1, 9, 0xFFF0, 0x1234 },
		{ 2, 8, 0x123456, 0xABCDEF },
		{ 3, 7, 0x08000000, 0x08000131 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512] = "";
		append_srec(text, 0, 0, header, sizeof(header));
		append_srec(text, cases[i].data_type, cases[i].address, four, 4);
		append_srec(text, cases[i].data_type, cases[i].address + 4, four, 2);
		append_srec(text, 5, 2, NULL, 0);
		append_srec(text, cases[i].end_type, cases[i].entry, NULL, 0);
		struct stm32_image image;
		struct stm32_error err;
		assert_int_equal(parse_text(text, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
		assert_int_equal(image.count, 1);
		assert_int_equal(image.segments[0].address, cases[i].address);
		assert_int_equal(image.segments[0].length, 6);
		assert_bytes_at(&image, cases[i].address, four, 4);
		assert_true(image.has_entry);
		assert_int_equal(image.entry, cases[i].entry);
		stm32_image_free(&image);
	}
}

static void s6_count_gaps_crlf_no_termination(void **state)
{
	(void)state;
	char body[512] = "";
	append_srec(body, 3, 0x20000000, four, 4);
	append_srec(body, 3, 0x20001000, four, 4);
	append_srec(body, 6, 2, NULL, 0);
	/* to CRLF with a blank line and trailing blanks */
	char text[1024] = "\r\n";
	size_t n = strlen(text);
	for (const char *p = body; *p; p++) {
		if (*p == '\n') {
			memcpy(text + n, "  \r\n", 4);
			n += 4;
		} else {
			text[n++] = *p;
		}
	}
	text[n] = '\0';
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_int_equal(image.segments[1].address, 0x20001000);
	assert_false(image.has_entry);
	stm32_image_free(&image);
}

static void s16_data_may_run_past_64k(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 1, 0xFFFE, four, 4);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_SREC, &image, &err), STM32_OK);
	assert_int_equal(image.segments[0].address, 0xFFFE);
	assert_bytes_at(&image, 0xFFFE, four, 4);
	stm32_image_free(&image);
}

static void expect_refusal(const char *text, enum stm32_status status, long line,
			   const char *also_mentions)
{
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_status got = parse_text(text, STM32_FORMAT_SREC, &image, &err);
	assert_line_error(got, &err, &image, status, line);
	if (also_mentions && !strstr(err.message, also_mentions))
		fail_msg("message \"%s\" does not mention \"%s\"", err.message, also_mentions);
	stm32_image_free(&image);
}

static void refuses_bad_checksum(void **state)
{
	(void)state;
	expect_refusal("S0060000686472BB\nS1070010DEADBEEFB1\nS9030000FC\n", STM32_E_FORMAT, 2,
		       "checksum");
}

static void refuses_count_mismatch(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 1, 0, four, 4);
	append_srec(text, 1, 4, four, 4);
	append_srec(text, 5, 3, NULL, 0);
	append_srec(text, 9, 0, NULL, 0);
	expect_refusal(text, STM32_E_FORMAT, 3, "count");
}

static void refuses_s4(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 1, 0, four, 4);
	append_srec(text, 4, 0, four, 1);
	expect_refusal(text, STM32_E_FORMAT, 2, "S4");
}

static void refuses_byte_count_mismatch(void **state)
{
	(void)state;
	/* count says 8 bytes follow, 7 do */
	expect_refusal("S1080010DEADBEEF49\n", STM32_E_FORMAT, 1, "byte count");
}

static void refuses_odd_digits_and_bad_characters(void **state)
{
	(void)state;
	expect_refusal("S1070010DEADBEEFB\n", STM32_E_FORMAT, 1, "odd");
	expect_refusal("S1070010DEADBXEFB0\n", STM32_E_FORMAT, 1, "'X'");
	expect_refusal("S1070010DEADBEEFB0\nX1070010DEADBEEFB0\n", STM32_E_FORMAT, 2, "'S'");
	expect_refusal("S1070010DEADBEEFB0\nS10200\n", STM32_E_FORMAT, 2, "too short");
}

static void refuses_overlap(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 3, 0x08000000, four, 4);
	append_srec(text, 3, 0x08000100, four, 4);
	append_srec(text, 3, 0x08000003, four, 2);
	expect_refusal(text, STM32_E_FORMAT, 3, "overlap");
}

static void refuses_text_after_termination(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 1, 0, four, 4);
	append_srec(text, 9, 0, NULL, 0);
	append_srec(text, 1, 4, four, 4);
	expect_refusal(text, STM32_E_FORMAT, 3, "termination");
}

static void refuses_input_without_records(void **state)
{
	(void)state;
	char text[512] = "\n";
	append_srec(text, 0, 0, header, sizeof(header));
	expect_refusal(text, STM32_E_FORMAT, 2, "no data records");
	expect_refusal("", STM32_E_FORMAT, 1, "no data records");
}

static void refuses_data_past_4_gib(void **state)
{
	(void)state;
	char text[512] = "";
	append_srec(text, 3, 0xFFFFFFFE, four, 4);
	expect_refusal(text, STM32_E_RANGE, 1, "4 GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_s1_and_s9),
		cmocka_unit_test(s2_s3_addresses_and_entries),
		cmocka_unit_test(s6_count_gaps_crlf_no_termination),
		cmocka_unit_test(s16_data_may_run_past_64k),
		cmocka_unit_test(refuses_bad_checksum),
		cmocka_unit_test(refuses_count_mismatch),
		cmocka_unit_test(refuses_s4),
		cmocka_unit_test(refuses_byte_count_mismatch),
		cmocka_unit_test(refuses_odd_digits_and_bad_characters),
		cmocka_unit_test(refuses_overlap),
		cmocka_unit_test(refuses_text_after_termination),
		cmocka_unit_test(refuses_input_without_records),
		cmocka_unit_test(refuses_data_past_4_gib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
