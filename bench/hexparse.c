/* bench_hexparse: host-side Intel HEX parsing speed and memory.
 *
 *   bench_hexparse gen FILE MIB   write MIB MiB of pseudo-random data as Intel
 *                                 HEX (32-byte records, type 04 every 64 KiB)
 *   bench_hexparse parse FILE     load FILE with stm32_format_load, as
 *                                 stm32boot -w does, and print
 *                                 "text_bytes image_bytes seconds MB/s"
 *
 * Generation and parsing are separate runs so that the peak memory of a
 * parse run (measured by /usr/bin/time -v) is the library's alone. MB/s is
 * 10^6 bytes of HEX text per second of stm32_format_load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "stm32boot/error.h"
#include "stm32boot/format.h"
#include "stm32boot/image.h"

#define RECORD_DATA 32u
#define FLASH_BASE 0x08000000u

static void put_record(FILE *out, uint8_t type, uint16_t offset, const uint8_t *data,
		       uint8_t count)
{
	uint8_t sum = (uint8_t)(count + (offset >> 8) + offset + type);
	fprintf(out, ":%02X%04X%02X", count, offset, type);
	for (uint8_t i = 0; i < count; i++) {
		fprintf(out, "%02X", data[i]);
		sum = (uint8_t)(sum + data[i]);
	}
	fprintf(out, "%02X\n", (uint8_t)(0x100u - sum) & 0xFFu);
}

static uint32_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33);
}

static int generate(const char *path, unsigned long mib)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		perror(path);
		return 1;
	}
	uint64_t state = 1;
	uint64_t total = (uint64_t)mib << 20;
	for (uint64_t done = 0; done < total; done += RECORD_DATA) {
		uint32_t address = FLASH_BASE + (uint32_t)done;
		if (done % 0x10000u == 0) {
			uint8_t upper[2] = {(uint8_t)(address >> 24), (uint8_t)(address >> 16)};
			put_record(out, 0x04, 0, upper, 2);
		}
		uint8_t data[RECORD_DATA];
		for (unsigned i = 0; i < RECORD_DATA; i++)
			data[i] = (uint8_t)next_random(&state);
		put_record(out, 0x00, (uint16_t)address, data, RECORD_DATA);
	}
	put_record(out, 0x01, 0, NULL, 0);
	return fclose(out) == 0 ? 0 : 1;
}

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected = STM32_FORMAT_AUTO;
	stm32_image_init(&image);
	double start = now_seconds();
	enum stm32_status status =
		stm32_format_load(path, STM32_FORMAT_AUTO, FLASH_BASE, &image, &detected, &err);
	double seconds = now_seconds() - start;
	if (status != STM32_OK || detected != STM32_FORMAT_IHEX) {
		fprintf(stderr, "bench_hexparse: %s: %s\n", path,
			status != STM32_OK ? err.message : "not detected as Intel HEX");
		stm32_image_free(&image);
		return 1;
	}
	printf("%lld %llu %.4f %.1f\n", (long long)st.st_size,
	       (unsigned long long)stm32_image_size(&image), seconds,
	       (double)st.st_size / 1e6 / seconds);
	stm32_image_free(&image);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return generate(argv[2], strtoul(argv[3], NULL, 0));
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return parse(argv[2]);
	fprintf(stderr, "usage: bench_hexparse gen FILE MIB | parse FILE\n");
	return 2;
}
