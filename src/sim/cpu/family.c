/* The family table. Addresses are each family's reference manual memory
 * map (RM0008 F1, RM0360/RM0091 F0, RM0316 F3, RM0090 F4, RM0444 G0,
 * RM0351 L4, RM0440 G4, RM0377 L0, RM0038 L1, RM0434 WB, RM0453 WL; the
 * F2/F4/F7 flash interface at 0x40023C00; H7 flash at 0x52002000, the
 * non-secure H5/L5/U5 flash at 0x40022000); a 0
 * base means the block is not modelled there, so accesses to it count as
 * unmodelled. ROM clocks: AN2606 (the lowest
 * of a family's lines where lines differ). */
#include <string.h>

#include "cpu/family.h"

#define SCS_DBGMCU 0xE0042000u /* Cortex-M3/M4/M7 parts */
#define APB_DBGMCU 0x40015800u /* Cortex-M0/M0+ parts */

static const struct sim_family_info families[] = {
	{"F0", SIM_CORE_M0, APB_DBGMCU, SIM_RCC_F1, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_F1, 0x40022000u, 0, 0x40003000u, 40000u, SIM_CRC_FLEXIBLE, 0x40023000u, 24000000u},
	{"F1", SIM_CORE_M3, SCS_DBGMCU, SIM_RCC_F1, 0x40021000u, SIM_USART_SR_DR, 0x40013800u,
	 SIM_FLASH_F1, 0x40022000u, 0, 0x40003000u, 40000u, SIM_CRC_BASIC, 0x40023000u, 24000000u},
	{"F2", SIM_CORE_M3, SCS_DBGMCU, SIM_RCC_F4, 0x40023800u, SIM_USART_SR_DR, 0x40011000u,
	 SIM_FLASH_F4, 0x40023C00u, 0, 0x40003000u, 32000u, SIM_CRC_BASIC, 0x40023000u, 24000000u},
	{"F3", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_F1, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_F1, 0x40022000u, 0, 0x40003000u, 40000u, SIM_CRC_FLEXIBLE, 0x40023000u, 48000000u},
	{"F4", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_F4, 0x40023800u, SIM_USART_SR_DR, 0x40011000u,
	 SIM_FLASH_F4, 0x40023C00u, 0, 0x40003000u, 32000u, SIM_CRC_BASIC, 0x40023000u, 24000000u},
	{"F7", SIM_CORE_M7, SCS_DBGMCU, SIM_RCC_F4, 0x40023800u, SIM_USART_ISR_TDR, 0x40011000u,
	 SIM_FLASH_F4, 0x40023C00u, 0, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u, 60000000u},
	{"G0", SIM_CORE_M0PLUS, APB_DBGMCU, SIM_RCC_G0, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 13, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 24000000u},
	{"G4", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_L4, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 72000000u},
	{"L4", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_L4, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 24000000u},
	/* H5, H7, L5, U5: the non-secure side of the flash controller; H7, H5
	 * and U5 RCC in the reset state only (RM0433 0x58024400, RM0481
	 * 0x44020C00, RM0456 0x46020C00), L5 the L4 RCC at 0x40021000
	 * (RM0438); USART1 at 0x40011000 on H7, 0x40013800 on the others
	 * (non-secure). No CRC model on these four yet. The CRC unit sits at
	 * 0x40023000 on every other family; L1 has the basic one, L0/WB/WL
	 * the programmable one. */
	{"H5", SIM_CORE_M33, 0x44024000u, SIM_RCC_H5, 0x44020C00u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_H7, 0x40022000u, 0, 0, 32000u, SIM_CRC_NONE, 0, 0},
	{"H7", SIM_CORE_M7, 0x5C001000u, SIM_RCC_H7, 0x58024400u, SIM_USART_ISR_TDR, 0x40011000u,
	 SIM_FLASH_H7, 0x52002000u, 0, 0, 32000u, SIM_CRC_NONE, 0, 0},
	{"L0", SIM_CORE_M0PLUS, APB_DBGMCU, SIM_RCC_L0, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_PECR, 0x40022000u, 0, 0x40003000u, 37000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 32000000u},
	{"L1", SIM_CORE_M3, SCS_DBGMCU, SIM_RCC_L1, 0x40023800u, SIM_USART_SR_DR, 0x40013800u,
	 SIM_FLASH_PECR, 0x40023C00u, 0, 0x40003000u, 37000u, SIM_CRC_BASIC, 0x40023000u,
	 16000000u},
	{"L5", SIM_CORE_M33, 0xE0044000u, SIM_RCC_L4, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0, 32000u, SIM_CRC_NONE, 0, 0},
	{"U5", SIM_CORE_M33, 0xE0044000u, SIM_RCC_U5, 0x46020C00u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0, 32000u, SIM_CRC_NONE, 0, 0},
	{"WB", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_L4, 0x58000000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x58004000u, 0, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 64000000u},
	{"WL", SIM_CORE_M4, SCS_DBGMCU, SIM_RCC_L4, 0x58000000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x58004000u, 0, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 48000000u},
};

const struct sim_family_info *sim_family_info(const char *family)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].family, family) == 0)
			return &families[i];
	return NULL;
}

bool sim_cpu_core_of_family(const char *family, enum sim_cpu_core *core)
{
	const struct sim_family_info *info = sim_family_info(family);
	if (!info)
		return false;
	*core = info->core;
	return true;
}

const char *sim_cpu_core_name(enum sim_cpu_core core)
{
	static const char *const names[] = {"Cortex-M0", "Cortex-M0+", "Cortex-M3",
					    "Cortex-M4", "Cortex-M7", "Cortex-M33"};
	return (unsigned)core < sizeof(names) / sizeof(names[0]) ? names[core] : "?";
}

int sim_family_usart1_irq(const struct sim_family_info *info)
{
	/* Vector tables: F1 37 (ST's CMSIS stm32f10x.h, USART1_IRQn); the
	 * Cortex-M0/M0+ lines 27, the others 37, as remembered from their RMs
	 * (docs/sim.md says which were checked). */
	static const struct { const char *family; int irq; } table[] = {
		{"F0", 27}, {"G0", 27}, {"L0", 27}, {"F1", 37}, {"F2", 37}, {"F3", 37},
		{"F4", 37}, {"F7", 37}, {"G4", 37}, {"L1", 37}, {"L4", 37},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].family, info->family) == 0)
			return table[i].irq;
	return -1;
}
