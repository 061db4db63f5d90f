/* Intel HEX reader: every record type, addressing modes, and each refusal. */
#include "test_format_util.h"

static const uint8_t four[] = { 0x01, 0x02, 0x03, 0x04 };
static const char eof_line[] = ":00000001FF\n";

static void literal_data_and_eof(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected = STM32_FORMAT_AUTO;
	const char *text = ":0400000001020304F2\n:00000001FF\n";
	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer((const uint8_t *)text, strlen(text),
						   STM32_FORMAT_AUTO, 0x1234, &image, &detected,
						   &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_IHEX);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0); /* binary_base does not apply */
	assert_bytes_at(&image, 0, four, 4);
	assert_false(image.has_entry);
	stm32_image_free(&image);
}

static void linear_base_literal(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	const char *text = ":020000040800F2\n:0400000001020304F2\n:00000001FF\n";
	assert_int_equal(parse_text(text, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x08000000);
	assert_bytes_at(&image, 0x08000000, four, 4);
	stm32_image_free(&image);
}

static void segment_base(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t segment[2] = { 0x12, 0x34 }; /* base 0x12340 */
	append_ihex(text, 0x02, 0, segment, 2);
	append_ihex(text, 0x00, 0x0010, four, 4);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x12350);
	assert_bytes_at(&image, 0x12350, four, 4);
	stm32_image_free(&image);
}

/* Intel: in segment mode the offset wraps within the 64 KiB segment. */
static void segment_offset_wraps(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t segment[2] = { 0x10, 0x00 }; /* base 0x10000 */
	append_ihex(text, 0x02, 0, segment, 2);
	append_ihex(text, 0x00, 0xFFFE, four, 4);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_int_equal(image.segments[0].address, 0x10000);
	assert_int_equal(image.segments[0].length, 2);
	assert_int_equal(image.segments[1].address, 0x1FFFE);
	assert_int_equal(image.segments[1].length, 2);
	assert_int_equal(byte_at(&image, 0x1FFFE), 0x01);
	assert_int_equal(byte_at(&image, 0x1FFFF), 0x02);
	assert_int_equal(byte_at(&image, 0x10000), 0x03);
	assert_int_equal(byte_at(&image, 0x10001), 0x04);
	stm32_image_free(&image);
}

/* In linear mode the address is base + offset: no wrap. */
static void linear_offset_runs_on(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t upper[2] = { 0x08, 0x00 };
	append_ihex(text, 0x04, 0, upper, 2);
	append_ihex(text, 0x00, 0xFFFE, four, 4);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x0800FFFE);
	assert_bytes_at(&image, 0x0800FFFE, four, 4);
	stm32_image_free(&image);
}

static void start_segment_address(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t cs_ip[4] = { 0x12, 0x34, 0x00, 0x10 };
	append_ihex(text, 0x00, 0, four, 4);
	append_ihex(text, 0x03, 0, cs_ip, 4);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_true(image.has_entry);
	assert_int_equal(image.entry, 0x12340 + 0x10);
	stm32_image_free(&image);
}

static void start_linear_address(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t entry[4] = { 0x08, 0x00, 0x01, 0x31 };
	append_ihex(text, 0x00, 0, four, 4);
	append_ihex(text, 0x05, 0, entry, 4);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_true(image.has_entry);
	assert_int_equal(image.entry, 0x08000131);
	stm32_image_free(&image);
}

static void crlf_blank_lines_trailing_space_lowercase(void **state)
{
	(void)state;
	const char *text = "\r\n  \n:020000040800f2 \t\r\n\r\n:0400000001020304f2\r\n:00000001ff\r\n\r\n  ";
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer((const uint8_t *)text, strlen(text),
						   STM32_FORMAT_AUTO, 0, &image, &detected, &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_IHEX);
	assert_bytes_at(&image, 0x08000000, four, 4);
	stm32_image_free(&image);
}

static void eof_without_final_newline(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(":0400000001020304F2\n:00000001FF", STM32_FORMAT_IHEX, &image,
				    &err),
			 STM32_OK);
	assert_int_equal(stm32_image_size(&image), 4);
	stm32_image_free(&image);
}

static void gaps_stay_gaps_and_order_is_free(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0x0100, four, 4);
	append_ihex(text, 0x00, 0x0000, four, 4);
	append_ihex(text, 0x00, 0x0104, four, 2); /* touches the first: merged */
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_int_equal(image.segments[0].address, 0);
	assert_int_equal(image.segments[0].length, 4);
	assert_int_equal(image.segments[1].address, 0x100);
	assert_int_equal(image.segments[1].length, 6);
	uint8_t gap[4];
	assert_false(stm32_image_read(&image, 0x10, gap, sizeof(gap), 0xFF));
	stm32_image_free(&image);
}

static void empty_data_record_and_max_length_record(void **state)
{
	(void)state;
	uint8_t big[255];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	char text[2048] = "";
	append_ihex(text, 0x00, 0x0200, NULL, 0);
	append_ihex(text, 0x00, 0x0000, big, sizeof(big));
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_bytes_at(&image, 0, big, sizeof(big));
	stm32_image_free(&image);
}

/* ---- refusals: status, line number in the record and the text ---- */

static void expect_refusal(const char *text, enum stm32_status status, long line,
			   const char *also_mentions)
{
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_status got = parse_text(text, STM32_FORMAT_IHEX, &image, &err);
	assert_line_error(got, &err, &image, status, line);
	if (also_mentions && !strstr(err.message, also_mentions))
		fail_msg("message \"%s\" does not mention \"%s\"", err.message, also_mentions);
	stm32_image_free(&image);
}

