/* bench_limit: the modelled lower bound of a benchmark workload.
 *
 * The bound is what the bootloader protocol cannot avoid: the bytes the
 * smallest plan must move, at 11 bits per byte (start, 8 data, parity,
 * stop), plus the erase and programming time the emulator spends for that
 * plan (data/devices.tsv via the shared device table, the same numbers
 * stm32boot-sim --speed realtime uses). The emulator is busy while it erases
 * or programs and answers only afterwards, so those times add to the wire
 * time. Host and process start-up are not part of the bound.
 *
 *   bench_limit DEVICE BAUD write FILE      blank chip: write + verify FILE
 *   bench_limit DEVICE BAUD same FILE       FILE already in flash: prove it
 *   bench_limit DEVICE BAUD update OLD NEW  OLD in flash, make it NEW, verify
 *   bench_limit DEVICE BAUD read LENGTH     read LENGTH bytes from flash start
 *   bench_limit DEVICE BAUD stub-write FILE through the RAM stub (--stub):
 *       loading it (its image in Write Memory blocks, Go, the HELLOs) at
 *       BAUD, then the larger of the frames' wire time (1 KiB WRITE frames
 *       and their replies, a CRC request per 16 KiB) and the erase and
 *       programming time: the stub programs while the next frames arrive,
 *       and erases a unit while the frames behind its ERASE arrive. Each
 *       1 KiB frame counts at its LZ4-compressed size where that is smaller
 *       (liblz4, as the host sends it; without liblz4 uncompressed); a frame
 *       of 0xFF only is not sent. The frames go at the rate the stub
 *       switches to (the ladder's first its clock makes,
 *       stm32_stub_planned_baud: 2000000 8N1 on F1) after SET_BAUD at BAUD
 *       and a full-size CONFIRM (docs/stub-protocol.md); the rate is the
 *       fifth number printed.
 *   bench_limit DEVICE BAUD stub-read LENGTH  reading through the stub:
 *       loading it, the switch, then the read frames (1 KiB, 15 bytes of
 *       framing each) from the chip at the switched rate; the host's
 *       acknowledgements go the other way at the same time, so they cost no
 *       time on a full-duplex line.
 *
 * FILE is raw binary placed at the flash start. The smallest plan:
 * - every session: sync, Get (to learn the erase command), Get ID;
 * - writes skip blocks that are all 0xFF (the erase leaves 0xFF) and trim
 *   leading and trailing 0xFF words inside a 256-byte block;
 * - erase only the pages/sectors holding bytes of the file, in one list
 *   (mass erase would destroy the rest of the chip, so it is not used);
 * - prove flash contents with Get Checksum (0xA1) when the bootloader has it:
 *   one over the whole span for "same", one per erase unit when a difference
 *   must be located or written data verified; without 0xA1, read back.
 * Prints one line: seconds wire_bytes erase_ms program_ms. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/device.h"
#include "stm32boot/stub.h"

#ifdef HAVE_LIBLZ4
#include <lz4.h>
#endif

#define BLOCK 256u
#define OP_GET_CHECKSUM 0xA1u
#define OP_EXTENDED_ERASE 0x44u

struct cost {
	uint64_t wire_bytes;
	uint64_t erase_us;
	uint64_t program_us;
};

struct flash_file {
	uint8_t *data;
	size_t length;
};

/* Bytes each command moves in both directions, ACKs included. */
static uint64_t sync_bytes(void) { return 1 + 1; }
static uint64_t get_bytes(const struct stm32_device *dev) { return 2 + 4 + dev->command_count; }
static uint64_t get_id_bytes(void) { return 2 + 5; }
/* cmd+complement, ACK, address+XOR, ACK, N+~N, ACK, data */
static uint64_t read_bytes(uint32_t n) { return 2 + 1 + 5 + 1 + 2 + 1 + n; }
/* cmd+complement, ACK, address+XOR, ACK, N data XOR, ACK */
static uint64_t write_bytes(uint32_t n) { return 2 + 1 + 5 + 1 + 1 + n + 1 + 1; }
/* cmd+complement, ACK, address, size, polynomial, init (each 4+XOR, ACK), 79, CRC+XOR */
static uint64_t checksum_bytes(void) { return 2 + 1 + 4 * (5 + 1) + 1 + 5; }

