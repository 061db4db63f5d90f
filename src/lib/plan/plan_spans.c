/* Flash plans: growing arrays and cutting image pieces into write spans
 * (whole program units, never across a block or an erase unit). */
#include <stdlib.h>

#include "plan/plan_internal.h"

uint64_t plan_unit_end(const struct stm32_device *dev, enum stm32_region region, uint32_t address)
{
	if (region != STM32_REGION_FLASH)
		return UINT64_MAX;
	long index = stm32_device_sector_at(dev, address);
	uint32_t start, size;
	if (index < 0 || !stm32_device_sector(dev, (size_t)index, &start, &size))
		return UINT64_MAX;
	return (uint64_t)start + size;
}

bool plan_grow(void **items, size_t *capacity, size_t count, size_t item_size)
{
	if (count < *capacity)
		return true;
	size_t wanted = *capacity ? *capacity * 2 : 16;
	void *bigger = realloc(*items, wanted * item_size);
	if (!bigger)
		return false;
	*items = bigger;
	*capacity = wanted;
	return true;
}

bool plan_add_span(struct span_list *list, uint32_t address, uint32_t length,
		     enum stm32_region region)
{
	if (!plan_grow((void **)&list->items, &list->capacity, list->count, sizeof(struct span)))
		return false;
	list->items[list->count++] = (struct span){ address, length, region };
	return true;
}

/* Flash and RAM: cover each piece with whole program units, join units that
 * touch or overlap, then cut at block_size boundaries so no command crosses
 * one (block_size is a multiple of the unit, so no unit is split), nor an
 * erase unit boundary (so every block belongs to one erase unit; block 0:
 * only those). Gaps wider than a unit stay unwritten. */
enum stm32_status plan_memory_spans(const struct stm32_device *dev, const struct piece_list *pieces,
				    uint32_t block, struct span_list *out, struct stm32_error *err)
{
	size_t i = 0;
	while (i < pieces->count) {
		const struct piece *p = &pieces->items[i];
		if (p->region == STM32_REGION_OPTION) {
			i++;
			continue;
		}
		uint32_t align = plan_program_align(dev, p->region);
		uint64_t start = p->address / align * align;
		uint64_t end = ((uint64_t)p->address + p->length + align - 1) / align * align;
		for (i++; i < pieces->count; i++) {
			const struct piece *next = &pieces->items[i];
			if (next->region != p->region || next->address / align * align > end)
				break;
			uint64_t next_end = ((uint64_t)next->address + next->length + align - 1) / align * align;
			if (next_end > end)
				end = next_end;
		}
		for (uint64_t at = start; at < end;) {
			uint64_t window_end = block ? (at / block + 1) * block : end;
			uint64_t stop = window_end < end ? window_end : end;
			uint64_t unit_end = plan_unit_end(dev, p->region, (uint32_t)at);
			if (unit_end < stop)
				stop = unit_end;
			if (!plan_add_span(out, (uint32_t)at, (uint32_t)(stop - at), p->region))
				return stm32_error_set(err, STM32_E_NOMEM, "out of memory planning the write");
			at = stop;
		}
	}
	return STM32_OK;
}
