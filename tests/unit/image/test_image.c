/* Sparse images (src/lib/image.c), tested from the header's promises:
 * sorted, never-touching segments; overlap refused by add, overwritten by
 * put; read with fill; clip; relocate; bounds at the 4 GiB edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stm32boot/image.h"

/* The structural promise of image.h, checked after every change. */
static void assert_well_formed(const struct stm32_image *image)
{
	assert_true(image->count <= image->capacity || image->count == 0);
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *seg = &image->segments[i];
		assert_true(seg->length > 0);
		assert_non_null(seg->data);
		assert_true((uint64_t)seg->address + seg->length <= 0x100000000ull);
		if (i + 1 < image->count) /* sorted and not touching */
			assert_true((uint64_t)seg->address + seg->length < image->segments[i + 1].address);
	}
}

/* A byte pattern that says where it came from. */
static uint8_t pattern(uint32_t address, uint8_t salt)
{
	return (uint8_t)((address * 31u) ^ (address >> 8) ^ salt);
}

static enum stm32_status add_pattern(struct stm32_image *image, uint32_t address, size_t length,
				     uint8_t salt)
{
	uint8_t *data = malloc(length ? length : 1);
	assert_non_null(data);
	for (size_t i = 0; i < length; i++)
		data[i] = pattern(address + (uint32_t)i, salt);
	struct stm32_error err;
	enum stm32_status st = stm32_image_add(image, address, data, length, &err);
	free(data);
	assert_well_formed(image);
	return st;
}

static void assert_pattern(const struct stm32_image *image, uint32_t address, size_t length,
			   uint8_t salt)
{
	uint8_t *got = malloc(length);
	assert_non_null(got);
	assert_true(stm32_image_read(image, address, got, length, 0x5A));
	for (size_t i = 0; i < length; i++)
		if (got[i] != pattern(address + (uint32_t)i, salt))
			fail_msg("byte at 0x%08X is 0x%02X, expected 0x%02X", address + (unsigned)i,
				 got[i], pattern(address + (uint32_t)i, salt));
	free(got);
}

static void assert_segment(const struct stm32_image *image, size_t index, uint32_t address,
			   uint32_t length)
{
	assert_true(index < image->count);
	assert_int_equal(image->segments[index].address, address);
	assert_int_equal(image->segments[index].length, length);
}

static void empty_image(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(image.count, 0);
	assert_int_equal(stm32_image_size(&image), 0);
	assert_false(stm32_image_bounds(&image, NULL, NULL));
	assert_false(stm32_image_covers_any(&image, 0, 0x100000000ull));
	uint8_t out[4];
	assert_false(stm32_image_read(&image, 0, out, 4, 0xFF));
	assert_memory_equal(out, "\xFF\xFF\xFF\xFF", 4);
	assert_int_equal(stm32_image_relocate(&image, 0x1000, NULL), STM32_OK);
	assert_int_equal(stm32_image_clip(&image, 0, 10, NULL), STM32_OK);
	stm32_image_free(&image);
	stm32_image_free(&image); /* free leaves an initialised image */
}

static void adds_merge_when_touching(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x1000, 0x10, 1), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x1010, 0x10, 1), STM32_OK); /* after */
	assert_int_equal(image.count, 1);
	assert_int_equal(add_pattern(&image, 0x0FF0, 0x10, 1), STM32_OK); /* before */
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0x0FF0, 0x30);
	assert_int_equal(add_pattern(&image, 0x2000, 0x10, 1), STM32_OK); /* apart */
	assert_int_equal(add_pattern(&image, 0x0100, 0x10, 1), STM32_OK); /* apart, first */
	assert_int_equal(image.count, 3);
	assert_segment(&image, 0, 0x0100, 0x10);
	assert_segment(&image, 1, 0x0FF0, 0x30);
	assert_segment(&image, 2, 0x2000, 0x10);
	/* fill the hole between the 2nd and 3rd exactly: all three join */
	assert_int_equal(add_pattern(&image, 0x1020, 0x2000 - 0x1020, 1), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_segment(&image, 1, 0x0FF0, 0x2010 - 0x0FF0);
	assert_pattern(&image, 0x0FF0, 0x2010 - 0x0FF0, 1);
	assert_int_equal(stm32_image_size(&image), 0x10 + 0x2010 - 0x0FF0);
	uint32_t low;
	uint64_t high;
	assert_true(stm32_image_bounds(&image, &low, &high));
	assert_int_equal(low, 0x100);
	assert_int_equal(high, 0x2010);
	/* zero-length add changes nothing, even where data is */
	assert_int_equal(add_pattern(&image, 0x1000, 0, 1), STM32_OK);
	assert_int_equal(image.count, 2);
	stm32_image_free(&image);
}

