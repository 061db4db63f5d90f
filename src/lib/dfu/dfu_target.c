/* The DFU back end's table (target.h) and stm32_dfu_open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dfu/dfu_layout.h"
#include "optbytes/option_edit.h"
#include "dfu/dfu_proto.h"
#include "dfu/dfu_target.h"

#define DEFAULT_TIMEOUT_MS 5000u
#define BUSY_LIMIT_MS 60000u      /* a mass erase of 2 MiB takes ~30 s */
#define RECONNECT_WAIT_MS 5000u   /* a reset chip enumerates again within this */
#define RECONNECT_STEP_MS 50u
#define PROBE_LENGTH 4

struct dfu_backend {
	struct stm32_target target;
	struct dfu_link link;
	struct dfu_usb_info info;
	struct dfu_layout layouts[DFU_USB_MAX_ALTS];
	unsigned alt;             /* selected alternate setting */
	int option_alt;           /* -1: none */
	bool left;                /* it left DFU (go, reset): nothing more to say to it */
	bool resetting;           /* an option-byte write reset it: reconnect first */
	struct stm32_device device; /* the table's row with the device's own layout */
	struct dfu_choice choice;   /* how that row was chosen */
	struct stm32_sector_run runs[DFU_LAYOUT_MAX_RUNS];
};

void stm32_dfu_options_default(struct stm32_dfu_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->timeout_ms = DEFAULT_TIMEOUT_MS;
}

static struct dfu_backend *backend_of(struct stm32_target *t)
{
	return t->backend;
}

static enum stm32_status check_present(struct dfu_backend *b, struct stm32_error *err)
{
	if (b->left)
		return stm32_error_set(err, STM32_E_IO, "dfu:%s left DFU mode (it runs its program)",
				       b->info.address);
	if (b->resetting)
		return stm32_error_set(err, STM32_E_IO,
				       "dfu:%s is resetting after its option bytes changed",
				       b->info.address);
	return STM32_OK;
}

/* The alternate setting whose memory holds [address, address+length). */
static enum stm32_status select_memory(struct dfu_backend *b, uint32_t address, size_t length,
				       struct stm32_error *err)
{
	enum stm32_status s = check_present(b, err);
	if (s != STM32_OK)
		return s;
	for (unsigned alt = 0; alt < b->info.alt_count; alt++) {
		const struct dfu_layout *l = &b->layouts[alt];
		if (!l->run_count || address < l->start || (uint64_t)address - l->start + length > l->size)
			continue;
		if (alt == b->alt)
			return STM32_OK;
		dfu_end_upload(&b->link);
		if ((s = dfu_usb_set_alt(b->link.usb, alt, err)) != STM32_OK)
			return s;
		b->alt = alt;
		return STM32_OK;
	}
	s = stm32_error_set(err, STM32_E_RANGE, "0x%08X is in no memory dfu:%s offers",
			    address, b->info.address);
	stm32_error_address(err, address);
	return s;
}

/* Where the selected alternate setting's memory ends (reads ahead stop). */
static uint32_t memory_end(const struct dfu_backend *b)
{
	const struct dfu_layout *l = &b->layouts[b->alt];
	uint64_t end = (uint64_t)l->start + l->size;
	return end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

static enum stm32_status dfu_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				  size_t length, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = select_memory(b, address, length, err);
	if (s == STM32_OK)
		s = dfuse_read(&b->link, address, data, (uint16_t)length, memory_end(b), err);
	if (s != STM32_OK)
		stm32_error_address(err, address);
	return s;
}

static enum stm32_status dfu_write(struct stm32_target *t, uint32_t address, const uint8_t *data,
				   size_t length, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = select_memory(b, address, length, err);
	if (s == STM32_OK)
		s = dfuse_write(&b->link, address, data, (uint16_t)length, err);
	if (s != STM32_OK)
		stm32_error_address(err, address);
	return s;
}

static enum stm32_status dfu_erase(struct stm32_target *t, const struct stm32_erase_request *r,
				   struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = select_memory(b, b->device.flash_start, 1, err);
	if (s != STM32_OK)
		return s;
	if (r->kind == STM32_ERASE_REQUEST_MASS)
		return dfuse_command(&b->link, DFUSE_ERASE, false, 0, err);
	if (r->kind != STM32_ERASE_REQUEST_UNITS)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "DfuSe has no bank erase");
	for (size_t i = 0; i < r->count && s == STM32_OK; i++) {
		uint32_t address, size;
		if (!stm32_device_sector(&b->device, r->units[i], &address, &size))
			return stm32_error_set(err, STM32_E_RANGE, "no erase unit %u", r->units[i]);
		s = dfuse_command(&b->link, DFUSE_ERASE, true, address, err);
		if (s != STM32_OK)
			stm32_error_address(err, address);
	}
	return s;
}

