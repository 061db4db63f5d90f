/* libstm32boot: flash plans.
 *
 * A plan says, before a single byte goes to the chip, exactly what an action
 * will do: which erase units to erase (or a mass / bank erase), which blocks
 * to write with which bytes, which ranges to read back. It is plain data the
 * caller may show (--dry-run) and then hand to stm32_flash_execute
 * (flash.h). Planning validates the whole request against the device first:
 * a plan that was built is a plan the device can take. The planner knows
 * the way in only by its descriptor (target.h): what it can do, how large
 * its requests may be, what they cost.
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
#include "stm32boot/target.h"

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
	STM32_REGION_OTP,    /* one-time programmable area (readable; not written) */
};

#define STM32_PLAN_DEFAULT_BLOCK   256u /* stm32flash -F default */

/* How written bytes are checked (and, with diff, compared beforehand). */
enum stm32_verify_method {
	STM32_VERIFY_AUTO = 0, /* the chip's CRC where the back end has one, else read */
	STM32_VERIFY_CRC,      /* the chip's CRC per erase unit; a read-back where it is missing */
	STM32_VERIFY_READ,     /* read every byte back */
};

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

	/* Bytes per write request: 4..the back end's max_write, a multiple of 4
	 * and of the device's program unit. 0 = STM32_PLAN_DEFAULT_BLOCK (or
	 * max_write when smaller). */
	uint32_t block_size;
	/* Erase units per erase request; 0 = the back end's
	 * erase_units_per_request, which is never exceeded. */
	uint32_t erase_chunk;
	bool verify;      /* check every written byte after writing (default true) */
	enum stm32_verify_method verify_method; /* how verify (and diff) compare */

	/* Incremental flashing: compare each touched erase unit with the image
	 * first; the executor then erases and writes only units that differ
	 * (a unit already blank where the image goes is written, not erased).
	 * Needs erase == STM32_ERASE_TOUCHED. Never a mass or bank erase. */
	bool diff;
	/* Keep the bytes of every erased unit that lie outside the image: the
	 * executor reads them before the erase and writes them back. */
	bool preserve;
	/* Option-byte writes that lock the chip for good (RDP level 2, the
	 * bootloader made unreachable) are refused unless this is set. */
	bool allow_permanent_lock;
	/* The chip's option bytes now (opt_size bytes), for the old -> new view,
	 * the lock checks and the bytes of an option-byte write the image leaves
	 * out; NULL = the device row's factory values. */
	const uint8_t *current_option_bytes;
	/* Before erasing, ask the chip whether what the erase covers is already
	 * blank, and erase only what is not (struct stm32_plan's blank_check).
	 * stm32_plan_options_default sets it; it takes effect only where it is
	 * safe and cheap: a back end with an on-chip CRC, a device family whose
	 * blank flash is as good as erased (stm32_device_blank_is_erased), and
	 * not with diff, which compares each unit itself. */
	bool skip_blank_erase;
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

/* A flash erase unit the write touches (write plans). */
struct stm32_plan_unit {
	uint32_t index;          /* erase unit number, as in stm32_plan_sector */
	uint32_t address;
	uint32_t size;
	bool erased;             /* the plan's erase covers it (diff: if it differs) */
	size_t first_block, block_count;     /* its flash blocks in plan->blocks */
	size_t first_compare, compare_count; /* its entries in plan->compares */
};

/* An option-byte write the planner found dangerous. */
enum stm32_option_risk {
	STM32_OPTION_SAFE = 0,
	STM32_OPTION_RDP_LEVEL2,     /* readout protection level 2: no way back */
	STM32_OPTION_BOOT_LOCKED,    /* BOOT0 pin ignored and boot forced to flash */
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
	const struct stm32_device *device;   /* == target.device */
	struct stm32_target_desc target;     /* the way in it was planned for */

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

	/* Verify (write plans) or the range to read / checksum. Option bytes
	 * are not verified (they take effect only after the reset). */
	bool verify;
	struct stm32_plan_range *ranges;
	size_t range_count;
	uint64_t range_bytes;

