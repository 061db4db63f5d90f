/* Vector table and reset entry: MSP from the linker script's stack top,
 * reset straight into main (nothing to copy: the programs have no .data
 * or .bss). */
#include <stdint.h>

extern uint32_t _stack_top;
int main(void);

static void reset_handler(void)
{
	main();
	for (;;)
		__asm__ volatile("wfi");
}

__attribute__((section(".vectors"), used)) static const void *const vectors[2] = {
	&_stack_top,
	(const void *)reset_handler,
};
