/* Clock, USART1, SysTick, IWDG, CRC unit, reset and Go for F0/F1/F3
 * (RCC at 0x40021000, RM0008/RM0360/RM0316), F2/F4/F7 (RCC at
 * 0x40023800, RM0033/RM0090/RM0385), G0 (RM0444), G4 (RM0440), L4
 * (RM0351), L0 (RM0377, RCC at 0x40021000), L1 (RM0038, RCC at
 * 0x40023800) and H7 (RM0433/RM0468/RM0455, RCC at 0x58024400: chip_h7.h,
 * HSI 64 MHz). The stub runs on HSI (8 MHz on F0/F1/F3, HSI16 elsewhere):
 * a clock the stub knows whatever the ROM left (PLL, MSI, or an HSE it must
 * keep running, AN2606); a rate HSI cannot make puts the PLL on HSI under
 * it (clock.c, wait states first). */
#include "chip.h"
#include "chip_h7.h"
#include "chip_wb.h"
#include "clock.h"
#include "flash.h"
#include "stub_protocol.h"

#define REG32(a) (*(volatile uint32_t *)(a))

#define RCC1 0x40021000u /* F0/F1/F3 */
#define RCC4 0x40023800u /* F2/F4/F7 */
#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#define AIRCR 0xE000ED0Cu
#define CRC_BASE 0x40023000u /* every family but RM0433's H7 (chip_h7.h) */
#define CRC_DR 0x00u
#define CRC_CR 0x08u

static bool group_f4(uint32_t kind)
{
	return kind == STUB_CHIP_F2 || kind == STUB_CHIP_F4 || kind == STUB_CHIP_F7;
}

static bool group_l4(uint32_t kind) /* the L4 RCC: G4, L4, WB, WL */
{
	return kind == STUB_CHIP_G4 || kind == STUB_CHIP_L4 || chip_is_wb_wl(kind);
}

/* Turn HSI on (bit on, ready bit ready), select it in CFGR (SW field of
 * sw_bits at 0, value sw; SWS right above it) with every bus undivided. */
static void switch_to_hsi(uint32_t cr, uint32_t on, uint32_t ready, uint32_t cfgr, uint32_t sw,
			  uint32_t sw_bits, uint32_t prescalers)
{
	REG32(cr) |= on;
	while (!(REG32(cr) & ready))
		;
	uint32_t mask = (1u << sw_bits) - 1u;
	REG32(cfgr) = (REG32(cfgr) & ~(mask | prescalers)) | sw;
	while (((REG32(cfgr) >> sw_bits) & mask) != sw)
		;
}

/* PA9/PA10 as alternate function af on a MODER/AFRH port at gpio. */
static void usart_pins(uint32_t gpio, uint32_t af)
{
	REG32(gpio) = (REG32(gpio) & ~(0xFu << 18)) | 0xAu << 18;
	REG32(gpio + 0x24u) = (REG32(gpio + 0x24u) & ~0xFF0u) | af << 4 | af << 8;
}

/* L0: HSI16 on IOPORT GPIOA at 0x50000000, USART1 AF4; L1: GPIOA on AHB
 * at 0x40020000, AF7, the old USART layout. The ROM leaves the flash wait
 * states set for its own clock (L0 32 MHz, L1 HSI16), enough for HSI16. */
#if STUB_DRIVER == STUB_DRIVER_PECR /* only the L0/L1 image carries them */
static void pins_and_clocks_l0_l1(uint32_t kind)
{
	if (kind == STUB_CHIP_L0) {
		REG32(RCC1 + 0x2Cu) |= 1u;                /* IOPENR: GPIOA */
		REG32(RCC1 + 0x30u) |= 1u << 12;          /* AHBENR: CRC */
		REG32(RCC1 + 0x34u) |= 1u << 14;          /* APB2ENR: USART1 */
		REG32(RCC1 + 0x4Cu) &= ~3u;               /* CCIPR.USART1SEL: PCLK2 */
		usart_pins(0x50000000u, 4);
		return;
	}
	REG32(RCC4 + 0x1Cu) |= 1u | 1u << 12;             /* AHBENR: GPIOA, CRC */
	REG32(RCC4 + 0x20u) |= 1u << 14;                  /* APB2ENR: USART1 */
	usart_pins(0x40020000u, 7);
}

