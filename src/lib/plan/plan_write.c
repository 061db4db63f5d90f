/* Flash plans: writing an image. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

static enum stm32_status validate_options(const struct stm32_target_desc *target,
					  const struct stm32_plan_options *opts,
					  struct stm32_error *err)
{
	const struct stm32_device *dev = target->device;
	uint32_t block = plan_block_size(target, opts);
	uint32_t largest = target->max_write ? target->max_write : STM32_PLAN_DEFAULT_BLOCK;
	uint32_t unit = plan_program_align(dev, STM32_REGION_FLASH);
	if (block < 4 || block > largest || block % 4 != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "write block size %" PRIu32 " must be 4..%" PRIu32
				       " and a multiple of 4",
				       block, largest);
	if (block % unit != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "write block size %" PRIu32 " would split the %" PRIu32
				       "-byte program unit of %s",
				       block, unit, dev->name);
	if (opts->has_range && opts->range_address % 4 != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "start address 0x%08" PRIX32 " must be a multiple of 4",
				       opts->range_address);
	return STM32_OK;
}

static enum stm32_status refuse_address(const struct stm32_device *dev, uint32_t address,
					struct stm32_error *err)
{
	char option_text[64] = "";
	if (dev->opt_size)
		snprintf(option_text, sizeof(option_text), ", option bytes 0x%08" PRIX32 "-0x%08" PRIX32,
			 dev->opt_start, dev->opt_start + dev->opt_size - 1);
	if (plan_in_reserved_ram(dev, address))
		stm32_error_set(err, STM32_E_RANGE,
				"0x%08" PRIX32 " is in RAM the bootloader uses (the host may use "
				"0x%08" PRIX32 "-0x%08" PRIX32 ")",
				address, dev->ram_start, dev->ram_end - 1);
	else
		stm32_error_set(err, STM32_E_RANGE,
				"0x%08" PRIX32 " is outside the writable memory of %s: flash 0x%08" PRIX32
				"-0x%08" PRIX32 ", RAM 0x%08" PRIX32 "-0x%08" PRIX32 "%s",
				address, dev->name, dev->flash_start,
				dev->flash_start + dev->flash_size - 1, dev->ram_start, dev->ram_end - 1,
				option_text);
	stm32_error_address(err, address);
	return STM32_E_RANGE;
}

static bool writable(enum stm32_region region)
{
	return region != STM32_REGION_SYSTEM && region != STM32_REGION_OTP;
}

/* OTP bits program once and never erase: a plan that writes there could
 * not be retried or verified-and-rewritten, so it is not planned. */
static enum stm32_status refuse_otp(const struct stm32_device *dev, uint32_t address,
				    struct stm32_error *err)
{
	stm32_error_set(err, STM32_E_RANGE,
			"0x%08" PRIX32 " is in the one-time programmable area of %s (0x%08" PRIX32
			"-0x%08" PRIX32 "): stm32boot reads it but does not write it",
			address, dev->name, dev->otp_start, dev->otp_end - 1);
	stm32_error_address(err, address);
	return STM32_E_RANGE;
}

/* Cut the image into pieces at region boundaries, refusing any byte that has
 * no writable home or lies outside the requested range. */
static enum stm32_status split_image(const struct stm32_device *dev, const struct stm32_image *image,
				     uint32_t range_start, uint64_t range_end,
				     struct piece_list *out, struct stm32_error *err)
{
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *seg = &image->segments[i];
		uint64_t at = seg->address, end = (uint64_t)seg->address + seg->length;
		while (at < end) {
			if (at < range_start || at >= range_end) {
				stm32_error_set(err, STM32_E_RANGE,
						"0x%08" PRIX32 " is outside the requested range 0x%08" PRIX32
						"-0x%08" PRIX32,
						(uint32_t)at, range_start, (uint32_t)(range_end - 1));
				stm32_error_address(err, (uint32_t)at);
				return STM32_E_RANGE;
			}
			enum stm32_region region;
			uint64_t region_end = plan_region_end(dev, (uint32_t)at, &region);
			if (region_end != 0 && region == STM32_REGION_OTP)
				return refuse_otp(dev, (uint32_t)at, err);
			if (region_end == 0 || !writable(region))
				return refuse_address(dev, (uint32_t)at, err);
			uint64_t stop = end < region_end ? end : region_end;
			if (stop > range_end)
				stop = range_end;
			if (!plan_grow((void **)&out->items, &out->capacity, out->count, sizeof(struct piece)))
				return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
			out->items[out->count++] = (struct piece){
				.address = (uint32_t)at,
				.length = (uint32_t)(stop - at),
				.region = region,
				.data = seg->data + (at - seg->address),
			};
			at = stop;
		}
	}
	return STM32_OK;
}

