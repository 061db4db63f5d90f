/* Protection changes on a copy of the option area (option_edit.h). */
#include <string.h>

#include "optbytes/option_edit.h"
#include "stm32boot/option_bytes.h"

/* Values a level-1 RDP byte takes (any value but level 0's and 0xCC is level
 * 1; the ROMs write 0xBB, the F1 0x00). */
static const uint32_t level1_candidates[] = {0xBB, 0x00, 0x55};

static const struct stm32_option_field *rdp_field(const struct stm32_device *dev)
{
	const struct stm32_option_field *f = stm32_option_field_find(dev, "RDP");
	return f && stm32_option_field_reachable(f, dev) ? f : NULL;
}

enum stm32_status option_edit_readout_protect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err)
{
	const struct stm32_option_field *f = rdp_field(dev);
	if (!f)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the %s has no RDP field in its option bytes", dev->name);
	for (size_t i = 0; i < sizeof level1_candidates / sizeof level1_candidates[0]; i++) {
		uint32_t v = level1_candidates[i];
		const struct stm32_option_value *meaning = stm32_option_field_describe(f, v);
		if (v == f->factory || !meaning || meaning->permanent)
			continue;
		return stm32_option_field_set(f, dev, bytes, size, v, err);
	}
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "no level-1 RDP value known for the %s",
			       dev->name);
}

static bool is_bits(const struct stm32_option_field *f)
{
	return f->kind == STM32_OPTION_KIND_WRP_LOW || f->kind == STM32_OPTION_KIND_WRP_HIGH;
}

static bool usable(const struct stm32_option_field *f, const struct stm32_device *dev)
{
	return stm32_option_field_applies(f, dev) && stm32_option_field_reachable(f, dev);
}

/* The bit fields: each bit is a group, 0 protecting it (WRP_LOW) or 1 (HIGH). */
static enum stm32_status set_group_bits(const struct stm32_device *dev, uint8_t *bytes, size_t size,
					const bool *wanted, size_t groups, bool everything,
					bool protect, bool *found, struct stm32_error *err)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *f = stm32_option_field_at(i);
		if (!is_bits(f) || !usable(f, dev))
			continue;
		*found = true;
		uint32_t value = stm32_option_field_get(f, bytes, size);
		for (unsigned bit = 0; bit < f->width; bit++) {
			size_t group = f->first + bit;
			if (!everything && (group >= groups || !wanted[group]))
				continue;
			bool set = protect == (f->kind == STM32_OPTION_KIND_WRP_HIGH);
			value = set ? value | 1u << bit : value & ~(1u << bit);
		}
		enum stm32_status s = stm32_option_field_set(f, dev, bytes, size, value, err);
		if (s != STM32_OK)
			return s;
	}
	return STM32_OK;
}

static const struct stm32_option_field *area_end_of(const struct stm32_device *dev,
						    const struct stm32_option_field *start)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *f = stm32_option_field_at(i);
		if (f->kind == STM32_OPTION_KIND_WRP_AREA_END && f->offset == start->offset &&
		    usable(f, dev))
			return f;
	}
	return NULL;
}

/* The first area (of the bank the units are in) takes [first, last]. */
static enum stm32_status set_area(const struct stm32_device *dev, uint8_t *bytes, size_t size,
				  size_t first, size_t last, struct stm32_error *err)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *f = stm32_option_field_at(i);
		const struct stm32_option_field *end;
		if (f->kind != STM32_OPTION_KIND_WRP_AREA_START || !usable(f, dev) || first < f->first ||
		    !(end = area_end_of(dev, f)))
			continue;
		enum stm32_status s = stm32_option_field_set(f, dev, bytes, size,
							     (uint32_t)(first - f->first), err);
		if (s == STM32_OK)
			s = stm32_option_field_set(end, dev, bytes, size, (uint32_t)(last - f->first),
						   err);
		if (s == STM32_OK || s != STM32_E_INVALID)
			return s;
	}
	return stm32_error_set(err, STM32_E_RANGE, "no write-protection area can hold pages %zu-%zu",
			       first, last);
}

