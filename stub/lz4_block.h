/* The stub's LZ4 block decoder (stub/lz4_block.c): written for the stub from the
 * LZ4 block format description, small rather than fast, and checked at
 * every step, since its input comes off the wire. Built into the stub and,
 * on the host, into its unit test against blocks liblz4 made. */
#ifndef STUB_LZ4_BLOCK_H
#define STUB_LZ4_BLOCK_H

#include <stdint.h>

/* Called every LZ4_POLL_BYTES bytes of output with decode's context: the
 * stub must keep draining its one-byte USART while it decodes. The user
 * of this file defines it (a function, not a pointer: the stub's image
 * holds no absolute address). */
void lz4_poll_hook(void *context);
#define LZ4_POLL_BYTES 8u

/* Decode one block of src_length bytes into dst (room for dst_size):
 * the decoded length, or -1 when the block is malformed (a length past the
 * input, an offset of 0 or before dst, output past dst_size). */
int32_t lz4_decode(const uint8_t *src, uint32_t src_length, uint8_t *dst, uint32_t dst_size,
		   void *context);

#endif