static void clock_init_l0_l1(struct chip *c, uint32_t kind)
{
	if (kind == STUB_CHIP_L0) /* HSI16ON 0, HSI16RDYF 2; CFGR at 0x0C */
		switch_to_hsi(RCC1, 1u, 1u << 2, RCC1 + 0x0Cu, 1, 2, 0x3FF0u);
	else /* L1: HSION 0, HSIRDY 1; CFGR at 0x08 */
		switch_to_hsi(RCC4, 1u, 1u << 1, RCC4 + 0x08u, 1, 2, 0x3FF0u);
	c->clock_hz = 16000000u;
	c->new_layout = kind == STUB_CHIP_L0;
	c->usart = 0x40013800u;
}
#endif

static void pins_and_clocks(uint32_t kind)
{
#if CHIP_HAS_H7
	if (kind == STUB_CHIP_H7) { /* its clocks are on already (chip_h7_clock_init) */
		usart_pins(CHIP_H7_GPIOA, 7);
		return;
	}
#endif
#if STUB_DRIVER == STUB_DRIVER_PECR
	if (kind == STUB_CHIP_L0 || kind == STUB_CHIP_L1) {
		pins_and_clocks_l0_l1(kind);
		return;
	}
#endif
	if (group_f4(kind)) {
		REG32(RCC4 + 0x30u) |= 1u | 1u << 12;     /* AHB1ENR: GPIOA, CRC (Go cleared them on F40x) */
		REG32(RCC4 + 0x44u) |= 1u << 4;           /* APB2ENR: USART1 */
		usart_pins(0x40020000u, 7);
		return;
	}
	if (kind == STUB_CHIP_G0) {
		REG32(RCC1 + 0x34u) |= 1u;                /* IOPENR: GPIOA */
		REG32(RCC1 + 0x38u) |= 1u << 12;          /* AHBENR: CRC */
		REG32(RCC1 + 0x40u) |= 1u << 14;          /* APBENR2: USART1 */
		REG32(RCC1 + 0x54u) &= ~3u;               /* CCIPR.USART1SEL: PCLK */
		usart_pins(0x50000000u, 1);
		return;
	}
	if (group_l4(kind)) {
		uint32_t rcc = chip_rcc_l4(kind);
		REG32(rcc + 0x48u) |= 1u << 12;           /* AHB1ENR: CRC */
		REG32(rcc + 0x4Cu) |= 1u;                 /* AHB2ENR: GPIOA */
		REG32(rcc + 0x60u) |= 1u << 14;           /* APB2ENR: USART1 */
		REG32(rcc + 0x88u) &= ~3u;                /* CCIPR.USART1SEL: PCLK2 */
		usart_pins(0x48000000u, 7);
		return;
	}
	REG32(RCC1 + 0x14u) |= 1u << 6;                   /* AHBENR: CRC */
	REG32(RCC1 + 0x18u) |= 1u << 14;                  /* APB2ENR: USART1 */
	if (kind == STUB_CHIP_F1) {
		REG32(RCC1 + 0x18u) |= 1u << 2;           /* IOPA */
		REG32(0x40010804u) = (REG32(0x40010804u) & ~0xFF0u) | 0x4B0u; /* PA9 AF PP, PA10 in */
		return;
	}
	REG32(RCC1 + 0x30u) &= ~3u;                       /* CFGR3.USART1SW: PCLK */
	REG32(RCC1 + 0x14u) |= 1u << 17;                  /* AHBENR: GPIOA */
	usart_pins(0x48000000u, kind == STUB_CHIP_F0 ? 1u : 7u); /* F0 AF1, F3 AF7 */
}

/* USART register offsets of each layout. */
#define OLD_SR 0x00u
#define OLD_DR 0x04u
#define OLD_BRR 0x08u
#define OLD_CR1 0x0Cu
#define NEW_CR1 0x00u
#define NEW_BRR 0x0Cu
#define NEW_ISR 0x1Cu
#define NEW_RDR 0x24u
#define NEW_TDR 0x28u
#define ST_TC (1u << 6)
#define ST_TXE (1u << 7)

