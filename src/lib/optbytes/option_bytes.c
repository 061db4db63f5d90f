/* Option bytes by name: set a field with its complement, check a whole
 * NAME=VALUE list before anything changes, the boot lock and the pages
 * write protection covers, all from the generated field table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stm32boot/option_bytes.h"

#define LIST_MAX 600 /* characters of a list of names or values in a message */

static size_t field_bytes(const struct stm32_option_field *field)
{
	return ((size_t)field->shift + field->width + 7u) / 8u;
}

static uint32_t field_mask(const struct stm32_option_field *field)
{
	return field->width >= 32 ? 0xFFFFFFFFu : (1u << field->width) - 1u;
}

/* "0 (meaning), 1 (meaning)" or "0 to 0xFF" for the message of a bad value. */
static void list_values(const struct stm32_option_field *field, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < field->value_count && used < size; i++) {
		const struct stm32_option_value *v = &field->values[i];
		if (v->any_other)
			used += (size_t)snprintf(out + used, size - used, "%sany other of 0 to 0x%X (%s)",
						 used ? ", " : "", field_mask(field), v->meaning);
		else
			used += (size_t)snprintf(out + used, size - used, "%s0x%X (%s)", used ? ", " : "",
						 v->value, v->meaning);
	}
}

enum stm32_status stm32_option_field_set(const struct stm32_option_field *field,
					 const struct stm32_device *device, uint8_t *bytes,
					 size_t size, uint32_t value, struct stm32_error *err)
{
	if (!stm32_option_field_reachable(field, device) || size < device->opt_size)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s is not reachable through the %s's option area (its option "
				       "bytes are registers the ROM bootloader does not map)",
				       field->name, device->name);
	if (!stm32_option_field_describe(field, value)) {
		char valid[LIST_MAX];
		list_values(field, valid, sizeof valid);
		return stm32_error_set(err, STM32_E_INVALID, "%s=0x%X is not a valid value; valid: %s",
				       field->name, value, valid);
	}
	size_t offset = (size_t)field->offset, count = field_bytes(field);
	uint64_t raw = 0;
	for (size_t i = 0; i < count; i++)
		raw |= (uint64_t)bytes[offset + i] << (8u * i);
	uint64_t mask = (uint64_t)field_mask(field) << field->shift;
	raw = (raw & ~mask) | ((uint64_t)value << field->shift & mask);
	for (size_t i = 0; i < count; i++) {
		bytes[offset + i] = (uint8_t)(raw >> (8u * i));
		/* The chip checks each byte against its complement: derive it. */
		if (field->complement)
			bytes[offset + i + field->complement] = (uint8_t)~bytes[offset + i];
	}
	return STM32_OK;
}

static void list_fields(const struct stm32_device *device, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < stm32_option_field_count() && used < size; i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (stm32_option_field_applies(field, device) && stm32_option_field_reachable(field, device))
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "",
						 field->name);
	}
}

static enum stm32_status unknown_name(const struct stm32_device *device, const char *name,
				      struct stm32_error *err)
{
	if ((name[0] == 'n' || name[0] == 'N') && stm32_option_field_find(device, name + 1))
		return stm32_error_set(err, STM32_E_INVALID,
				       "%s is the complement of %s: it is derived, set %s instead",
				       name, name + 1, name + 1);
	char names[LIST_MAX];
	list_fields(device, names, sizeof names);
	if (!names[0])
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the %s has no option bytes the ROM bootloader can reach",
				       device->name);
	return stm32_error_set(err, STM32_E_INVALID, "no option byte named '%s' on the %s (%s); known: %s",
			       name, device->name, device->family, names);
}

