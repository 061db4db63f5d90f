/* The host's half of the stub's LZ4 frames: one frame's data compressed
 * with liblz4 as one LZ4 block, kept only when it is smaller. Without
 * liblz4 (HAVE_LIBLZ4 unset) nothing is compressed. */
#ifndef STM32_STUB_LZ4_H
#define STM32_STUB_LZ4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether this build compresses at all. */
bool stub_lz4_available(void);

/* data[0..length) as one block into out (room for out_size): its size, or
 * 0 when it would not be smaller than out_size (or no liblz4). */
size_t stub_lz4_compress(const uint8_t *data, size_t length, uint8_t *out, size_t out_size);

#endif