	/* Blocks all 0xFF in units the plan erases: not sent (they are erased). */
	size_t blank_blocks;
	uint64_t blank_bytes;
	enum stm32_verify_method verify_method; /* resolved: CRC or READ, never AUTO */
	bool diff;
	bool preserve;
	/* The executor asks the chip's CRC, before erasing, whether what the
	 * erase covers is already blank: the whole flash for a mass erase, each
	 * bank for a bank erase, each run of adjacent listed units and, when
	 * blank_check_units (a unit's check costs less than its erase), each
	 * unit of a run that is not; what is blank is written without erasing. */
	bool blank_check;
	bool blank_check_units;

	/* Flash units the write touches, ascending, with their blocks. */
	struct stm32_plan_unit *units;
	size_t unit_count;
	/* Program-unit aligned runs of image bytes (0xFF padding), cut at erase
	 * unit boundaries: what diff compares and a CRC verify checks. RAM runs
	 * come after the flash ones. */
	struct stm32_plan_range *compares;
	size_t compare_count;
	/* Preserve: the bytes of erased units outside the image, ascending. */
	struct stm32_plan_range *keeps;
	size_t keep_count;
	uint64_t keep_bytes;

	/* Option bytes: the values before the write (current or factory), one
	 * per byte of the option block, and what the planner found. */
	const uint8_t *option_old;
	enum stm32_option_risk option_risk;
	uint32_t option_risk_address;

	/* Internal storage for data / expected; do not touch. */
	uint8_t *storage;
	size_t storage_size;
	uint8_t *extra_storage; /* compares' expected bytes and option_old */
};

void stm32_plan_options_default(struct stm32_plan_options *opts);

/* Plan writing image to device. Refuses (STM32_E_RANGE, naming the first
 * offending address and the valid ranges) any byte outside flash, RAM from
 * ram_start, or the option-byte area, and any byte outside the -S range.
 * An empty image is STM32_E_INVALID. */
enum stm32_status stm32_plan_write(const struct stm32_target_desc *target, const struct stm32_image *image,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err);

/* Plan an erase (stm32flash -o): opts->has_range (unit-aligned), or
 * opts->has_pages, or the whole flash (mass erase, or every unit on
 * STM32_DEV_NO_MASS_ERASE devices). opts->erase is ignored. */
enum stm32_status stm32_plan_erase(const struct stm32_target_desc *target,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err);

/* Plan a read of opts' range (no range: the whole flash). The range must lie
 * in flash, RAM, the option bytes or system memory; the single entry of
 * plan->ranges is it. */
enum stm32_status stm32_plan_read(const struct stm32_target_desc *target,
				  const struct stm32_plan_options *opts, struct stm32_plan *plan,
				  struct stm32_error *err);

/* Like stm32_plan_read, and address and length must be multiples of 4. */
enum stm32_status stm32_plan_checksum(const struct stm32_target_desc *target,
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

/* A time estimate per phase, in milliseconds, from the back end's cost
 * model (bytes on the link at its rate, round trips) and the device's
 * typical program / erase times. A link of unknown rate is taken as
 * STM32_PLAN_FALLBACK_BPS. */
struct stm32_plan_estimate {
	uint64_t erase_ms;
	uint64_t write_ms;
	uint64_t verify_ms; /* read-back, read or checksum */
	uint64_t total_ms;
};

/* With diff: the compare phase; erase/write/verify are the worst case
 * (every unit differs); best_ms is the total when none does. */
struct stm32_plan_estimate_diff {
	uint64_t compare_ms;
	uint64_t best_ms;
	uint64_t worst_ms;
};

#define STM32_PLAN_FALLBACK_BPS 57600u /* stm32flash's default rate */

void stm32_plan_estimate(const struct stm32_plan *plan, struct stm32_plan_estimate *out);
uint64_t stm32_plan_estimate_ms(const struct stm32_plan *plan);
/* Diff plans: the compare phase and the range of totals. */
void stm32_plan_estimate_diff(const struct stm32_plan *plan, struct stm32_plan_estimate_diff *out);

/* "readout protection level 2" etc. */
const char *stm32_option_risk_name(enum stm32_option_risk risk);
/* The option-byte risk of writing new_bytes over old_bytes (opt_size
 * bytes each, from opt_start) on device. *address: the first byte involved. */
enum stm32_option_risk stm32_option_bytes_risk(const struct stm32_device *device,
					       const uint8_t *old_bytes, const uint8_t *new_bytes,
					       uint32_t *address);

#ifdef __cplusplus
}
#endif
#endif