static enum stm32_status mark_touched_sectors(const struct stm32_device *dev,
					      const struct piece_list *pieces, uint8_t *selected)
{
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region != STM32_REGION_FLASH)
			continue;
		long first = stm32_device_sector_at(dev, p->address);
		long last = stm32_device_sector_at(dev, p->address + p->length - 1);
		for (long s = first; s <= last && s >= 0; s++)
			selected[s] = 1;
	}
	return STM32_OK;
}

static enum stm32_status plan_erase_for_write(struct stm32_plan *plan,
					      const struct stm32_plan_options *opts,
					      const struct piece_list *pieces, struct stm32_error *err)
{
	if (opts->erase == STM32_ERASE_NO)
		return STM32_OK;
	if (opts->erase == STM32_ERASE_ALL)
		return plan_set_erase(plan, opts, NULL, true, err);
	/* Diff erases unit by unit what differs: the candidates are a page list. */
	struct stm32_plan_options list_only = *opts;
	if (opts->diff)
		list_only.allow_mass_erase = false;
	size_t total = stm32_device_sector_count(plan->device);
	uint8_t *selected = calloc(total ? total : 1, 1);
	if (!selected)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the erase list");
	mark_touched_sectors(plan->device, pieces, selected);
	enum stm32_status status = plan_set_erase(plan, &list_only, selected, false, err);
	free(selected);
	return status;
}

/* Option bytes go in ONE write. F0/F1/F3 bootloaders erase every option
 * byte before programming those sent, so a write of the one byte a file
 * changes would wipe write protection and the user bytes: when the chip's
 * current option bytes are known, the write covers the whole area, the
 * bytes the image does not give kept as they are (overlay_option_bytes).
 * When they are not (they could not be read), writing the rest from the
 * factory values could undo settings on families that keep what is not
 * sent, so the write covers the image's bytes alone, in whole words. */
static enum stm32_status plan_option_span(const struct stm32_device *dev,
					  const struct stm32_plan_options *opts,
					  const struct piece_list *pieces, struct span_list *out,
					  struct stm32_error *err)
{
	uint64_t low = UINT64_MAX, high = 0;
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region != STM32_REGION_OPTION)
			continue;
		if (p->address < low)
			low = p->address;
		if ((uint64_t)p->address + p->length > high)
			high = (uint64_t)p->address + p->length;
	}
	if (high == 0)
		return STM32_OK;
	if (opts->current_option_bytes) {
		low = dev->opt_start;
		high = (uint64_t)dev->opt_start + dev->opt_size;
	}
	low = low / 4 * 4;
	high = (high + 3) / 4 * 4;
	if (high - low > 256)
		return stm32_error_set(err, STM32_E_RANGE,
				       "option bytes span %llu bytes; one write takes at most 256",
				       (unsigned long long)(high - low));
	if (!plan_add_span(out, (uint32_t)low, (uint32_t)(high - low), STM32_REGION_OPTION))
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
	return STM32_OK;
}

/* The bytes of the option span the image leaves out (the span is whole
 * words) are written as the chip holds them now when the caller read them,
 * else as the factory set them: a file that sets RDP alone must not reset
 * the user options beside it. */
static void overlay_option_bytes(const struct stm32_device *dev, const uint8_t *current,
				 const struct piece_list *pieces, uint8_t *data, uint32_t address,
				 uint32_t length)
{
	const uint8_t *before = current ? current : dev->opt_factory;
	for (uint32_t i = 0; i < length; i++) {
		uint32_t offset = address + i - dev->opt_start;
		bool known = before && offset < dev->opt_size;
		data[i] = known ? before[offset] : 0xFF;
	}
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region == STM32_REGION_OPTION)
			memcpy(data + (p->address - address), p->data, p->length);
	}
}

