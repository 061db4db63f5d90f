/* The stub's LZ4 block decoder (stub/lz4_block.c, the same file the stub
 * is built from) on the host: blocks liblz4 made decode to their input,
 * hand-made blocks exercise each rule of the format, and malformed ones
 * (truncated, corrupted, lying about their size) are refused without a
 * byte read or written out of bounds (ASan, valgrind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lz4_block.h"

#ifdef HAVE_LIBLZ4
#include <lz4.h>
#endif

#define FRAME 1024u

static unsigned polls;

void lz4_poll_hook(void *context)
{
	(void)context;
	polls++;
}

/* A heap buffer of exactly n bytes, so that ASan sees any overrun. */
static uint8_t *exact(const void *bytes, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	if (n)
		memcpy(p, bytes, n);
	return p;
}

static int32_t decode(const void *block, size_t n, uint8_t *out, uint32_t room)
{
	uint8_t *in = exact(block, n);
	int32_t got = lz4_decode(in, (uint32_t)n, out, room, NULL);
	free(in);
	return got;
}

static void literals_only_block_is_its_literals(void **state)
{
	(void)state;
	uint8_t out[16];
	assert_int_equal(decode("\x50hello", 6, out, sizeof(out)), 5);
	assert_memory_equal(out, "hello", 5);
}

static void long_literal_run_takes_its_extra_length_bytes(void **state)
{
	(void)state;
	uint8_t block[1 + 2 + 300], out[300];
	block[0] = 0xF0;      /* 15 literals, and more */
	block[1] = 255;       /* + 255 */
	block[2] = 30;        /* + 30 = 300 */
	for (int i = 0; i < 300; i++)
		block[3 + i] = (uint8_t)i;
	assert_int_equal(decode(block, sizeof(block), out, sizeof(out)), 300);
	assert_memory_equal(out, block + 3, 300);
}

/* A match whose offset is shorter than its length repeats what it writes. */
static void overlapping_match_repeats_its_bytes(void **state)
{
	(void)state;
	/* "ab", then offset 2 length 4 + 6 = 10, then the last literal "!". */
	const uint8_t block[] = {0x26, 'a', 'b', 0x02, 0x00, 0x10, '!'};
	uint8_t out[32];
	assert_int_equal(decode(block, sizeof(block), out, sizeof(out)), 13);
	assert_memory_equal(out, "abababababab", 12);
	assert_int_equal(out[12], '!');
}

static void malformed_blocks_are_refused(void **state)
{
	(void)state;
	uint8_t out[64];
	/* more literals than the block holds */
	assert_int_equal(decode("\x50hell", 5, out, sizeof(out)), -1);
	/* an offset of 0 */
	assert_int_equal(decode("\x10" "a\x00\x00\x10" "b", 6, out, sizeof(out)), -1);
	/* an offset before the start of the output */
	assert_int_equal(decode("\x10" "a\x02\x00\x10" "b", 6, out, sizeof(out)), -1);
	/* the offset cut short */
	assert_int_equal(decode("\x10" "a\x01", 3, out, sizeof(out)), -1);
	/* a length extension that runs off the end */
	assert_int_equal(decode("\xF0\xFF\xFF", 3, out, sizeof(out)), -1);
	/* an empty block */
	assert_int_equal(decode("", 0, out, sizeof(out)), -1);
	/* output past the room given: literals, then a match */
	assert_int_equal(decode("\x50hello", 6, out, 4), -1);
	assert_int_equal(decode("\x1F" "a\x01\x00\x40\x10" "b", 7, out, 20), -1);
}

/* What the stub would decode from its slot, at most FRAME bytes. */
static void every_truncation_and_corruption_stays_in_bounds(const uint8_t *block, size_t n)
{
	uint8_t *out = malloc(FRAME);
	assert_non_null(out);
	for (size_t cut = 0; cut < n; cut++) {
		int32_t got = decode(block, cut, out, FRAME);
		assert_true(got >= -1 && got <= (int32_t)FRAME);
	}
	uint8_t *bad = exact(block, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t was = bad[i];
		bad[i] ^= 0x5A;
		int32_t got = lz4_decode(bad, (uint32_t)n, out, FRAME, NULL);
		assert_true(got >= -1 && got <= (int32_t)FRAME);
		bad[i] = was;
	}
	free(bad);
	free(out);
}

static void hand_made_blocks_survive_damage(void **state)
{
	(void)state;
	const uint8_t block[] = {0x26, 'a', 'b', 0x02, 0x00, 0x10, '!'};
	every_truncation_and_corruption_stays_in_bounds(block, sizeof(block));
}

#ifdef HAVE_LIBLZ4
/* Frame-sized inputs of the kinds the host sends: random, code-like,
 * erased, a short repeat, one byte. */
static size_t sample(unsigned kind, uint8_t *data)
{
	srand(kind + 1);
	for (size_t i = 0; i < FRAME; i++) {
		switch (kind) {
		case 0: data[i] = (uint8_t)rand(); break;
		case 1: data[i] = (uint8_t)((i % 7 == 0) ? rand() : "\x00\x46\x68\xB5\x4B\xF0"[rand() % 6]); break;
		case 2: data[i] = 0xFF; break;
		default: data[i] = (uint8_t)(i % 13); break;
		}
	}
	return kind == 4 ? 1 : FRAME;
}

static void liblz4_blocks_decode_to_their_input(void **state)
{
	(void)state;
	for (unsigned kind = 0; kind < 5; kind++) {
		uint8_t data[FRAME], out[FRAME];
		size_t n = sample(kind, data);
		char block[LZ4_COMPRESSBOUND(FRAME)];
		int packed = LZ4_compress_default((const char *)data, block, (int)n, sizeof(block));
		assert_true(packed > 0);
		polls = 0;
		assert_int_equal(decode(block, (size_t)packed, out, (uint32_t)n), (int32_t)n);
		assert_memory_equal(out, data, n);
		if (n == FRAME)
			assert_true(polls >= FRAME / LZ4_POLL_BYTES); /* the USART kept being drained */
		/* one byte less room than it needs is refused */
		if (n > 1)
			assert_int_equal(decode(block, (size_t)packed, out, (uint32_t)n - 1), -1);
		every_truncation_and_corruption_stays_in_bounds((const uint8_t *)block, (size_t)packed);
	}
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literals_only_block_is_its_literals),
		cmocka_unit_test(long_literal_run_takes_its_extra_length_bytes),
		cmocka_unit_test(overlapping_match_repeats_its_bytes),
		cmocka_unit_test(malformed_blocks_are_refused),
		cmocka_unit_test(hand_made_blocks_survive_damage),
#ifdef HAVE_LIBLZ4
		cmocka_unit_test(liblz4_blocks_decode_to_their_input),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
