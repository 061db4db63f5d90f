/* The RAM loader per family (stlink_loader.h): which image, where in SRAM
 * it runs, the driver's flags, the CRC unit, the write-protection bit, and
 * the flash CPU1 must not touch (WB's CPU2 area). No SWD traffic here but
 * one read of WB's FLASH_SFR. */
#include <stdio.h>
#include <string.h>

#include "loader_protocol.h"
#include "stlink/stlink_loader.h"
#include "stub_protocol.h"

#define SRAM_BASE 0x20000000u
#define CRC_BASE 0x40023000u /* every family's CRC unit but H7's */
#define WB_FLASH_SFR 0x58004080u /* RM0434: SFSA 7:0 (a page), FSD 8 (security disabled) */
#define WB_SFR_FSD (1u << 8)
#define H7A3_PID 0x480u
/* RM0455's RCC_AHB1ENR (0x138) and its CRCEN (bit 9), as ST's SVD has them
 * (the stub's chip_h7.h uses the same); not checked on a chip. */
#define H7A3_RCC_AHB1ENR 0x58024538u
#define H7A3_CRCEN_BIT 9u
#define F7_DTCM_SMALL 0x10000u /* F72x/F73x, F74x/F75x: 64 KiB of DTCM, SRAM1 after it */
#define F7_DTCM_LARGE 0x20000u /* F76x/F77x (512 KiB of SRAM): 128 KiB */
#define F7_LARGE_SRAM 0x80000u

/* Per family: the image (and a smaller one, without the clock raise, for
 * parts whose SRAM the first leaves no two buffers), the CRC unit (its
 * address and RCC clock enable), the driver's flags, the controller's
 * write-protection error bit (for the message) and the chip kind the
 * loader raises the clock for (LOADER_CLOCK_KIND; 0: none). F2/F4/F7 keep
 * HSI16: their word programming leaves the loader's own work a tenth of
 * the time, and on the emulator the 64 MHz cost more host time than it
 * saved (S2 10.2-10.8 s against 9.0-9.4 s, docs/performance.md). */
static const struct family {
	const char *family;
	const char *image, *small_image;
	uint32_t crc_base, rcc_enable, enable_bit;
	bool crc_init; /* the unit has INIT and POL */
	uint32_t driver_flags;
	uint32_t wrperr; /* the SR bit the controller sets for a protected unit */
	uint32_t clock_kind;
} families[] = {
	{"F0", "f1", "f1small", CRC_BASE, 0x40021014u, 6, true, 0, 1u << 4, STUB_CHIP_F0},
	{"F1", "f1", NULL, CRC_BASE, 0x40021014u, 6, false, 0, 1u << 4, STUB_CHIP_F1},
	{"F3", "f1", NULL, CRC_BASE, 0x40021014u, 6, true, 0, 1u << 4, STUB_CHIP_F3},
	{"F2", "f4", NULL, CRC_BASE, 0x40023830u, 12, false, 0, 1u << 4, 0},
	{"F4", "f4", NULL, CRC_BASE, 0x40023830u, 12, false, 0, 1u << 4, 0},
	{"F7", "f4", NULL, CRC_BASE, 0x40023830u, 12, true, 0, 1u << 4, 0},
	{"G0", "dword", NULL, CRC_BASE, 0x40021038u, 12, true, STUB_PARAM_BKER_13, 1u << 4, 0},
	{"G4", "dword", NULL, CRC_BASE, 0x40021048u, 12, true, 0, 1u << 4, 0},
	{"L4", "dword", NULL, CRC_BASE, 0x40021048u, 12, true, 0, 1u << 4, 0},
	/* WB/WL: the controller at 0x58004000, RCC at 0x58000000. */
	{"WB", "dword", NULL, CRC_BASE, 0x58000048u, 12, true, STUB_PARAM_DWORD_WB, 1u << 4, 0},
	{"WL", "dword", NULL, CRC_BASE, 0x58000048u, 12, true, STUB_PARAM_DWORD_WB, 1u << 4, 0},
	{"L0", "pecr", NULL, CRC_BASE, 0x40021030u, 12, true, 0, 1u << 8, 0},
	{"L1", "pecr", NULL, CRC_BASE, 0x4002381Cu, 12, false, STUB_PARAM_PECR_L1, 1u << 8, 0},
	/* H7: the CRC unit on AHB4 (RCC_AHB4ENR.CRCEN), WRPERR in each bank's SR. */
	{"H7", "h7", NULL, 0x58024C00u, 0x580244E0u, 19, true, 0, 1u << 17, 0},
};

