/* stm32boot command line: option bytes by name. Every field comes from the
 * library's table (stm32boot/option_bytes.h); changes go through the same
 * plan as -w with an image holding the whole option block, so the merge,
 * the permanent-lock checks and the back end's write_option_bytes apply. */
#include "optionbytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "planview.h"
#include "report.h"
#include "stm32boot/flash.h"
#include "stm32boot/option_bytes.h"

#define OPTION_AREA_MAX 128u /* bytes: the largest option area in the device table */
#define RANGES_TEXT 512

struct option_area {
	uint8_t bytes[OPTION_AREA_MAX];
	size_t size;
};

static bool area_fits(const struct stm32_device *dev)
{
	return dev->opt_size > 0 && dev->opt_size <= OPTION_AREA_MAX;
}

/* What connecting read, else a fresh read of the whole area. */
static bool read_area(struct cli_context *ctx, struct option_area *area, bool fresh)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	const struct stm32_chip_facts *facts = &ctx->target->chip;
	area->size = dev->opt_size;
	if (!fresh && facts->option_bytes_known && facts->option_bytes_size == dev->opt_size) {
		memcpy(area->bytes, facts->option_bytes, dev->opt_size);
		return true;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_flash_read(ctx->target, dev->opt_start, dev->opt_size, area->bytes, NULL, &err) ==
	    STM32_OK)
		return true;
	cli_report_failure(CLI_STAGE_ACTION, "reading the option bytes", &err);
	if (ctx->target->chip.read_protected)
		cli_hint("the chip is read-protected: -k removes protection (and erases the flash)");
	return false;
}

static bool no_area(const struct stm32_device *dev)
{
	if (area_fits(dev))
		return false;
	cli_error("the %s has no option bytes the ROM bootloader can reach (its option bytes are "
		  "registers, not mapped memory)", dev->name);
	return true;
}

/* "0-3, 7" from a flag per unit. */
static void format_ranges(const bool *flags, size_t count, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		if (!flags[i] || (i > 0 && flags[i - 1]))
			continue;
		size_t end = i;
		while (end + 1 < count && flags[end + 1])
			end++;
		if (end == i)
			used += (size_t)snprintf(out + used, size - used, "%s%zu", used ? ", " : "", i);
		else
			used += (size_t)snprintf(out + used, size - used, "%s%zu-%zu", used ? ", " : "", i, end);
	}
}

typedef size_t (*units_marker)(const struct stm32_device *, const uint8_t *, size_t, bool *);

/* The units mark() marks in the option bytes (write-protected, or covered
 * by a PCROP area), as text; false when none. */
static bool units_text(const struct stm32_device *dev, const uint8_t *bytes, size_t size,
		       units_marker mark, char *out, size_t out_size)
{
	size_t units = stm32_device_sector_count(dev);
	bool *flags = calloc(units ? units : 1, sizeof *flags);
	if (!flags)
		return false;
	bool any = mark(dev, bytes, size, flags) > 0;
	if (any)
		format_ranges(flags, units, out, out_size);
	free(flags);
	return any;
}

static bool has_pcrop(const struct stm32_device *dev)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (field->kind == STM32_OPTION_KIND_PCROP_START && stm32_option_field_applies(field, dev) &&
		    stm32_option_field_reachable(field, dev))
			return true;
	}
	return false;
}

static void value_text(const struct stm32_option_field *field, uint32_t value, char *out, size_t size)
{
	if (field->width == 1)
		snprintf(out, size, "%u", (unsigned)value);
	else
		snprintf(out, size, "0x%X", (unsigned)value);
}

static const char *meaning_of(const struct stm32_option_field *field, uint32_t value)
{
	const struct stm32_option_value *v = stm32_option_field_describe(field, value);
	return v ? v->meaning : "not a documented value";
}

void cli_describe_option_fields(const struct stm32_target *target)
{
	const struct stm32_device *dev = target->desc.device;
	const struct stm32_chip_facts *facts = &target->chip;
	if (!facts->option_bytes_known || facts->option_bytes_size != dev->opt_size || !area_fits(dev))
		return;
	char line[1024];
	size_t used = 0, differing = 0;
	line[0] = '\0';
	for (size_t i = 0; i < stm32_option_field_count() && used < sizeof line; i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (!stm32_option_field_applies(field, dev) || !stm32_option_field_reachable(field, dev))
			continue;
		uint32_t value = stm32_option_field_get(field, facts->option_bytes, dev->opt_size);
		if (value == field->factory)
			continue;
		char text[16];
		value_text(field, value, text, sizeof text);
		used += (size_t)snprintf(line + used, sizeof line - used, "%s%s=%s (%s)",
					 differing++ ? ", " : "", field->name, text, meaning_of(field, value));
	}
	cli_info("Option fields: %s", differing ? line : "factory values");
	char pages[RANGES_TEXT];
	if (units_text(dev, facts->option_bytes, dev->opt_size, stm32_option_bytes_protected_units, pages,
		       sizeof pages))
		cli_info("Write-protected %s: %s (-u removes the protection)", cli_erase_unit_name(dev), pages);
	if (units_text(dev, facts->option_bytes, dev->opt_size, stm32_option_bytes_pcrop_units, pages,
		       sizeof pages))
		cli_info("PCROP %s (code that runs but cannot be read): %s", cli_erase_unit_name(dev), pages);
}

