/* Sparse memory images: sorted, non-touching segments.
 *
 * Parsers append records in address order almost always, so the common path
 * (extend the last segment) is amortised O(1); anything else falls back to a
 * binary search and an insert. */
#include <stdlib.h>
#include <string.h>

#include "stm32boot/image.h"

#define END(seg) ((uint64_t)(seg)->address + (seg)->length)

void stm32_image_init(struct stm32_image *image)
{
	memset(image, 0, sizeof(*image));
}

void stm32_image_free(struct stm32_image *image)
{
	for (size_t i = 0; i < image->count; i++)
		free(image->segments[i].data);
	free(image->segments);
	stm32_image_init(image);
}

/* Index of the first segment that ends after address (count if none). */
static size_t first_ending_after(const struct stm32_image *image, uint64_t address)
{
	size_t lo = 0, hi = image->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (END(&image->segments[mid]) <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool stm32_image_covers_any(const struct stm32_image *image, uint32_t address, uint64_t length)
{
	if (length == 0)
		return false;
	size_t i = first_ending_after(image, address);
	return i < image->count && image->segments[i].address < (uint64_t)address + length;
}

static enum stm32_status reserve(struct stm32_segment *seg, size_t need, struct stm32_error *err)
{
	/* a segment length is 32-bit: one covering all 4 GiB cannot be held */
	if (need > UINT32_MAX)
		return stm32_error_set(err, STM32_E_RANGE, "an image segment cannot span the whole 4 GiB address space");
	if (need <= seg->capacity)
		return STM32_OK;
	size_t cap = seg->capacity ? seg->capacity : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *data = realloc(seg->data, cap);
	if (!data)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for a %zu-byte image segment", need);
	seg->data = data;
	seg->capacity = cap;
	return STM32_OK;
}

static enum stm32_status insert_segment(struct stm32_image *image, size_t at, uint32_t address,
					const uint8_t *data, size_t length, struct stm32_error *err)
{
	if (image->count == image->capacity) {
		size_t cap = image->capacity ? image->capacity * 2 : 8;
		struct stm32_segment *segs = realloc(image->segments, cap * sizeof(*segs));
		if (!segs)
			return stm32_error_set(err, STM32_E_NOMEM, "out of memory for image segments");
		image->segments = segs;
		image->capacity = cap;
	}
	struct stm32_segment seg = { .address = address };
	enum stm32_status st = reserve(&seg, length, err);
	if (st)
		return st;
	memcpy(seg.data, data, length);
	seg.length = (uint32_t)length;
	memmove(&image->segments[at + 1], &image->segments[at],
		(image->count - at) * sizeof(image->segments[0]));
	image->segments[at] = seg;
	image->count++;
	return STM32_OK;
}

/* Join segment i with i+1 when they touch. */
static enum stm32_status merge_next(struct stm32_image *image, size_t i, struct stm32_error *err)
{
	if (i + 1 >= image->count)
		return STM32_OK;
	struct stm32_segment *a = &image->segments[i], *b = &image->segments[i + 1];
	if (END(a) != b->address)
		return STM32_OK;
	enum stm32_status st = reserve(a, (size_t)a->length + b->length, err);
	if (st)
		return st;
	memcpy(a->data + a->length, b->data, b->length);
	a->length += b->length;
	free(b->data);
	memmove(b, b + 1, (image->count - i - 2) * sizeof(*b));
	image->count--;
	return STM32_OK;
}

enum stm32_status stm32_image_add(struct stm32_image *image, uint32_t address,
				  const uint8_t *data, size_t length, struct stm32_error *err)
{
	if (length == 0)
		return STM32_OK;
	if ((uint64_t)address + length > 0x100000000ull)
		return stm32_error_set(err, STM32_E_RANGE,
				       "data at 0x%08X of %zu bytes runs past the 4 GiB address space",
				       address, length);
	if (stm32_image_covers_any(image, address, length)) {
		stm32_error_set(err, STM32_E_FORMAT, "overlapping data at 0x%08X", address);
		stm32_error_address(err, address);
		return STM32_E_FORMAT;
	}
	/* fast path: extend the last segment */
	if (image->count) {
		struct stm32_segment *last = &image->segments[image->count - 1];
		if (END(last) == address) {
			enum stm32_status st = reserve(last, (size_t)last->length + length, err);
			if (st)
				return st;
			memcpy(last->data + last->length, data, length);
			last->length += (uint32_t)length;
			return STM32_OK;
		}
	}
	size_t at = first_ending_after(image, address);
	/* a segment ending exactly at address is before `at`: merge into it */
	enum stm32_status st;
	if (at > 0 && END(&image->segments[at - 1]) == address) {
		struct stm32_segment *prev = &image->segments[at - 1];
		st = reserve(prev, (size_t)prev->length + length, err);
		if (st)
			return st;
		memcpy(prev->data + prev->length, data, length);
		prev->length += (uint32_t)length;
		return merge_next(image, at - 1, err);
	}
	st = insert_segment(image, at, address, data, length, err);
	if (st)
		return st;
	return merge_next(image, at, err);
}

/* Remove [address, address+length) from the image, splitting segments. */
static enum stm32_status cut(struct stm32_image *image, uint32_t address, uint64_t length,
			     struct stm32_error *err)
{
	uint64_t end = (uint64_t)address + length;
	size_t i = first_ending_after(image, address);
	while (i < image->count && image->segments[i].address < end) {
		struct stm32_segment *seg = &image->segments[i];
		uint64_t s = seg->address, e = END(seg);
		if (s < address && e > end) {
			/* hole in the middle: split off the tail */
			size_t tail_len = (size_t)(e - end);
			enum stm32_status st = insert_segment(image, i + 1, (uint32_t)end,
							      image->segments[i].data + (end - s), tail_len, err);
			if (st)
				return st;
			image->segments[i].length = (uint32_t)(address - s);
			return STM32_OK;
		}
		if (s < address) {
			seg->length = (uint32_t)(address - s);
			i++;
		} else if (e > end) {
			memmove(seg->data, seg->data + (end - s), (size_t)(e - end));
			seg->length = (uint32_t)(e - end);
			seg->address = (uint32_t)end;
			i++;
		} else {
			free(seg->data);
			memmove(seg, seg + 1, (image->count - i - 1) * sizeof(*seg));
			image->count--;
		}
	}
	return STM32_OK;
}

enum stm32_status stm32_image_put(struct stm32_image *image, uint32_t address,
				  const uint8_t *data, size_t length, struct stm32_error *err)
{
	if (length == 0)
		return STM32_OK;
	if ((uint64_t)address + length > 0x100000000ull)
		return stm32_error_set(err, STM32_E_RANGE,
				       "data at 0x%08X of %zu bytes runs past the 4 GiB address space",
				       address, length);
	/* fully inside one segment: overwrite in place */
	size_t i = first_ending_after(image, address);
	if (i < image->count && image->segments[i].address <= address &&
	    END(&image->segments[i]) >= (uint64_t)address + length) {
		memcpy(image->segments[i].data + (address - image->segments[i].address), data, length);
		return STM32_OK;
	}
	enum stm32_status st = cut(image, address, length, err);
	if (st)
		return st;
	return stm32_image_add(image, address, data, length, err);
}

bool stm32_image_read(const struct stm32_image *image, uint32_t address, uint8_t *out,
		      size_t length, uint8_t fill)
{
	memset(out, fill, length);
	bool any = false;
	uint64_t end = (uint64_t)address + length;
	for (size_t i = first_ending_after(image, address);
	     i < image->count && image->segments[i].address < end; i++) {
		const struct stm32_segment *seg = &image->segments[i];
		uint64_t s = seg->address > address ? seg->address : address;
		uint64_t e = END(seg) < end ? END(seg) : end;
		memcpy(out + (s - address), seg->data + (s - seg->address), (size_t)(e - s));
		any = true;
	}
	return any;
}

uint64_t stm32_image_size(const struct stm32_image *image)
{
	uint64_t total = 0;
	for (size_t i = 0; i < image->count; i++)
		total += image->segments[i].length;
	return total;
}

bool stm32_image_bounds(const struct stm32_image *image, uint32_t *low, uint64_t *high_exclusive)
{
	if (image->count == 0)
		return false;
	if (low)
		*low = image->segments[0].address;
	if (high_exclusive)
		*high_exclusive = END(&image->segments[image->count - 1]);
	return true;
}

enum stm32_status stm32_image_relocate(struct stm32_image *image, int64_t delta, struct stm32_error *err)
{
	if (image->count == 0 || delta == 0)
		return STM32_OK;
	int64_t low = image->segments[0].address;
	int64_t high = (int64_t)END(&image->segments[image->count - 1]);
	if (low + delta < 0 || high + delta > 0x100000000ll)
		return stm32_error_set(err, STM32_E_RANGE,
				       "moving the image by %lld bytes leaves the 4 GiB address space",
				       (long long)delta);
	for (size_t i = 0; i < image->count; i++)
		image->segments[i].address = (uint32_t)(image->segments[i].address + delta);
	return STM32_OK;
}

enum stm32_status stm32_image_clip(struct stm32_image *image, uint32_t address, uint64_t length,
				   struct stm32_error *err)
{
	enum stm32_status st = cut(image, 0, address, err);
	if (st)
		return st;
	uint64_t end = (uint64_t)address + length;
	if (end < 0x100000000ull)
		st = cut(image, (uint32_t)end, 0x100000000ull - end, err);
	return st;
}
