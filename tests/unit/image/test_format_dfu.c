/* DfuSe .dfu files (UM0391): files built byte by byte here, with this
 * test's own bit-by-bit CRC, are read; each fault is refused naming its
 * offset; what the writer makes is checked field by field. */
#include "test_format_util.h"

/* A file under construction. */
struct dfu_file {
	uint8_t bytes[4096];
	size_t length;
};

static void put_bytes(struct dfu_file *f, const void *data, size_t length)
{
	assert_true(f->length + length <= sizeof f->bytes);
	if (length)
		memcpy(f->bytes + f->length, data, length);
	f->length += length;
}

static void put_u8(struct dfu_file *f, uint8_t v)
{
	put_bytes(f, &v, 1);
}

static void put_le16(struct dfu_file *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	put_bytes(f, b, 2);
}

static void put_le32(struct dfu_file *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put_bytes(f, b, 4);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Bit by bit, no table: reflected, polynomial 0xEDB88320, start 0xFFFFFFFF,
 * no final XOR (dfu-util's dwCRC). */
static uint32_t test_crc(const uint8_t *data, size_t length)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < length; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc;
}

static void put_prefix(struct dfu_file *f, uint8_t targets)
{
	put_bytes(f, "DfuSe", 5);
	put_u8(f, 1);
	put_le32(f, 0); /* image size: patched by finish() */
	put_u8(f, targets);
}

static void put_target(struct dfu_file *f, uint8_t alt, const char *name, uint32_t size,
		       uint32_t elements)
{
	put_bytes(f, "Target", 6);
	put_u8(f, alt);
	put_le32(f, name ? 1 : 0);
	uint8_t padded[255] = { 0 };
	if (name)
		memcpy(padded, name, strlen(name));
	put_bytes(f, padded, sizeof padded);
	put_le32(f, size);
	put_le32(f, elements);
}

static void put_element(struct dfu_file *f, uint32_t address, const uint8_t *data,
			uint32_t size)
{
	put_le32(f, address);
	put_le32(f, size);
	put_bytes(f, data, size);
}

/* The suffix for vendor:product, image size = whole file, CRC last. */
static void finish_ids(struct dfu_file *f, uint16_t vendor, uint16_t product, uint16_t bcd_dfu)
{
	size_t total = f->length + 16;
	f->bytes[6] = (uint8_t)total;
	f->bytes[7] = (uint8_t)(total >> 8);
	f->bytes[8] = 0;
	f->bytes[9] = 0;
	put_le16(f, 0x2200);
	put_le16(f, product);
	put_le16(f, vendor);
	put_le16(f, bcd_dfu);
	put_bytes(f, "UFD", 3);
	put_u8(f, 16);
	put_le32(f, test_crc(f->bytes, f->length));
}

static void finish(struct dfu_file *f)
{
	finish_ids(f, 0x0483, 0xDF11, 0x011A);
}

/* Rewrite the CRC after a deliberate change, so that only the change is wrong. */
static void fix_crc(struct dfu_file *f)
{
	uint32_t crc = test_crc(f->bytes, f->length - 4);
	for (int i = 0; i < 4; i++)
		f->bytes[f->length - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static const uint8_t four[] = { 0xDE, 0xAD, 0xBE, 0xEF };
static const uint8_t three[] = { 0x11, 0x22, 0x33 };

/* One target at alt 0 with two elements. */
static void build_simple(struct dfu_file *f)
{
	memset(f, 0, sizeof *f);
	put_prefix(f, 1);
	put_target(f, 0, "ST...", 8 + 4 + 8 + 3, 2);
	put_element(f, 0x08000000, four, 4);
	put_element(f, 0x08004000, three, 3);
	finish(f);
}

static enum stm32_status parse(const struct dfu_file *f, enum stm32_format format,
			       struct stm32_image *image, enum stm32_format *detected,
			       struct stm32_error *err)
{
	stm32_image_init(image);
	return stm32_format_parse_buffer(f->bytes, f->length, format, 0x20000000, image, detected,
					 err);
}

/* Refused as status, with "offset 0xOFFSET" and `mentions` in the one-line
 * message, and the image left empty. */
static void assert_refused(const struct dfu_file *f, enum stm32_status status, size_t offset,
			   const char *mentions)
{
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_status got = parse(f, STM32_FORMAT_AUTO, &image, NULL, &err);
	char where[40];
	snprintf(where, sizeof where, "offset 0x%zX:", offset);
	if (got != status || !strstr(err.message, where) || !strstr(err.message, mentions))
		fail_msg("got status %d \"%s\"; wanted %d with \"%s\" and \"%s\"", got, err.message,
			 status, where, mentions);
	assert_null(strchr(err.message, '\n'));
	assert_int_equal(image.count, 0);
	assert_false(image.usb.present);
	stm32_image_free(&image);
}

static void crc_helper_matches_the_check_value(void **state)
{
	(void)state;
	/* The usual CRC-32 of "123456789" is 0xCBF43926; without the final XOR: */
	assert_int_equal(test_crc((const uint8_t *)"123456789", 9), 0x340BC6D9u);
}

static void simple_file_is_read(void **state)
{
	(void)state;
	struct dfu_file f;
	build_simple(&f);
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected = STM32_FORMAT_AUTO;
	assert_int_equal(parse(&f, STM32_FORMAT_AUTO, &image, &detected, &err), STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_DFU);
	assert_int_equal(image.count, 2);
	assert_int_equal(image.segments[0].address, 0x08000000);
	assert_int_equal(image.segments[0].length, 4);
	assert_bytes_at(&image, 0x08000000, four, 4);
	assert_int_equal(image.segments[1].address, 0x08004000);
	assert_bytes_at(&image, 0x08004000, three, 3);
	assert_false(image.has_entry);
	assert_true(image.usb.present);
	assert_int_equal(image.usb.vendor, 0x0483);
	assert_int_equal(image.usb.product, 0xDF11);
	assert_int_equal(image.usb.device, 0x2200);
	stm32_image_free(&image);
	/* --format dfu reads it the same way. */
	assert_int_equal(parse(&f, STM32_FORMAT_DFU, &image, &detected, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	stm32_image_free(&image);
}

static void several_targets_and_empty_elements(void **state)
{
	(void)state;
	struct dfu_file f;
	memset(&f, 0, sizeof f);
	put_prefix(&f, 2);
	put_target(&f, 0, NULL, 8 + 4 + 8, 2); /* unnamed; an empty element */
	put_element(&f, 0x08000000, four, 4);
	put_element(&f, 0x08000100, NULL, 0);
	put_target(&f, 1, "Option Bytes", 8 + 3, 1);
	put_element(&f, 0x1FFFC000, three, 3);
	finish_ids(&f, 0x1234, 0xFFFF, 0x011A);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse(&f, STM32_FORMAT_AUTO, &image, NULL, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_bytes_at(&image, 0x08000000, four, 4);
	assert_bytes_at(&image, 0x1FFFC000, three, 3);
	assert_int_equal(image.usb.vendor, 0x1234);
	assert_int_equal(image.usb.product, 0xFFFF);
	stm32_image_free(&image);
}

static void bad_crc_is_refused(void **state)
{
	(void)state;
	struct dfu_file f;
	build_simple(&f);
	f.bytes[11 + 274 + 8] ^= 0x01; /* one data bit */
	assert_refused(&f, STM32_E_FORMAT, f.length - 4, "bad CRC");
	build_simple(&f);
	f.bytes[f.length - 1] ^= 0x80; /* the CRC itself */
	assert_refused(&f, STM32_E_FORMAT, f.length - 4, "bad CRC");
}

static void bad_signatures_are_refused(void **state)
{
	(void)state;
	struct dfu_file f;
	build_simple(&f);
	f.bytes[f.length - 8] = 'X'; /* "UFD" */
	fix_crc(&f);
	assert_refused(&f, STM32_E_FORMAT, f.length - 8, "UFD");
	build_simple(&f);
	f.bytes[f.length - 5] = 12; /* bLength */
	fix_crc(&f);
	assert_refused(&f, STM32_E_FORMAT, f.length - 5, "length is 12");
	build_simple(&f);
	f.bytes[11] = 't'; /* "Target" */
	fix_crc(&f);
	assert_refused(&f, STM32_E_FORMAT, 11, "\"Target\"");
	build_simple(&f);
	f.bytes[5] = 2; /* bVersion */
	fix_crc(&f);
	assert_refused(&f, STM32_E_FORMAT, 5, "version 2");
	/* A plain DFU suffix version on a DfuSe file. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0x08000000, four, 4);
	finish_ids(&f, 0x0483, 0xDF11, 0x0100);
	assert_refused(&f, STM32_E_FORMAT, f.length - 10, "0x0100");
	/* --format dfu on something else. */
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer(four, 4, STM32_FORMAT_DFU, 0, &image, NULL, &err),
			 STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "offset 0x0: no \"DfuSe\" signature"));
}

static void structure_faults_are_refused(void **state)
{
	(void)state;
	struct dfu_file f;
	/* Target size larger than what is left before the suffix. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 100, 1);
	put_element(&f, 0x08000000, four, 4);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 266, "says 100 bytes");
	/* Target size that does not match its elements. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4 + 2, 1);
	put_element(&f, 0x08000000, four, 4);
	put_le16(&f, 0);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 12, "its 1 elements hold 12");
	/* An element that runs past its target. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_le32(&f, 0x08000000);
	put_le32(&f, 5);
	put_bytes(&f, four, 4);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 4, "element 0's 5 bytes");
	/* More elements counted than the target holds. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 2);
	put_element(&f, 0x08000000, four, 4);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 12, "element 1's header");
	/* More targets counted than the file holds. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 2);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0x08000000, four, 4);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 12, "target 1's prefix");
	/* Bytes left over after the last target. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0x08000000, four, 4);
	put_u8(&f, 0);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 12, "1 bytes after the last of 1 targets");
	/* No targets; targets without data. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 0);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 10, "no targets");
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8, 1);
	put_element(&f, 0x08000000, NULL, 0);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11, "hold no data");
	/* Overlapping elements (across targets too). */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 2);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0x08000000, four, 4);
	put_target(&f, 0, "y", 8 + 3, 1);
	put_element(&f, 0x08000003, three, 3);
	finish(&f);
	assert_refused(&f, STM32_E_FORMAT, 11 + 274 + 12 + 274, "overlaps");
	/* Past 4 GiB. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0xFFFFFFFE, four, 4);
	finish(&f);
	assert_refused(&f, STM32_E_RANGE, 11 + 274, "4 GiB");
	/* Too short to hold a prefix and a suffix. */
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	assert_refused(&f, STM32_E_FORMAT, 11, "truncated");
}

/* Every prefix of a good file is refused (never read past its end). */
static void every_truncation_is_refused(void **state)
{
	(void)state;
	struct dfu_file f;
	build_simple(&f);
	for (size_t n = 5; n < f.length; n++) {
		struct stm32_image image;
		struct stm32_error err;
		stm32_image_init(&image);
		enum stm32_status got = stm32_format_parse_buffer(f.bytes, n, STM32_FORMAT_AUTO, 0,
								  &image, NULL, &err);
		if (got != STM32_E_FORMAT)
			fail_msg("%zu of %zu bytes: status %d \"%s\"", n, f.length, got, err.message);
		assert_int_equal(image.count, 0);
	}
}

static void writer_output_is_a_valid_dfuse_file(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x08000000, four, 4, &err), STM32_OK);
	assert_int_equal(stm32_image_add(&image, 0x08010000, three, 3, &err), STM32_OK);
	const char *path = scratch_path(&s, "out.DFU");
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
	FILE *in = fopen(path, "rb");
	assert_non_null(in);
	uint8_t b[1024];
	size_t n = fread(b, 1, sizeof b, in);
	fclose(in);
	size_t want = 11 + 274 + (8 + 4) + (8 + 3) + 16;
	assert_int_equal(n, want);
	assert_memory_equal(b, "DfuSe\x01", 6);
	assert_int_equal(get_le32(b + 6), want); /* as dfuse-pack: the whole file */
	assert_int_equal(b[10], 1);
	const uint8_t *t = b + 11;
	assert_memory_equal(t, "Target\x00", 7);
	assert_int_not_equal(get_le32(t + 7), 0);
	assert_string_equal((const char *)t + 11, "stm32boot");
	assert_int_equal(get_le32(t + 266), (8 + 4) + (8 + 3));
	assert_int_equal(get_le32(t + 270), 2);
	const uint8_t *e = t + 274;
	assert_int_equal(get_le32(e), 0x08000000);
	assert_int_equal(get_le32(e + 4), 4);
	assert_memory_equal(e + 8, four, 4);
	assert_int_equal(get_le32(e + 12), 0x08010000);
	assert_int_equal(get_le32(e + 16), 3);
	assert_memory_equal(e + 20, three, 3);
	const uint8_t *x = b + n - 16;
	/* bcdDevice any, 0483:DF11, bcdDFU 1.1a, "UFD", 16, CRC */
	static const uint8_t ids[] = { 0xFF, 0xFF, 0x11, 0xDF, 0x83, 0x04, 0x1A, 0x01,
				       'U',  'F',  'D',  16 };
	assert_memory_equal(x, ids, sizeof ids);
	assert_int_equal(get_le32(x + 12), test_crc(b, n - 4));
	/* And it reads back as the same image. */
	struct stm32_image back;
	stm32_image_init(&back);
	enum stm32_format detected;
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0, &back, &detected, &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_DFU);
	assert_images_equal(&image, &back);
	stm32_image_free(&back);
	stm32_image_free(&image);
	scratch_close(&s);
}

