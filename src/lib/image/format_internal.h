/* Private seams between the format front end (format.c) and the per-format
 * readers and writers. Not installed. */
#ifndef STM32BOOT_FORMAT_INTERNAL_H
#define STM32BOOT_FORMAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stm32boot/error.h"
#include "stm32boot/format.h"
#include "stm32boot/image.h"

/* Bytes to parse. A reader reports progress through `consumed` so that a
 * memory-mapped file can give back pages it has finished with, keeping peak
 * memory near the size of the image rather than image plus text. */
struct format_input {
	const uint8_t *data;
	size_t length;
	uint32_t binary_base;
	void (*consumed)(void *context, size_t bytes_done); /* may be NULL */
	void *context;
};

/* How much input a reader may hold before it reports progress. */
#define FORMAT_RELEASE_STEP ((size_t)1 << 20)

void format_report_progress(const struct format_input *in, size_t bytes_done);

/* Detect (when format is AUTO), parse into the empty image, and leave the
 * image empty on failure. */
enum stm32_status format_parse_input(const struct format_input *in, enum stm32_format format,
				     struct stm32_image *image, enum stm32_format *detected,
				     struct stm32_error *err);

/* ---- text helpers (format_text.c) ---- */

/* Hex digit -> value | 0x10; anything else -> 0. The 0x10 bit lets a pair be
 * validated with one AND. */
extern const uint8_t format_hex_digit[256];
extern const char format_hex_upper[16];

struct text_line {
	const uint8_t *text; /* without line terminator and trailing blanks */
	size_t length;
	long number;         /* 1-based */
};

struct text_cursor {
	const uint8_t *data;
	size_t length;
	size_t offset;
	long line_number;
};

void text_cursor_init(struct text_cursor *cursor, const uint8_t *data, size_t length);
/* Next line, blank lines included (length 0). False at end of input. */
bool text_cursor_next(struct text_cursor *cursor, struct text_line *line);

/* Decode `pairs` hex pairs from text into out. Returns the index of the first
 * bad character, or -1 when all were hex digits. */
long format_decode_hex(const uint8_t *text, size_t pairs, uint8_t *out);

/* Set a format error that names the line; returns STM32_E_FORMAT (or
 * `status`). */
enum stm32_status format_line_error(struct stm32_error *err, enum stm32_status status, long line,
				    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Put prefix in front of the message already in err (truncating the end). */
void format_prefix_error(struct stm32_error *err, const char *prefix);

/* Add a record's bytes; overlap and 4 GiB overflow are reported against the
 * line. */
enum stm32_status format_add_record(struct stm32_image *image, long line, uint64_t address,
				    const uint8_t *data, size_t length, struct stm32_error *err);

/* Append `length` hex digits for the bytes at data to out; returns out's end. */
char *format_encode_hex(char *out, const uint8_t *data, size_t length);

/* ---- readers ---- */
enum stm32_status format_binary_read(const struct format_input *in, struct stm32_image *image,
				     struct stm32_error *err);
enum stm32_status format_ihex_read(const struct format_input *in, struct stm32_image *image,
				   struct stm32_error *err);
enum stm32_status format_srec_read(const struct format_input *in, struct stm32_image *image,
				   struct stm32_error *err);
enum stm32_status format_elf_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err);
enum stm32_status format_uf2_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err);
enum stm32_status format_dfu_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err);

/* Content sniffers used by stm32_format_detect. */
bool format_looks_like_ihex(const uint8_t *data, size_t length);
bool format_looks_like_srec(const uint8_t *data, size_t length);
bool format_looks_like_uf2(const uint8_t *data, size_t length);
bool format_looks_like_dfuse(const uint8_t *data, size_t length);

/* ---- writers: write the whole image to out. An I/O error stops them at
 * once: STM32_E_IO with the errno of the failed write in sys_errno (from
 * format_write_failed); the caller names the file. ---- */
enum stm32_status format_write_failed(struct stm32_error *err);
enum stm32_status format_binary_write(FILE *out, const struct stm32_image *image,
				      struct stm32_error *err);
enum stm32_status format_ihex_write(FILE *out, const struct stm32_image *image,
				    struct stm32_error *err);
enum stm32_status format_srec_write(FILE *out, const struct stm32_image *image,
				    struct stm32_error *err);
enum stm32_status format_uf2_write(FILE *out, const struct stm32_image *image, uint32_t family_id,
				   struct stm32_error *err);
enum stm32_status format_dfu_write(FILE *out, const struct stm32_image *image,
				   struct stm32_error *err);

#endif
