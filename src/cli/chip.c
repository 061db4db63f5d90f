/* stm32boot command line: naming the connected chip, the way esptool and
 * st-info do: what it is, what it holds, whether it is protected. */
#include "chip.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "report.h"
#include "stm32boot/dfu.h"
#include "stm32boot/rom.h"

#define SRAM_BASE 0x20000000u
#define LARGE_UNIT 16384u /* units this big are called sectors in the manuals */

const char *cli_erase_unit_name(const struct stm32_device *dev)
{
	for (size_t i = 0; i < dev->layout_runs; i++)
		if (dev->layout[i].size >= LARGE_UNIT || dev->layout[i].size != dev->layout[0].size)
			return "sectors";
	return "pages";
}

/* Runs of the same unit size are merged (a dual-bank part lists each bank). */
static size_t merged_run_count(const struct stm32_device *dev)
{
	size_t groups = 0;
	for (size_t i = 0; i < dev->layout_runs; i++)
		if (i == 0 || dev->layout[i].size != dev->layout[i - 1].size)
			groups++;
	return groups;
}

void cli_format_flash_layout(const struct stm32_device *dev, char *buf, size_t size)
{
	char total[32];
	cli_format_size(dev->flash_size, total, sizeof total);
	size_t used = (size_t)snprintf(buf, size, "%s%s", total, merged_run_count(dev) > 1 ? ":" : ",");
	bool first = true;
	for (size_t i = 0; i < dev->layout_runs && used < size; i++) {
		uint32_t count = dev->layout[i].count;
		while (i + 1 < dev->layout_runs && dev->layout[i + 1].size == dev->layout[i].size)
			count += dev->layout[++i].count;
		char unit[32];
		cli_format_size(dev->layout[i].size, unit, sizeof unit);
		used += (size_t)snprintf(buf + used, size - used, "%s %u x %s", first ? "" : ",",
					 count, unit);
		first = false;
	}
	if (used < size)
		snprintf(buf + used, size - used, " %s", cli_erase_unit_name(dev));
}

/* Where the RAM starts: the SRAM base when the usable part lies in it. */
static uint32_t ram_base(const struct stm32_device *dev)
{
	return dev->ram_start >= SRAM_BASE && dev->ram_start - SRAM_BASE < dev->ram_end - SRAM_BASE
		       ? SRAM_BASE
		       : dev->ram_start;
}

static void describe_ram(const struct stm32_target *target, const struct stm32_device *dev)
{
	struct stm32_dfu_info dfu;
	if (stm32_dfu_info(target, &dfu) && dev->ram_end > dev->ram_start) {
		/* The DfuSe memories are the device's list; RAM is not among them. */
		char total[32];
		uint32_t base = ram_base(dev);
		cli_format_size(dev->ram_end - base, total, sizeof total);
		cli_info("RAM:          %s at 0x%08X (the device table's; not one of the DFU memories)",
			 total, base);
		return;
	}
	if (dev->ram_end <= dev->ram_start) {
		cli_info("RAM:          none usable by the host");
		return;
	}
	char total[32], usable[32];
	uint32_t base = ram_base(dev);
	cli_format_size(dev->ram_end - base, total, sizeof total);
	cli_format_size(dev->ram_end - dev->ram_start, usable, sizeof usable);
	if (base == dev->ram_start)
		cli_info("RAM:          %s at 0x%08X", total, base);
	else
		cli_info("RAM:          %s at 0x%08X (%s from 0x%08X usable; the bootloader keeps the rest)",
			 total, base, usable, dev->ram_start);
}

static void describe_option_bytes(const struct stm32_chip_facts *s, const struct stm32_device *dev)
{
	if (!s->option_bytes_known || s->option_bytes_size == 0) {
		cli_info("Option bytes: %s", s->read_protected ? "unreadable (read-protected)" : "unknown");
		return;
	}
	char hex[3 * sizeof s->option_bytes + 1];
	size_t used = 0;
	uint32_t count = s->option_bytes_size < sizeof s->option_bytes ? s->option_bytes_size
								       : (uint32_t)sizeof s->option_bytes;
	for (uint32_t i = 0; i < count; i++)
		used += (size_t)snprintf(hex + used, sizeof hex - used, "%s%02X", i ? " " : "",
					 s->option_bytes[i]);
	cli_info("Option bytes: %s (at 0x%08X)", hex, dev->opt_start);
}