/* Every area off: its start past its end. */
static void clear_areas(const struct stm32_device *dev, uint8_t *bytes, size_t size, bool *found)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *f = stm32_option_field_at(i);
		const struct stm32_option_field *end;
		if (f->kind != STM32_OPTION_KIND_WRP_AREA_START || !usable(f, dev) ||
		    !(end = area_end_of(dev, f)))
			continue;
		struct stm32_error ignored;
		*found = true;
		(void)stm32_option_field_set(f, dev, bytes, size, (1u << f->width) - 1u, &ignored);
		(void)stm32_option_field_set(end, dev, bytes, size, 0, &ignored);
	}
}

static enum stm32_status no_wrp(const struct stm32_device *dev, struct stm32_error *err)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "the %s has no write-protection field in its option bytes",
			       dev->name);
}

enum stm32_status option_edit_write_protect(const struct stm32_device *dev, uint8_t *bytes,
					    size_t size, const uint32_t *groups, size_t count,
					    struct stm32_error *err)
{
	size_t group_count = stm32_option_wrp_group_count(dev);
	bool wanted[256] = {false};
	size_t lowest = SIZE_MAX, highest = 0;
	for (size_t i = 0; i < count; i++) {
		if (groups[i] >= group_count || groups[i] >= sizeof wanted)
			return stm32_error_set(err, STM32_E_RANGE,
					       "no write-protection group %u (the %s has 0-%zu)",
					       (unsigned)groups[i], dev->name, group_count - 1);
		wanted[groups[i]] = true;
		lowest = groups[i] < lowest ? groups[i] : lowest;
		highest = groups[i] > highest ? groups[i] : highest;
	}
	if (count == 0)
		return stm32_error_set(err, STM32_E_INVALID, "no write-protection group given");
	bool found = false;
	enum stm32_status s = set_group_bits(dev, bytes, size, wanted, group_count, false, true,
					     &found, err);
	if (s != STM32_OK || found)
		return s;
	/* Area families: one contiguous run of pages per area. */
	for (size_t g = lowest; g <= highest; g++)
		if (!wanted[g])
			return stm32_error_set(err, STM32_E_UNSUPPORTED,
					       "the %s protects one run of pages per area: give "
					       "%zu-%zu whole",
					       dev->name, lowest, highest);
	bool areas = false;
	uint8_t copy[256];
	if (size > sizeof copy)
		return no_wrp(dev, err);
	memcpy(copy, bytes, size);
	clear_areas(dev, copy, size, &areas);
	if (!areas)
		return no_wrp(dev, err);
	return set_area(dev, bytes, size, lowest, highest, err);
}

enum stm32_status option_edit_write_unprotect(const struct stm32_device *dev, uint8_t *bytes,
					      size_t size, struct stm32_error *err)
{
	bool found = false;
	enum stm32_status s = set_group_bits(dev, bytes, size, NULL, 0, true, false, &found, err);
	if (s != STM32_OK)
		return s;
	clear_areas(dev, bytes, size, &found);
	return found ? STM32_OK : no_wrp(dev, err);
}

bool option_edit_permanent(const struct stm32_device *dev, const uint8_t *block, size_t length,
			   uint32_t address)
{
	const struct stm32_option_field *f = rdp_field(dev);
	if (!f || address != dev->opt_start || length != dev->opt_size)
		return false;
	const struct stm32_option_value *v =
		stm32_option_field_describe(f, stm32_option_field_get(f, block, length));
	return v && v->permanent;
}

enum stm32_status option_edit_apply(const struct stm32_device *dev, uint8_t *bytes, size_t size,
				    const struct option_edit *edit, struct stm32_error *err)
{
	switch (edit->kind) {
	case OPTION_EDIT_READOUT_PROTECT:
		return option_edit_readout_protect(dev, bytes, size, err);
	case OPTION_EDIT_WRITE_PROTECT:
		return option_edit_write_protect(dev, bytes, size, edit->groups, edit->count, err);
	case OPTION_EDIT_WRITE_UNPROTECT:
		return option_edit_write_unprotect(dev, bytes, size, err);
	}
	return stm32_error_set(err, STM32_E_INVALID, "unknown option-byte change");
}
