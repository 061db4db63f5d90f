/* Prints one banner line on USART1 and waits for interrupts forever. */
#include "uart.h"

int main(void)
{
	uart_init();
	uart_puts("stm32boot-sim test firmware: hello from " FW_NAME "\r\n");
	for (;;)
		__asm__ volatile("wfi");
}
