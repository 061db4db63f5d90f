/* Intel HEX: reader for record types 00-05, writer using types 00/04/05/01.
 *
 * Addressing follows the Intel specification: after a type 02 record the data
 * offset wraps inside its 64 KiB segment (a record running past offset FFFF
 * continues at offset 0000 of the same segment); after a type 04 record the
 * address is simply base + offset, so a record may run on into the next
 * 64 KiB. */
#include <string.h>

#include "image/format_internal.h"

enum ihex_record {
	IHEX_DATA = 0x00,
	IHEX_END_OF_FILE = 0x01,
	IHEX_SEGMENT_BASE = 0x02,
	IHEX_SEGMENT_START = 0x03,
	IHEX_LINEAR_BASE = 0x04,
	IHEX_LINEAR_START = 0x05,
};

/* count + address (2) + type + checksum */
#define IHEX_OVERHEAD 5
#define IHEX_MAX_BYTES (IHEX_OVERHEAD + 255)

struct ihex_state {
	struct stm32_image *image;
	uint32_t base;
	bool segmented;   /* base came from a type 02 record */
	bool seen_end;
	bool seen_start;
	uint32_t start;
};

/* Decode one line into bytes, checking shape, length and checksum. */
static enum stm32_status ihex_decode_line(const struct text_line *line, uint8_t *bytes,
					  size_t *count, struct stm32_error *err)
{
	long n = line->number;
	if (line->text[0] != ':')
		return format_line_error(err, STM32_E_FORMAT, n, "does not start with ':'");
	size_t digits = line->length - 1;
	if (digits % 2)
		return format_line_error(err, STM32_E_FORMAT, n, "odd number of hex digits (%zu)",
					 digits);
	size_t total = digits / 2;
	if (total < IHEX_OVERHEAD)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "record too short (%zu bytes, at least %d needed)", total,
					 IHEX_OVERHEAD);
	if (total > IHEX_MAX_BYTES)
		return format_line_error(err, STM32_E_FORMAT, n, "record too long (%zu bytes)",
					 total);
	long bad = format_decode_hex(line->text + 1, total, bytes);
	if (bad >= 0)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "'%c' at column %ld is not a hex digit",
					 line->text[1 + bad], bad + 2);
	if ((size_t)bytes[0] + IHEX_OVERHEAD != total)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "byte count says %u data bytes but the record holds %zu",
					 bytes[0], total - IHEX_OVERHEAD);
	uint8_t sum = 0;
	for (size_t i = 0; i < total; i++)
		sum = (uint8_t)(sum + bytes[i]);
	if (sum != 0)
		return format_line_error(err, STM32_E_FORMAT, n,
					 "bad checksum 0x%02X (expected 0x%02X)", bytes[total - 1],
					 (uint8_t)(bytes[total - 1] - sum));
	*count = bytes[0];
	return STM32_OK;
}

static enum stm32_status expect_length(long line, unsigned type, size_t count, size_t want,
				       struct stm32_error *err)
{
	if (count == want)
		return STM32_OK;
	return format_line_error(err, STM32_E_FORMAT, line,
				 "record type %02X must hold %zu data bytes, not %zu", type, want,
				 count);
}

static enum stm32_status ihex_data(struct ihex_state *st, long line, uint16_t offset,
				   const uint8_t *data, size_t count, struct stm32_error *err)
{
	if (!st->segmented || (size_t)offset + count <= 0x10000)
		return format_add_record(st->image, line, (uint64_t)st->base + offset, data, count,
					 err);
	size_t first = 0x10000u - offset;
	enum stm32_status status =
		format_add_record(st->image, line, (uint64_t)st->base + offset, data, first, err);
	if (status != STM32_OK)
		return status;
	return format_add_record(st->image, line, st->base, data + first, count - first, err);
}

static enum stm32_status ihex_start(struct ihex_state *st, long line, uint32_t start,
				    struct stm32_error *err)
{
	if (st->seen_start && st->start != start)
		return format_line_error(err, STM32_E_FORMAT, line,
					 "second start address 0x%08X differs from 0x%08X",
					 start, st->start);
	st->seen_start = true;
	st->start = start;
	return STM32_OK;
}