static void add_refuses_any_overlap(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x1000, 0x100, 1), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x3000, 0x100, 1), STM32_OK);
	static const struct {
		uint32_t address, length;
	} clashes[] = {
		{ 0x1000, 0x100 }, { 0x0FFF, 2 }, { 0x10FF, 1 }, { 0x1080, 0x10 },
		{ 0x0F00, 0x3000 }, { 0x2000, 0x1001 }, { 0x0000, 0x10000 },
	};
	for (size_t i = 0; i < sizeof(clashes) / sizeof(clashes[0]); i++) {
		struct stm32_error err;
		uint8_t *data = calloc(1, clashes[i].length);
		assert_non_null(data);
		assert_int_equal(stm32_image_add(&image, clashes[i].address, data, clashes[i].length,
						 &err),
				 STM32_E_FORMAT);
		assert_int_equal(err.status, STM32_E_FORMAT);
		assert_true(err.has_address);
		free(data);
		assert_int_equal(image.count, 2);
		assert_int_equal(stm32_image_size(&image), 0x200);
		assert_pattern(&image, 0x1000, 0x100, 1);
	}
	stm32_image_free(&image);
}

static void add_at_the_4_gib_edge(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	uint8_t two[2] = { 0xAB, 0xCD };
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0xFFFFFFFF, two, 2, &err), STM32_E_RANGE);
	assert_int_equal(image.count, 0);
	assert_int_equal(stm32_image_add(&image, 0xFFFFFFFF, two, 1, &err), STM32_OK);
	assert_int_equal(add_pattern(&image, 0xFFFFFF00, 0xFF, 2), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0xFFFFFF00, 0x100);
	uint32_t low;
	uint64_t high;
	assert_true(stm32_image_bounds(&image, &low, &high));
	assert_int_equal(low, 0xFFFFFF00);
	assert_int_equal(high, 0x100000000ull);
	assert_true(stm32_image_covers_any(&image, 0xFFFFFFFF, 1));
	assert_true(stm32_image_covers_any(&image, 0xFFFFFFFF, 0x1000)); /* past the top */
	uint8_t last[1];
	assert_true(stm32_image_read(&image, 0xFFFFFFFF, last, 1, 0));
	assert_int_equal(last[0], 0xAB);
	stm32_image_free(&image);
}

static void covers_any_edges(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x100, 0x100, 0), STM32_OK);
	assert_false(stm32_image_covers_any(&image, 0x0, 0x100));
	assert_true(stm32_image_covers_any(&image, 0x0, 0x101));
	assert_true(stm32_image_covers_any(&image, 0x1FF, 1));
	assert_false(stm32_image_covers_any(&image, 0x200, 0x1000));
	assert_false(stm32_image_covers_any(&image, 0x150, 0));
	assert_true(stm32_image_covers_any(&image, 0, 0x100000000ull));
	stm32_image_free(&image);
}

