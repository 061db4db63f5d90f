/* The PLL from HSI on F0/F1/F3 (RCC at 0x40021000), at the slowest clock
 * that makes 2 Mbaud exactly: every instruction at a faster clock costs
 * the emulator's core time too, and the stub polls while the flash works.
 *   F1 (RM0008 §7.3.2): no OVER8, so BRR >= 16: HSI/2 x 8 = 32 MHz, 1 wait
 *     state (24-48 MHz), both APBs /1 (APB1 36 MHz at most);
 *   F0/F3 (RM0360 §6.4.2, RM0316 §9.4.2): OVER8: HSI/2 x 4 = 16 MHz, no
 *     wait state, both APBs /1.
 * F2/F4/F7 and G0/G4/L4 run HSI16, which with OVER8 makes 2 Mbaud already
 * (16 MHz x 2 / 16). An HSE the ROM started keeps running: only the PLL is
 * reconfigured, once SYSCLK is on HSI. Every wait is bounded: a PLL that
 * does not lock leaves SYSCLK on HSI. */
#include "clock.h"

#include <stdbool.h>

#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))

#define RCC1 0x40021000u
#define FLASH1_ACR 0x40022000u
#define IWDG_KR 0x40003000u
#define PLL_WAIT 200000u   /* polls: milliseconds at HSI, more than any lock time */

static bool wait_bit(uint32_t reg, uint32_t mask, bool set)
{
	for (uint32_t i = 0; i < PLL_WAIT; i++) {
		if (((REG32(reg) & mask) != 0) == set)
			return true;
		if ((i & 0xFFFu) == 0)
			REG32(IWDG_KR) = 0xAAAAu;
	}
	return false;
}

/* The field LATENCY (bits 2:0 of ACR) at ws, read back before the clock
 * goes up (RM0008 §3.3.3). Silicon takes it at
 * once; the read-back is bounded because the emulator does not model ACR
 * (it reads 0 there, and needs no wait states). */
static void set_wait_states(uint32_t acr, uint32_t ws, uint32_t extra)
{
	REG32(acr) = (REG32(acr) & ~7u) | ws | extra;
	for (unsigned i = 0; i < 16u && (REG32(acr) & 7u) != ws; i++)
		;
}

/* PLL off (it may be the ROM's), configured, on and locked. */
static bool pll_start(uint32_t cr, uint32_t cfg_reg, uint32_t cfg_mask, uint32_t cfg)
{
	REG32(cr) &= ~(1u << 24);                   /* PLLON */
	if (!wait_bit(cr, 1u << 25, false))         /* PLLRDY */
		return false;
	REG32(cfg_reg) = (REG32(cfg_reg) & ~cfg_mask) | cfg;
	REG32(cr) |= 1u << 24;
	return wait_bit(cr, 1u << 25, true);
}

/* SW at sw (field of sw_bits at bit 0, SWS right above), with the bus
 * prescaler bits in presc_mask set to presc in the same write; back to
 * HSI (hsi) with every bus undivided when SWS does not follow. */
static bool select_pll(uint32_t cfgr, uint32_t sw, uint32_t hsi, uint32_t sw_bits,
		       uint32_t presc_mask, uint32_t presc)
{
	uint32_t mask = (1u << sw_bits) - 1u;
	REG32(cfgr) = (REG32(cfgr) & ~(mask | presc_mask)) | presc | sw;
	for (uint32_t i = 0; i < PLL_WAIT; i++)
		if (((REG32(cfgr) >> sw_bits) & mask) == sw)
			return true;
	REG32(cfgr) = (REG32(cfgr) & ~(mask | presc_mask)) | hsi;
	return false;
}

static uint32_t raise_f013(uint32_t kind)
{
	/* CFGR: PLLSRC bits 16:15 (0: HSI/2), PLLXTPRE 17, PLLMUL 21:18 (n - 2). */
	uint32_t mul = kind == STUB_CHIP_F3 ? 4u : 8u;
	uint32_t hz = 4000000u * mul;
	set_wait_states(FLASH1_ACR, hz > 24000000u ? 1u : 0u, 1u << 4); /* + prefetch */
	if (!pll_start(RCC1, RCC1 + 0x04u, 0xFu << 18 | 7u << 15, (mul - 2u) << 18))
		return 0;
	return select_pll(RCC1 + 0x04u, 2u, 0, 2, 0x3FF0u, 0) ? hz : 0;
}

uint32_t clock_raise(uint32_t kind)
{
#ifdef STUB_ONLY_CHIP
	kind = STUB_ONLY_CHIP; /* the small image: one chip kind (chip.c) */
#endif
	switch (kind) {
	case STUB_CHIP_F0:
	case STUB_CHIP_F1:
	case STUB_CHIP_F3:
		return raise_f013(kind);
	default:
		return 0;
	}
}