static const struct family *family_of(const struct stm32_device *dev)
{
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strcmp(families[i].family, dev->family) == 0)
			return &families[i];
	return NULL;
}

static const struct stlink_loader_image *image_named(const char *name)
{
	for (size_t i = 0; i < stlink_loader_image_count; i++)
		if (strcmp(stlink_loader_images[i].name, name) == 0)
			return &stlink_loader_images[i];
	return NULL;
}

static uint32_t align8(uint32_t v)
{
	return (v + 7u) & ~7u;
}

/* Where the loader's code may go. On F7 SRAM from 0x20000000 is the DTCM,
 * which the Cortex-M7 reaches by its data port: the code goes into SRAM1,
 * on the AXI bus (RM0385/RM0410 memory maps), so it runs whatever the
 * TCM's instruction path does. */
static uint32_t code_start(const struct stm32_device *dev)
{
	uint32_t start = dev->ram_start;
	if (strcmp(dev->family, "F7") == 0) {
		uint32_t sram = dev->ram_end - SRAM_BASE;
		uint32_t sram1 = SRAM_BASE + (sram >= F7_LARGE_SRAM ? F7_DTCM_LARGE : F7_DTCM_SMALL);
		if (start < sram1)
			start = sram1;
	}
	return align8(start);
}

static uint32_t driver_flags(const struct family *f, const struct stm32_device *dev)
{
	uint32_t flags = f->driver_flags;
	if (dev->bank_count == 2 && strcmp(f->image, "f4") == 0)
		flags |= STUB_PARAM_DUAL_BANK;
	if (strcmp(f->image, "h7") == 0 && dev->program_unit == 16)
		flags |= STUB_PARAM_H7_RM0455; /* H7A3/B3: 16-byte flash words, RM0455's CR */
	return flags;
}

/* Code, control block and stack for image: the size each of the two
 * buffers can have (below STLINK_LOADER_MIN_BUFFER: it does not fit). */
static uint32_t place(struct stlink_loader *ld, const struct stlink_loader_image *image)
{
	const struct stm32_device *dev = ld->device;
	ld->code = code_start(dev);
	ld->control = align8(ld->code + (uint32_t)image->size);
	ld->stack_top = align8(ld->control + LOADER_CONTROL_BYTES + LOADER_STACK_BYTES);
	uint32_t room = dev->ram_end > ld->stack_top ? dev->ram_end - ld->stack_top : 0;
	uint32_t buffer = (room / 2u) & ~(STLINK_LOADER_MIN_BUFFER - 1u);
	return buffer > STLINK_LOADER_MAX_BUFFER ? STLINK_LOADER_MAX_BUFFER : buffer;
}

bool stlink_loader_init(struct stlink_loader *ld, const struct stm32_device *dev,
			unsigned base_timeout_ms, char *why, size_t why_size)
{
	memset(ld, 0, sizeof *ld);
	ld->device = dev;
	ld->base_timeout_ms = base_timeout_ms;
	const struct family *f = family_of(dev);
	const struct stlink_loader_image *image = f ? image_named(f->image) : NULL;
	if (!image) {
		snprintf(why, why_size, "there is no RAM loader for the %s family", dev->family);
		return false;
	}
	uint32_t buffer = place(ld, image);
	const struct stlink_loader_image *small = f->small_image ? image_named(f->small_image) : NULL;
	if (buffer < STLINK_LOADER_MIN_BUFFER && small) {
		image = small;
		buffer = place(ld, image);
	}
	if (buffer < STLINK_LOADER_MIN_BUFFER) {
		snprintf(why, why_size,
			 "the RAM loader (%zu bytes and two %u-byte buffers) does not fit the %u bytes "
			 "of SRAM", image->size, STLINK_LOADER_MIN_BUFFER, dev->ram_end - dev->ram_start);
		return false;
	}
	ld->image = image;
	ld->wrperr = f->wrperr;
	ld->buffer_size = buffer;
	ld->buffers[0] = ld->stack_top;
	ld->buffers[1] = ld->stack_top + buffer;
	ld->crc_base = f->crc_base;
	ld->crc_enable_register = f->rcc_enable;
	ld->crc_enable_bit = f->enable_bit;
	if (strcmp(dev->family, "H7") == 0 && dev->pid == H7A3_PID) {
		/* RM0455: H7A3/B3's CRC unit is on AHB1 (RCC_AHB1ENR.CRCEN). */
		ld->crc_base = CRC_BASE;
		ld->crc_enable_register = H7A3_RCC_AHB1ENR;
		ld->crc_enable_bit = H7A3_CRCEN_BIT;
	}
	ld->options = LOADER_OPT_CRC_UNIT | (f->crc_init ? LOADER_OPT_CRC_INIT : 0u);
	ld->driver_flags = driver_flags(f, dev);
	ld->clock_kind = f->clock_kind;
	return true;
}

