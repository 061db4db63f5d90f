/* Device database queries over the generated table. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/device_table.h"
#include "stm32boot/device.h"

size_t stm32_device_count(void)
{
	return stm32_device_table_count;
}

const struct stm32_device *stm32_device_at(size_t index)
{
	return index < stm32_device_table_count ? &stm32_device_table[index] : NULL;
}

/* aliases is "a,b,c"; match whole items only */
static bool alias_matches(const char *aliases, const char *name)
{
	size_t len = strlen(name);
	const char *p = aliases;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t item = comma ? (size_t)(comma - p) : strlen(p);
		if (item == len && strncasecmp(p, name, len) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

const struct stm32_device *stm32_device_find(const char *name_or_pid)
{
	if (!name_or_pid || !*name_or_pid)
		return NULL;
	if (name_or_pid[0] == '0' && (name_or_pid[1] == 'x' || name_or_pid[1] == 'X')) {
		char *end;
		unsigned long pid = strtoul(name_or_pid, &end, 16);
		if (*end || pid > 0xFFFF)
			return NULL;
		return stm32_device_by_pid((uint16_t)pid);
	}
	for (size_t i = 0; i < stm32_device_table_count; i++)
		if (strcasecmp(stm32_device_table[i].name, name_or_pid) == 0)
			return &stm32_device_table[i];
	for (size_t i = 0; i < stm32_device_table_count; i++)
		if (alias_matches(stm32_device_table[i].aliases, name_or_pid))
			return &stm32_device_table[i];
	return NULL;
}

const struct stm32_device *stm32_device_by_pid(uint16_t pid)
{
	for (size_t i = 0; i < stm32_device_table_count; i++)
		if (stm32_device_table[i].pid == pid)
			return &stm32_device_table[i];
	return NULL;
}

const struct stm32_device *stm32_device_by_pid_and_size(uint16_t pid, uint32_t flash_kib)
{
	for (size_t i = 0; i < stm32_device_table_count; i++)
		if (stm32_device_table[i].pid == pid &&
		    stm32_device_table[i].flash_size == flash_kib * 1024u)
			return &stm32_device_table[i];
	return NULL;
}

bool stm32_device_has_command(const struct stm32_device *dev, uint8_t opcode)
{
	for (size_t i = 0; i < dev->command_count; i++)
		if (dev->commands[i] == opcode)
			return true;
	return false;
}

uint8_t stm32_device_erased_byte(const struct stm32_device *dev)
{
	return strcmp(dev->family, "L0") == 0 || strcmp(dev->family, "L1") == 0 ? 0x00 : 0xFF;
}

bool stm32_device_latches_empty_check(const struct stm32_device *dev)
{
	return (dev->flags & (STM32_DEV_OBL_LAUNCH | STM32_DEV_PEMPTY)) ||
	       strcmp(dev->family, "G0") == 0 || strcmp(dev->family, "WB") == 0 ||
	       strcmp(dev->family, "WL") == 0;
}

bool stm32_device_blank_is_erased(const struct stm32_device *dev)
{
	static const char *const without_ecc[] = { "F0", "F1", "F2", "F3", "F4" };
	for (size_t i = 0; i < sizeof(without_ecc) / sizeof(without_ecc[0]); i++)
		if (strcmp(dev->family, without_ecc[i]) == 0)
			return true;
	return false;
}

size_t stm32_device_sector_count(const struct stm32_device *dev)
{
	size_t n = 0;
	for (size_t i = 0; i < dev->layout_runs; i++)
		n += dev->layout[i].count;
	return n;
}

bool stm32_device_sector(const struct stm32_device *dev, size_t index,
			 uint32_t *address, uint32_t *size)
{
	uint32_t addr = dev->flash_start;
	for (size_t i = 0; i < dev->layout_runs; i++) {
		const struct stm32_sector_run *run = &dev->layout[i];
		if (index < run->count) {
			if (address)
				*address = addr + (uint32_t)index * run->size;
			if (size)
				*size = run->size;
			return true;
		}
		index -= run->count;
		addr += run->count * run->size;
	}
	return false;
}

long stm32_device_sector_at(const struct stm32_device *dev, uint32_t address)
{
	if (address < dev->flash_start)
		return -1;
	uint32_t offset = address - dev->flash_start;
	long index = 0;
	for (size_t i = 0; i < dev->layout_runs; i++) {
		const struct stm32_sector_run *run = &dev->layout[i];
		uint64_t run_bytes = (uint64_t)run->count * run->size;
		if (offset < run_bytes)
			return index + (long)(offset / run->size);
		offset -= (uint32_t)run_bytes;
		index += (long)run->count;
	}
	return -1;
}

uint32_t stm32_device_erase_ms(const struct stm32_device *dev, uint32_t sector_size)
{
	if (dev->erase_time_count == 0)
		return 0;
	const struct stm32_erase_time *best = &dev->erase_times[0];
	for (size_t i = 0; i < dev->erase_time_count; i++) {
		const struct stm32_erase_time *t = &dev->erase_times[i];
		uint32_t d_best = best->size > sector_size ? best->size - sector_size : sector_size - best->size;
		uint32_t d = t->size > sector_size ? t->size - sector_size : sector_size - t->size;
		if (d < d_best)
			best = t;
	}
	return best->ms;
}

bool stm32_device_in_flash(const struct stm32_device *dev, uint32_t address, uint64_t length)
{
	return address >= dev->flash_start &&
	       (uint64_t)address + length <= (uint64_t)dev->flash_start + dev->flash_size;
}