static uint64_t erase_bytes(const struct stm32_device *dev, size_t pages)
{
	if (pages == 0)
		return 0;
	if (stm32_device_has_command(dev, OP_EXTENDED_ERASE))
		return 2 + 1 + 2 + 2 * pages + 1 + 1; /* 16-bit count and page numbers */
	size_t commands = (pages + 255) / 256;          /* 8-bit count: 256 pages each */
	return commands * (2 + 1 + 1 + 1 + 1) + pages;
}

static bool has_checksum(const struct stm32_device *dev)
{
	return stm32_device_has_command(dev, OP_GET_CHECKSUM);
}

static void session(const struct stm32_device *dev, struct cost *c)
{
	c->wire_bytes += sync_bytes() + get_bytes(dev) + get_id_bytes();
}

static uint64_t program_us(const struct stm32_device *dev, uint32_t address, uint32_t count)
{
	uint32_t unit = dev->program_unit;
	uint32_t first = address - address % unit;
	uint64_t units = ((uint64_t)address + count - first + unit - 1) / unit;
	return units * dev->t_prog_us;
}

/* The non-0xFF part of a block, widened to whole words and program units. */
static bool trimmed(const struct stm32_device *dev, const uint8_t *block, uint32_t n,
		    uint32_t *from, uint32_t *to)
{
	uint32_t align = dev->program_unit > 4 ? dev->program_unit : 4;
	uint32_t lo = 0, hi = n;
	while (lo < n && block[lo] == 0xFF)
		lo++;
	if (lo == n)
		return false;
	while (hi > lo && block[hi - 1] == 0xFF)
		hi--;
	*from = lo - lo % align;
	*to = hi + (align - hi % align) % align;
	if (*to > n)
		*to = n;
	return true;
}

/* Read back [offset, offset+length) of the flash in 256-byte commands. */
static void read_span(uint64_t length, struct cost *c)
{
	for (uint64_t done = 0; done < length; done += BLOCK)
		c->wire_bytes += read_bytes(length - done < BLOCK ? (uint32_t)(length - done) : BLOCK);
}

/* Erase the listed units, write their non-blank data and verify it. */
static void rewrite_units(const struct stm32_device *dev, const struct flash_file *f,
			  const bool *unit_selected, size_t unit_count, struct cost *c)
{
	size_t pages = 0;
	for (size_t u = 0; u < unit_count; u++) {
		uint32_t address, size;
		if (!unit_selected[u] || !stm32_device_sector(dev, u, &address, &size))
			continue;
		pages++;
		c->erase_us += (uint64_t)stm32_device_erase_ms(dev, size) * 1000u;
		uint32_t begin = address - dev->flash_start;
		uint64_t end = (uint64_t)begin + size < f->length ? (uint64_t)begin + size : f->length;
		for (uint64_t off = begin; off < end; off += BLOCK) {
			uint32_t n = end - off < BLOCK ? (uint32_t)(end - off) : BLOCK;
			uint32_t from, to;
			if (!trimmed(dev, f->data + off, n, &from, &to))
				continue;
			c->wire_bytes += write_bytes(to - from);
			c->program_us += program_us(dev, dev->flash_start + (uint32_t)off + from, to - from);
			if (!has_checksum(dev))
				c->wire_bytes += read_bytes(to - from);
		}
		if (has_checksum(dev))
			c->wire_bytes += checksum_bytes();
	}
	c->wire_bytes += erase_bytes(dev, pages);
}

static size_t unit_of(const struct stm32_device *dev, size_t offset)
{
	return (size_t)stm32_device_sector_at(dev, dev->flash_start + (uint32_t)offset);
}

static void plan_write(const struct stm32_device *dev, const struct flash_file *f, struct cost *c)
{
	size_t units = stm32_device_sector_count(dev);
	bool *selected = calloc(units, sizeof(*selected));
	if (!selected)
		exit(1);
	for (size_t off = 0; off < f->length; off++)
		selected[unit_of(dev, off)] = true;
	rewrite_units(dev, f, selected, units, c);
	free(selected);
}

static void plan_same(const struct stm32_device *dev, const struct flash_file *f, struct cost *c)
{
	if (has_checksum(dev))
		c->wire_bytes += checksum_bytes();
	else
		read_span(f->length, c);
}