/* One wrap a millisecond at the clock the core runs (COUNTFLAG is then a
 * millisecond tick: chip_tick); the count so far is kept. One division, at
 * start and at a clock change (Cortex-M0 divides in software). */
static void systick_per_ms(const struct chip *c)
{
	REG32(SYST_CSR) = 0;
	REG32(SYST_RVR) = c->clock_hz / 1000u - 1u;
	REG32(SYST_CVR) = 0;
	REG32(SYST_CSR) = 5u; /* processor clock, enabled, no interrupt */
}

void chip_clock_init(struct chip *c, uint32_t kind, uint32_t flags)
{
	(void)flags; /* only the H7 image reads them */
#ifdef STUB_ONLY_CHIP
	/* The small image (build-stub.sh): one chip kind, so the compiler
	 * drops every other family's registers. */
	kind = STUB_ONLY_CHIP;
#endif
	c->kind = kind;
	c->new_layout = kind != STUB_CHIP_F1 && kind != STUB_CHIP_F2 && kind != STUB_CHIP_F4;
	c->usart = group_f4(kind) ? 0x40011000u : 0x40013800u;
	if (group_f4(kind)) {
		switch_to_hsi(RCC4, 1u, 2u, RCC4 + 0x08u, 0, 2, 0xFFF0u); /* HPRE, PPRE1, PPRE2 */
		c->clock_hz = 16000000u;
	} else if (kind == STUB_CHIP_G0) {
		REG32(RCC1) &= ~(7u << 11); /* HSIDIV /1: HSISYS = HSI16 */
		switch_to_hsi(RCC1, 1u << 8, 1u << 10, RCC1 + 0x08u, 0, 3, 0x7F00u); /* HPRE, PPRE */
		c->clock_hz = 16000000u;
	} else if (group_l4(kind)) {
		uint32_t rcc = chip_rcc_l4(kind);
		switch_to_hsi(rcc, 1u << 8, 1u << 10, rcc + 0x08u, 1, 2, 0x3FF0u);
		c->clock_hz = 16000000u;
#if STUB_DRIVER == STUB_DRIVER_PECR
	} else if (kind == STUB_CHIP_L0 || kind == STUB_CHIP_L1) {
		clock_init_l0_l1(c, kind);
#endif
#if CHIP_HAS_H7
	} else if (kind == STUB_CHIP_H7) {
		c->crc = chip_h7_clock_init(flags);
		c->clock_hz = CHIP_H7_HSI_HZ;
		c->usart = CHIP_H7_USART1;
		chip_h7_usart_defaults(c->usart);
#endif
	} else {
		if (kind == STUB_CHIP_F0) /* the ROM's HSITRIM = 0 bug (AN2606): back to 16 */
			REG32(RCC1) = (REG32(RCC1) & ~0xF8u) | 16u << 3;
		switch_to_hsi(RCC1, 1u, 2u, RCC1 + 0x04u, 0, 2, 0x3FF0u); /* HPRE, PPRE1, PPRE2 */
		c->clock_hz = 8000000u;
	}
	pins_and_clocks(kind);
	c->status = c->usart + (c->new_layout ? NEW_ISR : OLD_SR);
	c->tx_data = c->usart + (c->new_layout ? NEW_TDR : OLD_DR);
	c->ms = 0;
	systick_per_ms(c);
}

/* BRR for baud; 0 when the error would exceed 2 %. F1 has no OVER8. */
static uint32_t brr_for(const struct chip *c, uint32_t baud, bool *over8)
{
	if (baud == 0)
		return 0;
	uint32_t div = (c->clock_hz + baud / 2) / baud;
	*over8 = false;
	if (div < 16) {
		if (c->kind == STUB_CHIP_F1)
			return 0;
		div = (2u * c->clock_hz + baud / 2) / baud;
		*over8 = true;
		if (div < 16)
			return 0;
	}
	uint32_t actual = (*over8 ? 2u * c->clock_hz : c->clock_hz) / div;
	uint32_t off = actual > baud ? actual - baud : baud - actual;
	if (off * 50u > baud)
		return 0;
	return *over8 ? (div & ~0xFu) | (div & 0xFu) >> 1 : div;
}

bool chip_uart_can(const struct chip *c, uint32_t baud)
{
	bool over8;
	return brr_for(c, baud, &over8) != 0;
}

