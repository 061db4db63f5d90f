/* The ADIv5 debug port and the MEM-AP behind it, as the ST-LINK's
 * READ_DAP_REG / WRITE_DAP_REG commands reach them (../shared/stm32/
 * stlink.md §2; openocd's stlink-dap driver): DP IDCODE/ABORT, CTRL/STAT,
 * SELECT, RDBUFF; AP 0's CSW, TAR, DRW, BD0-BD3, BASE and IDR onto the
 * chip's memory map through swd_target.h. The probe's own memory
 * commands do not go through here (they set CSW and TAR themselves). */
#ifndef STM32SIM_STLINK_DAP_H
#define STM32SIM_STLINK_DAP_H

#include <stdbool.h>
#include <stdint.h>

#include "stlink/swd_target.h"

#define SIM_DAP_DP_PORT 0xFFFFu /* the port number that names the DP */

struct sim_dap {
	uint32_t ctrl_stat; /* the power-up requests as written, STICKYERR */
	uint32_t select;
	uint32_t csw, tar;  /* AP 0 */
	uint32_t rdbuff;    /* the last AP read's value */
};

void sim_dap_reset(struct sim_dap *dap);
/* The register at addr of port (SIM_DAP_DP_PORT or an AP number): true
 * with *value, false for a fault (no such AP: the probe answers its
 * BAD_AP status; a bus error on DRW or BDn sets STICKYERR). */
bool sim_dap_read(struct sim_dap *dap, struct sim_swd_target *t, uint16_t port, uint16_t addr,
		  uint32_t *value);
bool sim_dap_write(struct sim_dap *dap, struct sim_swd_target *t, uint16_t port, uint16_t addr,
		   uint32_t value);

#endif
