/* stm32boot command line: sim:DEVICE,interface=dfu|stlink ports (dfu_sim.c). */
#ifndef STM32BOOT_CLI_DFU_SIM_H
#define STM32BOOT_CLI_DFU_SIM_H

#include <stdbool.h>

/* A sim: port with interface=dfu or interface=stlink. */
bool cli_is_emulated_usb_port(const char *port);

/* Re-execute this program under stm32boot-sim --run (sim_program, or
 * stm32boot-sim on PATH when NULL). Returns only on failure, reported. */
bool cli_run_under_emulated_usb(const char *port, const char *sim_program);

#endif