/* Fewer than 32 clock cycles a bit: the stub must take each byte within
 * one byte time (the F1/F4 USART holds one), and its longest stretch
 * between two looks at the USART (a frame's end, a reply's start) is a
 * few hundred cycles. */
static bool too_few_cycles(const struct chip *c, uint32_t baud)
{
	return c->clock_hz < 32u * baud;
}

/* The PLL (clock.c) for a rate HSI cannot make, or makes with too few
 * cycles a byte. Where the image has no PLL setting for the family, or
 * the PLL did not lock (SYSCLK stays on HSI), only a rate HSI makes with
 * 32 cycles a bit: a faster one is refused (BAUD) rather than run where
 * bytes would be lost, and the host goes on down its ladder. The
 * USART is set again for the rate it runs at, and the milliseconds so far
 * are kept. */
bool chip_uart_raise_for(struct chip *c, uint32_t baud)
{
	if (chip_uart_can(c, baud) && !too_few_cycles(c, baud))
		return true;
	if (c->raised)
		return chip_uart_can(c, baud) && !c->pll_failed;
	chip_tick(c);
	c->raised = true;
	uint32_t hz = clock_raise(c->kind);
	if (!hz) {
		c->pll_failed = true;
		return false;
	}
	c->clock_hz = hz;
	systick_per_ms(c);
	chip_uart_flush(c);
	chip_uart_set(c, c->baud, c->parity);
	return chip_uart_can(c, baud);
}

int chip_uart_set(struct chip *c, uint32_t baud, bool parity)
{
	bool over8;
	uint32_t brr = brr_for(c, baud, &over8);
	if (brr == 0)
		return 0;
	uint32_t te_re = 1u << 3 | 1u << 2;
	uint32_t frame = parity ? (1u << 12 | 1u << 10) : 0; /* M (9 bits with parity), PCE */
	uint32_t o8 = over8 ? 1u << 15 : 0;
	if (c->new_layout) {
		REG32(c->usart + NEW_CR1) = 0;
		REG32(c->usart + NEW_BRR) = brr;
		REG32(c->usart + NEW_CR1) = frame | o8 | te_re | 1u;
	} else {
		REG32(c->usart + OLD_CR1) = 0;
		REG32(c->usart + OLD_BRR) = brr;
		REG32(c->usart + OLD_CR1) = 1u << 13 | frame | o8 | te_re;
	}
	c->baud = baud;
	c->parity = parity;
	return 1;
}

uint8_t chip_uart_rx(const struct chip *c)
{
	return (uint8_t)REG32(c->usart + (c->new_layout ? NEW_RDR : OLD_DR));
}

void chip_uart_flush(const struct chip *c)
{
	while (!(REG32(c->status) & ST_TC))
		;
}

bool chip_has_crc_unit(const struct chip *c)
{
	(void)c;
	return true; /* every family this stub serves has one (crc_base: where) */
}

static uint32_t crc_base(const struct chip *c)
{
#if CHIP_HAS_H7
	return c->crc;
#else
	(void)c;
	return CRC_BASE;
#endif
}

uint32_t chip_crc(const struct chip *c, uint32_t address, uint32_t length, void *context)
{
	uint32_t crc = crc_base(c);
	REG32(crc + CRC_CR) = 1u; /* RESET: DR back to 0xFFFFFFFF */
	for (uint32_t i = 0; i < length; i += 4) {
		REG32(crc + CRC_DR) = *(volatile uint32_t *)(address + i);
		if ((i & 0x7Fu) == 0)
			if (flash_wait_hook(context))
				flash_wait_work(context);
	}
	return REG32(crc + CRC_DR);
}

void chip_reset(void)
{
	__asm__ volatile("dsb");
	REG32(AIRCR) = 0x05FA0004u; /* VECTKEY, SYSRESETREQ */
	__asm__ volatile("dsb");
	for (;;)
		;
}

void chip_go(uint32_t address)
{
	uint32_t sp = *(volatile uint32_t *)address;
	uint32_t pc = *(volatile uint32_t *)(address + 4u);
	__asm__ volatile("msr msp, %0\n\tbx %1" : : "r"(sp), "r"(pc | 1u) : "memory");
	for (;;)
		;
}