static enum stm32_status assign_one(const struct stm32_device *device, uint8_t *bytes, size_t size,
				    char *item, bool allow_permanent, struct stm32_error *err)
{
	char *eq = strchr(item, '=');
	if (!eq || eq == item || !eq[1])
		return stm32_error_set(err, STM32_E_INVALID, "'%s' is not NAME=VALUE", item);
	*eq = '\0';
	const struct stm32_option_field *field = stm32_option_field_find(device, item);
	if (!field)
		return unknown_name(device, item, err);
	char *end;
	errno = 0;
	unsigned long value = strtoul(eq + 1, &end, 0);
	if (errno || *end || eq[1] == '-' || value > 0xFFFFFFFFul)
		return stm32_error_set(err, STM32_E_INVALID, "%s: '%s' is not a number", field->name,
				       eq + 1);
	enum stm32_status st = stm32_option_field_set(field, device, bytes, size, (uint32_t)value, err);
	if (st != STM32_OK)
		return st;
	const struct stm32_option_value *meaning = stm32_option_field_describe(field, (uint32_t)value);
	if (meaning->permanent && !allow_permanent) {
		stm32_error_set(err, STM32_E_INVALID,
				"refusing %s=0x%lX: %s; this is permanent and needs explicit permission",
				field->name, value, meaning->meaning);
		stm32_error_reason(err, STM32_REASON_PERMANENT_LOCK);
		stm32_error_address(err, device->opt_start + (uint32_t)field->offset);
		return STM32_E_INVALID;
	}
	return STM32_OK;
}

enum stm32_status stm32_option_bytes_assign(const struct stm32_device *device, uint8_t *bytes,
					    size_t size, const char *assignments,
					    bool allow_permanent, struct stm32_error *err)
{
	if (!device->opt_size || size < device->opt_size)
		return unknown_name(device, "", err);
	uint8_t *work = malloc(device->opt_size);
	char *list = strdup(assignments);
	enum stm32_status st = STM32_OK;
	if (!work || !list) {
		st = stm32_error_set(err, STM32_E_NOMEM, "out of memory setting option bytes");
	} else {
		memcpy(work, bytes, device->opt_size);
		char *save = NULL;
		size_t items = 0;
		for (char *item = strtok_r(list, ",", &save); item && st == STM32_OK;
		     item = strtok_r(NULL, ",", &save), items++)
			st = assign_one(device, work, device->opt_size, item, allow_permanent, err);
		if (st == STM32_OK && items == 0)
			st = stm32_error_set(err, STM32_E_INVALID, "no NAME=VALUE given");
		if (st == STM32_OK)
			memcpy(bytes, work, device->opt_size);
	}
	free(list);
	free(work);
	return st;
}

static const struct stm32_option_field *field_of_kind(const struct stm32_device *device,
						      enum stm32_option_kind kind)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (field->kind == kind && stm32_option_field_applies(field, device) &&
		    stm32_option_field_reachable(field, device))
			return field;
	}
	return NULL;
}

bool stm32_option_bytes_boot_locked(const struct stm32_device *device, const uint8_t *bytes,
				    size_t size)
{
	const struct stm32_option_field *select = field_of_kind(device, STM32_OPTION_KIND_BOOT_SELECT);
	const struct stm32_option_field *nboot0 = field_of_kind(device, STM32_OPTION_KIND_BOOT_FROM_FLASH);
	if (!select || !nboot0)
		return false;
	return stm32_option_field_get(select, bytes, size) == select->kind_value &&
	       stm32_option_field_get(nboot0, bytes, size) == 1u;
}

/* ---- write protection ---- */

static bool is_wrp_bits(const struct stm32_option_field *field)
{
	return field->kind == STM32_OPTION_KIND_WRP_LOW || field->kind == STM32_OPTION_KIND_WRP_HIGH;
}

static bool is_wrp(const struct stm32_option_field *field)
{
	return is_wrp_bits(field) || field->kind == STM32_OPTION_KIND_WRP_AREA_START;
}

/* The device's first reachable WRP field: it says how the family groups pages. */
static const struct stm32_option_field *wrp_model(const struct stm32_device *device)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (is_wrp(field) && stm32_option_field_applies(field, device) &&
		    stm32_option_field_reachable(field, device))
			return field;
	}
	return NULL;
}

