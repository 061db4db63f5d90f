/* Which part this is: DfuSe does not report the chip's ID, so the flash
 * layout of alternate setting "Internal Flash" and the option bytes' address
 * pick the device-table row, unless the port names it (device=NAME). The
 * device's own layout wins over the table's (with a warning). */
#include <stdio.h>
#include <string.h>

#include "dfu/dfu_target.h"

static int find_alt(const struct dfu_layout *layouts, unsigned count, const char *prefix)
{
	for (unsigned i = 0; i < count; i++)
		if (layouts[i].run_count && strncmp(layouts[i].name, prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

/* The first DFU row with this flash layout and option-byte area (else the
 * first with the flash layout); the names of all that fit go to fitting. */
static const struct stm32_device *by_layout(const struct dfu_layout *flash,
					    const struct dfu_layout *options, char *fitting,
					    size_t size, unsigned *fit_count)
{
	const struct stm32_device *best = NULL, *near = NULL;
	size_t used = 0;
	*fit_count = 0;
	fitting[0] = '\0';
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		if (!(d->interfaces & STM32_IF_DFU) || !dfu_layout_matches(flash, d))
			continue;
		bool same_options = !options || (d->opt_start == options->start &&
						  d->opt_size == options->size);
		if (!same_options) {
			near = near ? near : d;
			continue;
		}
		best = best ? best : d;
		(*fit_count)++;
		if (used < size)
			used += (size_t)snprintf(fitting + used, size - used, "%s%s", used ? ", " : "",
						 d->name);
	}
	return best ? best : near;
}

static void warn(const struct stm32_dfu_options *opts, const char *fmt, const char *a,
		 const char *b, const char *c)
{
	char message[512];
	if (!opts || !opts->warning)
		return;
	snprintf(message, sizeof message, fmt, a, b, c);
	opts->warning(opts->warning_user, message);
}

enum stm32_status dfu_choose_device(const char *address,
				    const char names[][DFU_USB_NAME_MAX], unsigned count,
				    const struct stm32_device *named,
				    const struct stm32_dfu_options *opts,
				    struct dfu_layout *layouts, int *option_alt,
				    struct stm32_device *device, struct stm32_sector_run *runs,
				    struct dfu_choice *choice, struct stm32_error *err)
{
	for (unsigned i = 0; i < count; i++)
		(void)dfu_layout_parse(names[i], &layouts[i]);
	int flash_alt = find_alt(layouts, count, "Internal Flash");
	if (flash_alt < 0)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "dfu:%s offers no \"Internal Flash\" memory", address);
	*option_alt = find_alt(layouts, count, "Option Bytes");
	const struct dfu_layout *flash = &layouts[flash_alt];
	if (!flash->contiguous)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "dfu:%s: the flash is in several address ranges (%s)", address,
				       names[flash_alt]);
	memset(choice, 0, sizeof *choice);
	choice->named = named != NULL;
	const struct stm32_device *row =
		named ? named
		      : by_layout(flash, *option_alt >= 0 ? &layouts[*option_alt] : NULL,
				  choice->fitting, sizeof choice->fitting, &choice->fit_count);
	if (!named && choice->fit_count > 1)
		warn(opts, "DfuSe does not tell the part: the memory of dfu:%s fits %s; taking %s "
			   "(name it with dfu:...,device=NAME)",
		     address, choice->fitting, row->name);
	if (!row)
		return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
				       "dfu:%s: no device in the table has the flash layout \"%s\"; "
				       "name it with dfu:...,device=NAME",
				       address, names[flash_alt]);
	*device = *row;
	if (!dfu_layout_matches(flash, row))
		warn(opts, "dfu:%s reports the flash as \"%s\", which is not what the device table "
			   "says of %s: using the device's layout",
		     address, names[flash_alt], row->name);
	memcpy(runs, flash->runs, flash->run_count * sizeof runs[0]);
	device->flash_start = flash->start;
	device->flash_size = flash->size;
	device->layout = runs;
	device->layout_runs = flash->run_count;
	if (!dfu_layout_matches(flash, row)) {
		/* Banks as the table has them no longer apply to another layout. */
		device->bank_count = 1;
		device->bank2_start = 0;
		device->bank2_first_sector = 0;
	}
	return STM32_OK;
}
