/* What a debugger reaches through the core's debug port (ADIv5 MEM-AP and
 * the core-register transfer of ARMv7-M C1.6): the memory map as the bus
 * matrix sees it, and the core registers of a halted core. The halting
 * debug state itself (DHCSR, DEMCR, DFSR) belongs to the caller
 * (src/sim/stlink), which decides when the core runs. */
#ifndef STM32SIM_CPU_DEBUG_PORT_H
#define STM32SIM_CPU_DEBUG_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Core-register selectors of DCRSR.REGSEL (and of the ST-LINK READREG). */
enum sim_debug_reg {
	SIM_DEBUG_REG_SP = 13,
	SIM_DEBUG_REG_LR = 14,
	SIM_DEBUG_REG_PC = 15,
	SIM_DEBUG_REG_XPSR = 16,
	SIM_DEBUG_REG_MSP = 17,
	SIM_DEBUG_REG_PSP = 18,
	SIM_DEBUG_REG_SPECIAL = 20, /* CONTROL << 24 | FAULTMASK << 16 | BASEPRI << 8 | PRIMASK */
};

/* One access of size 1, 2 or 4 bytes (naturally aligned). False: a bus
 * error (nothing at that address, or an unaligned access). A write that
 * asks for a system reset (AIRCR.SYSRESETREQ) reports it in *reset (else
 * SIM_RESET_NONE); the caller carries it out. */
bool sim_cpu_debug_read(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t *value);
bool sim_cpu_debug_write(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t value,
			 enum sim_reset_cause *reset);
/* True when address lies in flash or in its alias at 0 (readout protection
 * bars the debugger from these). */
bool sim_cpu_debug_is_flash(struct sim_cpu *cpu, uint32_t address);

/* Core registers by selector; false for a selector the core lacks. */
bool sim_cpu_debug_get_reg(struct sim_cpu *cpu, unsigned selector, uint32_t *value);
bool sim_cpu_debug_set_reg(struct sim_cpu *cpu, unsigned selector, uint32_t value);

/* The reset sequence's vector fetch (ARMv7-M B1.5.5) without starting the
 * core: MSP and PC from flash. Returns the reset vector's bit 0, which is
 * xPSR.T (Unicorn keeps no T bit of its own: the caller tracks it). */
bool sim_cpu_debug_load_reset_vector(struct sim_cpu *cpu);
/* --speed fast: a flash operation under way ends now (emulated time jumps
 * to its end), so a debugger polling BSY does not wait out erase times. */
void sim_cpu_debug_finish_flash_operation(struct sim_cpu *cpu);
/* Let the core run from its current PC with its registers as they are (a
 * debugger's resume); sim_cpu_run then executes. */
void sim_cpu_debug_resume(struct sim_cpu *cpu);

#endif