static enum stm32_status dfu_go(struct stm32_target *t, uint32_t address, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = select_memory(b, b->device.flash_start, 1, err);
	if (s == STM32_OK)
		s = dfuse_leave(&b->link, address, err);
	b->left = b->left || s == STM32_OK;
	return s;
}

/* Leaving DFU at the flash start runs the program: that is the reset. */
static enum stm32_status dfu_reset(struct stm32_target *t, struct stm32_error *err)
{
	return dfu_go(t, backend_of(t)->device.flash_start, err);
}

static enum stm32_status dfu_readout_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = check_present(b, err);
	if (s == STM32_OK)
		s = dfuse_command(&b->link, DFUSE_READ_UNPROTECT, false, 0, err);
	/* The chip resets as it finishes: losing it is the expected end. */
	if (s == STM32_E_IO || (s == STM32_OK)) {
		b->resetting = true;
		return STM32_OK;
	}
	return s;
}

/* The option area as one block through its own alternate setting; the
 * device reloads it and resets (it is reconnected later). */
static enum stm32_status write_options(struct dfu_backend *b, uint32_t address,
				       const uint8_t *data, size_t length, struct stm32_error *err)
{
	enum stm32_status s = select_memory(b, address, length, err);
	if (s == STM32_OK && (b->option_alt < 0 || b->alt != (unsigned)b->option_alt))
		s = stm32_error_set(err, STM32_E_RANGE, "0x%08X is not in the option bytes of dfu:%s",
				    address, b->info.address);
	if (s == STM32_OK && length > b->info.transfer_size)
		s = stm32_error_set(err, STM32_E_RANGE, "%zu option bytes do not fit one %u-byte block",
				    length, b->info.transfer_size);
	if (s == STM32_OK)
		s = dfuse_write_and_reset(&b->link, address, data, (uint16_t)length, err);
	if (s != STM32_OK) {
		stm32_error_address(err, address);
		return s;
	}
	b->resetting = true;
	return STM32_OK;
}

static enum stm32_status dfu_reconnect(struct stm32_target *t, struct stm32_error *err);

static enum stm32_status dfu_write_option_bytes(struct stm32_target *t, uint32_t address,
						const uint8_t *data, size_t length,
						struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = write_options(b, address, data, length, err);
	if (s != STM32_OK)
		return s;
	/* The plan let it through (--allow-permanent-lock); nothing to wait for. */
	if (option_edit_permanent(&b->device, data, length, address))
		return stm32_error_set(err, STM32_E_IO,
				       "dfu:%s took option bytes that lock it for good (RDP level 2): "
				       "its bootloader no longer runs, so it does not come back",
				       b->info.address);
	return dfu_reconnect(t, err);
}

/* The option area as the chip holds it now, edited, written back: what the
 * ROM's protection commands do, which DfuSe does not have. */
static enum stm32_status change_options(struct dfu_backend *b, const struct option_edit *edit,
					struct stm32_error *err)
{
	const struct stm32_device *dev = &b->device;
	uint8_t bytes[sizeof b->target.chip.option_bytes];
	if (!stm32_target_can(&b->target.desc, STM32_CAP_OPTION_BYTES))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "dfu:%s offers no option bytes where the %s keeps them",
				       b->info.address, dev->name);
	enum stm32_status s = dfu_read(&b->target, dev->opt_start, bytes, dev->opt_size, err);
	if (s == STM32_OK)
		s = option_edit_apply(dev, bytes, dev->opt_size, edit, err);
	if (s == STM32_OK)
		s = write_options(b, dev->opt_start, bytes, dev->opt_size, err);
	return s;
}

static enum stm32_status dfu_readout_protect(struct stm32_target *t, struct stm32_error *err)
{
	struct option_edit edit = {OPTION_EDIT_READOUT_PROTECT, NULL, 0};
	return change_options(backend_of(t), &edit, err);
}

static enum stm32_status dfu_write_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	struct option_edit edit = {OPTION_EDIT_WRITE_UNPROTECT, NULL, 0};
	return change_options(backend_of(t), &edit, err);
}

static enum stm32_status dfu_write_protect(struct stm32_target *t, const uint32_t *units,
					   size_t count, struct stm32_error *err)
{
	struct option_edit edit = {OPTION_EDIT_WRITE_PROTECT, units, count};
	return change_options(backend_of(t), &edit, err);
}