static void read_fills_gaps(void **state)
{
	(void)state;
	struct stm32_image image;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x10, 4, 3), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x20, 4, 3), STM32_OK);
	uint8_t out[0x20];
	assert_true(stm32_image_read(&image, 0x0E, out, sizeof(out), 0xFF));
	for (uint32_t a = 0x0E; a < 0x0E + sizeof(out); a++) {
		bool held = (a >= 0x10 && a < 0x14) || (a >= 0x20 && a < 0x24);
		assert_int_equal(out[a - 0x0E], held ? pattern(a, 3) : 0xFF);
	}
	assert_false(stm32_image_read(&image, 0x14, out, 0x0C, 0x00));
	for (size_t i = 0; i < 0x0C; i++)
		assert_int_equal(out[i], 0x00);
	/* a read ending exactly at the top of the address space */
	assert_false(stm32_image_read(&image, 0xFFFFFFF0, out, 0x10, 0xEE));
	stm32_image_free(&image);
}

static void put_overwrites_and_joins(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x100, 0x100, 1), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x300, 0x100, 1), STM32_OK);

	/* inside one segment */
	uint8_t ones[0x400];
	memset(ones, 0x11, sizeof(ones));
	assert_int_equal(stm32_image_put(&image, 0x180, ones, 0x10, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 2);
	assert_pattern(&image, 0x100, 0x80, 1);
	assert_pattern(&image, 0x190, 0x70, 1);

	/* across the gap: one segment [0x100, 0x400) with the middle replaced */
	assert_int_equal(stm32_image_put(&image, 0x1F0, ones, 0x120, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0x100, 0x300);
	assert_pattern(&image, 0x100, 0x80, 1);
	assert_pattern(&image, 0x310, 0xF0, 1);
	uint8_t out[0x120];
	stm32_image_read(&image, 0x1F0, out, sizeof(out), 0);
	assert_memory_equal(out, ones, sizeof(out));

	/* over everything and beyond both ends */
	assert_int_equal(stm32_image_put(&image, 0x80, ones, 0x400, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0x80, 0x400);

	/* in empty space, and the 4 GiB limit */
	assert_int_equal(stm32_image_put(&image, 0x1000, ones, 4, &err), STM32_OK);
	assert_int_equal(image.count, 2);
	assert_int_equal(stm32_image_put(&image, 0xFFFFFFFE, ones, 3, &err), STM32_E_RANGE);
	assert_int_equal(stm32_image_put(&image, 0xFFFFFFFE, ones, 2, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(stm32_image_size(&image), 0x400 + 4 + 2);
	stm32_image_free(&image);
}

/* put touching a segment on either side must merge, not leave two
 * touching segments. */
static void put_touching_merges(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	uint8_t twos[0x10];
	memset(twos, 0x22, sizeof(twos));
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x100, 0x10, 1), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x120, 0x10, 1), STM32_OK);
	assert_int_equal(stm32_image_put(&image, 0x110, twos, 0x10, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0x100, 0x30);
	stm32_image_free(&image);
}

static void relocate_moves_or_refuses(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x0, 0x10, 4), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x100, 0x10, 4), STM32_OK);
	assert_int_equal(stm32_image_relocate(&image, 0x08000000, &err), STM32_OK);
	assert_segment(&image, 0, 0x08000000, 0x10);
	assert_segment(&image, 1, 0x08000100, 0x10);
	uint8_t out[0x10];
	stm32_image_read(&image, 0x08000100, out, 0x10, 0);
	for (uint32_t i = 0; i < 0x10; i++)
		assert_int_equal(out[i], pattern(0x100 + i, 4));

	assert_int_equal(stm32_image_relocate(&image, -0x08000001ll, &err), STM32_E_RANGE);
	assert_segment(&image, 0, 0x08000000, 0x10); /* unchanged */
	/* top byte lands exactly on 0xFFFFFFFF: allowed; one more is not */
	int64_t to_top = 0x100000000ll - 0x08000110ll;
	assert_int_equal(stm32_image_relocate(&image, to_top + 1, &err), STM32_E_RANGE);
	assert_segment(&image, 1, 0x08000100, 0x10);
	assert_int_equal(stm32_image_relocate(&image, to_top, &err), STM32_OK);
	assert_segment(&image, 1, 0xFFFFFFF0, 0x10);
	assert_int_equal(stm32_image_relocate(&image, -(int64_t)0xFFFFFEF0ll, &err), STM32_OK);
	assert_segment(&image, 0, 0x0, 0x10);
	assert_well_formed(&image);
	stm32_image_free(&image);
}