static void list_unreachable(const struct stm32_device *dev)
{
	cli_info("The %s keeps its option bytes in registers the ROM bootloader does not map; "
		 "these fields cannot be read or set through it:", dev->name);
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (stm32_option_field_applies(field, dev))
			cli_info("  %-16s factory 0x%X  %s", field->name, (unsigned)field->factory, field->meaning);
	}
}

static void show_fields(const struct stm32_device *dev, const uint8_t *bytes, size_t size)
{
	cli_info("Option bytes of the %s (%s) at 0x%08X (* differs from factory):", dev->name,
		 dev->family, dev->opt_start);
	cli_info("  %-18s %-8s %-8s %s", "field", "value", "factory", "meaning");
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (!stm32_option_field_applies(field, dev) || !stm32_option_field_reachable(field, dev))
			continue;
		uint32_t value = stm32_option_field_get(field, bytes, size);
		char now[16], factory[16];
		value_text(field, value, now, sizeof now);
		value_text(field, field->factory, factory, sizeof factory);
		cli_info("%c %-18s %-8s %-8s %s: %s", value == field->factory ? ' ' : '*', field->name, now,
			 factory, field->meaning, meaning_of(field, value));
	}
	char pages[RANGES_TEXT];
	if (units_text(dev, bytes, size, stm32_option_bytes_protected_units, pages, sizeof pages))
		cli_info("Write-protected %s: %s", cli_erase_unit_name(dev), pages);
	else
		cli_info("Write-protected %s: none", cli_erase_unit_name(dev));
	if (!has_pcrop(dev))
		return;
	if (units_text(dev, bytes, size, stm32_option_bytes_pcrop_units, pages, sizeof pages))
		cli_info("PCROP %s (code that runs but cannot be read): %s", cli_erase_unit_name(dev), pages);
	else
		cli_info("PCROP %s (code that runs but cannot be read): none", cli_erase_unit_name(dev));
}

bool cli_run_option_bytes(struct cli_context *ctx)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	if (!dev->opt_size) {
		list_unreachable(dev);
		return true;
	}
	struct option_area area;
	if (no_area(dev) || !read_area(ctx, &area, false))
		return false;
	show_fields(dev, area.bytes, area.size);
	return true;
}

/* The fields whose value differs between before and after. */
static void show_changes(const struct stm32_device *dev, const uint8_t *before, const uint8_t *after)
{
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (!stm32_option_field_applies(field, dev) || !stm32_option_field_reachable(field, dev))
			continue;
		uint32_t old = stm32_option_field_get(field, before, dev->opt_size);
		uint32_t now = stm32_option_field_get(field, after, dev->opt_size);
		if (old == now)
			continue;
		char a[16], b[16];
		value_text(field, old, a, sizeof a);
		value_text(field, now, b, sizeof b);
		const struct stm32_option_value *v = stm32_option_field_describe(field, now);
		cli_info("  %s: %s -> %s (%s)%s", field->name, a, b, meaning_of(field, now),
			 v && v->dangerous ? " [dangerous]" : v && v->permanent ? " [PERMANENT]" : "");
	}
}

static bool apply_requests(struct cli_context *ctx, uint8_t *bytes)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	for (unsigned i = 0; i < ctx->opts->set_option_count; i++) {
		struct stm32_error err;
		stm32_error_clear(&err);
		if (stm32_option_bytes_assign(dev, bytes, dev->opt_size, ctx->opts->set_options[i],
					      ctx->opts->allow_permanent_lock, &err) != STM32_OK) {
			cli_error("--set-option %s: %s", ctx->opts->set_options[i], err.message);
			if (err.reason == STM32_REASON_PERMANENT_LOCK)
				cli_hint("if you really mean it, add --allow-permanent-lock (there is no way back)");
			return false;
		}
	}
	return true;
}

