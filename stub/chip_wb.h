/* WB (RM0434) and WL (RM0453) in the 64-bit image: the L4's RCC layout at
 * another base, and on WB the flash CPU1 must leave alone. Inline and
 * compiled only into the image whose driver serves them (STUB_DRIVER_DWORD),
 * so every other image stays as it was. */
#ifndef STUB_CHIP_WB_H
#define STUB_CHIP_WB_H

#include <stdbool.h>
#include <stdint.h>

#include "stub_protocol.h"

#define CHIP_RCC_L4 0x40021000u
#define CHIP_RCC_WB 0x58000000u
/* RM0434 FLASH_SFR: SFSA 7:0 (the first secure page, 4 KiB each), FSD 8
 * (set: no secure area). The same reading as the SWD loader's host code
 * (src/lib/stlink/stlink_loader_family.c), here done by the chip itself. */
#define CHIP_WB_FLASH_SFR 0x58004080u
#define CHIP_WB_SFR_FSD (1u << 8)

static inline bool chip_is_wb_wl(uint32_t kind)
{
/* WB/WL code only in the full dword image: the small one (G4) has no room. */
#if STUB_DRIVER == STUB_DRIVER_DWORD && !defined(STUB_SMALL)
#define CHIP_HAS_WB 1
#else
#define CHIP_HAS_WB 0
#endif

#if CHIP_HAS_WB
	return kind == STUB_CHIP_WB || kind == STUB_CHIP_WL;
#else
	(void)kind;
	return false;
#endif
}

static inline uint32_t chip_rcc_l4(uint32_t kind)
{
	return chip_is_wb_wl(kind) ? CHIP_RCC_WB : CHIP_RCC_L4;
}

/* WB: CPU2's wireless stack owns the flash from SFSA up unless FSD is set;
 * a write or erase there would destroy it (or fault). The first address
 * the stub must not touch, 0 when there is none. WL's secure area needs
 * its ESE option and TrustZone-like setup the stub does not see: none. */
static inline uint32_t chip_secure_start(uint32_t kind, uint32_t flash_start, uint32_t flash_size,
					 uint32_t page_size)
{
#if CHIP_HAS_WB
	if (kind != STUB_CHIP_WB)
		return 0;
	uint32_t sfr = *(volatile uint32_t *)CHIP_WB_FLASH_SFR;
	uint32_t at = (sfr & 0xFFu) * page_size;
	if ((sfr & CHIP_WB_SFR_FSD) || at >= flash_size)
		return 0;
	return flash_start + at;
#else
	(void)kind, (void)flash_start, (void)flash_size, (void)page_size;
	return 0;
#endif
}

#endif
