/* liblz4's block compressor behind stub_lz4.h. */
#include "stub/stub_lz4.h"

#ifdef HAVE_LIBLZ4
#include <lz4.h>

bool stub_lz4_available(void)
{
	return true;
}

size_t stub_lz4_compress(const uint8_t *data, size_t length, uint8_t *out, size_t out_size)
{
	if (length == 0 || length > (size_t)LZ4_MAX_INPUT_SIZE || out_size == 0)
		return 0;
	/* liblz4 returns 0 when the block does not fit: it is not smaller. */
	int n = LZ4_compress_default((const char *)data, (char *)out, (int)length, (int)out_size);
	return n > 0 ? (size_t)n : 0;
}
#else
bool stub_lz4_available(void)
{
	return false;
}

size_t stub_lz4_compress(const uint8_t *data, size_t length, uint8_t *out, size_t out_size)
{
	(void)data, (void)length, (void)out, (void)out_size;
	return 0;
}
#endif
