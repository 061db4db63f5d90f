/* Motorola S-record: reader for S0-S3 and S5-S9, writer using S0/S3/S5|S6/S7.
 *
 * A termination record (S7/S8/S9) whose address is zero is taken as "no
 * entry point", which is what writers emit when they have none; that keeps a
 * save/load round trip exact. */
#include <string.h>

#include "image/format_internal.h"

/* count byte + longest address (4) + 255 bytes is more than a count byte can
 * describe, so 256 bytes of payload bound every record. */
#define SREC_MAX_BYTES 256

struct srec_state {
	struct stm32_image *image;
	unsigned long data_records;
	bool seen_end;
	bool has_entry;
	uint32_t entry;
};

/* Address field width for each record type; 0 = reserved/unknown. */
static size_t srec_address_bytes(int type)
{
	static const uint8_t width[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };
	return type >= 0 && type <= 9 ? width[type] : 0;
}

static uint32_t big_endian(const uint8_t *bytes, size_t count)
{
	uint32_t value = 0;
	for (size_t i = 0; i < count; i++)
		value = (value << 8) | bytes[i];
	return value;
}

static enum stm32_status srec_decode_line(const struct text_line *line, int *type,
					  uint8_t *bytes, size_t *total, struct stm32_error *err)
{
	long n = line->number;
	if (line->length < 2 || line->text[0] != 'S' || line->text[1] < '0' || line->text[1] > '9')
		return format_line_error(err, STM32_E_FORMAT, n,
					 "does not start with 'S' and a record type digit");
	*type = line->text[1] - '0';
	if (*type == 4)
		return format_line_error(err, STM32_E_FORMAT, n, "S4 is a reserved record type");
	size_t digits = line->length - 2;
	if (digits % 2)
		return format_line_error(err, STM32_E_FORMAT, n, "odd number of hex digits (%zu)",
					 digits);
	*total = digits / 2;
	size_t minimum = 1 + srec_address_bytes(*type) + 1;
	if (*total < minimum)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "S%d record too short (%zu bytes, at least %zu needed)", *type,
					 *total, minimum);
	if (*total > SREC_MAX_BYTES)
		return format_line_error(err, STM32_E_FORMAT, n, "record too long (%zu bytes)",
					 *total);
	long bad = format_decode_hex(line->text + 2, *total, bytes);
	if (bad >= 0)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "'%c' at column %ld is not a hex digit",
					 line->text[2 + bad], bad + 3);
	if ((size_t)bytes[0] + 1 != *total)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "byte count says %u bytes follow but the record holds %zu",
					 bytes[0], *total - 1);
	uint8_t sum = 0;
	for (size_t i = 0; i + 1 < *total; i++)
		sum = (uint8_t)(sum + bytes[i]);
	uint8_t expected = (uint8_t)~sum;
	if (bytes[*total - 1] != expected)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "bad checksum 0x%02X (expected 0x%02X)", bytes[*total - 1],
					 expected);
	return STM32_OK;
}

static enum stm32_status srec_record(struct srec_state *st, long line, int type,
				     const uint8_t *bytes, size_t total, struct stm32_error *err)
{
	size_t address_bytes = srec_address_bytes(type);
	uint32_t address = big_endian(bytes + 1, address_bytes);
	const uint8_t *data = bytes + 1 + address_bytes;
	size_t count = total - 2 - address_bytes;
	switch (type) {
	case 0:
		return STM32_OK;
	case 1: case 2: case 3:
		st->data_records++;
		return format_add_record(st->image, line, address, data, count, err);
	case 5: case 6:
		if (address != st->data_records)
			return format_line_error(err, STM32_E_FORMAT, line,
						 "S%d record count %u does not match the %lu data records before it",
						 type, address, st->data_records);
		return STM32_OK;
	case 7: case 8: case 9:
		st->seen_end = true;
		st->has_entry = address != 0;
		st->entry = address;
		return STM32_OK;
	default:
		return format_line_error(err, STM32_E_FORMAT, line, "unknown record type S%d",
					 type);
	}
}

enum stm32_status format_srec_read(const struct format_input *in, struct stm32_image *image,
				   struct stm32_error *err)
{
	struct srec_state st = { .image = image };
	struct text_cursor cursor;
	struct text_line line;
	uint8_t bytes[SREC_MAX_BYTES];
	size_t reported = 0;
	text_cursor_init(&cursor, in->data, in->length);
	while (text_cursor_next(&cursor, &line)) {
		if (line.length == 0)
			continue;
		if (st.seen_end)
			return format_line_error(err, STM32_E_FORMAT, line.number,
						 "text after the termination record (S7/S8/S9)");
		int type = 0;
		size_t total = 0;
		enum stm32_status status = srec_decode_line(&line, &type, bytes, &total, err);
		if (status == STM32_OK)
			status = srec_record(&st, line.number, type, bytes, total, err);
		if (status != STM32_OK)
			return status;
		if (cursor.offset - reported >= FORMAT_RELEASE_STEP) {
			reported = cursor.offset;
			format_report_progress(in, reported);
		}
	}
	if (st.data_records == 0 && !st.seen_end)
		return format_line_error(err, STM32_E_FORMAT,
					 cursor.line_number ? cursor.line_number : 1,
					 "no data records (S1/S2/S3) and no termination record");
	image->has_entry = st.has_entry;
	image->entry = st.entry;
	return STM32_OK;
}

/* ---- writer ---- */

#define SREC_LINE_DATA 16
static const char srec_header_text[] = "stm32boot";

static void srec_emit(FILE *out, int type, uint32_t address, const uint8_t *data, size_t count)
{
	size_t address_bytes = srec_address_bytes(type);
	uint8_t bytes[SREC_MAX_BYTES];
	bytes[0] = (uint8_t)(address_bytes + count + 1);
	for (size_t i = 0; i < address_bytes; i++)
		bytes[1 + i] = (uint8_t)(address >> (8 * (address_bytes - 1 - i)));
	if (count)
		memcpy(bytes + 1 + address_bytes, data, count);
	size_t total = 1 + address_bytes + count;
	uint8_t sum = 0;
	for (size_t i = 0; i < total; i++)
		sum = (uint8_t)(sum + bytes[i]);
	bytes[total] = (uint8_t)~sum;
	char text[2 + 2 * SREC_MAX_BYTES + 1];
	text[0] = 'S';
	text[1] = (char)('0' + type);
	char *end = format_encode_hex(text + 2, bytes, total + 1);
	*end++ = '\n';
	fwrite(text, 1, (size_t)(end - text), out);
}

enum stm32_status format_srec_write(FILE *out, const struct stm32_image *image,
				    struct stm32_error *err)
{
	srec_emit(out, 0, 0, (const uint8_t *)srec_header_text, sizeof(srec_header_text) - 1);
	unsigned long records = 0;
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		for (uint32_t done = 0; done < seg->length; done += SREC_LINE_DATA) {
			uint32_t chunk = seg->length - done;
			if (chunk > SREC_LINE_DATA)
				chunk = SREC_LINE_DATA;
			srec_emit(out, 3, seg->address + done, seg->data + done, chunk);
			if (ferror(out))
				return format_write_failed(err);
			records++;
		}
	}
	if (records <= 0xFFFF)
		srec_emit(out, 5, (uint32_t)records, NULL, 0);
	else if (records <= 0xFFFFFF)
		srec_emit(out, 6, (uint32_t)records, NULL, 0);
	srec_emit(out, 7, image->has_entry ? image->entry : 0, NULL, 0);
	return ferror(out) ? format_write_failed(err) : STM32_OK;
}
