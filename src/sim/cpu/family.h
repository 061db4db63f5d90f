/* What differs between families for the core and its peripherals: the
 * core type, where the modelled blocks sit and which register layout they
 * use. One row per family of data/devices.tsv. */
#ifndef STM32SIM_CPU_FAMILY_H
#define STM32SIM_CPU_FAMILY_H

#include <stdint.h>

#include "cpu/cpu.h"

enum sim_rcc_layout {
	SIM_RCC_NONE,
	SIM_RCC_F1, /* F0/F1/F3: CR, CFGR with PLLMUL, CSR at 0x24 (RM0008, RM0360) */
	SIM_RCC_F4, /* F2/F4/F7: PLLCFGR at 0x04 (RM0090) */
	SIM_RCC_G0, /* CR.HSION bit 8, CFGR at 0x08, SW[2:0] (RM0444) */
	SIM_RCC_L4, /* MSI at reset, CFGR at 0x08, CSR at 0x94 (RM0351); G4 without MSI;
		     * WB/WL (RM0434/RM0453) with their PLLR at 31:29; L5 (RM0438) */
	SIM_RCC_L0, /* MSI at reset, HSI16RDYF bit 2, CFGR 0x0C, CCIPR 0x4C, CSR 0x50 (RM0377) */
	SIM_RCC_L1, /* MSI at reset, HSIRDY bit 1, CFGR 0x08, CSR 0x34 (RM0038) */
	/* Reset state only (no clock switching, no reset flags): the clock the
	 * chip runs at out of reset, registers that read back what is written. */
	SIM_RCC_H7, /* HSI 64 MHz, HSIDIV /1 (RM0433) */
	SIM_RCC_H5, /* HSI 64 MHz, HSIDIV /2 at reset: 32 MHz (RM0481) */
	SIM_RCC_U5, /* MSIS 4 MHz (RM0456) */
};

enum sim_usart_layout {
	SIM_USART_NONE,
	SIM_USART_SR_DR,   /* SR 0x00, DR 0x04, BRR 0x08, CR1 0x0C (F1/F2/F4/L1) */
	SIM_USART_ISR_TDR, /* CR1 0x00, BRR 0x0C, ISR 0x1C, ICR 0x20, RDR 0x24, TDR 0x28 */
};

enum sim_flash_kind {
	SIM_FLASH_NONE,
	SIM_FLASH_F1,    /* half-word FPEC (RM0008); F0/F3 add OBL_LAUNCH */
	SIM_FLASH_DWORD, /* 64-bit programming (RM0444 G0, RM0351 L4, G4) */
	SIM_FLASH_F4,    /* sectors, PSIZE x8..x64 (RM0090 F4, RM0033 F2, RM0385/RM0410 F7) */
	SIM_FLASH_PECR,  /* PECR and three keys, word and half-page (RM0377 L0, RM0038 L1) */
	SIM_FLASH_H7,    /* two banks, 256/128-bit flash words (RM0433, RM0455) */
};

enum sim_crc_layout {
	SIM_CRC_NONE,
	SIM_CRC_BASIC,    /* DR, IDR, CR.RESET only (F1/F2/F4) */
	SIM_CRC_FLEXIBLE, /* INIT, POL, REV_IN/REV_OUT, sized writes (F0/G0/L4...) */
};

struct sim_family_info {
	const char *family;
	enum sim_cpu_core core;
	uint32_t dbgmcu_base; /* IDCODE at +0 */
	enum sim_rcc_layout rcc;
	uint32_t rcc_base;
	enum sim_usart_layout usart;
	uint32_t usart1_base;
	enum sim_flash_kind flash;
	uint32_t flash_base;
	unsigned flash_bker_bit; /* DWORD: BKER position (G0 13, L4/G4 11; WB/WL 0: none) */
	uint32_t iwdg_base;
	uint32_t lsi_hz;         /* IWDG clock */
	enum sim_crc_layout crc;
	uint32_t crc_base;
	uint32_t rom_sysclk_hz;  /* what the ROM bootloader runs at (AN2606) */
};

/* USARTn's (1..3) and the flash controller's NVIC interrupt numbers, -1
 * when not known for the family. */
int sim_family_usart_irq(const struct sim_family_info *info, unsigned index);
int sim_family_flash_irq(const struct sim_family_info *info);

/* The family's IWDG version: WINR (all but F1, F2, F4, L1), and on U5 and
 * H5 the early-wakeup interrupt (EWCR) with a 4-bit PR, on this NVIC line
 * (-1: none). */
struct sim_iwdg_features {
	bool window;
	int ewi_irq;
};
struct sim_iwdg_features sim_family_iwdg(const struct sim_family_info *info);

/* Where the device's CRC unit sits (the family's, but for the H7A3/B3). */
uint32_t sim_family_crc_base(const struct sim_family_info *info, uint16_t pid);

/* What the device's ROM bootloader runs at (AN2606): the family's, but
 * for lines whose ROM clock differs from it (H72x). */
uint32_t sim_family_rom_sysclk(const struct sim_family_info *info, const char *device);

/* NULL for a family with no row. */
const struct sim_family_info *sim_family_info(const char *family);

#endif
