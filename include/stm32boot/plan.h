/* libstm32boot: flash plans.
 *
 * A plan says, before a single byte goes to the chip, exactly what an action
 * will do: which erase units to erase (or a mass / bank erase), which blocks
 * to write with which bytes, which ranges to read back. It is plain data the
 * caller may show (--dry-run) and then hand to stm32_flash_execute
 * (flash.h). Planning validates the whole request against the device first:
 * a plan that was built is a plan the device can take.
 *
 * Rules and rationale: docs/flash-plan.md. */
#ifndef STM32BOOT_PLAN_H
#define STM32BOOT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"
#include "stm32boot/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_plan_action {
	STM32_PLAN_WRITE,    /* erase (as planned), write blocks, verify */
	STM32_PLAN_ERASE,    /* erase only (stm32flash -o) */
	STM32_PLAN_READ,     /* read a range (stm32flash -r) */
	STM32_PLAN_CHECKSUM, /* CRC of a range (stm32flash -C) */
};

/* What the caller asks for; the planner decides what is actually erased. */
enum stm32_erase_mode {
	STM32_ERASE_TOUCHED = 0, /* the erase units the image touches (default) */
	STM32_ERASE_NO,          /* erase nothing (stm32flash -e 0) */
	STM32_ERASE_ALL,         /* the whole flash: mass erase, or every unit on
				  * devices without one (stm32flash -o) */
};

/* What the plan will do. */
enum stm32_erase_kind {
	STM32_ERASE_KIND_NONE,
	STM32_ERASE_KIND_PAGES, /* the units in plan->sectors (and banks, if any) */
	STM32_ERASE_KIND_MASS,  /* one global erase */
};

/* Where a written byte lands. */
enum stm32_region {
	STM32_REGION_FLASH,
	STM32_REGION_RAM,
	STM32_REGION_OPTION, /* option bytes: the chip resets after the write */
	STM32_REGION_SYSTEM, /* system memory (readable only) */
};

#define STM32_PLAN_DEFAULT_BLOCK   256u /* stm32flash -F default */
#define STM32_PLAN_DEFAULT_RETRIES 10u  /* stm32flash -n default */
#define STM32_ERASE_CHUNK_LEGACY   255u /* pages per 0x43 command */
#define STM32_ERASE_CHUNK_EXTENDED 511u /* pages per 0x44 (L1/L0 cannot take 512) */

struct stm32_plan_options {
	enum stm32_erase_mode erase;
	/* In STM32_ERASE_TOUCHED mode, replace the page list by a mass erase when
	 * the image touches every unit (and by a bank erase when it touches every
	 * unit of a bank, on STM32_DEV_BANK_ERASE devices). Default true. */
	bool allow_mass_erase;

	/* stm32flash -S addr[:len]. For writes every image byte must lie inside;
	 * for erase-only it must be unit-aligned; for read / checksum it is the
	 * range. range_length 0 means "to the end of the memory region that holds
	 * range_address". */
	bool has_range;
	uint32_t range_address;
	uint32_t range_length;

	/* stm32flash -s first / -e count, erase-only plans: units first_page ..
	 * first_page+page_count-1 (page_count 0 = to the end of flash). */
	bool has_pages;
	uint32_t first_page;
	uint32_t page_count;

	/* Bytes per Write Memory: 4..256, a multiple of 4 and of the device's
	 * program unit. 0 = STM32_PLAN_DEFAULT_BLOCK. Reads use 256. */
	uint32_t block_size;
	/* Erase units per erase command; 0 = by the device's Get list
	 * (255 for 0x43, 511 for 0x44). The executor never exceeds the limit of
	 * the opcode the connected bootloader actually offers. */
	uint32_t erase_chunk;
	bool verify;      /* read back every written byte after writing (default true) */
	unsigned retries; /* extra attempts per command after NACK / timeout */
};

/* One erase unit. */
struct stm32_plan_sector {
	uint32_t index;   /* number sent in the erase command (across banks) */
	uint32_t address;
	uint32_t size;
};

/* One Write Memory command. data holds length bytes (padding included). */
struct stm32_plan_block {
	uint32_t address;    /* aligned to 4 and to the program unit */
	uint32_t length;     /* multiple of 4 and of the program unit */
	enum stm32_region region;
	const uint8_t *data; /* owned by the plan */
};