/* Plan the whole option block through stm32_plan_write (merge, lock checks). */
static bool plan_option_write(struct cli_context *ctx, const uint8_t *before, const uint8_t *after,
			      struct stm32_image *image, struct stm32_plan *plan)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	struct stm32_error err;
	stm32_error_clear(&err);
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	po.erase = STM32_ERASE_NO;
	po.allow_permanent_lock = ctx->opts->allow_permanent_lock;
	po.current_option_bytes = before;
	if (stm32_image_add(image, dev->opt_start, after, dev->opt_size, &err) != STM32_OK ||
	    stm32_plan_write(&ctx->target->desc, image, &po, plan, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_PLAN, "option-byte change", &err);
		if (err.reason == STM32_REASON_PERMANENT_LOCK)
			cli_hint("if you really mean it, add --allow-permanent-lock (there is no way back)");
		return false;
	}
	return true;
}

/* After the chip reloaded its option bytes: read them back, compare. */
static bool confirm(struct cli_context *ctx, const uint8_t *expected)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	struct option_area now;
	if (!read_area(ctx, &now, true))
		return false;
	bool same = true;
	for (size_t i = 0; i < stm32_option_field_count(); i++) {
		const struct stm32_option_field *field = stm32_option_field_at(i);
		if (!stm32_option_field_applies(field, dev) || !stm32_option_field_reachable(field, dev))
			continue;
		uint32_t want = stm32_option_field_get(field, expected, dev->opt_size);
		uint32_t have = stm32_option_field_get(field, now.bytes, dev->opt_size);
		if (want != have) {
			cli_error("read back %s=0x%X after the write, not 0x%X", field->name, have, want);
			same = false;
		}
	}
	if (same)
		cli_info("Read back: the option bytes hold the new values.");
	return same;
}

bool cli_run_set_option(struct cli_context *ctx)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	struct option_area before, after;
	if (no_area(dev) || !read_area(ctx, &before, false))
		return false;
	after = before;
	if (!apply_requests(ctx, after.bytes))
		return false;
	if (memcmp(before.bytes, after.bytes, dev->opt_size) == 0) {
		cli_info("The option bytes already hold these values; nothing to write.");
		return true;
	}
	struct stm32_image image;
	stm32_image_init(&image);
	struct stm32_plan plan;
	memset(&plan, 0, sizeof plan);
	bool ok = plan_option_write(ctx, before.bytes, after.bytes, &image, &plan);
	if (ok) {
		cli_info("%s option bytes:", ctx->opts->dry_run ? "Would change" : "Changing");
		show_changes(dev, before.bytes, after.bytes);
	}
	if (ok && ctx->opts->dry_run) {
		cli_show_plan(&plan);
	} else if (ok) {
		struct stm32_error err;
		stm32_error_clear(&err);
		struct stm32_flash_options options;
		stm32_flash_options_default(&options);
		options.retries = ctx->opts->retries;
		ok = stm32_flash_execute(ctx->target, &plan, &options, NULL, &err) == STM32_OK;
		if (!ok)
			cli_report_failure(CLI_STAGE_ACTION, "option-byte write", &err);
		else
			ctx->chip_reset_itself = true;
		/* The back end reconnected after the chip's reset: check what it loaded. */
		ok = ok && confirm(ctx, after.bytes);
	}
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	return ok;
}

/* "0-3,7" into flags[0..count); false with an error naming the bad item. */
static bool parse_groups(const char *list, bool *flags, size_t count)
{
	char *copy = strdup(list), *save = NULL;
	bool ok = copy != NULL, any = false;
	for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && ok;
	     item = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long first = strtoul(item, &end, 0), last = first;
		if (end != item && *end == '-') {
			char *dash = end + 1;
			last = strtoul(dash, &end, 0);
			ok = end != dash;
		}
		ok = ok && end != item && *end == '\0' && item[0] != '-' && first <= last;
		if (!ok) {
			cli_error("--write-protect: '%s' is not a number or a range N-M", item);
		} else if (last >= count) {
			cli_error("--write-protect: %lu is past the last write-protection group (0-%zu)",
				  last, count - 1);
			ok = false;
		}
		for (unsigned long g = first; ok && g <= last; g++)
			flags[g] = any = true;
	}
	if (ok && !any) {
		cli_error("--write-protect: no groups given");
		ok = false;
	}
	free(copy);
	return ok;
}

