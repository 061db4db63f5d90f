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

static void show_option_changes(const struct stm32_plan *plan)
{
	for (size_t b = 0; plan->option_old && b < plan->block_count; b++) {
		const struct stm32_plan_block *block = &plan->blocks[b];
		if (block->region != STM32_REGION_OPTION)
			continue;
		size_t changed = 0;
		for (uint32_t i = 0; i < block->length; i++) {
			if (plan->option_old[i] == block->data[i])
				continue;
			changed++;
			cli_info("  option: 0x%08X: 0x%02X -> 0x%02X", block->address + i,
				 plan->option_old[i], block->data[i]);
		}
		if (changed == 0)
			cli_info("  option: no byte changes (the block is rewritten as it is)");
	}
	if (plan->option_risk != STM32_OPTION_SAFE)
		cli_info("  DANGER: this sets %s (permitted by --allow-permanent-lock)",
			 stm32_option_risk_name(plan->option_risk));
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
	if (plan->blank_blocks)
		cli_info("          %zu blocks (%llu bytes) are all 0xFF on erased flash: not sent",
			 plan->blank_blocks, (unsigned long long)plan->blank_bytes);
	if (plan->writes_option_bytes)
		cli_info("  note:   the option bytes change; the chip resets afterwards");
	show_option_changes(plan);
}

static const char *method_words(const struct stm32_plan *plan)
{
	return plan->verify_method == STM32_VERIFY_CRC ? "by Get Checksum (CRC) per erase unit"
						       : "by reading back";
}

/* Diff: the candidates, how they are compared, what decides. */
static void show_compare(const struct stm32_plan *plan)
{
	if (!plan->diff)
		return;
	uint64_t bytes = 0;
	for (size_t i = 0; i < plan->unit_count; i++)
		for (size_t c = 0; c < plan->units[i].compare_count; c++)
			bytes += plan->compares[plan->units[i].first_compare + c].length;
	cli_info("  compare: %zu %s (%llu bytes) with the chip %s, before anything is changed;",
		 plan->unit_count, cli_erase_unit_name(plan->device), (unsigned long long)bytes,
		 method_words(plan));
	cli_info("           equal ones are neither erased nor written (nor verified again),");
	cli_info("           blank ones are written without an erase: the erase below is the worst case");
}

static void show_blank_check(const struct stm32_plan *plan)
{
	if (!plan->blank_check)
		return;
	cli_info("  blank:  the chip's CRC is asked first; what reads erased already is not erased");
	cli_info("          again (%s): the erase above is the worst case",
		 plan->erase_kind == STM32_ERASE_KIND_MASS ? "the whole flash"
		 : plan->blank_check_units ? "runs of units, then unit by unit" : "runs of units");
}

/* What the erase takes with it beyond the file: kept with --preserve. */
static void show_keeps(const struct stm32_plan *plan)
{
	if (plan->action != STM32_PLAN_WRITE)
		return;
	if (plan->erase_kind == STM32_ERASE_KIND_MASS && !plan->preserve) {
		cli_info("  lost:   the mass erase clears all flash outside the file");
		return;
	}
	if (plan->keep_count == 0)
		return;
	if (plan->preserve)
		cli_info("  keep:   %llu bytes of the erased %s outside the file are read first and "
			 "written back:", (unsigned long long)plan->keep_bytes,
			 cli_erase_unit_name(plan->device));
	else
		cli_info("  lost:   the erase destroys %llu bytes outside the file (--preserve keeps "
			 "them):", (unsigned long long)plan->keep_bytes);
	for (size_t i = 0; i < plan->keep_count; i++)
		cli_info("          0x%08X..0x%08X (%u bytes)", plan->keeps[i].address,
			 plan->keeps[i].address + plan->keeps[i].length - 1u, plan->keeps[i].length);
}


static void show_ranges(const struct stm32_plan *plan)
{
	const char *what = plan->action == STM32_PLAN_WRITE ? "verify" : action_words(plan->action);
	if (plan->action == STM32_PLAN_WRITE && !plan->verify) {
		cli_info("  verify: no (-v not given)");
		return;
	}
	if (plan->action == STM32_PLAN_WRITE)
		cli_info("  verify: %s%s", method_words(plan),
			 plan->verify_method == STM32_VERIFY_CRC
				 ? " (read back where a unit is not erased, and RAM)" : "");
	for (size_t i = 0; i < plan->range_count; i++)
		cli_info("  %-6s  0x%08X..0x%08X, %u bytes (%s)", what,
			 plan->ranges[i].address, plan->ranges[i].address + plan->ranges[i].length - 1u,
			 plan->ranges[i].length, stm32_region_name(plan->ranges[i].region));
}

void cli_show_plan(const struct stm32_plan *plan)
{
	cli_show_plan_and(plan, NULL);
}

void cli_show_plan_and(const struct stm32_plan *plan, const char *more)
{
	unsigned baud = plan->target.cost.bits_per_second;
	cli_info("Plan (%s%s):", action_words(plan->action), plan->diff ? ", incremental" : "");
	show_compare(plan);
	show_erase(plan);
	show_blank_check(plan);
	show_keeps(plan);
	show_writes(plan);
	if (plan->action != STM32_PLAN_ERASE)
		show_ranges(plan);
	if (baud && plan->diff) {
		struct stm32_plan_estimate_diff estimate;
		stm32_plan_estimate_diff(plan, &estimate);
		cli_info("  time:   about %.1f s at %u baud if nothing differs (compare %.1f s), "
			 "%.1f s if everything does",
			 (double)estimate.best_ms / 1000.0, baud, (double)estimate.compare_ms / 1000.0,
			 (double)estimate.worst_ms / 1000.0);
	} else if (baud) {
		struct stm32_plan_estimate estimate;
		stm32_plan_estimate(plan, &estimate);
		cli_info("  time:   about %.1f s at %u baud", (double)estimate.total_ms / 1000.0, baud);
	}
	if (more)
		cli_info("%s", more);
	cli_info("Dry run: nothing was changed.");
}