/* Erase units one WRP bit covers: 4 KiB or 32 KiB of flash, at least one. */
static size_t units_per_group(const struct stm32_device *device,
			      const struct stm32_option_field *model)
{
	uint32_t address, size;
	uint32_t bytes = !model ? 0 : model->unit == STM32_OPTION_UNIT_4K ? 4096u
				     : model->unit == STM32_OPTION_UNIT_32K ? 32768u : 0;
	if (!bytes || !stm32_device_sector(device, 0, &address, &size) || size >= bytes)
		return 1;
	return bytes / size;
}

static size_t wrp_bit_count(const struct stm32_device *device)
{
	size_t bits = 0;
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (is_wrp_bits(field) && stm32_option_field_applies(field, device) &&
		    stm32_option_field_reachable(field, device) && field->first + field->width > bits)
			bits = field->first + field->width;
	}
	return bits;
}

size_t stm32_option_wrp_group_count(const struct stm32_device *device)
{
	size_t units = stm32_device_sector_count(device);
	const struct stm32_option_field *model = wrp_model(device);
	/* Areas, or no WRP field known: the bootloader numbers erase units. */
	if (!model || !is_wrp_bits(model))
		return units;
	size_t bits = wrp_bit_count(device);
	size_t per = units_per_group(device, model);
	size_t groups = (units + per - 1) / per;
	return groups < bits ? groups : bits;
}

bool stm32_option_wrp_group_units(const struct stm32_device *device, size_t group,
				  size_t *first_unit, size_t *unit_count)
{
	size_t units = stm32_device_sector_count(device);
	size_t groups = stm32_option_wrp_group_count(device);
	if (group >= groups)
		return false;
	const struct stm32_option_field *model = wrp_model(device);
	size_t per = units_per_group(device, model);
	*first_unit = group * per;
	*unit_count = per;
	/* F0/F1: the last WRP bit protects the rest of the flash. */
	if (model && model->kind == STM32_OPTION_KIND_WRP_LOW && model->unit == STM32_OPTION_UNIT_4K &&
	    group + 1 == groups)
		*unit_count = units - *first_unit;
	if (*first_unit + *unit_count > units)
		*unit_count = units - *first_unit;
	return true;
}

static void mark_group(const struct stm32_device *device, size_t group, bool *protected_units)
{
	size_t first, count;
	if (stm32_option_wrp_group_units(device, group, &first, &count))
		for (size_t u = first; u < first + count; u++)
			protected_units[u] = true;
}

static const struct stm32_option_field *area_end(const struct stm32_device *device,
						 const struct stm32_option_field *start)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (field->kind == STM32_OPTION_KIND_WRP_AREA_END && field->offset == start->offset &&
		    stm32_option_field_applies(field, device))
			return field;
	}
	return NULL;
}

static bool word_all_ones(const uint8_t *bytes, size_t size, int offset)
{
	if (offset < 0 || (size_t)offset + 4 > size)
		return false;
	return bytes[offset] == 0xFF && bytes[offset + 1] == 0xFF && bytes[offset + 2] == 0xFF &&
	       bytes[offset + 3] == 0xFF;
}

static size_t count_marked(const bool *units, size_t count)
{
	size_t marked = 0;
	for (size_t u = 0; u < count; u++)
		marked += units[u];
	return marked;
}

/* An area register reading all ones is taken as no area, as the emulator
 * does: that is how the device table's factory bytes leave it. */
static void mark_area(const struct stm32_device *device, const struct stm32_option_field *start,
		      const uint8_t *bytes, size_t size, bool *protected_units)
{
	const struct stm32_option_field *end = area_end(device, start);
	size_t units = stm32_device_sector_count(device), at = (size_t)start->offset;
	if (!end || at + 4 > size || word_all_ones(bytes, size, start->offset))
		return;
	uint32_t first = stm32_option_field_get(start, bytes, size);
	uint32_t last = stm32_option_field_get(end, bytes, size);
	for (uint32_t page = first; page <= last; page++)
		if (start->first + page < units)
			protected_units[start->first + page] = true;
}

