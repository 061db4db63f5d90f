/* bench_limit_swd: the modelled lower bound of writing a file to a blank
 * chip through an ST-LINK over SWD, and verifying it, on the emulated probe
 * (stm32boot-sim --interface stlink --speed realtime).
 *
 * The emulator's timing (docs/sim.md, the ST-LINK section): a bulk
 * transfer completes at the end of the USB frame in which its packets end
 * (full speed for V2 and V2-1: 64-byte packets with 12 bytes of token,
 * handshake and CRC at 12 Mbit/s, 1 ms frames), then the probe's SWD work
 * (48 SWCLK cycles per transaction at swd_khz, a block access two more for
 * CSW and TAR) and the probe's own 20 us per command; the chip's flash
 * times are the device table's (data/devices.tsv). The data must cross
 * once (USB, then SWD); erase and programming take their times. The bound
 * counts the data's crossing as overlapping the programming (a tool that
 * double-buffers perfectly), but not the erase (programming needs it
 * done), and none of the commands around the data, connecting, or the
 * verify (a CRC on the chip costs no transfer):
 *
 *   limit = erase + max(transfer, program)
 *
 *   bench_limit_swd DEVICE FILE [SWD_KHZ]     (default 4000, a V2's fastest)
 *
 * Prints: seconds transfer_ms erase_ms program_ms. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stm32boot/device.h"

#define FRAME_US 1000u
#define PACKET 64u
#define PACKET_OVERHEAD 12u
#define FULL_SPEED_BITS_PER_US 12u
#define CHUNK 1024u /* bytes per WRITEMEM the host sends */
#define SWD_TRANSACTION_CYCLES 48u
#define AP_SETUP_TRANSACTIONS 2u
#define PROBE_COMMAND_US 20u

/* One WRITEMEM of n bytes: its 16-byte command, the data phase, the SWD work. */
static uint64_t chunk_us(uint32_t n, unsigned khz)
{
	uint64_t packets = (n + PACKET - 1) / PACKET;
	uint64_t usb_us = (n + packets * PACKET_OVERHEAD) * 8u / FULL_SPEED_BITS_PER_US;
	uint64_t cycles = (AP_SETUP_TRANSACTIONS + n / 4u) * (uint64_t)SWD_TRANSACTION_CYCLES;
	return usb_us + cycles * 1000u / khz + PROBE_COMMAND_US;
}

int main(int argc, char **argv)
{
	const struct stm32_device *dev = argc >= 3 ? stm32_device_find(argv[1]) : NULL;
	unsigned khz = argc >= 4 ? (unsigned)strtoul(argv[3], NULL, 0) : 4000u;
	if (!dev || khz == 0) {
		fprintf(stderr, "usage: bench_limit_swd DEVICE FILE [SWD_KHZ]\n");
		return 2;
	}
	FILE *in = fopen(argv[2], "rb");
	uint8_t *data = malloc(dev->flash_size + 1);
	size_t length = in && data ? fread(data, 1, dev->flash_size + 1, in) : 0;
	if (in)
		fclose(in);
	if (length == 0 || length > dev->flash_size) {
		fprintf(stderr, "bench_limit_swd: %s: empty, unreadable or larger than the flash\n",
			argv[2]);
		free(data);
		return 2;
	}
	/* Erase: the touched units, or the whole chip when the file covers it
	 * and that is quicker. */
	uint64_t erase_ms = 0;
	uint32_t address, size;
	for (size_t s = 0; stm32_device_sector(dev, s, &address, &size); s++)
		if (address - dev->flash_start < length)
			erase_ms += stm32_device_erase_ms(dev, size);
	if (length >= dev->flash_size && dev->t_mass_ms && dev->t_mass_ms < erase_ms)
		erase_ms = dev->t_mass_ms;
	uint64_t units = 0;
	for (size_t at = 0; at < length; at += dev->program_unit) {
		bool blank = true;
		for (size_t i = at; i < at + dev->program_unit && i < length; i++)
			blank = blank && data[i] == 0xFF;
		units += !blank;
	}
	uint64_t program_us = units * dev->t_prog_us;
	uint64_t transfer_us = 0;
	for (size_t at = 0; at < length; at += CHUNK)
		transfer_us += chunk_us((uint32_t)(length - at < CHUNK ? length - at : CHUNK), khz);
	uint64_t overlapped_us = transfer_us > program_us ? transfer_us : program_us;
	printf("%.3f %llu %llu %llu\n", (double)(erase_ms * 1000u + overlapped_us) / 1e6,
	       (unsigned long long)(transfer_us / 1000u), (unsigned long long)erase_ms,
	       (unsigned long long)(program_us / 1000u));
	free(data);
	return 0;
}
