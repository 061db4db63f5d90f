/* Prints a banner line on USART1, then echoes every byte it receives,
 * sleeping in WFI in between; a '?' is answered with the banner again (a
 * host that flashed the program usually drops what arrived before it let
 * go of the port, so a later reader can ask). */
#include "uart.h"

#define BANNER "hello from " FW_NAME " (stm32boot example firmware)\r\n"

int main(void)
{
	uart_init();
	uart_puts(BANNER);
	for (;;) {
		uart_wait_rx();
		uint8_t c = RX_READ();
		if (c == '?')
			uart_puts(BANNER);
		else
			uart_putc(c);
	}
}
