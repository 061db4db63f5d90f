/* bench_limit_dfu: the modelled lower bound of a DFU workload on the
 * emulated ROM (stm32boot-sim --interface dfu --speed realtime).
 *
 * The emulator's USB timing (docs/sim.md): a control transfer keeps the bus
 * busy for its bytes (8 setup bytes, the data in 64-byte packets, 12 bytes
 * of token, handshake and CRC per packet, 12 Mbit/s) and the host hears of
 * it at the end of the 1 ms frame in which they ended; a transfer queued
 * behind it starts as soon as the bus is free. A GETSTATUS sent while the
 * chip is busy completes only in the frame after the operation's
 * bwPollTimeout has passed. So each DfuSe operation (a command or a data
 * block) costs at the least: the DNLOAD's frames, then GETSTATUS (starts
 * it) and GETSTATUS (after it) = max(2, poll + 1) frames; a DNLOAD waits for
 * the GETSTATUS before it, but UPLOADs need none between them, so a host
 * can queue them back to back. The poll times are the device table's
 * (data/devices.tsv), as the emulator uses them.
 *
 *   bench_limit_dfu DEVICE write FILE    blank chip: erase, write, read back
 *   bench_limit_dfu DEVICE read LENGTH   read LENGTH bytes from flash start
 *
 * The smallest plan: one Set Address Pointer per contiguous run (blocks
 * follow it by wBlockNum), wTransferSize 2048 blocks, blocks of all 0xFF
 * skipped; erase either each touched sector or, when cheaper, the whole
 * chip (only when the file covers all of it); verify = read back after one
 * ABORT and one Set Address, its UPLOADs queued back to back. Enumeration, descriptor reads and the process
 * start are not in it. Prints: seconds usb_bytes erase_ms program_ms. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32boot/device.h"

#define TRANSFER 2048u
#define FRAME_US 1000u
#define SETUP 8u
#define PACKET 64u
#define PACKET_OVERHEAD 12u

struct cost {
	uint64_t us, bytes, erase_ms, program_ms;
};

/* The bus time of one control transfer with `length` data bytes. */
static uint64_t bus_us(struct cost *c, uint32_t length)
{
	uint64_t packets = 1 + (length + PACKET - 1) / PACKET + 1;
	uint64_t bytes = SETUP + length + packets * PACKET_OVERHEAD;
	c->bytes += bytes;
	return bytes * 8u / 12u;
}

static uint64_t to_frame_end(uint64_t us)
{
	return (us + FRAME_US - 1) / FRAME_US * FRAME_US;
}

/* One control transfer with `length` data bytes, started on a frame edge. */
static void transfer(struct cost *c, uint32_t length)
{
	c->us += to_frame_end(bus_us(c, length));
}

/* DNLOAD of length bytes, then the two GETSTATUS around poll_ms. */
static void operation(struct cost *c, uint32_t length, uint32_t poll_ms)
{
	transfer(c, length);
	uint64_t frames = poll_ms + 1 > 2 ? poll_ms + 1 : 2;
	c->bytes += 2 * (SETUP + 6 + 3 * PACKET_OVERHEAD);
	c->us += frames * FRAME_US;
}

static bool all_ff(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

static void plan_write(const struct stm32_device *dev, const uint8_t *data, size_t length,
		       struct cost *c)
{
	/* Erase: the sectors holding bytes, or a mass erase if the file covers
	 * the whole flash and that is quicker. */
	uint64_t sectors_ms = 0;
	uint32_t address, size;
	for (size_t s = 0; stm32_device_sector(dev, s, &address, &size); s++)
		if (address - dev->flash_start < length)
			sectors_ms += stm32_device_erase_ms(dev, size);
	if (length >= dev->flash_size && dev->t_mass_ms && dev->t_mass_ms < sectors_ms) {
		operation(c, 1, dev->t_mass_ms);
		c->erase_ms += dev->t_mass_ms;
	} else {
		for (size_t s = 0; stm32_device_sector(dev, s, &address, &size); s++) {
			if (address - dev->flash_start >= length)
				continue;
			uint32_t ms = stm32_device_erase_ms(dev, size);
			operation(c, 5, ms);
			c->erase_ms += ms;
		}
	}
	/* Write: a Set Address at each run of non-0xFF blocks, then the blocks. */
	bool in_run = false;
	for (size_t at = 0; at < length; at += TRANSFER) {
		size_t n = length - at < TRANSFER ? length - at : TRANSFER;
		if (all_ff(data + at, n)) {
			in_run = false;
			continue;
		}
		if (!in_run)
			operation(c, 5, 0);
		in_run = true;
		uint32_t units = (uint32_t)((n + dev->program_unit - 1) / dev->program_unit);
		uint32_t ms = (uint32_t)(((uint64_t)units * dev->t_prog_us + 999) / 1000);
		operation(c, (uint32_t)n, ms);
		c->program_ms += ms;
	}
}

static void plan_read(uint64_t length, struct cost *c)
{
	transfer(c, 0); /* ABORT back to dfuIDLE */
	operation(c, 5, 0); /* Set Address */
	transfer(c, 0);
	uint64_t queued_us = 0;
	for (uint64_t at = 0; at < length; at += TRANSFER)
		queued_us += bus_us(c, (uint32_t)(length - at < TRANSFER ? length - at : TRANSFER));
	c->us += to_frame_end(queued_us);
}

int main(int argc, char **argv)
{
	const struct stm32_device *dev = argc == 4 ? stm32_device_find(argv[1]) : NULL;
	if (!dev) {
		fprintf(stderr, "usage: bench_limit_dfu DEVICE write FILE | read LENGTH\n");
		return 2;
	}
	struct cost c = {0, 0, 0, 0};
	if (strcmp(argv[2], "write") == 0) {
		FILE *in = fopen(argv[3], "rb");
		uint8_t *data = malloc(dev->flash_size + 1);
		size_t length = in && data ? fread(data, 1, dev->flash_size + 1, in) : 0;
		if (in)
			fclose(in);
		if (length == 0 || length > dev->flash_size) {
			fprintf(stderr, "bench_limit_dfu: %s: empty, unreadable or larger than the flash\n",
				argv[3]);
			free(data);
			return 2;
		}
		plan_write(dev, data, length, &c);
		plan_read(length, &c);
		free(data);
	} else if (strcmp(argv[2], "read") == 0) {
		plan_read(strtoull(argv[3], NULL, 0), &c);
	} else {
		fprintf(stderr, "usage: bench_limit_dfu DEVICE write FILE | read LENGTH\n");
		return 2;
	}
	printf("%.3f %llu %llu %llu\n", (double)c.us / 1e6, (unsigned long long)c.bytes,
	       (unsigned long long)c.erase_ms, (unsigned long long)c.program_ms);
	return 0;
}
