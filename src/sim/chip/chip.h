/* The emulated chip's memories: flash with its per-family programming
 * physics, option bytes with read-out and write protection, RAM, system
 * memory and the identification registers. No I/O, no protocol: the protocol
 * engine drives it and the unit tests poke it directly. */
#ifndef STM32SIM_CHIP_H
#define STM32SIM_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"

#define SIM_RAM_BASE 0x20000000u
#define SIM_UID_BYTES 12u

enum sim_area {
	SIM_AREA_NONE,
	SIM_AREA_FLASH,
	SIM_AREA_RAM,
	SIM_AREA_SYSMEM,
	SIM_AREA_OPTIONS,
	SIM_AREA_FLASH_SIZE_REG,
	SIM_AREA_UID_REG,
	SIM_AREA_OTP,     /* one-time programmable user bytes (otp_start..otp_end) */
	SIM_AREA_SYSMEM2, /* second system-memory block (G0B1/C1) */
};

enum sim_program_result {
	SIM_PROGRAM_OK,
	SIM_PROGRAM_FAILED, /* PGERR (F0/F1/F3), PROGERR: a second program of an ECC unit */
};

struct sim_chip {
	const struct stm32_device *dev;
	uint8_t *flash;
	/* One flag per program unit: set once programmed, cleared by erase.
	 * Only ECC families (units of 8 bytes or more) look at it. */
	uint8_t *unit_programmed;
	size_t unit_count;
	uint8_t *ram;              /* SIM_RAM_BASE .. ram_end */
	uint32_t ram_size;
	uint8_t *sysmem;           /* read-only, filled deterministically */
	uint8_t *sysmem2;          /* the second block, likewise; NULL when none */
	uint8_t *otp;              /* otp_end - otp_start bytes, NULL when none */
	uint32_t otp_size;
	uint8_t *options;          /* opt_size bytes, NULL when not memory mapped */
	int unmapped_rdp_level;    /* RDP of devices without an option area */
	/* Write protection of devices whose option bytes we do not decode:
	 * one flag per erase unit. */
	uint8_t *wrp_unmapped;
	/* Devices whose option bytes are flash-controller registers (H7):
	 * the controller's current option words, laid out as the option-byte
	 * table's register image (data/option_bytes.tsv: OPTSR, WPSN per
	 * bank, BOOT), kept in the image file in place of an option area.
	 * Their write protection lives here, not in wrp_unmapped. NULL
	 * elsewhere. */
	uint8_t *register_options;
	uint32_t register_options_size;
	size_t sector_count;
	uint8_t uid[SIM_UID_BYTES];
	bool pll_stuck; /* --faults pll-stuck=1: the core's PLLs never lock (rcc.c) */
};

/* Factory-fresh chip: flash erased, factory option bytes, RAM zero. */
bool sim_chip_init(struct sim_chip *chip, const struct stm32_device *dev);
void sim_chip_free(struct sim_chip *chip);

/* Memory map. */
enum sim_area sim_chip_area(const struct sim_chip *chip, uint32_t address);
/* True when [address, address+length) stays inside the area that holds address. */
bool sim_chip_span_in_area(const struct sim_chip *chip, uint32_t address, uint64_t length);
/* Read through the memory map; bytes outside any area read as 0x00. */
void sim_chip_read(const struct sim_chip *chip, uint32_t address, uint8_t *out, size_t length);
bool sim_chip_is_ecc_family(const struct sim_chip *chip);

/* Flash physics (chip_flash.c). address/length must lie inside flash. Units in
 * write-protected sectors are silently left unchanged. */
enum sim_program_result sim_flash_program(struct sim_chip *chip, uint32_t address,
					  const uint8_t *data, size_t length);
/* Returns false if the sector is write protected (left unchanged). */
bool sim_flash_erase_sector(struct sim_chip *chip, size_t sector);
void sim_flash_erase_all(struct sim_chip *chip);  /* skips protected sectors */
void sim_flash_erase_bank(struct sim_chip *chip, unsigned bank); /* 1 or 2 */
/* Re-derive the ECC "programmed" flags from contents (after an image load). */
void sim_flash_derive_programmed(struct sim_chip *chip);
/* OTP (chip_flash.c): address/length inside the OTP area. Never erased; a
 * unit holding any 0 bit cannot be programmed again. */
enum sim_program_result sim_otp_program(struct sim_chip *chip, uint32_t address,
					const uint8_t *data, size_t length);

/* Option bytes, read-out and write protection (chip_options.c). */
int sim_chip_rdp_level(const struct sim_chip *chip);   /* 0, 1 or 2 */
void sim_chip_set_rdp_level(struct sim_chip *chip, int level);
/* Number of write-protection codes the Write Protect command accepts. */
size_t sim_chip_wrp_code_count(const struct sim_chip *chip);
bool sim_chip_wrp_set(struct sim_chip *chip, uint8_t code); /* false: bad code */
/* Write Protect with a list of codes: all applied, or (a bad code, or on
 * G0/G4/WB/WL a page set the WRP areas cannot express) none: false. */
bool sim_chip_wrp_protect(struct sim_chip *chip, const uint8_t *codes, size_t count);
void sim_chip_wrp_clear_all(struct sim_chip *chip);
bool sim_chip_sector_protected(const struct sim_chip *chip, size_t sector);
/* Write Memory into the option area: erase it, then program the bytes. */
void sim_chip_write_options(struct sim_chip *chip, uint32_t offset,
			    const uint8_t *data, size_t length);

/* What a reset boots (chip_boot.c), from the pin and the option bytes. */
enum sim_boot_memory {
	SIM_BOOT_SYSTEM, /* system memory: the bootloader */
	SIM_BOOT_FLASH,  /* main flash (before the ROM's empty check) */
	SIM_BOOT_SRAM,   /* the embedded SRAM (nBOOT1 = 0 with BOOT0 high; F7 boot address) */
};
/* What BOOT0 the chip acts on at reset: the pin, or the nBOOT0 option bit
 * where the option bytes select it (data/option_bytes.tsv). */
bool sim_chip_boot0_level(const struct sim_chip *chip, bool pin_high);
/* The memory a reset boots with BOOT0 at pin_high, and where its vector
 * table is (MSP at vectors, the reset handler at vectors + 4). */
enum sim_boot_memory sim_chip_boot_memory(const struct sim_chip *chip, bool pin_high, uint32_t *vectors);
const char *sim_boot_memory_name(enum sim_boot_memory memory);
/* The option bytes select the hardware watchdog (WDG_SW/IWDG_SW = 0). */
bool sim_chip_hardware_watchdog(const struct sim_chip *chip);

#endif
