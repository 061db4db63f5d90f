/* LZ4 block decoding (lz4_block.h). A block is a run of sequences: a token
 * (literal count in the high four bits, match length - 4 in the low four;
 * 15 in either means more length bytes follow, each added, until one is
 * not 255), the literals, then a two-byte little-endian offset back into
 * the output and the match to copy from there (it may overlap what it
 * writes). The last sequence has literals only: the block ends after them. */
#include "lz4_block.h"

/* A length field of 15 goes on in the bytes after it. false: past the end. */
static int read_length(const uint8_t **p, const uint8_t *end, uint32_t *length)
{
	if (*length != 15u)
		return 1;
	uint8_t more;
	do {
		if (*p == end)
			return 0;
		more = *(*p)++;
		*length += more;
		if (*length > 0xFFFFFFu)
			return 0; /* far past any frame: a corrupt block */
	} while (more == 255u);
	return 1;
}

static void put(uint8_t *dst, uint32_t *out, uint8_t byte, void *context)
{
	dst[(*out)++] = byte;
	if (*out % LZ4_POLL_BYTES == 0)
		lz4_poll_hook(context);
}

int32_t lz4_decode(const uint8_t *src, uint32_t src_length, uint8_t *dst, uint32_t dst_size,
		   void *context)
{
	const uint8_t *p = src, *end = src + src_length;
	uint32_t out = 0;
	while (p < end) {
		uint8_t token = *p++;
		uint32_t literals = token >> 4;
		if (!read_length(&p, end, &literals) || literals > (uint32_t)(end - p) ||
		    literals > dst_size - out)
			return -1;
		for (uint32_t i = 0; i < literals; i++)
			put(dst, &out, *p++, context);
		if (p == end)
			return (int32_t)out; /* the last sequence: literals only */
		if (end - p < 2)
			return -1;
		uint32_t offset = (uint32_t)p[0] | (uint32_t)p[1] << 8;
		p += 2;
		uint32_t match = token & 0x0Fu;
		if (offset == 0 || offset > out || !read_length(&p, end, &match))
			return -1;
		match += 4u;
		if (match > dst_size - out)
			return -1;
		for (uint32_t i = 0; i < match; i++) /* byte by byte: the copy may overlap */
			put(dst, &out, dst[out - offset], context);
	}
	return src_length == 0 ? -1 : (int32_t)out;
}
