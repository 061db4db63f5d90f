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
	 * and U5 RCC (RM0433 0x58024400, RM0481 0x44020C00, RM0456
	 * 0x46020C00), L5 the L4 RCC at 0x40021000 (RM0438); the IWDG at
	 * 0x40003000 (non-secure) on H5/L5/U5, IWDG1 at 0x58004800 on H7
	 * (RM0433 memory map; LSI 32 kHz on all four); USART1 at 0x40011000
	 * on H7, 0x40013800 on the others (non-secure). The CRC unit sits at 0x40023000 on every family but
	 * the RM0433 H7 lines (0x58024C00, D3 AHB4; RM0455's H7A3/B3 keep
	 * 0x40023000: sim_family_crc_base; H5/L5/U5 the non-secure alias,
	 * RM0481/RM0438/RM0456); L1 has the basic one, the others with a
	 * programmable polynomial (POLYSIZE, INIT, POL). */
	{"H5", SIM_CORE_M33, 0x44024000u, SIM_RCC_H5, 0x44020C00u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_H7, 0x40022000u, 0, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u, 200000000u},
	{"H7", SIM_CORE_M7, 0x5C001000u, SIM_RCC_H7, 0x58024400u, SIM_USART_ISR_TDR, 0x40011000u,
	 SIM_FLASH_H7, 0x52002000u, 0, 0x58004800u, 32000u, SIM_CRC_FLEXIBLE, 0x58024C00u, 64000000u},
	{"L0", SIM_CORE_M0PLUS, APB_DBGMCU, SIM_RCC_L0, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_PECR, 0x40022000u, 0, 0x40003000u, 37000u, SIM_CRC_FLEXIBLE, 0x40023000u,
	 32000000u},
	{"L1", SIM_CORE_M3, SCS_DBGMCU, SIM_RCC_L1, 0x40023800u, SIM_USART_SR_DR, 0x40013800u,
	 SIM_FLASH_PECR, 0x40023C00u, 0, 0x40003000u, 37000u, SIM_CRC_BASIC, 0x40023000u,
	 16000000u},
	{"L5", SIM_CORE_M33, 0xE0044000u, SIM_RCC_L4, 0x40021000u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u, 0},
	{"U5", SIM_CORE_M33, 0xE0044000u, SIM_RCC_U5, 0x46020C00u, SIM_USART_ISR_TDR, 0x40013800u,
	 SIM_FLASH_DWORD, 0x40022000u, 11, 0x40003000u, 32000u, SIM_CRC_FLEXIBLE, 0x40023000u, 0},
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

/* NVIC lines (vector-table positions: IRQ n is exception 16 + n). H7, H5,
 * L5 and U5 from the vector tables of RM0433 (§ interrupt and exception
 * vectors, "NVIC"), RM0481, RM0438 and RM0456 as ST's SVD files give them
 * (the generated stm32-data tables, reached by the search tool): H7 FLASH
 * 4, USART1-3 37-39; H5 FLASH 6 (non-secure), USART1-3 58-60; L5 and U5
 * FLASH 6 (non-secure), USART1-3 61-63. The others from the same SVD
 * tables (the F030, F072, G071, L072, L031, F103, F207, F303, F407, F746,
 * G431, L152, L476, WB55 and WL55 rows): FLASH 3 and USART1-3 27-29 on
 * the Cortex-M0/M0+ lines (G0 USART3 shares 29 with USART4 and LPUART1),
 * FLASH 4 and USART1-3 37-39 on the others, WB and WL FLASH 4, USART1 36,
 * WL USART2 37. */
struct family_lines {
	const char *family;
	int flash;
	int usart[3]; /* USART1, USART2, USART3 */
};

static const struct family_lines lines[] = {
	{"F0", 3, {27, 28, 29}}, {"G0", 3, {27, 28, 29}}, {"L0", 3, {27, 28, 29}},
	{"F1", 4, {37, 38, 39}}, {"F2", 4, {37, 38, 39}}, {"F3", 4, {37, 38, 39}},
	{"F4", 4, {37, 38, 39}}, {"F7", 4, {37, 38, 39}}, {"G4", 4, {37, 38, 39}},
	{"L1", 4, {37, 38, 39}}, {"L4", 4, {37, 38, 39}}, {"H7", 4, {37, 38, 39}},
	{"H5", 6, {58, 59, 60}}, {"L5", 6, {61, 62, 63}}, {"U5", 6, {61, 62, 63}},
	{"WB", 4, {36, -1, -1}}, {"WL", 4, {36, 37, -1}},
};

static const struct family_lines *lines_of(const struct sim_family_info *info)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strcmp(lines[i].family, info->family) == 0)
			return &lines[i];
	return NULL;
}

/* WINR: RM0360/RM0091 F0, RM0316 F3, RM0385 F7, RM0444 G0, RM0440 G4,
 * RM0377 L0, RM0351 L4, RM0438 L5, RM0434 WB, RM0453 WL, RM0433 H7,
 * RM0481 H5, RM0456 U5; none on F1 (RM0008), F2/F4 (RM0033/RM0090), L1
 * (RM0038). EWCR (EWIT 11:0, EWIC 14, EWIE 15) and SR.EWIF (14), PR 4
 * bits (/1024 from 8), on U5 and H5 only, as SVD-generated IWDG register
 * files give that IWDG version; the NVIC line IWDG 27 on U5 and 35 on H5
 * as NuttX's vector lists for both give them (read, not copied). */
struct sim_iwdg_features sim_family_iwdg(const struct sim_family_info *info)
{
	static const char *const no_window[] = {"F1", "F2", "F4", "L1"};
	struct sim_iwdg_features f = {true, -1};
	for (size_t i = 0; i < sizeof(no_window) / sizeof(no_window[0]); i++)
		if (strcmp(info->family, no_window[i]) == 0)
			f.window = false;
	if (strcmp(info->family, "U5") == 0)
		f.ewi_irq = 27;
	else if (strcmp(info->family, "H5") == 0)
		f.ewi_irq = 35;
	return f;
}

uint32_t sim_family_rom_sysclk(const struct sim_family_info *info, const char *device)
{
	/* AN2606 (stub.md §1): the H72x/H73x ROM runs a 66 MHz PLL, the
	 * H74x/H7A3 ROM HSI's 64 MHz. */
	if (strcmp(info->family, "H7") == 0 && strcmp(device, "stm32h72x") == 0)
		return 66000000u;
	return info->rom_sysclk_hz;
}

uint32_t sim_family_crc_base(const struct sim_family_info *info, uint16_t pid)
{
	/* RM0455's H7A3/B3 (DEV_ID 0x480) put the CRC unit on AHB1 at
	 * 0x40023000, RM0433's H74x/H72x on D3's AHB4 at 0x58024C00. */
	if (strcmp(info->family, "H7") == 0 && pid == 0x480)
		return 0x40023000u;
	return info->crc_base;
}

int sim_family_usart_irq(const struct sim_family_info *info, unsigned index)
{
	const struct family_lines *l = lines_of(info);
	return l && index >= 1 && index <= 3 ? l->usart[index - 1] : -1;
}

int sim_family_flash_irq(const struct sim_family_info *info)
{
	const struct family_lines *l = lines_of(info);
	return l ? l->flash : -1;
}