static void writer_keeps_the_files_ids(void **state)
{
	(void)state;
	struct dfu_file f;
	memset(&f, 0, sizeof f);
	put_prefix(&f, 1);
	put_target(&f, 0, "x", 8 + 4, 1);
	put_element(&f, 0x08000000, four, 4);
	finish_ids(&f, 0x1209, 0x0001, 0x011A);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse(&f, STM32_FORMAT_AUTO, &image, NULL, &err), STM32_OK);
	struct scratch s;
	scratch_open(&s);
	const char *path = scratch_path(&s, "again.bin");
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_DFU, &image, &err), STM32_OK);
	struct stm32_image back;
	stm32_image_init(&back);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0, &back, NULL, &err), STM32_OK);
	assert_true(back.usb.present);
	assert_int_equal(back.usb.vendor, 0x1209);
	assert_int_equal(back.usb.product, 0x0001);
	assert_int_equal(back.usb.device, 0x2200);
	stm32_image_free(&back);
	stm32_image_free(&image);
	scratch_close(&s);
}

static void usb_ids_are_checked(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	/* Not from a .dfu file: nothing to check. */
	assert_int_equal(stm32_format_check_usb_ids(&image, 0x0483, 0xDF11, &err), STM32_OK);
	image.usb = (struct stm32_usb_ids){ .present = true, .vendor = 0x0483, .product = 0xDF11 };
	assert_int_equal(stm32_format_check_usb_ids(&image, 0x0483, 0xDF11, &err), STM32_OK);
	image.usb.product = 0xFFFF; /* any */
	assert_int_equal(stm32_format_check_usb_ids(&image, 0x0483, 0xDF11, &err), STM32_OK);
	image.usb.vendor = 0x1209;
	image.usb.product = 0x0001;
	assert_int_equal(stm32_format_check_usb_ids(&image, 0x0483, 0xDF11, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "1209:0001"));
	assert_non_null(strstr(err.message, "0483:DF11"));
	image.usb.vendor = 0x0483;
	image.usb.product = 0xDF12;
	assert_int_equal(stm32_format_check_usb_ids(&image, 0x0483, 0xDF11, &err), STM32_E_INVALID);
}