static enum stm32_status dfu_recover(struct stm32_target *t, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	enum stm32_status s = check_present(b, err);
	if (s != STM32_OK)
		return s;
	s = dfu_to_idle(&b->link, err);
	return s == STM32_E_IO ? s : STM32_OK;
}

static enum stm32_status learn_chip(struct dfu_backend *b, struct stm32_error *err);

static enum stm32_status dfu_reconnect(struct stm32_target *t, struct stm32_error *err)
{
	struct dfu_backend *b = backend_of(t);
	b->resetting = false;
	dfu_usb_close(b->link.usb); /* cancels the UPLOADs read ahead */
	b->link.usb = NULL;
	b->link.ahead_count = 0;
	const char *selector = *b->info.serial ? b->info.serial : b->info.address;
	char wanted[DFU_USB_NAME_MAX];
	snprintf(wanted, sizeof wanted, "%s", selector);
	/* Right after the reset the old device may still be listed, or the new
	 * one not answer yet: an open or a first talk that fails so is tried
	 * again until the wait is over. */
	enum stm32_status s = STM32_E_IO;
	for (unsigned waited = 0; waited <= RECONNECT_WAIT_MS; waited += RECONNECT_STEP_MS) {
		core_sleep_ms(RECONNECT_STEP_MS);
		struct dfu_usb_info info;
		stm32_error_clear(err);
		s = dfu_usb_open(wanted, &b->link.usb, &info, err);
		if (s != STM32_OK)
			continue;
		b->alt = 0;
		s = learn_chip(b, err);
		if (s == STM32_OK || (s != STM32_E_IO && s != STM32_E_TIMEOUT))
			break;
		dfu_usb_close(b->link.usb);
		b->link.usb = NULL;
	}
	return s;
}

static void dfu_close(struct stm32_target *t)
{
	struct dfu_backend *b = backend_of(t);
	/* Leave it in dfuIDLE, where the next program (dfu-util) expects it. */
	if (b->link.usb && !b->left && !b->resetting)
		dfu_end_upload(&b->link);
	dfu_usb_close(b->link.usb);
	free(b);
}

void dfu_target_describe(struct stm32_target *t, char *out, size_t size)
{
	const struct dfu_backend *b = backend_of(t);
	snprintf(out, size, "dfu:%s serial %s", b->info.address,
		 *b->info.serial ? b->info.serial : "none");
}

static const struct stm32_target_ops dfu_ops = {
	.read = dfu_read,
	.write = dfu_write,
	.erase = dfu_erase,
	.write_option_bytes = dfu_write_option_bytes,
	.readout_protect = dfu_readout_protect,
	.readout_unprotect = dfu_readout_unprotect,
	.write_protect = dfu_write_protect,
	.write_unprotect = dfu_write_unprotect,
	.go = dfu_go,
	.reset = dfu_reset,
	.recover = dfu_recover,
	.reconnect = dfu_reconnect,
	.close = dfu_close,
};

/* Readout protection shows as a refused read; the option bytes as they are. */
static enum stm32_status learn_chip(struct dfu_backend *b, struct stm32_error *err)
{
	struct stm32_chip_facts *chip = &b->target.chip;
	memset(chip, 0, sizeof *chip);
	enum stm32_status s = dfu_to_idle(&b->link, err);
	if (s != STM32_OK)
		return s;
	/* Read protection need not cover the option bytes (the RDP byte says
	 * which level): read them first. */
	struct stm32_error probe_err;
	stm32_error_clear(&probe_err);
	if (b->option_alt >= 0) {
		const struct dfu_layout *l = &b->layouts[b->option_alt];
		if (l->size <= sizeof chip->option_bytes &&
		    dfu_read(&b->target, l->start, chip->option_bytes, l->size, &probe_err) == STM32_OK) {
			chip->option_bytes_known = true;
			chip->option_bytes_size = l->size;
		}
	}
	/* RDP at level 0 in the row's own option area: the flash is readable.
	 * Anything else is asked of the flash itself (a refused UPLOAD). */
	const struct stm32_device *dev = &b->device;
	bool level0 = chip->option_bytes_known && dev->opt_size == chip->option_bytes_size &&
		      b->layouts[b->option_alt].start == dev->opt_start && dev->rdp_offset >= 0 &&
		      (uint32_t)dev->rdp_offset < dev->opt_size &&
		      chip->option_bytes[dev->rdp_offset] == dev->rdp_level0;
	if (level0)
		return STM32_OK;
	uint8_t probe[PROBE_LENGTH];
	s = dfu_read(&b->target, dev->flash_start, probe, sizeof probe, &probe_err);
	if (s == STM32_E_PROTECTED)
		chip->read_protected = true;
	else if (s != STM32_OK) {
		*err = probe_err;
		return s;
	}
	return STM32_OK;
}

