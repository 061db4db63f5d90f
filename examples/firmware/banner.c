/* Prints a banner line on USART1, then echoes every byte it receives,
 * sleeping in WFI in between. */
#include "uart.h"

int main(void)
{
	uart_init();
	uart_puts("hello from " FW_NAME " (stm32boot example firmware)\r\n");
	for (;;) {
		uart_wait_rx();
		uart_putc(RX_READ());
	}
}