static void plan_update(const struct stm32_device *dev, const struct flash_file *old,
			const struct flash_file *new, struct cost *c)
{
	size_t units = stm32_device_sector_count(dev);
	bool *changed = calloc(units, sizeof(*changed));
	if (!changed)
		exit(1);
	size_t touched = 0;
	for (size_t off = 0; off < new->length; off++) {
		size_t u = unit_of(dev, off);
		if (!changed[u] && (off >= old->length || old->data[off] != new->data[off]))
			changed[u] = true;
	}
	for (size_t off = 0; off < new->length; off++)
		if (off == 0 || unit_of(dev, off) != unit_of(dev, off - 1))
			touched++;
	/* Locating the difference: a checksum per unit, or one full read. */
	if (has_checksum(dev))
		c->wire_bytes += touched * checksum_bytes();
	else
		read_span(new->length, c);
	rewrite_units(dev, new, changed, units, c);
	free(changed);
}

/* Frame bytes both ways (docs/stub-protocol.md): a WRITE of n data bytes
 * and its reply, a CRC request and its reply, a HELLO reply, a one-unit
 * ERASE and its reply, a READ frame of n bytes. */
#define STUB_WRITE_FRAME(n) (10u + 4u + (n) + 11u)
#define STUB_CRC_FRAMES (10u + 8u + 15u)
#define STUB_HELLO_FRAMES (10u + 35u)
#define STUB_ERASE_FRAMES (10u + 6u + 11u)
#define STUB_READ_FRAME(n) (10u + 5u + (n))
#define STUB_REQUEST_BYTES (16u * 1024u)
#define STUB_SET_BAUD_FRAMES (10u + 4u + 15u)
#define STUB_CONFIRM_FRAMES (10u + 1032u + 11u + 10u + 35u) /* and the HELLO after it */
#define STUB_CHUNK 1024u

/* Loading the stub: its image in Write Memory blocks, Go, its
 * announcement and one HELLO exchange. */
static uint64_t stub_load_bytes(const struct stm32_device *dev)
{
	size_t image = stm32_stub_image_size(dev);
	if (image == 0) {
		fprintf(stderr, "bench_limit: no stub for %s\n", dev->name);
		exit(2);
	}
	uint64_t load = 0;
	for (size_t done = 0; done < image; done += BLOCK)
		load += write_bytes((uint32_t)(image - done < BLOCK ? image - done : BLOCK));
	return load + 2 + 1 + 5 + 1 + 2 * STUB_HELLO_FRAMES;
}

/* The data bytes a WRITE frame of n bytes carries on the wire. */
static uint64_t stub_frame_data(const uint8_t *data, size_t n)
{
#ifdef HAVE_LIBLZ4
	char packed[LZ4_COMPRESSBOUND(STUB_CHUNK)];
	int size = LZ4_compress_default((const char *)data, packed, (int)n, (int)n - 3);
	if (size > 0)
		return 2u + (uint64_t)size; /* WRITE_LZ4: the decoded length, the block */
#else
	(void)data;
#endif
	return n;
}

static bool all_ff(const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (data[i] != 0xFFu)
			return false;
	return true;
}

/* Returns the stub's bound in seconds; c gets the bytes and times. */
static double plan_stub_write(const struct stm32_device *dev, const struct flash_file *f,
			      unsigned long baud, struct cost *c, unsigned long *stub_baud)
{
	uint64_t load = stub_load_bytes(dev);
	struct cost work = {0, 0, 0};
	plan_write(dev, f, &work); /* erase and program times of the smallest plan */
	uint64_t frames = 0;
	for (size_t done = 0; done < f->length; done += STUB_CHUNK) {
		size_t n = f->length - done < STUB_CHUNK ? f->length - done : STUB_CHUNK;
		if (!all_ff(f->data + done, n))
			frames += STUB_WRITE_FRAME(stub_frame_data(f->data + done, n));
	}
	size_t units = stm32_device_sector_count(dev);
	for (size_t u = 0; u < units; u++) {
		uint32_t address, size;
		if (stm32_device_sector(dev, u, &address, &size) && address - dev->flash_start < f->length)
			frames += STUB_ERASE_FRAMES;
	}
	frames += ((f->length + STUB_REQUEST_BYTES - 1) / STUB_REQUEST_BYTES) * STUB_CRC_FRAMES;
	unsigned long fast = stm32_stub_planned_baud(dev, (unsigned)baud, 0);
	double bits = fast == baud ? 11.0 : 10.0;
	load += STUB_SET_BAUD_FRAMES;                   /* at BAUD, 8E1 */
	uint64_t confirm = fast == baud ? 0 : STUB_CONFIRM_FRAMES; /* at the new rate */
	c->wire_bytes += load + confirm + frames;
	c->erase_us = work.erase_us;
	c->program_us = work.program_us;
	*stub_baud = fast;
	double wire_s = (double)frames * bits / (double)fast;
	double flash_s = (double)(work.erase_us + work.program_us) / 1e6;
	return (double)load * 11.0 / (double)baud + (double)confirm * bits / (double)fast +
	       (wire_s > flash_s ? wire_s : flash_s);
}