static void clip_keeps_the_window(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0x000, 0x100, 5), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x200, 0x100, 5), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x400, 0x100, 5), STM32_OK);
	assert_int_equal(stm32_image_clip(&image, 0x80, 0x400, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 3);
	assert_segment(&image, 0, 0x80, 0x80);
	assert_segment(&image, 1, 0x200, 0x100);
	assert_segment(&image, 2, 0x400, 0x80);
	assert_pattern(&image, 0x80, 0x80, 5);
	assert_pattern(&image, 0x400, 0x80, 5);

	/* a window inside one segment */
	assert_int_equal(stm32_image_clip(&image, 0x210, 0x20, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0x210, 0x20);
	assert_pattern(&image, 0x210, 0x20, 5);

	/* a window with nothing in it */
	assert_int_equal(stm32_image_clip(&image, 0x1000, 0x1000, &err), STM32_OK);
	assert_int_equal(image.count, 0);
	stm32_image_free(&image);
}

static void clip_at_the_4_gib_edge(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(add_pattern(&image, 0xFFFFFF00, 0x100, 6), STM32_OK);
	assert_int_equal(add_pattern(&image, 0x0, 0x100, 6), STM32_OK);
	/* the whole space: nothing lost */
	assert_int_equal(stm32_image_clip(&image, 0, 0x100000000ull, &err), STM32_OK);
	assert_int_equal(stm32_image_size(&image), 0x200);
	/* a window running past the top keeps the top */
	assert_int_equal(stm32_image_clip(&image, 0xFFFFFF80, 0x1000, &err), STM32_OK);
	assert_well_formed(&image);
	assert_int_equal(image.count, 1);
	assert_segment(&image, 0, 0xFFFFFF80, 0x80);
	assert_pattern(&image, 0xFFFFFF80, 0x80, 6);
	stm32_image_free(&image);
}

/* Blocks added in a scrambled order end up sorted, merged and intact. */
static void scrambled_adds(void **state)
{
	(void)state;
	enum { blocks = 600, size = 0x40 };
	uint32_t order[blocks];
	for (uint32_t i = 0; i < blocks; i++)
		order[i] = i;
	uint32_t seed = 7;
	for (uint32_t i = blocks - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		uint32_t j = (seed >> 8) % (i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	struct stm32_image image;
	stm32_image_init(&image);
	/* every 3rd block is left out, so runs of two blocks form segments */
	for (uint32_t i = 0; i < blocks; i++)
		if (order[i] % 3 != 2)
			assert_int_equal(add_pattern(&image, 0x08000000 + order[i] * size, size, 9),
					 STM32_OK);
	assert_int_equal(image.count, blocks / 3);
	for (size_t s = 0; s < image.count; s++) {
		assert_segment(&image, s, 0x08000000 + (uint32_t)s * 3 * size, 2 * size);
		assert_pattern(&image, image.segments[s].address, 2 * size, 9);
	}
	stm32_image_free(&image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_image),
		cmocka_unit_test(adds_merge_when_touching),
		cmocka_unit_test(add_refuses_any_overlap),
		cmocka_unit_test(add_at_the_4_gib_edge),
		cmocka_unit_test(covers_any_edges),
		cmocka_unit_test(read_fills_gaps),
		cmocka_unit_test(put_overwrites_and_joins),
		cmocka_unit_test(put_touching_merges),
		cmocka_unit_test(relocate_moves_or_refuses),
		cmocka_unit_test(clip_keeps_the_window),
		cmocka_unit_test(clip_at_the_4_gib_edge),
		cmocka_unit_test(scrambled_adds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
