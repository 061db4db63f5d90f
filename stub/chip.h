/* What the stub needs of the chip besides flash: its clock, USART1 and its
 * pins, a millisecond count, the IWDG, the CRC unit, reset and Go. One file
 * for every family the stub runs on; params.chip (STUB_CHIP_*) picks the
 * registers at run time, so one image serves a whole flash-controller
 * family. Polled: the stub never enables an interrupt (on Cortex-M0 the
 * vectors at 0 are still the ROM's after Go, AN2606). */
#ifndef STUB_CHIP_H
#define STUB_CHIP_H

#include <stdbool.h>
#include <stdint.h>

#include "stub_protocol.h"

struct chip {
	uint32_t kind;      /* STUB_CHIP_* */
	uint32_t usart;     /* USART1 base */
	uint32_t status;    /* its SR (old layout) or ISR (new) */
	uint32_t tx_data;   /* its DR (old) or TDR (new) */
	bool new_layout;    /* ISR/TDR/RDR registers (F0/F3/F7/G0/G4/L4/L0/WB/WL/H7) */
	uint32_t clock_hz;  /* USART1 kernel clock, set by chip_clock_init */
	uint32_t baud;      /* current rate */
	bool parity;        /* 8E1 (the ROM's framing) rather than 8N1 */
	bool raised;        /* clock_raise was tried (once) */
	bool pll_failed;    /* ... and left the clock on HSI */
	uint32_t ms;        /* SysTick wraps counted (it wraps every millisecond) */
#if STUB_DRIVER == STUB_DRIVER_H7
	uint32_t crc;       /* the CRC unit's base (RM0433 and RM0455 differ) */
#endif
};

#define CHIP_REG32(a) (*(volatile uint32_t *)(a))
#define CHIP_SYST_CSR 0xE000E010u
#define CHIP_SYST_COUNTFLAG (1u << 16)
#define CHIP_ST_ORE (1u << 3)
#define CHIP_ST_RXNE (1u << 5)
#define CHIP_ST_TXE (1u << 7)
#define CHIP_NEW_ICR 0x20u
#if STUB_DRIVER == STUB_DRIVER_H7
#define CHIP_IWDG_KR 0x58004800u /* IWDG1 (RM0433, RM0455) */
#else
#define CHIP_IWDG_KR 0x40003000u
#endif

/* The stub's waits (on the flash, on the USART) must store nothing while
 * nothing happens, so that an emulator can tell them for pure polls and
 * move over them (docs/stub-protocol.md, "Waiting"); these two are inline
 * for that: no call, no stack, a store only when a millisecond passed or
 * an overrun must be cleared. */

/* Counts a millisecond when SysTick wrapped since the last look (reading
 * COUNTFLAG clears it). Call at least every millisecond for an exact count;
 * a missed wrap only makes a timeout later. */
static inline __attribute__((always_inline)) void chip_tick(struct chip *c)
{
	if (CHIP_REG32(CHIP_SYST_CSR) & CHIP_SYST_COUNTFLAG)
		c->ms++;
}

/* Milliseconds since start (see chip_tick). */
static inline __attribute__((always_inline)) uint32_t chip_ms(struct chip *c)
{
	chip_tick(c);
	return c->ms;
}

static inline __attribute__((always_inline)) bool chip_uart_rx_ready(const struct chip *c)
{
	uint32_t st = CHIP_REG32(c->status);
	if ((st & CHIP_ST_ORE) && c->new_layout)
		CHIP_REG32(c->usart + CHIP_NEW_ICR) = CHIP_ST_ORE; /* else reception stops on the new layout */
	return (st & CHIP_ST_RXNE) != 0;
}

/* The USART's status (CHIP_ST_*), and a byte into its transmit register
 * (which must be empty: CHIP_ST_TXE). */
static inline __attribute__((always_inline)) uint32_t chip_uart_status(const struct chip *c)
{
	return CHIP_REG32(c->status);
}

static inline __attribute__((always_inline)) void chip_uart_put(const struct chip *c, uint8_t byte)
{
	CHIP_REG32(c->tx_data) = byte;
}

static inline __attribute__((always_inline)) void chip_iwdg_refresh(void)
{
	/* Harmless when the IWDG is off; when the option byte started it (the
	 * ROM then refreshes it itself, AN2606 §4.8) it must not bite us. */
	CHIP_REG32(CHIP_IWDG_KR) = 0xAAAAu;
}

/* HSI as SYSCLK, every bus undivided, the F0 HSITRIM restored; SysTick
 * wrapping every millisecond. flags: the parameter block's (H7: which RM). */
void chip_clock_init(struct chip *c, uint32_t kind, uint32_t flags);
/* 0 when baud is not made within 2 % from the clock (nothing changed then). */
int chip_uart_set(struct chip *c, uint32_t baud, bool parity);
bool chip_uart_can(const struct chip *c, uint32_t baud);
/* chip_uart_can, after putting SYSCLK on the PLL (clock.c) when HSI cannot
 * make baud; false when neither can. */
bool chip_uart_raise_for(struct chip *c, uint32_t baud);
uint8_t chip_uart_rx(const struct chip *c);
void chip_uart_flush(const struct chip *c); /* until the last byte left the pin */
bool chip_has_crc_unit(const struct chip *c);
/* The CRC unit over [address, address + length), length a multiple of 4;
 * calls flash_wait_hook(context) every 32 words so the USART keeps draining. */
uint32_t chip_crc(const struct chip *c, uint32_t address, uint32_t length, void *context);
void chip_reset(void) __attribute__((noreturn));
void chip_go(uint32_t address) __attribute__((noreturn));

#endif
