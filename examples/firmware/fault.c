/* Says what it is about to do, then reads an address where the F103 has
 * nothing (the FSMC bank of larger parts): a bus fault on silicon, a
 * reported fault in the emulator. */
#include "uart.h"

int main(void)
{
	uart_init();
	uart_puts("fault: reading 0x60000000\r\n");
	(void)REG(0x60000000u);
	uart_puts("fault: still running\r\n");
	for (;;)
		__asm__ volatile("wfi");
}