/* A contiguous range of the image to read back (no padding). */
struct stm32_plan_range {
	uint32_t address;
	uint32_t length;
	enum stm32_region region;
	const uint8_t *expected; /* owned by the plan; NULL for read/checksum */
};

struct stm32_plan {
	enum stm32_plan_action action;
	const struct stm32_device *device;

	/* Erase. Banks are erased before the listed sectors. */
	enum stm32_erase_kind erase_kind;
	unsigned erase_banks;                /* bit 0 = bank 1, bit 1 = bank 2 */
	struct stm32_plan_sector *sectors;   /* ascending */
	size_t sector_count;
	uint32_t erase_chunk;                /* units per erase command */
	bool mass_erase_unavailable;         /* ALL was asked; the device needs a page list */

	/* Write: flash and RAM blocks first, in address order, option-byte
	 * blocks last (the chip resets after them). */
	struct stm32_plan_block *blocks;
	size_t block_count;
	uint64_t write_bytes;                /* sum of block lengths (padding included) */
	uint64_t image_bytes;                /* image bytes written */
	bool writes_flash;
	bool writes_ram;
	bool writes_option_bytes;            /* the chip resets; the CLI should say so */
	uint32_t block_size;
	unsigned retries;

	/* Verify (write plans) or the range to read / checksum. Option bytes
	 * are not verified (they take effect only after the reset). */
	bool verify;
	struct stm32_plan_range *ranges;
	size_t range_count;
	uint64_t range_bytes;

	/* Internal storage for data / expected; do not touch. */
	uint8_t *storage;
	size_t storage_size;
};

void stm32_plan_options_default(struct stm32_plan_options *opts);

/* Plan writing image to device. Refuses (STM32_E_RANGE, naming the first
 * offending address and the valid ranges) any byte outside flash, RAM from
 * ram_start, or the option-byte area, and any byte outside the -S range.
 * An empty image is STM32_E_INVALID. */
enum stm32_status stm32_plan_write(const struct stm32_device *device, const struct stm32_image *image,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err);

/* Plan an erase (stm32flash -o): opts->has_range (unit-aligned), or
 * opts->has_pages, or the whole flash (mass erase, or every unit on
 * STM32_DEV_NO_MASS_ERASE devices). opts->erase is ignored. */
enum stm32_status stm32_plan_erase(const struct stm32_device *device,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err);

/* Plan a read of opts' range (no range: the whole flash). The range must lie
 * in flash, RAM, the option bytes or system memory; the single entry of
 * plan->ranges is it. */
enum stm32_status stm32_plan_read(const struct stm32_device *device,
				  const struct stm32_plan_options *opts, struct stm32_plan *plan,
				  struct stm32_error *err);

/* Like stm32_plan_read, and address and length must be multiples of 4. */
enum stm32_status stm32_plan_checksum(const struct stm32_device *device,
				      const struct stm32_plan_options *opts, struct stm32_plan *plan,
				      struct stm32_error *err);

/* Release what a plan owns; the plan is then empty. NULL is fine. */
void stm32_plan_free(struct stm32_plan *plan);

/* Number of erase commands the plan sends (chunks + banks + mass). */
size_t stm32_plan_erase_commands(const struct stm32_plan *plan);

/* Which region holds address on device; false if none. */
bool stm32_plan_region_at(const struct stm32_device *device, uint32_t address,
			  enum stm32_region *region, uint32_t *region_end);

const char *stm32_region_name(enum stm32_region region); /* "flash", "RAM", ... */

/* A time estimate per phase, in milliseconds, at baud bits/s (8E1 = 11
 * bits a byte), from bytes on the wire, a per-reply turnaround and the
 * device's typical program / erase times. */
struct stm32_plan_estimate {
	uint64_t erase_ms;
	uint64_t write_ms;
	uint64_t verify_ms; /* read-back, read or checksum */
	uint64_t total_ms;
};

#define STM32_PLAN_TURNAROUND_US 1000u /* per reply: USB-serial latency */

void stm32_plan_estimate(const struct stm32_plan *plan, unsigned baud,
			 struct stm32_plan_estimate *out);
uint64_t stm32_plan_estimate_ms(const struct stm32_plan *plan, unsigned baud);

#ifdef __cplusplus
}
#endif
#endif
