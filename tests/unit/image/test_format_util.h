/* Helpers shared by the format tests. Records are built here with their own
 * checksum arithmetic, written independently of the library, so a parser bug
 * cannot hide behind a writer bug. */
#ifndef TEST_FORMAT_UTIL_H
#define TEST_FORMAT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "stm32boot/format.h"
#include "stm32boot/image.h"

/* ":" count offset type data checksum "\n" appended to out. */
static inline void append_ihex(char *out, uint8_t type, uint16_t offset, const uint8_t *data,
			       size_t count)
{
	unsigned sum = (unsigned)count + (offset >> 8) + (offset & 0xFF) + type;
	char *p = out + strlen(out);
	p += sprintf(p, ":%02X%04X%02X", (unsigned)count, offset, type);
	for (size_t i = 0; i < count; i++) {
		p += sprintf(p, "%02X", data[i]);
		sum += data[i];
	}
	sprintf(p, "%02X\n", (0x100 - (sum & 0xFF)) & 0xFF);
}

/* An S-record of the given type with an address of the type's width. */
static inline void append_srec(char *out, int type, uint32_t address, const uint8_t *data,
			       size_t count)
{
	static const int width[10] = { 2, 2, 3, 4, 2, 2, 3, 4, 3, 2 };
	int address_bytes = width[type];
	unsigned length = (unsigned)(address_bytes + count + 1);
	unsigned sum = length;
	char *p = out + strlen(out);
	p += sprintf(p, "S%d%02X", type, length);
	for (int i = address_bytes - 1; i >= 0; i--) {
		unsigned byte = (address >> (8 * i)) & 0xFF;
		p += sprintf(p, "%02X", byte);
		sum += byte;
	}
	for (size_t i = 0; i < count; i++) {
		p += sprintf(p, "%02X", data[i]);
		sum += data[i];
	}
	sprintf(p, "%02X\n", ~sum & 0xFF);
}

static inline enum stm32_status parse_text(const char *text, enum stm32_format format,
					   struct stm32_image *image, struct stm32_error *err)
{
	stm32_image_init(image);
	return stm32_format_parse_buffer((const uint8_t *)text, strlen(text), format, 0, image,
					 NULL, err);
}

/* The error is `status`, names line `line` both in the record and the text,
 * and the image was left empty. */
static inline void assert_line_error(enum stm32_status got, const struct stm32_error *err,
				     const struct stm32_image *image, enum stm32_status status,
				     long line)
{
	char expected[32];
	snprintf(expected, sizeof(expected), "line %ld", line);
	if (got != status || err->line != line || !strstr(err->message, expected))
		print_error("got status %d line %ld message \"%s\"; wanted status %d line %ld\n",
			    got, err->line, err->message, status, line);
	assert_int_equal(got, status);
	assert_int_equal(err->status, status);
	assert_int_equal(err->line, line);
	assert_non_null(strstr(err->message, expected));
	assert_int_equal(image->count, 0);
}

static inline uint8_t byte_at(const struct stm32_image *image, uint32_t address)
{
	uint8_t b;
	assert_true(stm32_image_read(image, address, &b, 1, 0xEE));
	return b;
}

static inline void assert_bytes_at(const struct stm32_image *image, uint32_t address,
				   const uint8_t *want, size_t length)
{
	uint8_t *got = malloc(length);
	assert_non_null(got);
	memset(got, 0xEE, length);
	stm32_image_read(image, address, got, length, 0xEE);
	assert_memory_equal(got, want, length);
	free(got);
}

static inline void assert_images_equal(const struct stm32_image *a, const struct stm32_image *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_int_equal(a->segments[i].address, b->segments[i].address);
		assert_int_equal(a->segments[i].length, b->segments[i].length);
		assert_memory_equal(a->segments[i].data, b->segments[i].data, a->segments[i].length);
	}
	assert_int_equal(a->has_entry, b->has_entry);
	if (a->has_entry)
		assert_int_equal(a->entry, b->entry);
}

/* A private scratch directory; paths inside it are built with scratch_path. */
struct scratch {
	char dir[64];
	char path[256];
};

static inline void scratch_open(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/stm32boot-test-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
}

static inline const char *scratch_path(struct scratch *s, const char *name)
{
	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, name);
	return s->path;
}

/* Remove the directory and whatever the test left in it. */
static inline void scratch_close(struct scratch *s)
{
	char command[128];
	snprintf(command, sizeof(command), "rm -rf '%s'", s->dir);
	assert_int_equal(system(command), 0);
}

static inline size_t count_entries(const char *dir)
{
	char command[160];
	snprintf(command, sizeof(command), "ls -A '%s' | wc -l", dir);
	FILE *p = popen(command, "r");
	assert_non_null(p);
	unsigned long n = 0;
	assert_int_equal(fscanf(p, "%lu", &n), 1);
	pclose(p);
	return n;
}

static inline void write_file(const char *path, const void *data, size_t length)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, length, f), length);
	assert_int_equal(fclose(f), 0);
}

#endif