static double plan_stub_read(const struct stm32_device *dev, uint64_t length, unsigned long baud,
			     struct cost *c, unsigned long *stub_baud)
{
	uint64_t frames = 0;
	for (uint64_t done = 0; done < length; done += STUB_CHUNK)
		frames += STUB_READ_FRAME(length - done < STUB_CHUNK ? length - done : STUB_CHUNK);
	uint64_t load = stub_load_bytes(dev) + STUB_SET_BAUD_FRAMES;
	unsigned long fast = stm32_stub_planned_baud(dev, (unsigned)baud, 0);
	double bits = fast == baud ? 11.0 : 10.0;
	uint64_t confirm = fast == baud ? 0 : STUB_CONFIRM_FRAMES;
	c->wire_bytes += load + confirm + frames;
	*stub_baud = fast;
	return (double)load * 11.0 / (double)baud + (double)(confirm + frames) * bits / (double)fast;
}

static bool load(const char *path, const struct stm32_device *dev, struct flash_file *f)
{
	FILE *in = fopen(path, "rb");
	if (!in) {
		fprintf(stderr, "bench_limit: %s: %s\n", path, strerror(errno));
		return false;
	}
	f->data = malloc(dev->flash_size);
	f->length = f->data ? fread(f->data, 1, dev->flash_size, in) : 0;
	bool ok = f->data && f->length > 0 && fgetc(in) == EOF;
	fclose(in);
	if (!ok)
		fprintf(stderr, "bench_limit: %s: empty, unreadable or larger than the flash\n", path);
	return ok;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_limit DEVICE BAUD write|same|stub-write FILE | update OLD NEW | "
			"read|stub-read LENGTH\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return usage();
	const struct stm32_device *dev = stm32_device_find(argv[1]);
	unsigned long baud = strtoul(argv[2], NULL, 0);
	const char *what = argv[3];
	if (!dev || baud == 0) {
		fprintf(stderr, "bench_limit: unknown device or bad baud\n");
		return 2;
	}
	struct cost c = {0, 0, 0};
	struct flash_file a = {0}, b = {0};
	session(dev, &c);
	if (strcmp(what, "write") == 0 && argc == 5 && load(argv[4], dev, &a)) {
		plan_write(dev, &a, &c);
	} else if (strcmp(what, "same") == 0 && argc == 5 && load(argv[4], dev, &a)) {
		plan_same(dev, &a, &c);
	} else if (strcmp(what, "update") == 0 && argc == 6 && load(argv[4], dev, &a) &&
		   load(argv[5], dev, &b)) {
		plan_update(dev, &a, &b, &c);
	} else if (strcmp(what, "read") == 0 && argc == 5) {
		read_span(strtoull(argv[4], NULL, 0), &c);
	} else if ((strcmp(what, "stub-write") == 0 && argc == 5 && load(argv[4], dev, &a)) ||
		   (strcmp(what, "stub-read") == 0 && argc == 5)) {
		unsigned long stub_baud = 0;
		double seconds = a.data ? plan_stub_write(dev, &a, baud, &c, &stub_baud)
					: plan_stub_read(dev, strtoull(argv[4], NULL, 0), baud, &c,
							 &stub_baud);
		printf("%.3f %llu %.1f %.1f %lu\n", seconds, (unsigned long long)c.wire_bytes,
		       (double)c.erase_us / 1000.0, (double)c.program_us / 1000.0, stub_baud);
		free(a.data);
		return 0;
	} else {
		free(a.data);
		free(b.data);
		return usage();
	}
	double seconds = (double)c.wire_bytes * 11.0 / (double)baud +
			 (double)(c.erase_us + c.program_us) / 1e6;
	printf("%.3f %llu %.1f %.1f\n", seconds, (unsigned long long)c.wire_bytes,
	       (double)c.erase_us / 1000.0, (double)c.program_us / 1000.0);
	free(a.data);
	free(b.data);
	return 0;
}
