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
 *     at most), APB2 /1;
 *   G0/G4/L4/WB (RM0444 §5.4.4, RM0440 §7.4.4, RM0351 §6.4.4, RM0434
 *     §6.4.4): HSI16 / 1 x 8 / 2 = 64 MHz on PLLR (VCO input 16 MHz, VCO
 *     128 MHz: inside every one's range), in voltage range 1 (their reset
 *     default, and what the ROM ran at): G0 2 wait states (48-64 MHz), G4
 *     2 (60-90 MHz in range 1 normal mode; boost would need fewer), L4 3
 *     (48-64 MHz; L4+ 40-60 MHz: 2, so 3 is more than enough), WB 3 (54-64
 *     MHz of HCLK4); buses undivided (their APB limits are 64 MHz or more);
 *     WB's CPU2 clock (HCLK2, 32 MHz at most) /2 in EXTCFGR first;
 *   WL (RM0453 §6.4.4): its maximum is 48 MHz: HSI16 / 1 x 6 / 2 (VCO 96
 *     MHz, the bottom of its range), 2 wait states (36-48 MHz);
 *   L0/L1 (RM0377 §7.3.3, RM0038 §6.3.3): HSI16 x 4 / 2 = 32 MHz, whose
 *     64 MHz VCO needs voltage range 1 (PWR_CR VOS = 01, after VOSF reads
 *     clear, then VOSF clear again), and 1 wait state (L1: ACC64 first,
 *     read back, then LATENCY).
 * An HSE the ROM started keeps running: only the PLL is reconfigured, once
 * SYSCLK is on HSI. Every wait is bounded: a PLL that does not lock leaves
 * SYSCLK on HSI, and the caller keeps the HSI clock (HELLO says it). Each
 * image carries only its own families' part (STUB_DRIVER). */
#include "clock.h"

#include <stdbool.h>

#include "chip_wb.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))

#define RCC1 0x40021000u
#define FLASH1_ACR 0x40022000u
#define RCC4 0x40023800u
#define FLASH4_ACR 0x40023C00u
#define IWDG_KR 0x40003000u
#define PWR_CR 0x40007000u
#define PWR_CSR 0x40007004u
#define PLL_WAIT 200000u   /* polls: milliseconds at HSI, more than any lock time */

#define SHARED __attribute__((unused)) /* an image may use only some */

/* Up to polls reads of reg until the bits in mask read value (the IWDG
 * refreshed now and then). One copy for every wait below. */
SHARED static __attribute__((noinline)) bool wait_field(uint32_t reg, uint32_t mask,
							uint32_t value, uint32_t polls)
{
	for (uint32_t i = 0; i < polls; i++) {
		if ((REG32(reg) & mask) == value)
			return true;
		if ((i & 0xFFFu) == 0)
			REG32(IWDG_KR) = 0xAAAAu;
	}
	return false;
}

/* The bits in mask of ACR at value, read back before the clock goes up
 * (RM0008 §3.3.3). Silicon takes them at once; the read-back is short
 * because the emulator may not model ACR (it reads 0 there, and needs no
 * wait states). */
SHARED static void set_acr(uint32_t acr, uint32_t mask, uint32_t value)
{
	REG32(acr) = (REG32(acr) & ~mask) | value;
	(void)wait_field(acr, mask, value, 16u);
}

/* LATENCY (bits 2:0) at ws, with the bits of extra set too. */
SHARED static void set_wait_states(uint32_t acr, uint32_t ws, uint32_t extra)
{
	set_acr(acr, 7u | extra, ws | extra);
}

/* PLL off (it may be the ROM's), configured, on and locked. */
SHARED static bool pll_start(uint32_t cr, uint32_t cfg_reg, uint32_t cfg_mask, uint32_t cfg)
{
	REG32(cr) &= ~(1u << 24);                              /* PLLON */
	if (!wait_field(cr, 1u << 25, 0, PLL_WAIT))            /* PLLRDY */
		return false;
	REG32(cfg_reg) = (REG32(cfg_reg) & ~cfg_mask) | cfg;
	REG32(cr) |= 1u << 24;
	return wait_field(cr, 1u << 25, 1u << 25, PLL_WAIT);
}

/* SW at sw (field of sw_bits at bit 0, SWS right above), with the bus
 * prescaler bits in presc_mask set to presc in the same write; back to
 * HSI (hsi) with every bus undivided when SWS does not follow. */
SHARED static bool select_pll(uint32_t cfgr, uint32_t sw, uint32_t hsi, uint32_t sw_bits,
			      uint32_t presc_mask, uint32_t presc)
{
	uint32_t mask = (1u << sw_bits) - 1u;
	REG32(cfgr) = (REG32(cfgr) & ~(mask | presc_mask)) | presc | sw;
	if (wait_field(cfgr, mask << sw_bits, sw << sw_bits, PLL_WAIT))
		return true;
	REG32(cfgr) = (REG32(cfgr) & ~(mask | presc_mask)) | hsi;
	return false;
}

#if STUB_DRIVER == STUB_DRIVER_F1
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
#endif

#if STUB_DRIVER == STUB_DRIVER_F4
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
#endif

