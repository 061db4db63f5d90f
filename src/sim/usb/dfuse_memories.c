/* The alternate settings of the ROM's DFU interface, one per memory, named
 * in the DfuSe layout notation (UM0424; dfu-util parses it):
 *   @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg
 * count*size, K for KiB or a space for bytes, then the access letter
 * (a readable, b erasable, d writable: g = all three, e = read and write). */
#include <stdio.h>
#include <string.h>

#include "usb/dfuse_memories.h"

static void flash_layout(const struct stm32_device *dev, char *out, size_t size)
{
	size_t used = (size_t)snprintf(out, size, "@Internal Flash  /0x%08X/", dev->flash_start);
	for (size_t i = 0; i < dev->layout_runs && used < size; i++) {
		/* Runs of one size across the banks are one run to the host. */
		uint32_t count = dev->layout[i].count, unit = dev->layout[i].size;
		bool first = i == 0;
		while (i + 1 < dev->layout_runs && dev->layout[i + 1].size == unit)
			count += dev->layout[++i].count;
		bool kib = unit % 1024u == 0;
		used += (size_t)snprintf(out + used, size - used, "%s%02u*%03u%cg", first ? "" : ",",
					 (unsigned)count, (unsigned)(kib ? unit / 1024u : unit),
					 kib ? 'K' : ' ');
	}
}

unsigned sim_dfu_memories_of(const struct sim_chip *chip, struct sim_dfu_memory *out,
			     unsigned max)
{
	const struct stm32_device *dev = chip->dev;
	unsigned n = 0;
	if (n < max) {
		out[n] = (struct sim_dfu_memory){SIM_DFU_MEM_FLASH, dev->flash_start, dev->flash_size,
						 ""};
		flash_layout(dev, out[n].name, sizeof out[n].name);
		n++;
	}
	if (n < max && dev->opt_size) {
		out[n] = (struct sim_dfu_memory){SIM_DFU_MEM_OPTIONS, dev->opt_start, dev->opt_size, ""};
		snprintf(out[n].name, sizeof out[n].name, "@Option Bytes  /0x%08X/01*%03u e",
			 dev->opt_start, dev->opt_size);
		n++;
	}
	if (n < max && dev->otp_end > dev->otp_start) {
		uint32_t size = dev->otp_end - dev->otp_start;
		out[n] = (struct sim_dfu_memory){SIM_DFU_MEM_OTP, dev->otp_start, size, ""};
		snprintf(out[n].name, sizeof out[n].name, "@OTP Memory /0x%08X/01*%03u e",
			 dev->otp_start, size);
		n++;
	}
	/* F2/F4/F7 ROMs list a "Device Feature" word; nothing stands behind it here. */
	bool feature = strcmp(dev->family, "F2") == 0 || strcmp(dev->family, "F4") == 0 ||
		       strcmp(dev->family, "F7") == 0;
	if (n < max && feature) {
		out[n] = (struct sim_dfu_memory){SIM_DFU_MEM_FEATURE, 0xFFFF0000u, 4, ""};
		snprintf(out[n].name, sizeof out[n].name, "@Device Feature/0xFFFF0000/01*004 e");
		n++;
	}
	return n;
}
