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

struct chip {
	uint32_t kind;      /* STUB_CHIP_* */
	uint32_t usart;     /* USART1 base */
	bool new_layout;    /* ISR/TDR/RDR registers (F0/F3/F7) */
	uint32_t clock_hz;  /* USART1 kernel clock, set by chip_clock_init */
	uint32_t baud;      /* current rate */
	bool parity;        /* 8E1 (the ROM's framing) rather than 8N1 */
	uint32_t last_tick; /* SysTick value at the last chip_ms call */
	uint32_t cycles;    /* cycles not yet counted as a millisecond */
	uint32_t cycles_per_ms; /* clock_hz / 1000, kept: Cortex-M0 divides in software,
				 * too slowly for a poll every byte at 2 Mbaud */
	bool raised;        /* clock_raise was tried (once) */
	uint32_t ms;
};

/* HSI as SYSCLK, every bus undivided, the F0 HSITRIM restored; SysTick free-running. */
void chip_clock_init(struct chip *c, uint32_t kind);
/* 0 when baud is not made within 2 % from the clock (nothing changed then). */
int chip_uart_set(struct chip *c, uint32_t baud, bool parity);
bool chip_uart_can(const struct chip *c, uint32_t baud);
/* chip_uart_can, after putting SYSCLK on the PLL (clock.c) when HSI cannot
 * make baud; false when neither can. */
bool chip_uart_raise_for(struct chip *c, uint32_t baud);
bool chip_uart_rx_ready(const struct chip *c);
uint8_t chip_uart_rx(const struct chip *c);
bool chip_uart_tx_ready(const struct chip *c);
void chip_uart_tx(struct chip *c, uint8_t byte); /* waits for the transmit register */
void chip_uart_flush(const struct chip *c); /* until the last byte left the pin */
/* Milliseconds since start; call at least every second. */
uint32_t chip_ms(struct chip *c);
void chip_iwdg_refresh(void);
bool chip_has_crc_unit(const struct chip *c);
/* The CRC unit over [address, address + length), length a multiple of 4;
 * calls flash_wait_hook(context) every 32 words so the USART keeps draining. */
uint32_t chip_crc(const struct chip *c, uint32_t address, uint32_t length, void *context);
void chip_reset(void) __attribute__((noreturn));
void chip_go(uint32_t address) __attribute__((noreturn));

#endif
