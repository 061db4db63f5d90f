/* The PLL from HSI, for a rate that leaves the core on HSI too few
 * cycles a byte (chip.c, chip_uart_raise_for): at 2 Mbaud a byte takes
 * 5 us, and the F1/F4 USART holds one byte, so the stub has one byte time
 * to take it, whatever it is doing. The stub's waits are pure polls
 * (chip.h), so a faster clock costs an emulator little.
 *   F1/F3 (RM0008 §7.3.2, RM0316 §9.4.2): HSI/2 x 16 = 64 MHz, 2 wait
 *     states (48-72 MHz), APB1 /2 (36 MHz at most), APB2 /1;
 *   F0 (RM0360 §6.4.2): HSI/2 x 12 = 48 MHz (its maximum), 1 wait state,
 *     its one APB /1;
 *   F2/F4/F7 (RM0033 §5.3.2, RM0090 §6.3.2, RM0385 §5.3.2): HSI16 / 16 x
 *     256 / 4 = 64 MHz (VCO input 1 MHz, VCO 256 MHz: within every part's
 *     range), 2 wait states (60-90 MHz at 2.7-3.6 V), APB1 /4 (F2: 30 MHz
 *     at most), APB2 /1.
 * G0/G4/L4 and L0/L1 stay on HSI16 (1 Mbaud; L0/L1 would also need a
 * voltage range change). An HSE the ROM started keeps running: only the
 * PLL is reconfigured, once SYSCLK is on HSI. Every wait is bounded: a PLL
 * that does not lock leaves SYSCLK on HSI. */
#include "clock.h"

#include <stdbool.h>

#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))

#define RCC1 0x40021000u
#define FLASH1_ACR 0x40022000u
#define RCC4 0x40023800u
#define FLASH4_ACR 0x40023C00u
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
	/* CFGR: PLLSRC bits 16:15 (0: HSI/2), PLLXTPRE 17, PLLMUL 21:18 (n - 2),
	 * PPRE1 10:8 (4: /2; on F0 the one APB, left /1). */
	bool f0 = kind == STUB_CHIP_F0;
	uint32_t mul = f0 ? 12u : 16u;
	uint32_t hz = 4000000u * mul;
	set_wait_states(FLASH1_ACR, f0 ? 1u : 2u, 1u << 4); /* + prefetch */
	if (!pll_start(RCC1, RCC1 + 0x04u, 0xFu << 18 | 7u << 15, (mul - 2u) << 18))
		return 0;
	return select_pll(RCC1 + 0x04u, 2u, 0, 2, 0x3FF0u, f0 ? 0 : 4u << 8) ? hz : 0;
}

static uint32_t raise_f4(void)
{
	/* PLLCFGR: PLLM 5:0 = 16, PLLN 14:6 = 256, PLLP 17:16 = 1 (/4), PLLSRC
	 * 22 = 0 (HSI), PLLQ 27:24 kept legal (>= 2). ACR LATENCY 3:0 with the
	 * prefetch (bit 8) on. CFGR: PPRE1 12:10 = 5 (/4), PPRE2 15:13 = 0. */
	set_wait_states(FLASH4_ACR, 2u, 1u << 8);
	uint32_t cfg = 16u | 256u << 6 | 1u << 16 | 8u << 24;
	if (!pll_start(RCC4, RCC4 + 0x04u, 0x0F437FFFu, cfg))
		return 0;
	return select_pll(RCC4 + 0x08u, 2u, 0, 2, 0xFCF0u, 5u << 10) ? 64000000u : 0;
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
	case STUB_CHIP_F2:
	case STUB_CHIP_F4:
	case STUB_CHIP_F7:
		return raise_f4();
	default:
		return 0;
	}
}
