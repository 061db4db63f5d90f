/* stm32boot command line: a flash plan in words. */
#include "planview.h"

#include <stdio.h>

#include "chip.h"
#include "report.h"

static const char *action_words(enum stm32_plan_action action)
{
	switch (action) {
	case STM32_PLAN_WRITE: return "write";
	case STM32_PLAN_ERASE: return "erase";
	case STM32_PLAN_READ: return "read";
	case STM32_PLAN_CHECKSUM: return "CRC";
	}
	return "?";
}

/* "pages 0-2" style list of erase units, shortened to runs. */
static void format_sector_list(const struct stm32_plan *plan, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < plan->sector_count && used < size; i++) {
		size_t j = i;
		while (j + 1 < plan->sector_count && plan->sectors[j + 1].index == plan->sectors[j].index + 1)
			j++;
		if (j == i)
			used += (size_t)snprintf(buf + used, size - used, "%s%u", used ? "," : "",
						 plan->sectors[i].index);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%u-%u", used ? "," : "",
						 plan->sectors[i].index, plan->sectors[j].index);
		i = j;
	}
}

static void show_erase(const struct stm32_plan *plan)
{
	const char *unit = cli_erase_unit_name(plan->device);
	switch (plan->erase_kind) {
	case STM32_ERASE_KIND_NONE:
		if (plan->action == STM32_PLAN_WRITE)
			cli_info("  erase:  nothing (the flash is written as it is)");
		return;
	case STM32_ERASE_KIND_MASS:
		cli_info("  erase:  the whole flash (mass erase)");
		return;
	case STM32_ERASE_KIND_PAGES:
		break;
	}
	char list[256];
	format_sector_list(plan, list, sizeof list);
	uint64_t bytes = 0;
	for (size_t i = 0; i < plan->sector_count; i++)
		bytes += plan->sectors[i].size;
	if (plan->erase_banks == 3)
		cli_info("  erase:  banks 1 and 2 (bank erase)");
	else if (plan->erase_banks)
		cli_info("  erase:  bank %u (bank erase)", plan->erase_banks == 1 ? 1u : 2u);
	if (plan->sector_count)
		cli_info("  erase:  %zu %s (%s), %llu bytes, in %zu command%s", plan->sector_count, unit,
			 list, (unsigned long long)bytes, stm32_plan_erase_commands(plan),
			 stm32_plan_erase_commands(plan) == 1 ? "" : "s");
}

static void show_writes(const struct stm32_plan *plan)
{
	if (plan->block_count == 0)
		return;
	const struct stm32_plan_block *first = &plan->blocks[0];
	const struct stm32_plan_block *last = &plan->blocks[plan->block_count - 1];
	cli_info("  write:  %llu bytes from the file as %zu blocks (%llu bytes) at 0x%08X..0x%08X",
		 (unsigned long long)plan->image_bytes, plan->block_count,
		 (unsigned long long)plan->write_bytes, first->address,
		 last->address + last->length - 1u);
	for (size_t i = 0; i < plan->block_count; i++)
		cli_detail("          block 0x%08X %u bytes (%s)", plan->blocks[i].address,
			   plan->blocks[i].length, stm32_region_name(plan->blocks[i].region));
	if (plan->writes_option_bytes)
		cli_info("  note:   the option bytes change; the chip resets afterwards");
}

static void show_ranges(const struct stm32_plan *plan)
{
	const char *what = plan->action == STM32_PLAN_WRITE ? "verify" : action_words(plan->action);
	if (plan->action == STM32_PLAN_WRITE && !plan->verify) {
		cli_info("  verify: no (-v not given)");
		return;
	}
	for (size_t i = 0; i < plan->range_count; i++)
		cli_info("  %-6s  0x%08X..0x%08X, %u bytes (%s)", what,
			 plan->ranges[i].address, plan->ranges[i].address + plan->ranges[i].length - 1u,
			 plan->ranges[i].length, stm32_region_name(plan->ranges[i].region));
}

void cli_show_plan(const struct stm32_plan *plan, unsigned baud)
{
	cli_info("Plan (%s):", action_words(plan->action));
	show_erase(plan);
	show_writes(plan);
	if (plan->action != STM32_PLAN_ERASE)
		show_ranges(plan);
	if (baud) {
		struct stm32_plan_estimate estimate;
		stm32_plan_estimate(plan, baud, &estimate);
		cli_info("  time:   about %.1f s at %u baud", (double)estimate.total_ms / 1000.0, baud);
	}
	cli_info("Dry run: nothing was changed.");
}