static void describe_protection(const struct stm32_target *target)
{
	const struct stm32_chip_facts *s = &target->chip;
	const struct stm32_device *dev = target->desc.device;
	struct stm32_dfu_info dfu;
	if (s->option_bytes_known && dev->rdp_offset >= 0 &&
	    (uint32_t)dev->rdp_offset < s->option_bytes_size) {
		uint8_t rdp = s->option_bytes[dev->rdp_offset];
		if (rdp == dev->rdp_level0)
			cli_info("Readout protection: off (level 0, RDP 0x%02X)", rdp);
		else if (rdp == 0xCC)
			cli_info("Readout protection: ON, level 2 (permanent; RDP 0xCC)");
		else
			cli_info("Readout protection: ON, level 1 (RDP 0x%02X)", rdp);
		return;
	}
	const char *refused = stm32_dfu_info(target, &dfu) ? "ON (UPLOAD is refused)"
							    : "ON (Read Memory is refused)";
	cli_info("Readout protection: %s", s->read_protected ? refused : "off");
}

static void describe_unique_id(const struct stm32_chip_facts *s)
{
	if (!s->uid_known) {
		cli_detail("Unique ID:    unknown");
		return;
	}
	char hex[2 * sizeof s->uid + 1];
	for (size_t i = 0; i < sizeof s->uid; i++)
		snprintf(hex + 2 * i, 3, "%02X", s->uid[i]);
	cli_info("Unique ID:    %s", hex);
}

/* DfuSe names no chip: say how the row was chosen, and what else fits. */
static void describe_dfu(const struct stm32_device *dev, const struct stm32_dfu_info *dfu)
{
	cli_info("Chip:         %s (%s), through the USB DFU bootloader", dev->description,
		 dev->name);
	if (dfu->device_named)
		cli_info("Identified:   by device=%s (DfuSe reports no chip ID)", dev->name);
	else if (dfu->fitting_count > 1)
		cli_info("Identified:   by its memory layout, which fits %s: DfuSe reports no chip ID, "
			 "dfu:...,device=NAME names the part", dfu->fitting);
	else
		cli_info("Identified:   by its memory layout, which only %s fits (DfuSe reports no "
			 "chip ID)", dev->name);
	/* AN3156: the bootloader's version is the MSB of bcdDevice, in BCD. */
	cli_info("Bootloader:   USB DFU v%u.%u (bcdDevice 0x%04X), bcdDFU 0x%04X%s, %u-byte "
		 "transfers", (dfu->bcd_device >> 12) & 0xFu, (dfu->bcd_device >> 8) & 0xFu,
		 (unsigned)dfu->bcd_device, (unsigned)dfu->bcd_dfu,
		 dfu->bcd_dfu == 0x011A ? " (DfuSe)" : "", (unsigned)dfu->transfer_size);
	cli_info("Memories:     %s", dfu->memories);
}

/* What the ROM bootloader says of itself. */
static void describe_bootloader(const struct stm32_target *target, const struct stm32_device *dev)
{
	struct stm32_rom_info rom;
	struct stm32_dfu_info dfu;
	if (stm32_dfu_info(target, &dfu)) {
		describe_dfu(dev, &dfu);
		return;
	}
	if (!stm32_rom_info(target, &rom)) {
		cli_info("Chip:         %s (%s), through the %s", dev->description, dev->name,
			 target->desc.name);
		return;
	}
	cli_info("Chip:         PID 0x%03X, %s (%s)", rom.pid, dev->description, dev->name);
	cli_info("Bootloader:   v%u.%u, option bytes 0x%02X 0x%02X", rom.version >> 4,
		 rom.version & 0x0Fu, rom.option1, rom.option2);
}

static void describe_commands(const struct stm32_target *target)
{
	struct stm32_rom_info rom;
	if (!stm32_rom_info(target, &rom))
		return;
	char commands[3 * 64 + 1];
	size_t used = 0;
	for (size_t i = 0; i < rom.command_count && i < 64; i++)
		used += (size_t)snprintf(commands + used, sizeof commands - used, "%s%02X", i ? " " : "",
					 rom.commands[i]);
	cli_detail("Commands:     %s", rom.command_count ? commands : "(none)");
}

void cli_describe_chip(const struct stm32_target *target, struct stm32_transport *t)
{
	const struct stm32_device *dev = target->desc.device;
	const struct stm32_chip_facts *s = &target->chip;
	char link[64] = "";
	if (t->ops->describe)
		t->ops->describe(t, link, sizeof link);
	/* Bus backends already name themselves ("i2c addr 0x39"). */
	size_t name_length = strlen(t->ops->name);
	if (strncmp(link, t->ops->name, name_length) == 0 && link[name_length] == ' ')
		cli_info("Interface:    %s", link);
	else
		cli_info("Interface:    %s %s", t->ops->name, link);
	describe_bootloader(target, dev);
	char layout[160];
	cli_format_flash_layout(dev, layout, sizeof layout);
	struct stm32_dfu_info dfu;
	cli_info("Flash:        %s at 0x%08X%s", layout, dev->flash_start,
		 stm32_dfu_info(target, &dfu) ? " (as the device's DFU memory layout says)"
		 : s->flash_size_known	      ? ""
					      : " (size from the device table)");
	describe_ram(target, dev);
	describe_option_bytes(s, dev);
	describe_protection(target);
	describe_unique_id(s);
	describe_commands(target);
}
