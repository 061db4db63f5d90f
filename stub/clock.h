/* A faster clock on F0/F1/F3 and F2/F4/F7: the PLL from HSI, so that
 * 2 Mbaud can be made and the core has the cycles to take every byte
 * (docs/stub-protocol.md). Called once SYSCLK is HSI with every bus
 * undivided (chip_clock_init). */
#ifndef STUB_CLOCK_H
#define STUB_CLOCK_H

#include <stdint.h>

/* Flash wait states first, then the PLL from HSI (an HSE the ROM started
 * keeps running: only the PLL is reconfigured), then SYSCLK on it. Returns
 * the USART1 kernel clock (= HCLK = PCLK2) it now runs at, or 0 when the
 * family keeps HSI (G0/G4/L4, L0/L1) or the PLL did not lock in time. */
uint32_t clock_raise(uint32_t kind);

#endif