uint32_t stlink_loader_unit(const struct stlink_loader *ld)
{
	const char *name = ld->image->name;
	if (strcmp(name, "f1") == 0 || strcmp(name, "f1small") == 0)
		return 2;
	if (strcmp(name, "dword") == 0)
		return 8;
	if (strcmp(name, "h7") == 0)
		return (ld->driver_flags & STUB_PARAM_H7_RM0455) ? 16u : 32u;
	return 4; /* f4, pecr */
}

uint32_t stlink_loader_max_erase_units(const struct stlink_loader *ld)
{
	uint32_t fit = ld->buffer_size / 4u;
	return fit < STLINK_LOADER_MAX_ERASE_UNITS ? fit : STLINK_LOADER_MAX_ERASE_UNITS;
}

/* WB's CPU2 (the wireless stack and its firmware upgrade service) owns the
 * flash from SFSA up when FSD is clear; CPU1 must leave it alone (a mass
 * erase from CPU1 faults there). Refused before anything is touched. */
static enum stm32_status secure_area(struct stlink_link *l, struct stlink_loader *ld,
				     struct stm32_error *err)
{
	const struct stm32_device *dev = ld->device;
	if (ld->secure_known || strcmp(dev->family, "WB") != 0 || !dev->layout_runs)
		return STM32_OK;
	uint32_t sfr;
	enum stm32_status s = stlink_read_word(l, WB_FLASH_SFR, &sfr, err);
	if (s != STM32_OK)
		return s;
	ld->secure_known = true;
	if (!(sfr & WB_SFR_FSD) && (sfr & 0xFFu) * dev->layout[0].size < dev->flash_size)
		ld->secure_start = dev->flash_start + (sfr & 0xFFu) * dev->layout[0].size;
	return STM32_OK;
}

enum stm32_status stlink_loader_refuse_secure(struct stlink_link *l, struct stlink_loader *ld,
					      uint32_t address, uint64_t end, const char *what,
					      struct stm32_error *err)
{
	enum stm32_status s = secure_area(l, ld, err);
	if (s != STM32_OK || !ld->secure_start || end <= ld->secure_start)
		return s;
	uint32_t at = address > ld->secure_start ? address : ld->secure_start;
	s = stm32_error_set(err, STM32_E_PROTECTED,
			    "%s would reach 0x%08X, CPU2's secure flash (from 0x%08X, FLASH_SFR.SFSA "
			    "0x%02X): not touched", what, at, ld->secure_start,
			    (ld->secure_start - ld->device->flash_start) / ld->device->layout[0].size);
	stm32_error_address(err, at);
	return s;
}

enum stm32_status stlink_loader_refuse_secure_erase(struct stlink_link *l, struct stlink_loader *ld,
						    const struct stm32_erase_request *request,
						    struct stm32_error *err)
{
	const struct stm32_device *dev = ld->device;
	uint64_t end = (uint64_t)dev->flash_start + dev->flash_size;
	if (request->kind != STM32_ERASE_REQUEST_UNITS)
		return stlink_loader_refuse_secure(l, ld, dev->flash_start, end, "a mass or bank erase", err);
	enum stm32_status s = STM32_OK;
	for (size_t i = 0; s == STM32_OK && i < request->count; i++) {
		uint32_t address, size;
		if (stm32_device_sector(dev, request->units[i], &address, &size))
			s = stlink_loader_refuse_secure(l, ld, address, (uint64_t)address + size, "erasing", err);
	}
	return s;
}
