/* Test firmware for the emulator's Cortex-M core: USART1 on PA9 at 115200
 * from the 8 MHz HSI (reset clock), polled, no interrupts, no .data/.bss.
 * FW_F103: old USART layout (RM0008); FW_F030: new layout (RM0360). */
#ifndef FW_UART_H
#define FW_UART_H

#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))

#define RCC_AHBENR  REG(0x40021014u)
#define RCC_APB2ENR REG(0x40021018u)
#define RCC_CSR     REG(0x40021024u)
#define HSI_HZ 8000000u
#define BAUD 115200u

#if defined(FW_F103)
#define GPIOA_CRH   REG(0x40010804u)
#define USART1_SR   REG(0x40013800u)
#define USART1_DR   REG(0x40013804u)
#define USART1_BRR  REG(0x40013808u)
#define USART1_CR1  REG(0x4001380Cu)
#define TX_READY() (USART1_SR & (1u << 7))
#define TX_DONE() (USART1_SR & (1u << 6))
#define TX_WRITE(c) (USART1_DR = (c))

static inline void uart_init(void)
{
	RCC_APB2ENR |= (1u << 2) | (1u << 14);              /* IOPAEN, USART1EN */
	GPIOA_CRH = (GPIOA_CRH & ~0xF0u) | 0xB0u;           /* PA9 AF push-pull 50 MHz */
	USART1_BRR = (HSI_HZ + BAUD / 2) / BAUD;
	USART1_CR1 = (1u << 13) | (1u << 3);                /* UE, TE; 8N1 */
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

static inline void uart_init(void)
{
	RCC_AHBENR |= 1u << 17;                             /* IOPAEN */
	RCC_APB2ENR |= 1u << 14;                            /* USART1EN */
	GPIOA_MODER = (GPIOA_MODER & ~(3u << 18)) | (2u << 18); /* PA9 alternate */
	GPIOA_AFRH = (GPIOA_AFRH & ~0xF0u) | 0x10u;         /* AF1 = USART1_TX */
	USART1_BRR = (HSI_HZ + BAUD / 2) / BAUD;
	USART1_CR1 = (1u << 0) | (1u << 3);                 /* UE, TE; 8N1 */
}
#else
#error "define FW_F103 or FW_F030"
#endif

static inline void uart_puts(const char *s)
{
	for (; *s; s++) {
		while (!TX_READY())
			;
		TX_WRITE((uint8_t)*s);
	}
	while (!TX_DONE())
		;
}

#endif
