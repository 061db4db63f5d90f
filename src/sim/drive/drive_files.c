/* The drive emulator's own readers of what is copied onto it: Intel HEX
 * (as an ST-LINK decodes it, with its FAIL.TXT wording) and UF2 blocks.
 * Written apart from the host's readers in src/lib/image on purpose. */
#include <stdio.h>
#include <string.h>

#include "drive/drive_files.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool sim_hex_complete(const uint8_t *text, size_t length)
{
	/* The end-of-file record, on a line of its own. */
	for (size_t i = 0; i + 11 <= length; i++)
		if (memcmp(text + i, ":00000001FF", 11) == 0 && (i == 0 || text[i - 1] == '\n'))
			return true;
	return false;
}

bool sim_hex_parse(const uint8_t *text, size_t length, struct stm32_image *out, char *why,
		   size_t why_size)
{
	uint32_t upper = 0;
	size_t at = 0;
	bool ended = false;
	while (at < length && !ended) {
		size_t end = at;
		while (end < length && text[end] != '\n')
			end++;
		size_t n = end;
		while (n > at && (text[n - 1] == '\r' || text[n - 1] == ' '))
			n--;
		if (n > at) {
			if (text[at] != ':' || (n - at - 1) % 2 || n - at < 11) {
				snprintf(why, why_size, "The hex file cannot be decoded. Invalid record.");
				return false;
			}
			uint8_t bytes[300];
			size_t count = (n - at - 1) / 2;
			if (count > sizeof bytes) {
				snprintf(why, why_size, "The hex file cannot be decoded. Invalid record.");
				return false;
			}
			unsigned sum = 0;
			for (size_t i = 0; i < count; i++) {
				int hi = nibble((char)text[at + 1 + 2 * i]), lo = nibble((char)text[at + 2 + 2 * i]);
				if (hi < 0 || lo < 0) {
					snprintf(why, why_size, "The hex file cannot be decoded. Invalid character.");
					return false;
				}
				bytes[i] = (uint8_t)(hi << 4 | lo);
				sum += bytes[i];
			}
			if ((sum & 0xFF) != 0) {
				snprintf(why, why_size, "The hex file cannot be decoded. Checksum calculation failure occurred.");
				return false;
			}
			if ((size_t)bytes[0] + 5 != count) {
				snprintf(why, why_size, "The hex file cannot be decoded. Invalid record length.");
				return false;
			}
			uint32_t offset = (uint32_t)bytes[1] << 8 | bytes[2];
			switch (bytes[3]) {
			case 0x00: {
				struct stm32_error err;
				if (stm32_image_put(out, upper + offset, bytes + 4, bytes[0], &err) != STM32_OK) {
					snprintf(why, why_size, "The hex file cannot be decoded. Address out of range.");
					return false;
				}
				break;
			}
			case 0x01: ended = true; break;
			case 0x02: upper = ((uint32_t)bytes[4] << 8 | bytes[5]) << 4; break;
			case 0x04: upper = ((uint32_t)bytes[4] << 8 | bytes[5]) << 16; break;
			case 0x03: case 0x05: break;
			default:
				snprintf(why, why_size, "The hex file cannot be decoded. Unknown record type.");
				return false;
			}
		}
		at = end + 1;
	}
	if (!ended) {
		snprintf(why, why_size, "The hex file cannot be decoded. Missing end of file record.");
		return false;
	}
	return true;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void sim_uf2_scan(const uint8_t *data, size_t length, uint32_t family, struct sim_uf2_state *s,
		  struct stm32_image *out)
{
	memset(s, 0, sizeof *s);
	for (size_t at = 0; at + 512 <= length; at += 512) {
		const uint8_t *b = data + at;
		if (le32(b) != 0x0A324655u || le32(b + 4) != 0x9E5D5157u || le32(b + 508) != 0x0AB16F30u)
			continue;
		uint32_t flags = le32(b + 8), address = le32(b + 12), size = le32(b + 16);
		uint32_t number = le32(b + 20), total = le32(b + 24);
		/* tinyuf2: only family-tagged main-flash blocks of its own family. */
		if (!(flags & 0x2000u) || (flags & 0x1u) || le32(b + 28) != family || size > 476 ||
		    total == 0 || total > SIM_UF2_MAX_BLOCKS || number >= total) {
			s->ignored++;
			continue;
		}
		s->total = total;
		if (!s->seen[number]) {
			s->seen[number] = true;
			s->distinct++;
		}
		struct stm32_error err;
		stm32_image_put(out, address, b + 32, size, &err);
	}
}
