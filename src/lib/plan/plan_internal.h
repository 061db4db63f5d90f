/* libstm32boot: helpers shared by the plan*.c files (not public). */
#ifndef STM32BOOT_PLAN_INTERNAL_H
#define STM32BOOT_PLAN_INTERNAL_H

#include <stdint.h>

#include "stm32boot/plan.h"

/* The bytes the bootloader programs at once, and never less than a word:
 * every write block starts and ends on this boundary. */
uint32_t plan_program_align(const struct stm32_device *device, enum stm32_region region);

/* The end of the region holding address (0 when none); region may be NULL. */
uint64_t plan_region_end(const struct stm32_device *device, uint32_t address,
			 enum stm32_region *region);

/* True for SRAM below ram_start, which the bootloader keeps for itself. */
bool plan_in_reserved_ram(const struct stm32_device *device, uint32_t address);

/* Resolve opts' -S range against device into [*start, *end). With no range,
 * [default_start, default_end). Fails when the address lies nowhere. */
enum stm32_status plan_resolve_range(const struct stm32_device *device,
				     const struct stm32_plan_options *opts, uint32_t default_start,
				     uint64_t default_end, uint32_t *start, uint64_t *end,
				     struct stm32_error *err);

/* Fill the erase part of plan for the units [first, last] given which of them
 * are selected (selected == NULL: all of them), honouring mass / bank erase. */
enum stm32_status plan_set_erase(struct stm32_plan *plan, const struct stm32_plan_options *opts,
				 const uint8_t *selected, bool whole_flash_requested,
				 struct stm32_error *err);

/* The chunk limit for erase lists on device with opts. */
uint32_t plan_erase_chunk(const struct stm32_target_desc *target,
			  const struct stm32_plan_options *opts);
/* Bytes per write request: the caller's, else the default (or the back
 * end's largest write when that is smaller). */
uint32_t plan_block_size(const struct stm32_target_desc *target,
			 const struct stm32_plan_options *opts);

/* A run of image bytes inside one region. */
struct piece {
	uint32_t address;
	uint32_t length;
	enum stm32_region region;
	const uint8_t *data;
};

struct piece_list {
	struct piece *items;
	size_t count;
	size_t capacity;
};

/* A block (or compare run) before its bytes are laid out. */
struct span {
	uint32_t address;
	uint32_t length;
	enum stm32_region region;
};

struct span_list {
	struct span *items;
	size_t count;
	size_t capacity;
};

/* plan_spans.c. Make room for one more item in a doubling array. */
bool plan_grow(void **items, size_t *capacity, size_t count, size_t item_size);
bool plan_add_span(struct span_list *list, uint32_t address, uint32_t length,
		   enum stm32_region region);

/* Spans covering pieces in whole program units, cut at block boundaries
 * (block 0: not cut) and at erase-unit boundaries. */
enum stm32_status plan_memory_spans(const struct stm32_device *dev, const struct piece_list *pieces,
				    uint32_t block, struct span_list *out, struct stm32_error *err);

/* The end of the flash erase unit holding address (outside flash: no limit). */
uint64_t plan_unit_end(const struct stm32_device *dev, enum stm32_region region, uint32_t address);

/* plan_incremental.c: --diff / --preserve / verify method. */
enum stm32_status plan_check_incremental_options(struct stm32_plan *plan,
					   const struct stm32_plan_options *opts,
					   struct stm32_error *err);
/* Preserve: flash spans are the whole touched units, cut at block_size. */
enum stm32_status plan_whole_unit_spans(const struct stm32_plan *plan,
					const struct piece_list *pieces, struct span_list *out,
					struct stm32_error *err);
/* After the blocks are laid out: units, compares, keeps, blank blocks,
 * option-byte old values and risk. */
enum stm32_status plan_add_incremental(struct stm32_plan *plan, const struct stm32_image *image,
				 const struct stm32_plan_options *opts,
				 const struct piece_list *pieces, struct stm32_error *err);

/* Where the blank check (stm32_plan's blank_check) is done and how: after
 * the units are laid out. */
void plan_decide_blank_check(struct stm32_plan *plan, const struct stm32_plan_options *opts);
/* plan_estimate.c: whether a CRC request over a listed unit costs (twice
 * over) less than erasing it, for every unit the plan erases. */
bool plan_unit_blank_check_pays(const struct stm32_plan *plan);

/* plan_option_bytes.c: the plan's option-byte block (NULL if none), and
 * its old values and lock checks, written at cursor in extra_storage. */
const struct stm32_plan_block *plan_option_block(const struct stm32_plan *plan);
enum stm32_status plan_check_option_bytes(struct stm32_plan *plan,
					  const struct stm32_plan_options *opts, uint8_t *cursor,
					  struct stm32_error *err);

/* plan_region.c: an empty plan for target and action. */
void plan_start(struct stm32_plan *plan, const struct stm32_target_desc *target,
		enum stm32_plan_action action, const struct stm32_plan_options *opts);

#endif
