/* UF2 (microsoft/uf2): 512-byte blocks, each carrying up to 476 bytes for
 * one address. The writer makes blocks of 256 bytes at 256-aligned
 * addresses (bytes the image does not hold are 0xFF) with the family-ID
 * flag when a family is given; the reader takes every main-flash block. */
#include <stdlib.h>
#include <string.h>

#include "image/format_internal.h"

#define UF2_MAGIC_START0 0x0A324655u
#define UF2_MAGIC_START1 0x9E5D5157u
#define UF2_MAGIC_END 0x0AB16F30u
#define UF2_FLAG_NOT_MAIN_FLASH 0x00000001u
#define UF2_FLAG_FILE_CONTAINER 0x00001000u
#define UF2_FLAG_FAMILY_ID 0x00002000u
#define UF2_DATA_MAX 476u

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static bool block_has_magic(const uint8_t *b)
{
	return get_le32(b) == UF2_MAGIC_START0 && get_le32(b + 4) == UF2_MAGIC_START1 &&
	       get_le32(b + STM32_UF2_BLOCK_SIZE - 4) == UF2_MAGIC_END;
}

bool format_looks_like_uf2(const uint8_t *data, size_t length)
{
	return length >= STM32_UF2_BLOCK_SIZE && block_has_magic(data);
}

enum stm32_status format_uf2_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err)
{
	if (in->length % STM32_UF2_BLOCK_SIZE != 0)
		return stm32_error_set(err, STM32_E_FORMAT,
				       "UF2: %zu bytes is not a whole number of 512-byte blocks",
				       in->length);
	size_t blocks = in->length / STM32_UF2_BLOCK_SIZE;
	bool have_family = false;
	uint32_t family = 0;
	for (size_t i = 0; i < blocks; i++) {
		const uint8_t *b = in->data + i * STM32_UF2_BLOCK_SIZE;
		size_t offset = i * STM32_UF2_BLOCK_SIZE;
		if (!block_has_magic(b))
			return stm32_error_set(err, STM32_E_FORMAT,
					       "UF2 block %zu (offset %zu): bad magic number", i, offset);
		uint32_t flags = get_le32(b + 8), address = get_le32(b + 12);
		uint32_t size = get_le32(b + 16), extra = get_le32(b + 28);
		if (flags & UF2_FLAG_FILE_CONTAINER)
			return stm32_error_set(err, STM32_E_FORMAT,
					       "UF2 block %zu: a file container, not flash contents", i);
		if (size > UF2_DATA_MAX)
			return stm32_error_set(err, STM32_E_FORMAT,
					       "UF2 block %zu: payload of %u bytes (at most 476)", i,
					       (unsigned)size);
		if (flags & UF2_FLAG_NOT_MAIN_FLASH)
			continue;
		if (flags & UF2_FLAG_FAMILY_ID) {
			if (have_family && extra != family)
				return stm32_error_set(err, STM32_E_FORMAT,
						       "UF2 block %zu: family 0x%08X after 0x%08X (one "
						       "family per file)", i, (unsigned)extra,
						       (unsigned)family);
			have_family = true;
			family = extra;
		}
		if ((uint64_t)address + size > 0x100000000ull)
			return stm32_error_set(err, STM32_E_RANGE,
					       "UF2 block %zu: 0x%08X + %u passes 4 GiB", i,
					       (unsigned)address, (unsigned)size);
		if (size && stm32_image_add(image, address, b + 32, size, err) != STM32_OK) {
			char prefix[48];
			snprintf(prefix, sizeof prefix, "UF2 block %zu: ", i);
			format_prefix_error(err, prefix);
			return STM32_E_FORMAT;
		}
	}
	if (stm32_image_size(image) == 0) {
		stm32_error_set(err, STM32_E_FORMAT, "UF2: no main-flash data in %zu blocks", blocks);
		stm32_error_reason(err, STM32_REASON_EMPTY_INPUT);
		return STM32_E_FORMAT;
	}
	return STM32_OK;
}

/* The 256-aligned windows the image touches, in order. */
static size_t count_windows(const struct stm32_image *image)
{
	size_t count = 0;
	uint64_t last = UINT64_MAX;
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		if (!seg->length)
			continue;
		uint64_t first = seg->address / STM32_UF2_PAYLOAD;
		uint64_t end = ((uint64_t)seg->address + seg->length - 1) / STM32_UF2_PAYLOAD;
		if (first == last)
			first++;
		if (end >= first)
			count += (size_t)(end - first + 1);
		last = end;
	}
	return count;
}

enum stm32_status stm32_format_uf2_encode(const struct stm32_image *image, uint32_t family_id,
					  uint8_t **out, size_t *length, struct stm32_error *err)
{
	stm32_error_clear(err);
	*out = NULL;
	*length = 0;
	size_t total = count_windows(image);
	if (total == 0) {
		stm32_error_set(err, STM32_E_FORMAT, "UF2: the image is empty");
		stm32_error_reason(err, STM32_REASON_EMPTY_INPUT);
		return STM32_E_FORMAT;
	}
	if (total > UINT32_MAX || total > SIZE_MAX / STM32_UF2_BLOCK_SIZE)
		return stm32_error_set(err, STM32_E_RANGE, "UF2: too many blocks");
	uint8_t *buf = calloc(total, STM32_UF2_BLOCK_SIZE);
	if (!buf)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	size_t n = 0;
	uint64_t last = UINT64_MAX;
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		if (!seg->length)
			continue;
		uint64_t first = seg->address / STM32_UF2_PAYLOAD;
		uint64_t end = ((uint64_t)seg->address + seg->length - 1) / STM32_UF2_PAYLOAD;
		for (uint64_t w = first == last ? first + 1 : first; w <= end; w++) {
			uint8_t *b = buf + n * STM32_UF2_BLOCK_SIZE;
			uint32_t address = (uint32_t)(w * STM32_UF2_PAYLOAD);
			put_le32(b, UF2_MAGIC_START0);
			put_le32(b + 4, UF2_MAGIC_START1);
			put_le32(b + 8, family_id ? UF2_FLAG_FAMILY_ID : 0);
			put_le32(b + 12, address);
			put_le32(b + 16, STM32_UF2_PAYLOAD);
			put_le32(b + 20, (uint32_t)n);
			put_le32(b + 24, (uint32_t)total);
			put_le32(b + 28, family_id);
			stm32_image_read(image, address, b + 32, STM32_UF2_PAYLOAD, 0xFF);
			put_le32(b + STM32_UF2_BLOCK_SIZE - 4, UF2_MAGIC_END);
			n++;
		}
		last = end;
	}
	*out = buf;
	*length = n * STM32_UF2_BLOCK_SIZE;
	return STM32_OK;
}

enum stm32_status format_uf2_write(FILE *out, const struct stm32_image *image, uint32_t family_id,
				   struct stm32_error *err)
{
	uint8_t *buf;
	size_t length;
	enum stm32_status status = stm32_format_uf2_encode(image, family_id, &buf, &length, err);
	if (status != STM32_OK)
		return status;
	size_t done = fwrite(buf, 1, length, out);
	free(buf);
	return done == length && !ferror(out) ? STM32_OK : format_write_failed(err);
}
