/* Helpers shared by the line-oriented formats (Intel HEX, S-record): line
 * splitting, table-driven hex decoding, and errors that name the line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/format_internal.h"

#define DIGIT(c, v) [c] = 0x10 | (v)
const uint8_t format_hex_digit[256] = {
	DIGIT('0', 0), DIGIT('1', 1), DIGIT('2', 2), DIGIT('3', 3), DIGIT('4', 4),
	DIGIT('5', 5), DIGIT('6', 6), DIGIT('7', 7), DIGIT('8', 8), DIGIT('9', 9),
	DIGIT('A', 10), DIGIT('B', 11), DIGIT('C', 12), DIGIT('D', 13), DIGIT('E', 14), DIGIT('F', 15),
	DIGIT('a', 10), DIGIT('b', 11), DIGIT('c', 12), DIGIT('d', 13), DIGIT('e', 14), DIGIT('f', 15),
};
#undef DIGIT

const char format_hex_upper[16] = "0123456789ABCDEF";

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

void format_report_progress(const struct format_input *in, size_t bytes_done)
{
	if (in->consumed)
		in->consumed(in->context, bytes_done);
}

void text_cursor_init(struct text_cursor *cursor, const uint8_t *data, size_t length)
{
	cursor->data = data;
	cursor->length = length;
	cursor->offset = 0;
	cursor->line_number = 0;
}

bool text_cursor_next(struct text_cursor *cursor, struct text_line *line)
{
	if (cursor->offset >= cursor->length)
		return false;
	const uint8_t *start = cursor->data + cursor->offset;
	size_t left = cursor->length - cursor->offset;
	const uint8_t *newline = memchr(start, '\n', left);
	size_t length = newline ? (size_t)(newline - start) : left;
	cursor->offset += newline ? length + 1 : length;
	while (length > 0 && is_blank(start[length - 1]))
		length--;
	line->text = start;
	line->length = length;
	line->number = ++cursor->line_number;
	return true;
}

long format_decode_hex(const uint8_t *text, size_t pairs, uint8_t *out)
{
	for (size_t i = 0; i < pairs; i++) {
		uint8_t high = format_hex_digit[text[2 * i]];
		uint8_t low = format_hex_digit[text[2 * i + 1]];
		if (!(high & low & 0x10))
			return (long)(2 * i + ((high & 0x10) ? 1 : 0));
		out[i] = (uint8_t)((high << 4) | (low & 0x0F));
	}
	return -1;
}

char *format_encode_hex(char *out, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		*out++ = format_hex_upper[data[i] >> 4];
		*out++ = format_hex_upper[data[i] & 0x0F];
	}
	return out;
}

void format_prefix_error(struct stm32_error *err, const char *prefix)
{
	if (!err)
		return;
	size_t size = sizeof(err->message);
	size_t head = strlen(prefix), tail = strlen(err->message);
	if (head > size - 1)
		head = size - 1;
	if (head + tail > size - 1)
		tail = size - 1 - head;
	memmove(err->message + head, err->message, tail);
	memcpy(err->message, prefix, head);
	err->message[head + tail] = '\0';
}

enum stm32_status format_line_error(struct stm32_error *err, enum stm32_status status, long line,
				    const char *fmt, ...)
{
	if (!err)
		return status;
	va_list ap;
	va_start(ap, fmt);
	stm32_error_vset(err, status, fmt, ap);
	va_end(ap);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "line %ld: ", line);
	format_prefix_error(err, prefix);
	stm32_error_line(err, line);
	return status;
}

enum stm32_status format_add_record(struct stm32_image *image, long line, uint64_t address,
				    const uint8_t *data, size_t length, struct stm32_error *err)
{
	if (length == 0)
		return STM32_OK;
	if (address + length > 0x100000000ull) {
		format_line_error(err, STM32_E_RANGE, line,
				  "%zu bytes at 0x%08llX run past the 4 GiB address space", length,
				  (unsigned long long)address);
		stm32_error_address(err, (uint32_t)address);
		return STM32_E_RANGE;
	}
	if (stm32_image_covers_any(image, (uint32_t)address, length)) {
		format_line_error(err, STM32_E_FORMAT, line,
				  "data at 0x%08X overlaps data given earlier in the file",
				  (unsigned)address);
		stm32_error_address(err, (uint32_t)address);
		return STM32_E_FORMAT;
	}
	enum stm32_status status = stm32_image_add(image, (uint32_t)address, data, length, err);
	if (status != STM32_OK && err) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "line %ld: ", line);
		format_prefix_error(err, prefix);
		stm32_error_line(err, line);
	}
	return status;
}

/* The first line with something on it, capped so a large binary without
 * newlines is not scanned to the end. */
static bool first_text_line(const uint8_t *data, size_t length, const uint8_t **text,
			    size_t *text_length)
{
	size_t i = 0;
	while (i < length && (is_blank(data[i]) || data[i] == '\n'))
		i++;
	if (i == length)
		return false;
	const size_t longest_record = 1 + 2 * (1 + 4 + 255 + 1) + 8;
	size_t left = length - i;
	size_t scan = left < longest_record ? left : longest_record;
	const uint8_t *newline = memchr(data + i, '\n', scan);
	if (!newline && left > longest_record)
		return false;
	size_t n = newline ? (size_t)(newline - (data + i)) : left;
	while (n > 0 && is_blank(data[i + n - 1]))
		n--;
	*text = data + i;
	*text_length = n;
	return true;
}

static bool all_hex(const uint8_t *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!format_hex_digit[text[i]])
			return false;
	return true;
}

bool format_looks_like_ihex(const uint8_t *data, size_t length)
{
	const uint8_t *text;
	size_t n;
	if (!first_text_line(data, length, &text, &n))
		return false;
	return n >= 2 && text[0] == ':' && all_hex(text + 1, n - 1);
}

bool format_looks_like_srec(const uint8_t *data, size_t length)
{
	const uint8_t *text;
	size_t n;
	if (!first_text_line(data, length, &text, &n))
		return false;
	return n >= 4 && text[0] == 'S' && text[1] >= '0' && text[1] <= '9' &&
	       all_hex(text + 2, n - 2);
}

/* The writers stop at the first failed write and keep its errno. */
enum stm32_status format_write_failed(struct stm32_error *err)
{
	int error_number = errno ? errno : EIO;
	stm32_error_set(err, STM32_E_IO, "%s", strerror(error_number));
	if (err)
		err->sys_errno = error_number;
	return STM32_E_IO;
}
