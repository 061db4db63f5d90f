/* H7 in its own image (STUB_DRIVER_H7): RM0433 H74x/H75x and RM0468
 * H72x/H73x, and RM0455 H7A3/B3 with STUB_PARAM_H7_RM0455. Inline and
 * compiled only into that image, so every other image stays as it was.
 *
 * The RCC is at 0x58024400 (D3; RM0455 calls the domains CD and SRD, the
 * registers are the same): CR (HSION 0, HSIRDY 2, HSIDIV 4:3, HSIDIVF
 * 5), CFGR 0x10 (SW 2:0, SWS 5:3), D1CFGR 0x18 (HPRE 3:0, D1PPRE 6:4,
 * D1CPRE 11:8), D2CFGR 0x1C (D2PPRE1 6:4, D2PPRE2 10:8), D3CFGR 0x20
 * (D3PPRE 6:4), D2CCIP2R 0x54 (USART16SEL 5:3, 0: rcc_pclk2). The clock
 * enables are where each RM puts them: RM0433 AHB4ENR 0xE0 (GPIOA 0, CRC
 * 19) and APB2ENR 0xF0 (USART1 4); RM0455 has the block 0x58 higher
 * (AHB1ENR 0x138 with CRC 9, AHB4ENR 0x140, APB2ENR 0x150), the offsets
 * where RM0433 has its CPU1 copies. GPIOA at 0x58020000 (D3 AHB4),
 * USART1 at 0x40011000 (D2 APB2, the new register layout, PA9/PA10 AF7),
 * IWDG1 at 0x58004800 (chip.h), the CRC unit at 0x58024C00 on RM0433 and
 * 0x40023000 (AHB1) on RM0455.
 *
 * Clock: HSI at 64 MHz (HSIDIV /1) as SYSCLK, every prescaler /1, so the
 * core, the buses and USART1's kernel clock run at 64 MHz: 32 clocks a
 * bit at 2 Mbaud, the ladder's first rate, with no PLL. The H74x and H7A3
 * ROMs run there already; the H72x ROM runs a 66 MHz PLL on HSI (AN2606),
 * which is left running: SYSCLK only moves off it. The flash wait states
 * the ROM set for its clock are kept (64 MHz needs no more). */
#ifndef STUB_CHIP_H7_H
#define STUB_CHIP_H7_H

#include <stdbool.h>
#include <stdint.h>

#include "stub_protocol.h"

#if STUB_DRIVER == STUB_DRIVER_H7
#define CHIP_HAS_H7 1
#else
#define CHIP_HAS_H7 0
#endif

#if CHIP_HAS_H7
#define CHIP_H7_RCC 0x58024400u
#define CHIP_H7_GPIOA 0x58020000u
#define CHIP_H7_USART1 0x40011000u
#define CHIP_H7_CRC_RM0433 0x58024C00u
#define CHIP_H7_CRC_RM0455 0x40023000u
#define CHIP_H7_HSI_HZ 64000000u
#define CHIP_H7_REG(a) (*(volatile uint32_t *)(a))

/* SYSCLK on HSI 64 MHz, every prescaler /1, USART1 on PCLK2; the clocks
 * of GPIOA, USART1 and the CRC unit on. Returns the CRC unit's base. */
static inline uint32_t chip_h7_clock_init(uint32_t flags)
{
	const uint32_t rcc = CHIP_H7_RCC;
	bool rm0455 = (flags & STUB_PARAM_H7_RM0455) != 0;
	CHIP_H7_REG(rcc) |= 1u;                           /* HSION */
	while (!(CHIP_H7_REG(rcc) & (1u << 2)))           /* HSIRDY */
		;
	CHIP_H7_REG(rcc + 0x10u) &= ~7u;                  /* SW: HSI */
	while (CHIP_H7_REG(rcc + 0x10u) & (7u << 3))      /* SWS */
		;
	CHIP_H7_REG(rcc) &= ~(3u << 3);                   /* HSIDIV /1: 64 MHz */
	while (!(CHIP_H7_REG(rcc) & (1u << 5)))           /* HSIDIVF */
		;
	CHIP_H7_REG(rcc + 0x18u) &= ~(0xFu << 8 | 7u << 4 | 0xFu); /* D1CPRE, D1PPRE, HPRE */
	CHIP_H7_REG(rcc + 0x1Cu) &= ~(7u << 8 | 7u << 4);          /* D2PPRE2, D2PPRE1 */
	CHIP_H7_REG(rcc + 0x20u) &= ~(7u << 4);                    /* D3PPRE */
	CHIP_H7_REG(rcc + 0x54u) &= ~(7u << 3);                    /* USART16SEL: rcc_pclk2 */
	if (rm0455) {
		CHIP_H7_REG(rcc + 0x138u) |= 1u << 9;     /* AHB1ENR: CRC */
		CHIP_H7_REG(rcc + 0x140u) |= 1u;          /* AHB4ENR: GPIOA */
		CHIP_H7_REG(rcc + 0x150u) |= 1u << 4;     /* APB2ENR: USART1 */
	} else {
		CHIP_H7_REG(rcc + 0xE0u) |= 1u | 1u << 19; /* AHB4ENR: GPIOA, CRC */
		CHIP_H7_REG(rcc + 0xF0u) |= 1u << 4;      /* APB2ENR: USART1 */
	}
	return rm0455 ? CHIP_H7_CRC_RM0455 : CHIP_H7_CRC_RM0433;
}

/* What the ROM may have left in USART1 besides CR1 and BRR (chip.c sets
 * those): its auto-baud (CR2.ABREN), CR3 and a kernel-clock prescaler
 * (PRESC 0x2C) would change the rate or the framing under the stub. The
 * FIFOs stay off (CR1.FIFOEN is cleared with CR1): one byte at a time, as
 * on every other family. */
static inline void chip_h7_usart_defaults(uint32_t usart)
{
	CHIP_H7_REG(usart) = 0;         /* CR1: UE off before the others */
	CHIP_H7_REG(usart + 0x04u) = 0; /* CR2 */
	CHIP_H7_REG(usart + 0x08u) = 0; /* CR3 */
	CHIP_H7_REG(usart + 0x2Cu) = 0; /* PRESC /1 */
}
#endif

#endif
