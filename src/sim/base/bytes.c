/* See bytes.h. */
#include "base/bytes.h"

uint32_t sim_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void sim_put_le32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
	p[2] = (uint8_t)(value >> 16);
	p[3] = (uint8_t)(value >> 24);
}

uint32_t sim_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint8_t sim_xor(const uint8_t *data, size_t length)
{
	uint8_t x = 0;
	for (size_t i = 0; i < length; i++)
		x ^= data[i];
	return x;
}

bool sim_all_ff(const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (data[i] != 0xFF)
			return false;
	return true;
}