static enum stm32_status ihex_record(struct ihex_state *st, long line, const uint8_t *bytes,
				     size_t count, struct stm32_error *err)
{
	unsigned type = bytes[3];
	uint16_t offset = (uint16_t)((bytes[1] << 8) | bytes[2]);
	const uint8_t *data = bytes + 4;
	enum stm32_status status;
	switch (type) {
	case IHEX_DATA:
		return ihex_data(st, line, offset, data, count, err);
	case IHEX_END_OF_FILE:
		if ((status = expect_length(line, type, count, 0, err)))
			return status;
		st->seen_end = true;
		return STM32_OK;
	case IHEX_SEGMENT_BASE:
		if ((status = expect_length(line, type, count, 2, err)))
			return status;
		st->base = (uint32_t)((data[0] << 8) | data[1]) << 4;
		st->segmented = true;
		return STM32_OK;
	case IHEX_LINEAR_BASE:
		if ((status = expect_length(line, type, count, 2, err)))
			return status;
		st->base = (uint32_t)((data[0] << 8) | data[1]) << 16;
		st->segmented = false;
		return STM32_OK;
	case IHEX_SEGMENT_START:
		if ((status = expect_length(line, type, count, 4, err)))
			return status;
		return ihex_start(st, line,
				  ((uint32_t)((data[0] << 8) | data[1]) << 4) +
					  (uint32_t)((data[2] << 8) | data[3]),
				  err);
	case IHEX_LINEAR_START:
		if ((status = expect_length(line, type, count, 4, err)))
			return status;
		return ihex_start(st, line,
				  ((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) |
					  ((uint32_t)data[2] << 8) | data[3],
				  err);
	default:
		return format_line_error(err, STM32_E_FORMAT, line, "unknown record type %02X",
					 type);
	}
}

enum stm32_status format_ihex_read(const struct format_input *in, struct stm32_image *image,
				   struct stm32_error *err)
{
	struct ihex_state st = { .image = image };
	struct text_cursor cursor;
	struct text_line line;
	uint8_t bytes[IHEX_MAX_BYTES];
	size_t reported = 0;
	text_cursor_init(&cursor, in->data, in->length);
	while (text_cursor_next(&cursor, &line)) {
		if (line.length == 0)
			continue;
		if (st.seen_end)
			return format_line_error(err, STM32_E_FORMAT, line.number,
						 "text after the end-of-file record");
		size_t count = 0;
		enum stm32_status status = ihex_decode_line(&line, bytes, &count, err);
		if (status == STM32_OK)
			status = ihex_record(&st, line.number, bytes, count, err);
		if (status != STM32_OK)
			return status;
		if (cursor.offset - reported >= FORMAT_RELEASE_STEP) {
			reported = cursor.offset;
			format_report_progress(in, reported);
		}
	}
	if (!st.seen_end)
		return format_line_error(err, STM32_E_FORMAT,
					 cursor.line_number ? cursor.line_number : 1,
					 "no end-of-file record (type 01): file truncated?");
	image->has_entry = st.seen_start;
	image->entry = st.start;
	return STM32_OK;
}

/* ---- writer ---- */

#define IHEX_LINE_DATA 16

static void ihex_emit(FILE *out, uint8_t type, uint16_t offset, const uint8_t *data, size_t count)
{
	uint8_t bytes[IHEX_MAX_BYTES];
	bytes[0] = (uint8_t)count;
	bytes[1] = (uint8_t)(offset >> 8);
	bytes[2] = (uint8_t)offset;
	bytes[3] = type;
	if (count)
		memcpy(bytes + 4, data, count);
	uint8_t sum = 0;
	for (size_t i = 0; i < count + 4; i++)
		sum = (uint8_t)(sum + bytes[i]);
	bytes[count + 4] = (uint8_t)(0x100 - sum);
	char text[1 + 2 * IHEX_MAX_BYTES + 1];
	text[0] = ':';
	char *end = format_encode_hex(text + 1, bytes, count + IHEX_OVERHEAD);
	*end++ = '\n';
	fwrite(text, 1, (size_t)(end - text), out);
}

static void ihex_emit_u32(FILE *out, uint8_t type, uint32_t value, size_t bytes)
{
	uint8_t data[4] = { (uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8),
			    (uint8_t)value };
	ihex_emit(out, type, 0, data + 4 - bytes, bytes);
}

enum stm32_status format_ihex_write(FILE *out, const struct stm32_image *image,
				    struct stm32_error *err)
{
	uint32_t current_upper = 0;
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		uint64_t address = seg->address;
		uint64_t end = address + seg->length;
		while (address < end) {
			uint32_t upper = (uint32_t)(address >> 16);
			if (upper != current_upper) {
				ihex_emit_u32(out, IHEX_LINEAR_BASE, upper, 2);
				current_upper = upper;
			}
			uint64_t room = 0x10000u - (address & 0xFFFFu);
			uint64_t chunk = end - address;
			if (chunk > IHEX_LINE_DATA)
				chunk = IHEX_LINE_DATA;
			if (chunk > room)
				chunk = room;
			ihex_emit(out, IHEX_DATA, (uint16_t)address,
				  seg->data + (address - seg->address), (size_t)chunk);
			if (ferror(out))
				return format_write_failed(err);
			address += chunk;
		}
	}
	if (image->has_entry)
		ihex_emit_u32(out, IHEX_LINEAR_START, image->entry, 4);
	ihex_emit(out, IHEX_END_OF_FILE, 0, NULL, 0);
	return ferror(out) ? format_write_failed(err) : STM32_OK;
}
