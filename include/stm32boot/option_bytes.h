/* libstm32boot: option bytes by name.
 *
 * A table of every option-byte field per family (generated from
 * data/option_bytes.tsv, like the device table): where it lies in the
 * option area as the bootloader reads it, its width, factory value, what
 * each value means and which values are permanent or dangerous. On top of
 * it: decode a field, set one by name (its complement is derived, never
 * given), and the pages a write protection covers. No I/O: the caller
 * reads and writes the option area (docs/option-bytes.md). */
#ifndef STM32BOOT_OPTION_BYTES_H
#define STM32BOOT_OPTION_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a field does beyond holding a value. */
enum stm32_option_kind {
	STM32_OPTION_KIND_VALUE,
	STM32_OPTION_KIND_WRP_LOW,        /* one bit per group of flash; 0 protects it */
	STM32_OPTION_KIND_WRP_HIGH,       /* one bit per group; 1 protects it */
	STM32_OPTION_KIND_WRP_AREA_START, /* first page of a protected area */
	STM32_OPTION_KIND_WRP_AREA_END,   /* last page of the area at the same offset */
	STM32_OPTION_KIND_BOOT_SELECT,    /* at kind_value, the nBOOT0 bit decides the boot */
	STM32_OPTION_KIND_BOOT_FROM_FLASH, /* nBOOT0: 1 boots main flash when selected */
	STM32_OPTION_KIND_PCROP_START,    /* first unit of a PCROP area (code executes, reads refused) */
	STM32_OPTION_KIND_PCROP_END,      /* its last unit: the field named like the start, END for STRT */
};

/* What one WRP bit covers. */
enum stm32_option_unit {
	STM32_OPTION_UNIT_NONE,
	STM32_OPTION_UNIT_4K,     /* 4 KiB of flash, at least one page */
	STM32_OPTION_UNIT_SECTOR, /* one erase unit */
	STM32_OPTION_UNIT_PAGE,   /* area bounds count pages */
	STM32_OPTION_UNIT_8B,     /* PCROP bounds count double words from the flash start */
	STM32_OPTION_UNIT_512B,   /* PCROP bounds count 512-byte blocks from the flash start */
	STM32_OPTION_UNIT_32K,    /* 32 KiB of flash (H7A3/B3: a group of four 8 KiB sectors) */
};

/* One value of a field and its meaning; any_other covers the values not listed. */
struct stm32_option_value {
	uint32_t value;
	bool any_other;
	bool permanent; /* locks the chip for good (RDP level 2) */
	bool dangerous; /* can cut the bootloader or the debugger off */
	const char *meaning;
};

struct stm32_option_field {
	const char *family;     /* "F1", "G0", ... */
	const char *parts;      /* comma-separated device names, "" = every part of the family */
	const char *name;       /* as the reference manual spells it */
	int offset;             /* byte in the option area; -1: not reachable (no mapped area) */
	uint8_t shift, width;   /* bits of the little-endian value read from offset */
	uint8_t complement;     /* distance in bytes of the complement bytes; 0 = none */
	uint32_t factory;
	enum stm32_option_kind kind;
	uint32_t kind_value;    /* BOOT_SELECT: the value that lets nBOOT0 decide */
	enum stm32_option_unit unit;
	uint32_t first;         /* WRP: group of bit 0; area: page the bounds count from */
	const struct stm32_option_value *values;
	size_t value_count;
	const char *meaning;
};

/* The whole table, every family. */
size_t stm32_option_field_count(void);
const struct stm32_option_field *stm32_option_field_at(size_t index);

/* Does the field exist on this device (its family, and its parts list)? */
bool stm32_option_field_applies(const struct stm32_option_field *field,
				const struct stm32_device *device);
/* The field of this device by name (case-insensitive), or NULL. */
const struct stm32_option_field *stm32_option_field_find(const struct stm32_device *device,
							  const char *name);
/* Can the field be read through the device's option area? */
bool stm32_option_field_reachable(const struct stm32_option_field *field,
				  const struct stm32_device *device);
/* Devices whose option bytes are flash-controller registers (opt_size 0,
 * H7): the table's offsets are then in a register image a debug back end
 * builds (docs/option-bytes.md, "H7 over SWD"). Its size in bytes (0: the
 * table has no such field for the device), and its factory bytes in
 * factory[0..max) (bits no field covers are 0). */
size_t stm32_option_register_image(const struct stm32_device *device, uint8_t *factory,
				   size_t max);
/* The field's value in an option area of size bytes (0 when unreachable). */
uint32_t stm32_option_field_get(const struct stm32_option_field *field, const uint8_t *bytes,
				size_t size);
/* The entry that describes value, or NULL when the value is not allowed. */
const struct stm32_option_value *stm32_option_field_describe(const struct stm32_option_field *field,
							     uint32_t value);

/* Set a field and its complement bytes in bytes[0..size). STM32_E_INVALID
 * (message listing the valid values) when the value does not fit the
 * field; STM32_E_UNSUPPORTED when the field is not reachable. */
enum stm32_status stm32_option_field_set(const struct stm32_option_field *field,
					 const struct stm32_device *device, uint8_t *bytes,
					 size_t size, uint32_t value, struct stm32_error *err);

/* "NAME=VALUE[,NAME=VALUE...]" applied to bytes (the device's whole
 * option area): every item is checked before any byte changes. An unknown
 * name lists the device's fields; a bad value the field's values. A value
 * marked permanent is refused (STM32_REASON_PERMANENT_LOCK) unless
 * allow_permanent. */
enum stm32_status stm32_option_bytes_assign(const struct stm32_device *device, uint8_t *bytes,
					    size_t size, const char *assignments,
					    bool allow_permanent, struct stm32_error *err);

/* Would these option bytes ignore the BOOT0 pin and boot main flash
 * (the bootloader then unreachable)? False where the family has no
 * software boot selection in its table. */
bool stm32_option_bytes_boot_locked(const struct stm32_device *device, const uint8_t *bytes,
				    size_t size);

/* Write-protection groups (what AN3155 Write Protect numbers): how many the
 * device has (0: no WRP field reachable), and the erase units (pages or
 * sectors) of group. */
size_t stm32_option_wrp_group_count(const struct stm32_device *device);
bool stm32_option_wrp_group_units(const struct stm32_device *device, size_t group,
				  size_t *first_unit, size_t *unit_count);

/* Mark protected[unit] for each erase unit the option bytes write-protect
 * (protected has stm32_device_sector_count entries). Returns how many are. */
size_t stm32_option_bytes_protected_units(const struct stm32_device *device, const uint8_t *bytes,
					  size_t size, bool *protected_units);

/* Mark pcrop_units[unit] for each erase unit a PCROP area overlaps
 * (pcrop_units has stm32_device_sector_count entries). An area whose start
 * lies above its end, or whose bound words read all ones (the device
 * table's factory bytes), is none. Returns how many units are marked. */
size_t stm32_option_bytes_pcrop_units(const struct stm32_device *device, const uint8_t *bytes,
				      size_t size, bool *pcrop_units);

#ifdef __cplusplus
}
#endif
#endif