static void names_and_extension(void **state)
{
	(void)state;
	assert_string_equal(stm32_format_name(STM32_FORMAT_DFU), "DfuSe");
	assert_int_equal(stm32_format_parse("dfu"), STM32_FORMAT_DFU);
	assert_int_equal(stm32_format_parse("DfuSe"), STM32_FORMAT_DFU);
	assert_int_equal(stm32_format_from_extension("dir/fw.dfu"), STM32_FORMAT_DFU);
	assert_int_equal(stm32_format_detect((const uint8_t *)"DfuSe\x01", 6), STM32_FORMAT_DFU);
	assert_int_equal(stm32_format_detect((const uint8_t *)"DfuS", 4), STM32_FORMAT_BINARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_helper_matches_the_check_value),
		cmocka_unit_test(simple_file_is_read),
		cmocka_unit_test(several_targets_and_empty_elements),
		cmocka_unit_test(bad_crc_is_refused),
		cmocka_unit_test(bad_signatures_are_refused),
		cmocka_unit_test(structure_faults_are_refused),
		cmocka_unit_test(every_truncation_is_refused),
		cmocka_unit_test(writer_output_is_a_valid_dfuse_file),
		cmocka_unit_test(writer_keeps_the_files_ids),
		cmocka_unit_test(usb_ids_are_checked),
		cmocka_unit_test(names_and_extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
