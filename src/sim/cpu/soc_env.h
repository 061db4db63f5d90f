/* What every peripheral model may use of the system around it: emulated
 * time, the clock tree's current frequencies, the stats, and a way to ask
 * the core to stop (reset or fault) after the current access. Peripherals
 * never see Unicorn. */
#ifndef STM32SIM_CPU_SOC_ENV_H
#define STM32SIM_CPU_SOC_ENV_H

#include <stdint.h>

#include "cpu/cpu.h"

#define SIM_PS_PER_S 1000000000000ull

struct sim_clocks {
	uint32_t sysclk, hclk, pclk1, pclk2;
	/* H7 APB3 (D1PPRE) and APB4 (D3PPRE), H5/U5 APB3 (PPRE3); 0 elsewhere.
	 * No modelled peripheral hangs there: the bootloaders' USARTs are on
	 * APB1/APB2, LPUART1 (APB4/APB3) is not modelled. */
	uint32_t pclk3, pclk4;
	/* [n]: what USARTn's kernel-clock mux selects (its bus clock at the
	 * mux's reset value; 0 for a source that does not run). A USART whose
	 * part has no mux takes its bus clock instead (usart.c). */
	uint32_t usart_kernel[SIM_CPU_USARTS + 1];
};

struct sim_soc_env {
	uint64_t now_ps; /* emulated time since the core was created */
	struct sim_clocks clocks;
	struct sim_cpu_stats *stats;
	const struct sim_cpu_callbacks *callbacks;
	/* Requests the core takes after the access that made them. */
	enum sim_reset_cause reset_request;
	const char *fault_request;
	uint32_t fault_address;
};

static inline void sim_env_request_reset(struct sim_soc_env *env, enum sim_reset_cause cause)
{
	if (env->reset_request == SIM_RESET_NONE)
		env->reset_request = cause;
}

static inline void sim_env_request_fault(struct sim_soc_env *env, const char *what, uint32_t address)
{
	if (!env->fault_request) {
		env->fault_request = what;
		env->fault_address = address;
	}
}

/* Time of n periods of a clock of hz, in picoseconds. */
static inline uint64_t sim_ps_of_cycles(uint64_t cycles, uint32_t hz)
{
	return hz ? cycles * (SIM_PS_PER_S / hz) : UINT64_MAX;
}

#endif