static void fill_desc(struct dfu_backend *b)
{
	struct stm32_target_desc *d = &b->target.desc;
	d->name = "USB DFU bootloader";
	d->device = &b->device;
	d->caps = STM32_CAP_READ | STM32_CAP_WRITE | STM32_CAP_ERASE | STM32_CAP_GO |
		  STM32_CAP_RESET | STM32_CAP_READOUT_UNPROTECT;
	if (!(b->device.flags & STM32_DEV_NO_MASS_ERASE))
		d->caps |= STM32_CAP_MASS_ERASE;
	/* Option bytes and protection: the "Option Bytes" memory written whole,
	 * where it is the device table's option area. */
	const struct dfu_layout *options = b->option_alt >= 0 ? &b->layouts[b->option_alt] : NULL;
	if (options && b->device.opt_size && options->start == b->device.opt_start &&
	    options->size == b->device.opt_size && options->size <= sizeof b->target.chip.option_bytes)
		d->caps |= STM32_CAP_OPTION_BYTES | STM32_CAP_READOUT_PROTECT |
			   STM32_CAP_WRITE_PROTECT | STM32_CAP_WRITE_UNPROTECT;
	d->max_read = d->max_write = b->info.transfer_size;
	d->erase_units_per_request = 1;
	d->max_erase_unit = (uint32_t)stm32_device_sector_count(&b->device) - 1u;
	/* Full-speed control transfers: ~1 MB/s for data, and each request waits
	 * for a frame. Consecutive blocks follow one Set Address Pointer: a
	 * write is a DNLOAD and its two GETSTATUS, a read one UPLOAD. */
	d->cost = (struct stm32_target_cost){
		.bits_per_byte = 8, .bits_per_second = 8000000,
		.read_overhead = 20, .read_round_trips = 1,
		.write_overhead = 40, .write_round_trips = 3,
		.erase_overhead = 24, .erase_unit_bytes = 0, .erase_round_trips = 3,
		.round_trip_us = 1000,
	};
}

enum stm32_status dfu_target_open(const char *selector, const struct stm32_device *named,
				  const struct stm32_dfu_options *opts, struct stm32_target **out,
				  struct stm32_error *err)
{
	*out = NULL;
	struct dfu_backend *b = calloc(1, sizeof *b);
	if (!b)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	b->link.timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	b->link.busy_limit_ms = BUSY_LIMIT_MS;
	b->option_alt = -1;
	b->target.ops = &dfu_ops;
	b->target.backend = b;
	enum stm32_status s = dfu_usb_open(selector, &b->link.usb, &b->info, err);
	if (s == STM32_OK) {
		b->link.transfer_size = b->info.transfer_size;
		s = dfu_choose_device(b->info.address, b->info.alt_names, b->info.alt_count, named, opts,
				      b->layouts, &b->option_alt, &b->device, b->runs, &b->choice,
				      err);
	}
	if (s == STM32_OK) {
		fill_desc(b);
		s = learn_chip(b, err);
	}
	if (s != STM32_OK) {
		stm32_error_op(err, STM32_OP_CONNECT);
		dfu_close(&b->target);
		return s;
	}
	*out = &b->target;
	return STM32_OK;
}

bool stm32_dfu_info(const struct stm32_target *t, struct stm32_dfu_info *info)
{
	if (!t || t->ops != &dfu_ops)
		return false;
	const struct dfu_backend *b = t->backend;
	memset(info, 0, sizeof *info);
	snprintf(info->address, sizeof info->address, "%s", b->info.address);
	snprintf(info->serial, sizeof info->serial, "%.*s", (int)sizeof info->serial - 1,
		 b->info.serial);
	info->bcd_device = b->info.bcd_device;
	info->bcd_dfu = b->info.bcd_dfu;
	info->transfer_size = b->info.transfer_size;
	info->memory_count = b->info.alt_count;
	size_t used = 0;
	for (unsigned i = 0; i < b->info.alt_count && used < sizeof info->memories; i++) {
		const char *name = b->layouts[i].name[0] ? b->layouts[i].name : b->info.alt_names[i];
		used += (size_t)snprintf(info->memories + used, sizeof info->memories - used, "%s%s",
					 i ? ", " : "", name);
	}
	info->device_named = b->choice.named;
	info->fitting_count = b->choice.fit_count;
	snprintf(info->fitting, sizeof info->fitting, "%s", b->choice.fitting);
	return true;
}
