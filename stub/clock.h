/* A faster clock: the PLL from HSI (HSI16 on G0/G4/L4/WB/WL and L0/L1),
 * so that 2 Mbaud (1 Mbaud on WL and L0/L1) can be made and the core has
 * the cycles to take every byte (docs/stub-protocol.md). Called once
 * SYSCLK is HSI with every bus undivided (chip_clock_init). */
#ifndef STUB_CLOCK_H
#define STUB_CLOCK_H

#include <stdint.h>

/* Voltage range and flash wait states first, then the PLL from HSI (an
 * HSE the ROM started keeps running: only the PLL is reconfigured), then
 * SYSCLK on it. Returns the USART1 kernel clock (= HCLK = PCLK2) it now
 * runs at, or 0 when the image has no PLL setting for the family or the
 * PLL did not lock in time (SYSCLK then stays on HSI). */
uint32_t clock_raise(uint32_t kind);

#endif
