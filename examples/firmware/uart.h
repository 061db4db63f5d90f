/* Example firmware for the emulator's Cortex-M core (and real boards):
 * USART1 on PA9/PA10 at 115200 from the 8 MHz HSI, polled, no .data/.bss.
 * The ROM bootloader leaves the PLL running when it starts a program with
 * Go (AN2606), so the clock is switched back to HSI first: a BRR computed
 * for 8 MHz would otherwise give another baud rate.
 * FW_F103: old USART layout (RM0008); FW_F030: new layout (RM0360). */
#ifndef FW_UART_H
#define FW_UART_H

#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))

#define RCC_CR      REG(0x40021000u)
#define RCC_CFGR    REG(0x40021004u)
#define RCC_AHBENR  REG(0x40021014u)
#define RCC_APB2ENR REG(0x40021018u)
#define RCC_CSR     REG(0x40021024u)
#define HSI_HZ 8000000u
#define BAUD 115200u

/* SYSCLK = HSI, AHB and APB undivided (RM0008/RM0360 RCC_CFGR: SW 1:0,
 * SWS 3:2, HPRE 7:4, PPRE 10:8 (F1: PPRE1 10:8, PPRE2 13:11)). */
static inline void clock_to_hsi(void)
{
	RCC_CR |= 1u;                                       /* HSION */
	while (!(RCC_CR & 2u))                              /* HSIRDY */
		;
	RCC_CFGR &= ~(3u | 0x3FF0u);
	while (RCC_CFGR & 0xCu)
		;
}

#if defined(FW_F103)
#define GPIOA_CRH   REG(0x40010804u)
#define USART1_SR   REG(0x40013800u)
#define USART1_DR   REG(0x40013804u)
#define USART1_BRR  REG(0x40013808u)
#define USART1_CR1  REG(0x4001380Cu)
#define TX_READY() (USART1_SR & (1u << 7))
#define TX_DONE() (USART1_SR & (1u << 6))
#define TX_WRITE(c) (USART1_DR = (c))
#define RX_READY() (USART1_SR & (1u << 5))
#define RX_READ() ((uint8_t)USART1_DR)
#define USART1_IRQ 37u

static inline void uart_init(void)
{
	clock_to_hsi();
	RCC_APB2ENR |= (1u << 2) | (1u << 14);              /* IOPAEN, USART1EN */
	GPIOA_CRH = (GPIOA_CRH & ~0xFF0u) | 0x4B0u;         /* PA9 AF push-pull, PA10 input */
	USART1_BRR = (HSI_HZ + BAUD / 2) / BAUD;
	USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2);    /* UE, TE, RE; 8N1 */
}
#elif defined(FW_F030)
#define GPIOA_MODER REG(0x48000000u)
#define GPIOA_AFRH  REG(0x48000024u)
#define USART1_CR1  REG(0x40013800u)
#define USART1_BRR  REG(0x4001380Cu)
#define USART1_ISR  REG(0x4001381Cu)
#define USART1_TDR  REG(0x40013828u)
#define TX_READY() (USART1_ISR & (1u << 7))
#define TX_DONE() (USART1_ISR & (1u << 6))
#define TX_WRITE(c) (USART1_TDR = (c))
#define USART1_RDR  REG(0x40013824u)
#define RX_READY() (USART1_ISR & (1u << 5))
#define RX_READ() ((uint8_t)USART1_RDR)
#define RCC_CFGR3   REG(0x40021030u)
#define USART1_IRQ 27u

static inline void uart_init(void)
{
	clock_to_hsi();
	RCC_CFGR3 &= ~3u;                                   /* USART1 clocked by PCLK */
	RCC_AHBENR |= 1u << 17;                             /* IOPAEN */
	RCC_APB2ENR |= 1u << 14;                            /* USART1EN */
	GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18); /* PA9, PA10 alternate */
	GPIOA_AFRH = (GPIOA_AFRH & ~0xFF0u) | 0x110u;       /* AF1 = USART1_TX, USART1_RX */
	USART1_BRR = (HSI_HZ + BAUD / 2) / BAUD;
	USART1_CR1 = (1u << 0) | (1u << 3) | (1u << 2);     /* UE, TE, RE; 8N1 */
}
#else
#error "define FW_F103 or FW_F030"
#endif

static inline void uart_putc(uint8_t c)
{
	while (!TX_READY())
		;
	TX_WRITE(c);
}

static inline void uart_puts(const char *s)
{
	for (; *s; s++)
		uart_putc((uint8_t)*s);
	while (!TX_DONE())
		;
}

#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))

/* Sleep until a byte arrives: RXNEIE and the NVIC line make a received byte
 * wake WFI, while PRIMASK (set) keeps the handler from running, so there is
 * no vector table to fill in (and on Cortex-M0 after Go the vectors at 0 are
 * still the ROM's). WFI may also wake for nothing: hence the loop. */
static inline void uart_wait_rx(void)
{
	__asm__ volatile("cpsid i");
	USART1_CR1 |= 1u << 5; /* RXNEIE, bit 5 in both layouts */
	NVIC_ISER(USART1_IRQ / 32u) = 1u << (USART1_IRQ % 32u);
	while (!RX_READY())
		__asm__ volatile("wfi");
}

#endif