size_t stm32_option_bytes_protected_units(const struct stm32_device *device, const uint8_t *bytes,
					  size_t size, bool *protected_units)
{
	size_t units = stm32_device_sector_count(device), groups = stm32_option_wrp_group_count(device);
	memset(protected_units, 0, units * sizeof *protected_units);
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (!is_wrp(field) || !stm32_option_field_applies(field, device) ||
		    !stm32_option_field_reachable(field, device) ||
		    (size_t)field->offset + 4 > size + 3)
			continue;
		if (field->kind == STM32_OPTION_KIND_WRP_AREA_START) {
			mark_area(device, field, bytes, size, protected_units);
			continue;
		}
		uint32_t value = stm32_option_field_get(field, bytes, size);
		for (unsigned bit = 0; bit < field->width && field->first + bit < groups; bit++) {
			bool set = (value >> bit) & 1u;
			if (set == (field->kind == STM32_OPTION_KIND_WRP_HIGH))
				mark_group(device, field->first + bit, protected_units);
		}
	}
	return count_marked(protected_units, units);
}

/* ---- PCROP areas ---- */

static uint32_t pcrop_unit_bytes(const struct stm32_option_field *field)
{
	return field->unit == STM32_OPTION_UNIT_512B ? 512u : 8u;
}

/* The end bound of a PCROP area: the field named like the start with END
 * in place of STRT (PCROP1A_STRT, PCROP1A_END). */
static const struct stm32_option_field *pcrop_end(const struct stm32_device *device,
						  const struct stm32_option_field *start)
{
	char name[64];
	const char *strt = strstr(start->name, "STRT");
	if (!strt || strlen(start->name) >= sizeof name)
		return NULL;
	snprintf(name, sizeof name, "%.*sEND%s", (int)(strt - start->name), start->name, strt + 4);
	const struct stm32_option_field *end = stm32_option_field_find(device, name);
	return end && end->kind == STM32_OPTION_KIND_PCROP_END &&
	       stm32_option_field_reachable(end, device) ? end : NULL;
}

static void mark_pcrop(const struct stm32_device *device, const struct stm32_option_field *start,
		       const uint8_t *bytes, size_t size, bool *pcrop_units)
{
	const struct stm32_option_field *end = pcrop_end(device, start);
	if (!end || word_all_ones(bytes, size, start->offset) || word_all_ones(bytes, size, end->offset))
		return;
	uint32_t first = stm32_option_field_get(start, bytes, size);
	uint32_t last = stm32_option_field_get(end, bytes, size);
	if (first > last)
		return;
	uint64_t unit = pcrop_unit_bytes(start);
	uint64_t from = (uint64_t)device->flash_start + first * unit;
	uint64_t to = (uint64_t)device->flash_start + (last + 1u) * unit; /* exclusive */
	size_t units = stm32_device_sector_count(device);
	for (size_t u = 0; u < units; u++) {
		uint32_t address, length;
		if (stm32_device_sector(device, u, &address, &length) && address < to &&
		    (uint64_t)address + length > from)
			pcrop_units[u] = true;
	}
}

size_t stm32_option_bytes_pcrop_units(const struct stm32_device *device, const uint8_t *bytes,
				      size_t size, bool *pcrop_units)
{
	size_t units = stm32_device_sector_count(device);
	memset(pcrop_units, 0, units * sizeof *pcrop_units);
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (field->kind == STM32_OPTION_KIND_PCROP_START &&
		    stm32_option_field_applies(field, device) &&
		    stm32_option_field_reachable(field, device))
			mark_pcrop(device, field, bytes, size, pcrop_units);
	}
	return count_marked(pcrop_units, units);
}