bool cli_run_write_protect(struct cli_context *ctx)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	size_t groups = stm32_option_wrp_group_count(dev);
	if (groups == 0) {
		cli_error("the %s has no write-protection groups", dev->name);
		return false;
	}
	bool *flags = calloc(groups, sizeof *flags);
	uint32_t *codes = calloc(groups, sizeof *codes);
	bool ok = flags && codes && parse_groups(ctx->opts->write_protect, flags, groups);
	size_t count = 0;
	for (size_t g = 0; ok && g < groups; g++)
		if (flags[g])
			codes[count++] = (uint32_t)g;
	if (ok) {
		size_t units = stm32_device_sector_count(dev);
		bool *pages = calloc(units, sizeof *pages);
		for (size_t i = 0; pages && i < count; i++) {
			size_t first, n;
			if (stm32_option_wrp_group_units(dev, codes[i], &first, &n))
				for (size_t u = first; u < first + n; u++)
					pages[u] = true;
		}
		char text[RANGES_TEXT] = "";
		if (pages)
			format_ranges(pages, units, text, sizeof text);
		free(pages);
		const char *unit = cli_erase_unit_name(dev);
		int unit_length = (int)strlen(unit) - (strchr(text, ',') || strchr(text, '-') ? 0 : 1);
		if (ctx->opts->dry_run) {
			cli_info("Plan: write-protect %.*s %s (Write Protect, the chip resets itself).",
				 unit_length, unit, text);
		} else {
			struct stm32_error err;
			stm32_error_clear(&err);
			cli_info("Write-protecting %.*s %s...", unit_length, unit, text);
			ok = stm32_target_write_protect(ctx->target, codes, count, &err) == STM32_OK;
			if (!ok)
				cli_report_failure(CLI_STAGE_ACTION, "write protect", &err);
			else
				ctx->chip_reset_itself = true;
			if (ok)
				cli_info("Done: the chip resets itself; -u removes the protection.");
			/* H7, L5, U5, H5 over the ROM: no option area to read it back from. */
			if (ok && !ctx->target->chip.option_bytes_known)
				cli_info("The option bytes cannot be read through this back end, so stm32boot "
					 "cannot check a write against it beforehand: the chip leaves protected "
					 "%s unwritten (-v reports it).", unit);
		}
	}
	free(flags);
	free(codes);
	return ok;
}

static void mark_unit(const struct stm32_device *dev, const bool *protected_units, uint32_t address,
		      uint64_t length, bool *hit)
{
	for (uint64_t at = address; at < (uint64_t)address + length;) {
		long unit = stm32_device_sector_at(dev, (uint32_t)at);
		uint32_t start, size;
		if (unit < 0 || !stm32_device_sector(dev, (size_t)unit, &start, &size))
			return;
		if (protected_units[unit])
			hit[unit] = true;
		at = (uint64_t)start + size;
	}
}

bool cli_refuse_write_protected(const struct cli_context *ctx, const struct stm32_plan *plan)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	const struct stm32_chip_facts *facts = &ctx->target->chip;
	if (!facts->option_bytes_known || facts->option_bytes_size != dev->opt_size)
		return true;
	size_t units = stm32_device_sector_count(dev);
	bool *protected_units = calloc(units ? units : 1, sizeof *protected_units);
	bool *hit = calloc(units ? units : 1, sizeof *hit);
	bool ok = true;
	if (protected_units && hit &&
	    stm32_option_bytes_protected_units(dev, facts->option_bytes, dev->opt_size, protected_units)) {
		bool all = plan->erase_kind == STM32_ERASE_KIND_MASS;
		/* A bank erase covers every unit of the bank (plan->erase_banks). */
		size_t bank2 = dev->bank_count == 2 ? dev->bank2_first_sector : units;
		for (size_t u = 0; u < units; u++)
			if (all || (plan->erase_banks & (u < bank2 ? 1u : 2u)))
				hit[u] = protected_units[u];
		for (size_t i = 0; i < plan->sector_count; i++)
			if (plan->sectors[i].index < units && protected_units[plan->sectors[i].index])
				hit[plan->sectors[i].index] = true;
		for (size_t b = 0; b < plan->block_count; b++)
			if (plan->blocks[b].region == STM32_REGION_FLASH)
				mark_unit(dev, protected_units, plan->blocks[b].address, plan->blocks[b].length, hit);
		char text[RANGES_TEXT] = "";
		format_ranges(hit, units, text, sizeof text);
		if (text[0]) {
			bool several = strchr(text, ',') || strchr(text, '-');
			const char *units_name = cli_erase_unit_name(dev);
			cli_error("%.*s %s %s write-protected: the chip would refuse; nothing was erased "
				  "or written", (int)strlen(units_name) - (several ? 0 : 1), units_name, text,
				  several ? "are" : "is");
			cli_hint("-u removes write protection (the chip resets; then run this again)");
			ok = false;
		}
	}
	free(protected_units);
	free(hit);
	return ok;
}
