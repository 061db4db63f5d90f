/* The peripherals of one chip, their bus and their shared environment. */
#ifndef STM32SIM_CPU_SOC_H
#define STM32SIM_CPU_SOC_H

#include "cpu/mmio_bus.h"
#include "cpu/periph.h"
#include "cpu/usart_map.h"

struct sim_soc {
	const struct sim_family_info *info;
	struct sim_chip *chip;
	struct sim_soc_env env;
	struct sim_mmio_bus bus;
	struct sim_scb scb;
	struct sim_systick systick;
	struct sim_dbgmcu dbgmcu;
	struct sim_iwdg iwdg;
	struct sim_crc crc;
	struct sim_rcc rcc;
	/* The bootloader's USARTs (AN2606), in usart_map's order. */
	struct sim_usart usarts[SIM_USART_MAX];
	struct sim_usart_instance usart_map[SIM_USART_MAX];
	size_t usart_count;
	struct sim_flashctl flash;
	int flash_irq; /* NVIC line, -1 when not known */
};

/* Attach every block the family has; power-on state. */
void sim_soc_init(struct sim_soc *soc, const struct sim_family_info *info, struct sim_chip *chip,
		  struct sim_cpu_stats *stats, const struct sim_cpu_callbacks *callbacks);
void sim_soc_reset(struct sim_soc *soc, enum sim_reset_cause cause);
/* USARTn, NULL when not modelled on this chip. */
struct sim_usart *sim_soc_usart(struct sim_soc *soc, unsigned index);
/* Emulated time of the next thing that stops the core by itself. */
uint64_t sim_soc_deadline(const struct sim_soc *soc);
/* Emulated time of the first change a program could read in any block
 * without touching it (a flag, a reset, an interrupt line): what a polling
 * loop waits for (spin.c). A watchdog the loop refreshes is left out. */
uint64_t sim_soc_next_change(const struct sim_soc *soc, bool watchdog_refreshed);
/* The same without the timers (the IWDG's count, SysTick): UINT64_MAX
 * when only a timer, or the outside world, can change what a poll reads.
 * The IWDG's register update is work, not timing: it is in. */
uint64_t sim_soc_next_work_change(const struct sim_soc *soc);

#endif
