/* Starts the independent watchdog (about 10 ms: LSI 40 kHz / 4, reload
 * 100), refreshes it three times, then stops refreshing and spins: the
 * watchdog must reset the chip. After that reset RCC_CSR.IWDGRSTF is set
 * and the program says so and stays idle. */
#include "uart.h"

#define IWDG_KR  REG(0x40003000u)
#define IWDG_PR  REG(0x40003004u)
#define IWDG_RLR REG(0x40003008u)
#define IWDG_SR  REG(0x4000300Cu)
#define CSR_IWDGRSTF (1u << 29)
#define CSR_RMVF (1u << 24)

static void delay(uint32_t loops)
{
	while (loops--)
		__asm__ volatile("nop");
}

int main(void)
{
	uart_init();
	if (RCC_CSR & CSR_IWDGRSTF) {
		RCC_CSR |= CSR_RMVF;
		uart_puts("iwdg: reset by the watchdog\r\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	uart_puts("iwdg: power-on, starting the watchdog\r\n");
	IWDG_KR = 0xCCCCu;
	IWDG_KR = 0x5555u;
	IWDG_PR = 0u;
	IWDG_RLR = 100u;
	while (IWDG_SR)
		;
	IWDG_KR = 0xAAAAu;
	for (int i = 0; i < 3; i++) {
		delay(2000u);
		IWDG_KR = 0xAAAAu;
	}
	uart_puts("iwdg: no more refreshes\r\n");
	for (;;)
		delay(1000u);
}