/* Lines that are not Intel HEX, each as literal text: the line the error
 * names and a word its message must carry. */
static void refuses_malformed_lines(void **state)
{
	(void)state;
	static const struct {
		const char *why, *text;
		long line;
		const char *mentions;
	} cases[] = {
		{ "bad checksum", ":0400000001020304F2\n:0400040001020304F3\n:00000001FF\n", 2,
		  "checksum" },
		{ "odd digit count", ":0400000001020304F2\n:040004000102030F3\n:00000001FF\n", 2, "odd" },
		/* says 4 bytes, holds 3 (checksum made to match the bytes present) */
		{ "byte count mismatch", ":04000000010203F6\n:00000001FF\n", 1, "byte count" },
		{ "truncated line", ":0400000001020304F2\n:0400\n", 2, "too short" },
		{ "missing colon", ":0400000001020304F2\n0400040001020304EE\n:00000001FF\n", 2, "':'" },
		{ "non-hex character", ":0400000001020304F2\n:04000400010G0304EE\n:00000001FF\n", 2,
		  "'G'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: %s\n", cases[i].why);
		expect_refusal(cases[i].text, STM32_E_FORMAT, cases[i].line, cases[i].mentions);
	}
}

static void refuses_unknown_record_type(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0, four, 4);
	append_ihex(text, 0x06, 0, four, 2);
	strcat(text, eof_line);
	expect_refusal(text, STM32_E_FORMAT, 2, "type 06");
}

static void refuses_missing_eof(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0, four, 4);
	append_ihex(text, 0x00, 4, four, 4);
	expect_refusal(text, STM32_E_FORMAT, 2, "end-of-file");
}

static void refuses_data_after_eof(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0, four, 4);
	strcat(text, eof_line);
	strcat(text, "\n");
	append_ihex(text, 0x00, 4, four, 4);
	expect_refusal(text, STM32_E_FORMAT, 4, "after the end-of-file");
}

static void refuses_overlap_naming_the_line(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0x0000, four, 4);
	append_ihex(text, 0x00, 0x0010, four, 4);
	append_ihex(text, 0x00, 0x0002, four, 4);
	strcat(text, eof_line);
	expect_refusal(text, STM32_E_FORMAT, 3, "overlap");
}

static void refuses_eof_with_data(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x00, 0, four, 4);
	append_ihex(text, 0x01, 0, four, 1);
	expect_refusal(text, STM32_E_FORMAT, 2, "type 01");
}

static void refuses_extended_address_of_wrong_length(void **state)
{
	(void)state;
	char text[512] = "";
	append_ihex(text, 0x04, 0, four, 3);
	strcat(text, eof_line);
	expect_refusal(text, STM32_E_FORMAT, 1, "type 04");
}

static void refuses_conflicting_start_addresses(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t a[4] = { 0x08, 0, 0, 1 }, b[4] = { 0x08, 0, 0, 5 };
	append_ihex(text, 0x05, 0, a, 4);
	append_ihex(text, 0x05, 0, a, 4); /* the same again is harmless */
	append_ihex(text, 0x05, 0, b, 4);
	strcat(text, eof_line);
	expect_refusal(text, STM32_E_FORMAT, 3, "start address");
}

static void refuses_data_past_4_gib(void **state)
{
	(void)state;
	char text[512] = "";
	uint8_t upper[2] = { 0xFF, 0xFF };
	append_ihex(text, 0x04, 0, upper, 2);
	append_ihex(text, 0x00, 0xFFFE, four, 2); /* fits exactly */
	append_ihex(text, 0x00, 0xFFFD, four, 1);
	strcat(text, eof_line);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_text(text, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	assert_int_equal(byte_at(&image, 0xFFFFFFFF), 0x02);
	stm32_image_free(&image);

	text[0] = '\0';
	append_ihex(text, 0x04, 0, upper, 2);
	append_ihex(text, 0x00, 0xFFFE, four, 4);
	strcat(text, eof_line);
	expect_refusal(text, STM32_E_RANGE, 2, "4 GiB");
}

static void empty_or_blank_input_has_no_eof(void **state)
{
	(void)state;
	expect_refusal("", STM32_E_FORMAT, 1, "end-of-file");
	expect_refusal("\n\n", STM32_E_FORMAT, 2, "end-of-file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_data_and_eof),
		cmocka_unit_test(linear_base_literal),
		cmocka_unit_test(segment_base),
		cmocka_unit_test(segment_offset_wraps),
		cmocka_unit_test(linear_offset_runs_on),
		cmocka_unit_test(start_segment_address),
		cmocka_unit_test(start_linear_address),
		cmocka_unit_test(crlf_blank_lines_trailing_space_lowercase),
		cmocka_unit_test(eof_without_final_newline),
		cmocka_unit_test(gaps_stay_gaps_and_order_is_free),
		cmocka_unit_test(empty_data_record_and_max_length_record),
		cmocka_unit_test(refuses_malformed_lines),
		cmocka_unit_test(refuses_unknown_record_type),
		cmocka_unit_test(refuses_missing_eof),
		cmocka_unit_test(refuses_data_after_eof),
		cmocka_unit_test(refuses_overlap_naming_the_line),
		cmocka_unit_test(refuses_eof_with_data),
		cmocka_unit_test(refuses_extended_address_of_wrong_length),
		cmocka_unit_test(refuses_conflicting_start_addresses),
		cmocka_unit_test(refuses_data_past_4_gib),
		cmocka_unit_test(empty_or_blank_input_has_no_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
