/* bench_firmware: writes bench/firmware-20k.bin, the W2 workload.
 *
 * 20 KiB shaped like a linked Cortex-M image rather than random data: a
 * vector table, functions padded to 16 bytes with 0xFF (as the linker fills
 * flash gaps), two whole 1 KiB pages left erased between sections, constant
 * data, and a tail with 0xFF holes. Deterministic, so the file in bench/ can
 * be regenerated bit for bit:  bench_firmware bench/firmware-20k.bin */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIZE (20u * 1024u)

static uint8_t image[SIZE];
static uint64_t state = 0x5EEDu;

static uint8_t next_byte(void)
{
	state = state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint8_t)(state >> 56);
}

static void fill_random(uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		image[i] = next_byte();
}

static void put_word(uint32_t offset, uint32_t value)
{
	for (unsigned i = 0; i < 4; i++)
		image[offset + i] = (uint8_t)(value >> (8 * i));
}

/* Functions of 20..400 bytes, each padded with 0xFF to a 16-byte boundary. */
static void fill_code(uint32_t from, uint32_t to)
{
	uint32_t at = from;
	while (at < to) {
		uint32_t length = 20u + next_byte() + next_byte() / 2u;
		uint32_t end = at + length < to ? at + length : to;
		fill_random(at, end);
		at = (end + 15u) & ~15u;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_firmware OUT.bin\n");
		return 2;
	}
	memset(image, 0xFF, sizeof(image));
	put_word(0, 0x20005000u);                 /* initial stack pointer */
	for (uint32_t v = 1; v < 59; v++)         /* handlers, Thumb bit set */
		put_word(4 * v, 0x08000101u + 0x40u * (next_byte() % 64u));
	fill_code(0x0100, 0x2C00);                /* .text, 10.75 KiB */
	/* 0x2C00-0x3400: two erased pages (section alignment gap) */
	fill_random(0x3400, 0x4180);              /* .rodata, 3.4 KiB */
	/* 0x4180-0x4800: erased */
	fill_code(0x4800, 0x4E00);                /* boot-time init code */
	fill_random(0x4F00, 0x4F40);              /* version and config block */
	FILE *out = fopen(argv[1], "wb");
	if (!out || fwrite(image, 1, sizeof(image), out) != sizeof(image) || fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
