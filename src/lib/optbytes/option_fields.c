/* Option-byte fields: the generated table and reading a field. Shared
 * with the emulator (stm32common), so nothing here knows of a host. */
#include <string.h>
#include <strings.h>

#include "optbytes/option_table.h"

size_t stm32_option_field_count(void)
{
	return stm32_option_field_table_count;
}

const struct stm32_option_field *stm32_option_field_at(size_t index)
{
	return index < stm32_option_field_table_count ? stm32_option_field_table[index] : NULL;
}

static bool listed(const char *parts, const char *name)
{
	size_t length = strlen(name);
	for (const char *p = parts; *p;) {
		const char *comma = strchr(p, ',');
		size_t item = comma ? (size_t)(comma - p) : strlen(p);
		if (item == length && strncmp(p, name, length) == 0)
			return true;
		p += item + (comma ? 1 : 0);
	}
	return false;
}

bool stm32_option_field_applies(const struct stm32_option_field *field,
				const struct stm32_device *device)
{
	if (!field || !device || !device->family || strcmp(field->family, device->family) != 0)
		return false;
	return field->parts[0] == '\0' || listed(field->parts, device->name);
}

const struct stm32_option_field *stm32_option_field_find(const struct stm32_device *device,
							  const char *name)
{
	for (size_t i = 0; i < stm32_option_field_table_count; i++) {
		const struct stm32_option_field *field = stm32_option_field_table[i];
		if (strcasecmp(field->name, name) == 0 && stm32_option_field_applies(field, device))
			return field;
	}
	return NULL;
}

/* The bytes the field's bits occupy, from its offset. */
static size_t field_bytes(const struct stm32_option_field *field)
{
	return ((size_t)field->shift + field->width + 7u) / 8u;
}

bool stm32_option_field_reachable(const struct stm32_option_field *field,
				  const struct stm32_device *device)
{
	return field->offset >= 0 && device->opt_size > 0 &&
	       (size_t)field->offset + field_bytes(field) + field->complement <= device->opt_size;
}

uint32_t stm32_option_field_get(const struct stm32_option_field *field, const uint8_t *bytes,
				size_t size)
{
	if (field->offset < 0 || (size_t)field->offset + field_bytes(field) > size)
		return 0;
	uint64_t raw = 0;
	for (size_t i = 0; i < field_bytes(field); i++)
		raw |= (uint64_t)bytes[(size_t)field->offset + i] << (8u * i);
	return (uint32_t)((raw >> field->shift) & ((1ull << field->width) - 1u));
}

const struct stm32_option_value *stm32_option_field_describe(const struct stm32_option_field *field,
							     uint32_t value)
{
	const struct stm32_option_value *other = NULL;
	if (field->width < 32 && value >> field->width)
		return NULL;
	for (size_t i = 0; i < field->value_count; i++) {
		if (field->values[i].any_other)
			other = &field->values[i];
		else if (field->values[i].value == value)
			return &field->values[i];
	}
	return other;
}

size_t stm32_option_register_image(const struct stm32_device *device, uint8_t *factory,
				   size_t max)
{
	size_t size = 0;
	if (device->opt_size)
		return 0;
	if (factory)
		memset(factory, 0, max);
	for (size_t i = 0; i < stm32_option_field_table_count; i++) {
		const struct stm32_option_field *field = stm32_option_field_table[i];
		if (field->offset < 0 || !stm32_option_field_applies(field, device))
			continue;
		size_t end = (size_t)field->offset + field_bytes(field) + field->complement;
		size = end > size ? end : size;
		if (!factory || end > max)
			continue;
		uint64_t raw = 0;
		for (size_t b = 0; b < field_bytes(field); b++)
			raw |= (uint64_t)factory[(size_t)field->offset + b] << (8u * b);
		raw |= (uint64_t)field->factory << field->shift;
		for (size_t b = 0; b < field_bytes(field); b++)
			factory[(size_t)field->offset + b] = (uint8_t)(raw >> (8u * b));
	}
	return size;
}