static enum stm32_status lay_out_data(struct stm32_plan *plan, const struct stm32_image *image,
				      const struct stm32_plan_options *opts,
				      const struct span_list *spans, const struct piece_list *pieces,
				      struct stm32_error *err)
{
	size_t verify_pieces = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < spans->count; i++)
		bytes += spans->items[i].length;
	for (size_t i = 0; i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		plan->image_bytes += p->length;
		if (plan->verify && p->region != STM32_REGION_OPTION) {
			verify_pieces++;
			bytes += p->length;
		}
	}
	plan->storage = malloc(bytes ? (size_t)bytes : 1);
	plan->blocks = calloc(spans->count ? spans->count : 1, sizeof(*plan->blocks));
	plan->ranges = calloc(verify_pieces ? verify_pieces : 1, sizeof(*plan->ranges));
	if (!plan->storage || !plan->blocks || !plan->ranges)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for the write plan");
	plan->storage_size = (size_t)bytes;

	uint8_t *cursor = plan->storage;
	for (size_t i = 0; i < spans->count; i++) {
		const struct span *s = &spans->items[i];
		if (s->region == STM32_REGION_OPTION)
			overlay_option_bytes(plan->device, opts->current_option_bytes, pieces, cursor,
					     s->address, s->length);
		else
			/* Between the image's bytes in a program unit: what erased
			 * flash holds, so the unit reads as if they were untouched. */
			stm32_image_read(image, s->address, cursor, s->length,
					 s->region == STM32_REGION_FLASH
						 ? stm32_device_erased_byte(plan->device) : 0xFF);
		plan->blocks[plan->block_count++] = (struct stm32_plan_block){
			.address = s->address, .length = s->length, .region = s->region, .data = cursor,
		};
		plan->write_bytes += s->length;
		plan->writes_flash |= s->region == STM32_REGION_FLASH;
		plan->writes_ram |= s->region == STM32_REGION_RAM;
		plan->writes_option_bytes |= s->region == STM32_REGION_OPTION;
		cursor += s->length;
	}
	for (size_t i = 0; plan->verify && i < pieces->count; i++) {
		const struct piece *p = &pieces->items[i];
		if (p->region == STM32_REGION_OPTION)
			continue;
		memcpy(cursor, p->data, p->length);
		plan->ranges[plan->range_count++] = (struct stm32_plan_range){
			.address = p->address, .length = p->length, .region = p->region, .expected = cursor,
		};
		plan->range_bytes += p->length;
		cursor += p->length;
	}
	return STM32_OK;
}

static enum stm32_status build_write_plan(struct stm32_plan *plan, const struct stm32_image *image,
					  const struct stm32_plan_options *opts,
					  struct piece_list *pieces, struct span_list *spans,
					  struct stm32_error *err)
{
	const struct stm32_device *dev = plan->device;
	uint32_t range_start;
	uint64_t range_end;
	enum stm32_status status = plan_resolve_range(dev, opts, 0, UINT64_C(1) << 32, &range_start,
						      &range_end, err);
	if (status == STM32_OK)
		status = split_image(dev, image, range_start, range_end, pieces, err);
	if (status == STM32_OK)
		status = plan_erase_for_write(plan, opts, pieces, err);
	if (status == STM32_OK)
		status = plan_check_incremental_options(plan, opts, err);
	if (status == STM32_OK && plan->preserve)
		status = plan_whole_unit_spans(plan, pieces, spans, err);
	else if (status == STM32_OK)
		status = plan_memory_spans(dev, pieces, plan->block_size, spans, err);
	if (status == STM32_OK)
		status = plan_option_span(dev, opts, pieces, spans, err);
	if (status == STM32_OK)
		status = lay_out_data(plan, image, opts, spans, pieces, err);
	if (status == STM32_OK)
		status = plan_add_incremental(plan, image, opts, pieces, err);
	if (status == STM32_OK)
		plan_decide_blank_check(plan, opts);
	return status;
}

enum stm32_status stm32_plan_write(const struct stm32_target_desc *target,
				   const struct stm32_image *image,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err)
{
	plan_start(plan, target, STM32_PLAN_WRITE, opts);
	plan->verify = opts->verify;
	enum stm32_status status = validate_options(target, opts, err);
	if (status != STM32_OK)
		return status;
	if (!image || image->count == 0)
		return stm32_error_set(err, STM32_E_INVALID, "the image is empty: nothing to write");

	struct piece_list pieces = { 0 };
	struct span_list spans = { 0 };
	status = build_write_plan(plan, image, opts, &pieces, &spans, err);
	free(pieces.items);
	free(spans.items);
	if (status != STM32_OK)
		stm32_plan_free(plan);
	return status;
}
