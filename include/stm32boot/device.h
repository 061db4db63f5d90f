/* libstm32boot: the device database.
 *
 * Generated at build time from data/devices.tsv, the single source of device
 * facts shared by the library and the emulator. One row per part or part
 * line; several rows may share a PID (told apart by the flash-size register). */
#ifndef STM32BOOT_DEVICE_H
#define STM32BOOT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device flags (the "flags" column). */
#define STM32_DEV_NO_MASS_ERASE 0x0001u /* bootloader has no mass erase: use page lists */
#define STM32_DEV_OBL_LAUNCH    0x0002u /* reset needs an option-byte reload (F030xC/F09x) */
#define STM32_DEV_PEMPTY        0x0004u /* empty-check latch in FLASH_SR.PEMPTY (L45x/L46x) */
#define STM32_DEV_BANK_ERASE    0x0008u /* Extended Erase accepts FFFE/FFFD bank codes */
#define STM32_DEV_NO_RAM_ACCESS 0x0010u /* Read/Write Memory refuse SRAM (L031/L041, AN2606) */

/* Bootloader interfaces (the "interfaces" column). */
#define STM32_IF_UART 0x1u
#define STM32_IF_I2C  0x2u /* AN4221 */
#define STM32_IF_SPI  0x4u /* AN4286 */
#define STM32_IF_DFU  0x8u /* USB DFU with the DfuSe extensions (AN3156) */

/* A run of equally sized erase units (pages or sectors). */
struct stm32_sector_run {
	uint32_t size;  /* bytes */
	uint32_t count;
};

/* Typical erase time of one erase unit of the given size. */
struct stm32_erase_time {
	uint32_t size;  /* bytes */
	uint32_t ms;
};

struct stm32_device {
	const char *name;        /* canonical short name, e.g. "stm32f103xb" */
	const char *aliases;     /* comma-separated other names, may be "" */
	uint16_t pid;
	const char *description; /* e.g. "STM32F10xxx Medium-density" */
	const char *family;      /* "F1", "F4", "L4", ... */
	uint8_t bootloader_version; /* UART protocol version, 0x22 = v2.2 */
	const uint8_t *commands; /* UART Get list, in order */
	size_t command_count;

	uint32_t flash_start;
	uint32_t flash_size;     /* sum of all layout runs */
	const struct stm32_sector_run *layout; /* all banks, in address order */
	size_t layout_runs;
	uint32_t bank_count;     /* 1 or 2 */
	uint32_t bank2_start;    /* address of bank 2, 0 when single bank */
	uint32_t bank2_first_sector; /* index of the first sector of bank 2 */

	uint32_t ram_start;      /* first RAM address the host may use */
	uint32_t ram_end;        /* exclusive */
	uint32_t opt_start;      /* option-byte area, 0 when not memory mapped */
	uint32_t opt_size;       /* bytes, 0 when not memory mapped */
	const uint8_t *opt_factory; /* opt_size factory bytes, NULL when none */
	int rdp_offset;          /* RDP byte offset in the option area, -1 if none */
	uint8_t rdp_level0;      /* RDP byte value meaning "no protection" */
	uint32_t sysmem_start;
	uint32_t sysmem_end;     /* exclusive */
	uint32_t flash_size_reg; /* 16-bit flash size in KiB, 0 if unknown */
	uint32_t uid_reg;        /* 96-bit unique ID, 0 if unknown */
	/* One-time-programmable area; 0, 0 when none is recorded. */
	uint32_t otp_start;
	uint32_t otp_end;        /* exclusive */
	/* A second system-memory block (G0B1/C1: 0x1FFF8000); 0, 0 when none. */
	uint32_t sysmem2_start;
	uint32_t sysmem2_end;    /* exclusive */

	uint32_t program_unit;   /* bytes programmed at once (2, 4, 8, 16, 32) */
	uint32_t t_prog_us;      /* typical time to program one unit */
	const struct stm32_erase_time *erase_times;
	size_t erase_time_count;
	uint32_t t_mass_ms;      /* typical mass (or bank) erase time; 0 if none */
	unsigned flags;          /* STM32_DEV_* */
	unsigned interfaces;     /* STM32_IF_*: bootloader interfaces of the family */
	int i2c_address;         /* 7-bit I2C bootloader address, -1 if not known */
	/* Highest UART rate the bootloader's 0x7F auto-baud is documented (or
	 * derived, docs/devices.md) to measure correctly; 115200, AN3155's
	 * highest tested rate, unless a higher one is documented for the family.
	 * Above it the chip may not answer the sync byte at all. */
	uint32_t uart_max_baud;
	const char *notes;
	/* UF2 family ID of the part's series (0x2000 flag blocks carry it;
	 * microsoft/uf2 uf2families.json); 0 when none is recorded. */
	uint32_t uf2_family;
};

size_t stm32_device_count(void);
const struct stm32_device *stm32_device_at(size_t index);

/* By canonical name, alias (case-insensitive) or PID ("0x410"). NULL if none. */
const struct stm32_device *stm32_device_find(const char *name_or_pid);

/* The first row with this PID (the largest part of the line), or NULL. */
const struct stm32_device *stm32_device_by_pid(uint16_t pid);

/* The row with this PID whose flash size is flash_kib, or NULL. */
const struct stm32_device *stm32_device_by_pid_and_size(uint16_t pid, uint32_t flash_kib);

bool stm32_device_has_command(const struct stm32_device *dev, uint8_t opcode);

/* Erase units (pages or sectors), numbered from 0 across all banks. */
size_t stm32_device_sector_count(const struct stm32_device *dev);
/* What an erased byte of the device's flash reads: 0xFF, but 0x00 on L0
 * and L1, whose memory erases to zeros (their EEPROM-like technology). */
uint8_t stm32_device_erased_byte(const struct stm32_device *dev);
/* Whether the chip decides "flash blank: boot the bootloader" only when
 * its option bytes load (F030xC/F09x, L45x/L46x, G0, WB, WL), so that a
 * plain system reset after programming a blank chip does not start the
 * program: the ROM back end's -R stub deals with it, nothing else does. */
bool stm32_device_latches_empty_check(const struct stm32_device *dev);
/* Whether flash that reads erased can be programmed as if just erased, so
 * that erasing it again changes nothing: true on the families without ECC
 * on their main flash (F0, F1, F2, F3, F4). Where a unit carries ECC (L0,
 * L1, L4, G0, G4, WB, WL, H7...), a word once programmed with the erased
 * value reads blank but must not be programmed again; F7 and the newer
 * families are left out until their manuals say otherwise. */
bool stm32_device_blank_is_erased(const struct stm32_device *dev);
bool stm32_device_sector(const struct stm32_device *dev, size_t index,
			 uint32_t *address, uint32_t *size);
/* Index of the erase unit that holds address, or -1 outside flash. */
long stm32_device_sector_at(const struct stm32_device *dev, uint32_t address);

/* Typical erase time of one unit of that size (the nearest listed size). */
uint32_t stm32_device_erase_ms(const struct stm32_device *dev, uint32_t sector_size);

/* True when [address, address+length) lies wholly inside flash. */
bool stm32_device_in_flash(const struct stm32_device *dev, uint32_t address, uint64_t length);

#ifdef __cplusplus
}
#endif
#endif
