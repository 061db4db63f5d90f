/* Which USARTs a device's ROM bootloader listens on (AN2606), where they
 * sit and their interrupt lines: the instances the core models. */
#ifndef STM32SIM_CPU_USART_MAP_H
#define STM32SIM_CPU_USART_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/family.h"

#define SIM_USART_MAX SIM_CPU_USARTS

struct sim_usart_instance {
	unsigned index; /* 1 = USART1 */
	uint32_t base;
	int irq;        /* NVIC line, -1 when not known */
	bool kernel_mux; /* the RCC has a kernel-clock field for it on this part */
	bool fifo;       /* its USART has PRESC and the FIFOs */
};

/* The bootloader's USARTs of the device, the one AN2606 lists first
 * first; 0 when the family has no USART model. */
size_t sim_usart_instances(const struct sim_family_info *info, const char *device,
			   struct sim_usart_instance out[SIM_USART_MAX]);

#endif