#if STUB_DRIVER == STUB_DRIVER_DWORD
/* PLLCFGR (0x0C), written whole: PLLSRC 1:0 = 2 (HSI16), PLLM = 0 (/1),
 * PLLN 14:8. G0/WB/WL: PLLREN 28, PLLR 31:29 = 1 (/2); WB/WL also PLLP
 * 21:17 and PLLQ 27:25 = 1 (/2: 0 is reserved there, their reset value
 * has them set; their outputs stay off); G0 keeps them at 0 as at reset
 * (not every G0 has PLLQ). G4/L4: PLLREN 24, PLLR 26:25 = 0 (/2), PLLP and
 * PLLQ at their legal 0. SW: G0 2:0 = 2
 * (PLLRCLK; its HSISYS is 0), the others 1:0 = 3 (HSI16 is 1). ACR with
 * the prefetch (bit 8) on. */
static uint32_t raise_dword(uint32_t kind)
{
	bool g0_layout = kind == STUB_CHIP_G0 || chip_is_wb_wl(kind);
	uint32_t rcc = chip_rcc_l4(kind); /* G0's is the L4's address */
	uint32_t acr = chip_is_wb_wl(kind) ? 0x58004000u : FLASH1_ACR;
	uint32_t n = 8u, ws = kind == STUB_CHIP_L4 ? 3u : 2u, hz = 64000000u;
	if (kind == STUB_CHIP_WB) {
		ws = 3u;
		set_acr(rcc + 0x108u, 0xF0u, 8u << 4); /* EXTCFGR.C2HPRE: HCLK2 /2 */
	} else if (kind == STUB_CHIP_WL) {
		n = 6u;
		hz = 48000000u;
	}
	uint32_t cfg = 2u | n << 8 | (g0_layout ? 1u << 28 | 1u << 29 : 1u << 24);
	if (chip_is_wb_wl(kind))
		cfg |= 1u << 17 | 1u << 25;
	set_wait_states(acr, ws, 1u << 8);
	if (!pll_start(rcc, rcc + 0x0Cu, ~0u, cfg))
		return 0;
	bool g0 = kind == STUB_CHIP_G0;
	return select_pll(rcc + 0x08u, g0 ? 2u : 3u, g0 ? 0 : 1u, g0 ? 3u : 2u, 0, 0) ? hz : 0;
}
#endif

#if STUB_DRIVER == STUB_DRIVER_PECR
/* CFGR (L0 at 0x0C, L1 at 0x08): PLLSRC 16 = 0 (HSI16), PLLMUL 21:18 = 1
 * (x4), PLLDIV 23:22 = 1 (/2); SW 1:0 = 3 (HSI16 is 1). APB1ENR (L0 0x38,
 * L1 0x24) PWREN 28 for PWR_CR. ACR: LATENCY 0, PRFTEN 1, L1's ACC64 2.
 * The emulator has no PWR (it reads 0: VOSF clear, VOS ignored). */
static uint32_t raise_l0_l1(uint32_t kind)
{
	bool l0 = kind == STUB_CHIP_L0;
	uint32_t rcc = l0 ? RCC1 : RCC4, acr = l0 ? FLASH1_ACR : FLASH4_ACR;
	uint32_t cfgr = rcc + (l0 ? 0x0Cu : 0x08u);
	REG32(rcc + (l0 ? 0x38u : 0x24u)) |= 1u << 28;
	if (!wait_field(PWR_CSR, 1u << 4, 0, PLL_WAIT))           /* VOSF */
		return 0;
	REG32(PWR_CR) = (REG32(PWR_CR) & ~(3u << 11)) | 1u << 11; /* VOS: range 1 */
	if (!wait_field(PWR_CSR, 1u << 4, 0, PLL_WAIT))
		return 0;
	if (!l0)
		set_acr(acr, 4u, 4u);
	set_acr(acr, 3u, 3u);
	if (!pll_start(rcc, cfgr, 0xFFu << 16, 1u << 18 | 1u << 22))
		return 0;
	return select_pll(cfgr, 3u, 1u, 2u, 0, 0) ? 32000000u : 0;
}
#endif

uint32_t clock_raise(uint32_t kind)
{
#ifdef STUB_ONLY_CHIP
	kind = STUB_ONLY_CHIP; /* the small image: one chip kind (chip.c) */
#endif
#if STUB_DRIVER == STUB_DRIVER_F1
	if (kind == STUB_CHIP_F0 || kind == STUB_CHIP_F1 || kind == STUB_CHIP_F3)
		return raise_f013(kind);
#elif STUB_DRIVER == STUB_DRIVER_F4
	if (kind == STUB_CHIP_F2 || kind == STUB_CHIP_F4 || kind == STUB_CHIP_F7)
		return raise_f4();
#elif STUB_DRIVER == STUB_DRIVER_DWORD
	if (kind == STUB_CHIP_G0 || kind == STUB_CHIP_G4 || kind == STUB_CHIP_L4 ||
	    chip_is_wb_wl(kind))
		return raise_dword(kind);
#elif STUB_DRIVER == STUB_DRIVER_PECR
	if (kind == STUB_CHIP_L0 || kind == STUB_CHIP_L1)
		return raise_l0_l1(kind);
#endif
	(void)kind;
	return 0;
}
