/* stm32boot command line: the actions, on a connected target. Each one
 * plans first (everything is checked before the chip is touched), then
 * shows the plan (--dry-run) or carries it out with progress. */
#include "actions.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "drive_verify.h"
#include "optionbytes.h"
#include "outcome.h"
#include "planview.h"
#include "progress.h"
#include "report.h"
#include "stub_choice.h"
#include "stm32boot/dfu.h"
#include "stm32boot/stub.h"
#include "stm32boot/rom.h"

static volatile sig_atomic_t cancel_requested;

void cli_request_cancel(void)
{
	cancel_requested = 1;
}

/* Turns the library's progress callbacks into bars, one per phase. With a
 * fixed total (a read done in several calls) the caller owns the bar. */
struct progress_bridge {
	struct cli_progress bar;
	bool active;
	enum stm32_phase phase;
	const char *erase_unit;
	bool fixed_total;
	uint64_t offset;
};

static void bridge_finish(struct progress_bridge *b)
{
	if (b->active)
		cli_progress_end(&b->bar);
	b->active = false;
}

static bool on_progress(void *user, enum stm32_phase phase, uint64_t done, uint64_t total,
			uint32_t address)
{
	(void)address;
	struct progress_bridge *b = user;
	if (!b->fixed_total && (!b->active || b->phase != phase || (done == 0 && b->bar.done != 0))) {
		bridge_finish(b);
		const char *unit = phase == STM32_PHASE_ERASE ? b->erase_unit : "bytes";
		cli_progress_begin(&b->bar, stm32_phase_name(phase), unit, total);
		b->active = true;
		b->phase = phase;
	}
	cli_progress_update(&b->bar, b->offset + done);
	return !cancel_requested;
}

static void bridge_init(struct progress_bridge *b, const struct stm32_device *dev)
{
	memset(b, 0, sizeof *b);
	b->erase_unit = cli_erase_unit_name(dev);
}

static void report_action_failure(const char *what, const struct stm32_error *err)
{
	if (err->status == STM32_E_CANCELLED) {
		cli_error("%s interrupted", what);
		return;
	}
	cli_report_failure(CLI_STAGE_ACTION, what, err);
}

/* The address and length of erase units first .. first+count-1 (count 0:
 * to the end of flash). */
static bool page_span(const struct stm32_device *dev, unsigned first, unsigned count,
		      uint32_t *address, uint32_t *length)
{
	size_t units = stm32_device_sector_count(dev);
	if (first >= units) {
		cli_error("start page %u is beyond the last %s of this chip (%zu in all)", first,
			  cli_erase_unit_name(dev), units);
		return false;
	}
	size_t last = count == 0 ? units - 1 : (size_t)first + count - 1;
	if (last >= units) {
		cli_error("pages %u..%zu run past the end of flash (%zu %s in all)", first, last, units,
			  cli_erase_unit_name(dev));
		return false;
	}
	uint32_t unit_size, last_address;
	stm32_device_sector(dev, first, address, &unit_size);
	stm32_device_sector(dev, last, &last_address, &unit_size);
	*length = last_address + unit_size - *address;
	return true;
}

/* stm32flash's -F TX: (TX - 2) rounded down to 4, and here also to the
 * chip's program unit. */
/* -F limits the ROM bootloader's frames (stm32flash); USB DFU moves whole
 * wTransferSize blocks and the RAM stub frames of its own, which -F does
 * not change. */
static bool frames_apply(const struct cli_context *ctx)
{
	struct stm32_rom_info rom;
	return !stm32_port_is_dfu(ctx->opts->port) && stm32_rom_info(ctx->target, &rom);
}

static bool write_block_size(const struct cli_context *ctx, uint32_t *block)
{
	uint32_t unit = ctx->target->desc.device->program_unit ? ctx->target->desc.device->program_unit : 4;
	uint32_t size = frames_apply(ctx) ? (ctx->opts->frame_tx - 2u) & ~3u : ctx->target->desc.max_write;
	if (size > ctx->target->desc.max_write)
		size = ctx->target->desc.max_write;
	size -= size % unit;
	if (size < 4 || size < unit) {
		cli_error("-F TX %u leaves no room for one %u-byte program unit of this chip",
			  ctx->opts->frame_tx, unit);
		return false;
	}
	*block = size;
	return true;
}

/* -S addr[:len] or -s page [-e count] as a memory range. */
static void note_plan(struct cli_context *ctx, const struct stm32_plan *plan)
{
	struct cli_plan_summary *s = ctx->summary;
	if (!s)
		return;
	memset(s, 0, sizeof *s);
	s->known = true;
	s->dry_run = ctx->opts->dry_run;
	s->erase_kind = plan->erase_kind;
	s->erase_units = plan->sector_count;
	s->write_bytes = plan->write_bytes - plan->blank_bytes;
	s->blank_bytes = plan->blank_bytes;
	s->verify = plan->verify;
	s->verify_method = plan->verify_method;
	s->diff = plan->diff;
	s->preserve = plan->preserve;
	s->blank_check = plan->blank_check;
	if (plan->range_count > 0 && plan->action != STM32_PLAN_WRITE) {
		s->address = plan->ranges[0].address;
		s->length = plan->ranges[0].length;
	}
}

static bool requested_range(const struct cli_context *ctx, struct stm32_plan_options *po)
{
	const struct cli_options *o = ctx->opts;
	if (o->has_start_address) {
		po->has_range = true;
		po->range_address = o->start_address;
		po->range_length = o->has_length ? o->length : 0;
		return true;
	}
	if (o->has_start_page || (o->has_erase_count && o->erase_count > 0)) {
		unsigned count = o->has_erase_count ? o->erase_count : 0;
		if (!page_span(ctx->target->desc.device, o->has_start_page ? o->start_page : 0, count,
			       &po->range_address, &po->range_length))
			return false;
		po->has_range = true;
		if (!o->has_erase_count)
			po->range_length = 0;
	}
	return true;
}

static bool plan_failed(const char *what, const struct stm32_error *err)
{
	cli_report_failure(CLI_STAGE_PLAN, what, err);
	return false;
}

static bool refuse_if_protected(const struct cli_context *ctx, const char *what)
{
	if (!ctx->target->chip.read_protected)
		return true;
	cli_error("the chip is read-protected: %s through the %s is refused", what,
		  ctx->target->desc.name);
	cli_hint("the chip is read-protected: -k removes protection (and erases the flash)");
	return false;
}

/* A raw binary has no addresses: it goes to -S, to page -s, or to flash. */
static bool place_binary(struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	const struct stm32_device *dev = ctx->target->desc.device;
	uint32_t base = dev->flash_start;
	if (o->has_start_address) {
		base = o->start_address;
	} else if (o->has_start_page) {
		uint32_t length;
		if (!page_span(dev, o->start_page, 0, &base, &length))
			return false;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	if (base != 0 && stm32_image_relocate(ctx->input, base, &err) != STM32_OK)
		return plan_failed("write", &err);
	return true;
}

/* Does the file give option bytes? Then the lock checks and --dry-run
 * compare with what the chip holds now, if it can be read. */
static bool image_has_option_bytes(const struct stm32_image *image, const struct stm32_device *dev)
{
	for (size_t i = 0; dev->opt_size && i < image->count; i++) {
		uint64_t start = image->segments[i].address;
		uint64_t end = start + image->segments[i].length;
		if (start < (uint64_t)dev->opt_start + dev->opt_size && end > dev->opt_start)
			return true;
	}
	return false;
}

static uint8_t *read_current_option_bytes(struct cli_context *ctx)
{
	const struct stm32_device *dev = ctx->target->desc.device;
	if (!image_has_option_bytes(ctx->input, dev) ||
	    !stm32_target_can(&ctx->target->desc, STM32_CAP_READ))
		return NULL;
	uint8_t *bytes = malloc(dev->opt_size);
	struct stm32_error err;
	stm32_error_clear(&err);
	if (bytes && stm32_flash_read(ctx->target, dev->opt_start, dev->opt_size, bytes, NULL,
				      &err) == STM32_OK)
		return bytes;
	cli_warning("could not read the chip's option bytes; comparing with the factory values");
	free(bytes);
	return NULL;
}

static bool plan_write_failed(const struct stm32_error *err)
{
	cli_report_failure(CLI_STAGE_PLAN, "write", err);
	if (err->reason == STM32_REASON_PERMANENT_LOCK)
		cli_hint("if you really mean it, add --allow-permanent-lock (there is no way back)");
	return false;
}

/* The engine's options for an action whose progress goes to bridge. */
static struct stm32_flash_options flash_options(const struct cli_context *ctx,
						struct progress_bridge *bridge)
{
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	options.progress = on_progress;
	options.progress_user = bridge;
	options.retries = ctx->opts->retries;
	return options;
}

/* The action planned again for the stub's descriptor (stub_choice.h). */
struct stub_replan {
	const struct cli_context *ctx;
	const struct stm32_plan_options *po;
	enum stm32_status (*range)(const struct stm32_target_desc *target,
				   const struct stm32_plan_options *opts, struct stm32_plan *plan,
				   struct stm32_error *err);
};

static enum stm32_status replan_write(const struct stm32_target_desc *desc, void *user,
				      struct stm32_plan *plan)
{
	const struct stub_replan *r = user;
	struct stm32_plan_options opts = *r->po;
	opts.block_size = desc->max_write; /* frames of its own: -F is the ROM's */
	return stm32_plan_write(desc, r->ctx->input, &opts, plan, NULL);
}

static enum stm32_status replan_range(const struct stm32_target_desc *desc, void *user,
				      struct stm32_plan *plan)
{
	const struct stub_replan *r = user;
	return r->range(desc, r->po, plan, NULL);
}

/* The stub pays: load it (board.c); it prints its own errors. */
static bool switch_to_stub(struct cli_context *ctx)
{
	return ctx->use_stub && ctx->use_stub(ctx);
}

static bool run_write(struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	if (!refuse_if_protected(ctx, "writing"))
		return false;
	if (ctx->input_format == STM32_FORMAT_BINARY && !place_binary(ctx))
		return false;

	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	po.erase = o->has_erase_count && o->erase_count == 0 ? STM32_ERASE_NO : STM32_ERASE_TOUCHED;
	po.verify = o->verify;
	po.verify_method = o->verify_method;
	po.diff = o->diff;
	po.preserve = o->preserve;
	po.skip_blank_erase = !o->no_blank_check;
	po.allow_permanent_lock = o->allow_permanent_lock;
	if (!write_block_size(ctx, &po.block_size) || !requested_range(ctx, &po))
		return false;
	uint8_t *current_options = read_current_option_bytes(ctx);
	po.current_option_bytes = current_options;

	struct stm32_error err;
	stm32_error_clear(&err);
	struct stm32_plan plan;
	memset(&plan, 0, sizeof plan);
	enum stm32_status planned = stm32_plan_write(&ctx->target->desc, ctx->input, &po, &plan, &err);
	/* The stub's estimate plans the same input again: with the option
	 * bytes read, so before they are freed. */
	struct cli_stub_choice stub = {0};
	if (planned == STM32_OK)
		cli_stub_consider(ctx, stm32_plan_estimate_ms(&plan), true, replan_write,
				  &(struct stub_replan){ctx, &po, NULL}, &stub);
	if (stub.use) {
		stm32_plan_free(&plan);
		if (!switch_to_stub(ctx) || !write_block_size(ctx, &po.block_size)) {
			free(current_options);
			return false;
		}
		planned = stm32_plan_write(&ctx->target->desc, ctx->input, &po, &plan, &err);
	}
	const char *stub_note = o->dry_run && stub.note[0] ? stub.note : NULL;
	free(current_options);
	po.current_option_bytes = NULL;
	if (planned != STM32_OK)
		return plan_write_failed(&err);
	note_plan(ctx, &plan);
	if (!cli_refuse_write_protected(ctx, &plan)) {
		stm32_plan_free(&plan);
		return false;
	}

	bool ok = true;
	if (o->dry_run) {
		cli_show_plan_and(&plan, stub_note);
	} else {
		if (plan.option_risk != STM32_OPTION_SAFE)
			cli_warning("the option bytes set %s, as --allow-permanent-lock permits",
				    stm32_option_risk_name(plan.option_risk));
		struct progress_bridge bridge;
		bridge_init(&bridge, ctx->target->desc.device);
		struct timespec started;
		cli_clock_now(&started);
		struct stm32_flash_report report;
		struct stm32_flash_options options = flash_options(ctx, &bridge);
		ok = stm32_flash_execute(ctx->target, &plan, &options, &report, &err) == STM32_OK;
		/* The stub may still have frames and erases in flight (board.c). */
		ok = ok && stm32_stub_finish(ctx->target, &err) == STM32_OK;
		bridge_finish(&bridge);
		struct stm32_stub_info stub;
		if (ok && stm32_stub_info(ctx->target, &stub) && stub.frames)
			cli_detail("RAM stub: %u of %u frames LZ4-compressed, %llu bytes sent for %llu",
				   stub.compressed_frames, stub.frames,
				   (unsigned long long)stub.sent_bytes,
				   (unsigned long long)stub.data_bytes);
		if (!ok)
			report_action_failure("write", &err);
		else
			cli_print_write_done(&plan, &report, &started, ctx->target->desc.device);
		if (ok && plan.writes_option_bytes) {
			cli_info("The chip reset itself to load the new option bytes.");
			ctx->chip_reset_itself = true;
		}
	}
	stm32_plan_free(&plan);
	return ok;
}

static bool run_erase(struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	if (o->has_erase_count && o->erase_count == 0) {
		cli_info("Nothing to erase (-e 0).");
		return true;
	}
	if (!refuse_if_protected(ctx, "erasing"))
		return false;
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	if (o->has_start_address) {
		po.has_range = true;
		po.range_address = o->start_address;
		po.range_length = o->has_length ? o->length : 0;
	} else if (o->has_start_page || o->has_erase_count) {
		po.has_pages = true;
		po.first_page = o->has_start_page ? o->start_page : 0;
		po.page_count = o->has_erase_count ? o->erase_count : 0;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	struct stm32_plan plan;
	memset(&plan, 0, sizeof plan);
	bool planned = stm32_plan_erase(&ctx->target->desc, &po, &plan, &err) == STM32_OK;
	struct cli_stub_choice stub = {0};
	if (planned)
		cli_stub_consider(ctx, stm32_plan_estimate_ms(&plan), false, replan_range,
				  &(struct stub_replan){ctx, &po, stm32_plan_erase}, &stub);
	if (planned && stub.use) {
		stm32_plan_free(&plan);
		if (!switch_to_stub(ctx))
			return false;
		planned = stm32_plan_erase(&ctx->target->desc, &po, &plan, &err) == STM32_OK;
	}
	if (planned)
		note_plan(ctx, &plan);
	if (!planned)
		return plan_failed("erase", &err);
	if (!cli_refuse_write_protected(ctx, &plan)) {
		stm32_plan_free(&plan);
		return false;
	}

	bool ok = true;
	if (o->dry_run) {
		cli_show_plan_and(&plan, stub.note[0] ? stub.note : NULL);
	} else {
		struct progress_bridge bridge;
		bridge_init(&bridge, ctx->target->desc.device);
		struct timespec started;
		cli_clock_now(&started);
		struct stm32_flash_options options = flash_options(ctx, &bridge);
		ok = stm32_flash_execute(ctx->target, &plan, &options, NULL, &err) == STM32_OK;
		ok = ok && stm32_stub_finish(ctx->target, &err) == STM32_OK;
		bridge_finish(&bridge);
		if (!ok) {
			report_action_failure("erase", &err);
		} else if (plan.erase_kind == STM32_ERASE_KIND_MASS) {
			cli_info("Erased the whole flash (mass erase) in %.1f s", cli_seconds_since(&started));
		} else {
			uint64_t bytes = 0;
			for (size_t i = 0; i < plan.sector_count; i++)
				bytes += plan.sectors[i].size;
			cli_info("Erased %zu %s (%llu bytes) in %.1f s", plan.sector_count,
				 cli_erase_unit_name(ctx->target->desc.device), (unsigned long long)bytes,
				 cli_seconds_since(&started));
		}
	}
	stm32_plan_free(&plan);
	return ok;
}

/* Reads in pieces no larger than -F RX, under one progress bar. */
static bool read_range(struct cli_context *ctx, uint32_t address, uint32_t length,
		       uint8_t *buffer, struct stm32_error *err)
{
	struct progress_bridge bridge;
	bridge_init(&bridge, ctx->target->desc.device);
	bridge.fixed_total = true;
	cli_progress_begin(&bridge.bar, "read", "bytes", length);
	bridge.active = true;
	uint32_t largest = ctx->target->desc.max_read;
	uint32_t piece = frames_apply(ctx) && ctx->opts->frame_rx < largest ? ctx->opts->frame_rx : length;
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	options.progress = on_progress;
	options.progress_user = &bridge;
	bool ok = true;
	for (uint32_t done = 0; ok && done < length; done += piece) {
		uint32_t n = length - done < piece ? length - done : piece;
		bridge.offset = done;
		ok = stm32_flash_read(ctx->target, address + done, n, buffer + done, &options, err) ==
		     STM32_OK;
	}
	bridge_finish(&bridge);
	return ok;
}

/* -r checks what it read where that is cheap (one Get Checksum), or
 * always when -v / --verify=HOW asks; --verify=none never. */
static bool read_check_wanted(const struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	if (o->verify_given)
		return o->verify;
	return stm32_target_can(&ctx->target->desc, STM32_CAP_CRC);
}

static bool check_read(struct cli_context *ctx, uint32_t address, uint32_t length,
		       uint8_t *buffer, struct stm32_read_check_report *report,
		       struct stm32_error *err)
{
	memset(report, 0, sizeof *report);
	if (!read_check_wanted(ctx))
		return true;
	struct progress_bridge bridge;
	bridge_init(&bridge, ctx->target->desc.device);
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	options.progress = on_progress;
	options.progress_user = &bridge;
	bool ok = stm32_flash_check_read(ctx->target, address, length, buffer,
					 ctx->opts->verify_method, &options, report, err) == STM32_OK;
	bridge_finish(&bridge);
	return ok;
}

typedef enum stm32_status (*range_planner)(const struct stm32_target_desc *target,
					   const struct stm32_plan_options *opts,
					   struct stm32_plan *plan, struct stm32_error *err);

/* -r and -C: the range from -S (or the whole flash), planned the same way.
 * On false the failure has been reported. */
static bool plan_range(struct cli_context *ctx, range_planner planner, const char *what,
		       struct stm32_plan *plan, struct cli_stub_choice *stub)
{
	memset(plan, 0, sizeof *plan);
	if (!refuse_if_protected(ctx, "reading"))
		return false;
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	if (!requested_range(ctx, &po))
		return false;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (planner(&ctx->target->desc, &po, plan, &err) != STM32_OK)
		return plan_failed(what, &err);
	cli_stub_consider(ctx, stm32_plan_estimate_ms(plan), false, replan_range,
			  &(struct stub_replan){ctx, &po, planner}, stub);
	if (stub->use) {
		stm32_plan_free(plan);
		if (!switch_to_stub(ctx))
			return false;
		if (planner(&ctx->target->desc, &po, plan, &err) != STM32_OK)
			return plan_failed(what, &err);
	}
	note_plan(ctx, plan);
	return true;
}

static bool run_read(struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	struct stm32_plan plan;
	struct cli_stub_choice stub;
	if (!plan_range(ctx, stm32_plan_read, "read", &plan, &stub))
		return false;
	struct stm32_error err;
	stm32_error_clear(&err);
	uint32_t address = plan.ranges[0].address, length = plan.ranges[0].length;
	bool ok = true;
	if (o->dry_run) {
		cli_show_plan_and(&plan, stub.note[0] ? stub.note : NULL);
	} else {
		struct stm32_image image;
		stm32_image_init(&image);
		struct timespec started;
		cli_clock_now(&started);
		struct stm32_read_check_report check;
		uint8_t *buffer = malloc(length ? length : 1);
		if (!buffer) {
			stm32_error_set(&err, STM32_E_NOMEM, "out of memory for %u bytes", length);
			ok = false;
		}
		ok = ok && read_range(ctx, address, length, buffer, &err) &&
		     check_read(ctx, address, length, buffer, &check, &err) &&
		     stm32_image_add(&image, address, buffer, length, &err) == STM32_OK;
		free(buffer);
		if (!ok) {
			report_action_failure("read", &err);
		} else if (stm32_format_save_family(o->file, o->format, &image,
						    ctx->target->desc.device->uf2_family,
						    &err) != STM32_OK) {
			cli_report_failure(CLI_STAGE_SAVE, o->file, &err);
			ok = false;
		} else {
			char what[64];
			snprintf(what, sizeof what, "Read 0x%08X..0x%08X:", address,
				 (uint32_t)(address + length - 1u));
			cli_print_done(what, length, &started);
			cli_print_read_check(&check);
		}
		stm32_image_free(&image);
	}
	stm32_plan_free(&plan);
	return ok;
}

static bool run_crc(struct cli_context *ctx)
{
	struct stm32_plan plan;
	struct cli_stub_choice stub;
	if (!plan_range(ctx, stm32_plan_checksum, "CRC", &plan, &stub))
		return false;
	struct stm32_error err;
	stm32_error_clear(&err);
	uint32_t address = plan.ranges[0].address, length = plan.ranges[0].length;
	bool ok = true;
	if (ctx->opts->dry_run) {
		cli_show_plan_and(&plan, stub.note[0] ? stub.note : NULL);
	} else {
		struct progress_bridge bridge;
		bridge_init(&bridge, ctx->target->desc.device);
		uint32_t crc = 0;
		bool on_device = false;
		struct stm32_flash_options options;
		stm32_flash_options_default(&options);
		options.progress = on_progress;
		options.progress_user = &bridge;
		ok = stm32_flash_checksum(ctx->target, address, length, &crc, &on_device, &options,
					  &err) == STM32_OK;
		bridge_finish(&bridge);
		if (!ok)
			report_action_failure("CRC", &err);
		else
			printf("CRC(0x%08X-0x%08X) = 0x%08X%s\n", address, (uint32_t)(address + length),
			       crc, cli_output_verbosity() >= CLI_VERBOSE
					    ? (on_device ? " (computed by the chip)" : " (computed from a read-back)")
					    : "");
	}
	stm32_plan_free(&plan);
	return ok;
}

typedef enum stm32_status (*protection_command)(struct stm32_target *t, struct stm32_error *err);

static bool run_protection(struct cli_context *ctx, protection_command command, enum stm32_op op,
			   const char *what, const char *consequence)
{
	if (ctx->opts->dry_run) {
		int opcode = stm32_rom_command_for(ctx->target, op);
		if (opcode >= 0)
			cli_info("Plan: %s (bootloader command 0x%02X); %s.", what, (unsigned)opcode,
				 consequence);
		else
			cli_info("Plan: %s; %s.", what, consequence);
		return true;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	cli_info("%s...", what);
	if (command(ctx->target, &err) != STM32_OK) {
		report_action_failure(what, &err);
		return false;
	}
	ctx->chip_reset_itself = true;
	cli_info("Done: %s.", consequence);
	return true;
}

/* A back end that takes only a whole image (a drive): -w hands it the
 * loaded image, nothing else goes through it. */
static bool run_whole_image(struct cli_context *ctx)
{
	const struct cli_options *o = ctx->opts;
	if (o->action == CLI_ACTION_NONE)
		return true;
	if (o->action != CLI_ACTION_WRITE) {
		cli_error("%s is not possible through %s: it only takes a whole image (-w)",
			  cli_action_name(o->action), ctx->target->desc.name);
		return false;
	}
	if (ctx->input_format == STM32_FORMAT_BINARY && !place_binary(ctx))
		return false;
	uint32_t low = 0;
	uint64_t high = 0;
	stm32_image_bounds(ctx->input, &low, &high);
	uint64_t bytes = stm32_image_size(ctx->input);
	if (o->dry_run) {
		cli_info("Would copy %llu bytes (0x%08X-0x%08llX) to the drive as one file%s.",
			 (unsigned long long)bytes, low, (unsigned long long)(high - 1),
			 o->verify ? ", then verify through the board's ST-LINK if it is on USB" : "");
		return true;
	}
	struct cli_drive_pairing pairing;
	if (o->verify)
		cli_drive_pair(ctx, &pairing);
	cli_info("Copying %llu bytes (0x%08X-0x%08llX) to the drive, then waiting for it...",
		 (unsigned long long)bytes, low, (unsigned long long)(high - 1));
	struct timespec started;
	cli_clock_now(&started);
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_target_write_image(ctx->target, ctx->input, &err) != STM32_OK) {
		report_action_failure("write", &err);
		return false;
	}
	ctx->chip_reset_itself = true;
	cli_print_done(o->verify ? "Copied (the drive took the file)"
				: "Copied (the drive took the file; not verified)", bytes, &started);
	return !o->verify || cli_drive_verify(ctx, &pairing) != CLI_DRIVE_MISMATCH;
}

bool cli_run_action(struct cli_context *ctx)
{
	if (stm32_target_can(&ctx->target->desc, STM32_CAP_WRITE_IMAGE) &&
	    !stm32_target_can(&ctx->target->desc, STM32_CAP_WRITE))
		return run_whole_image(ctx);
	switch (ctx->opts->action) {
	case CLI_ACTION_NONE: return true;
	case CLI_ACTION_WRITE: return run_write(ctx);
	case CLI_ACTION_ERASE: return run_erase(ctx);
	case CLI_ACTION_READ: return run_read(ctx);
	case CLI_ACTION_CRC: return run_crc(ctx);
	case CLI_ACTION_OPTION_BYTES: return cli_run_option_bytes(ctx);
	case CLI_ACTION_SET_OPTION: return cli_run_set_option(ctx);
	case CLI_ACTION_WRITE_PROTECT: return cli_run_write_protect(ctx);
	case CLI_ACTION_WRITE_UNPROTECT:
		return run_protection(ctx, stm32_target_write_unprotect, STM32_OP_WRITE_UNPROTECT,
				      "Write-unprotecting the flash", "the chip resets itself");
	case CLI_ACTION_READ_PROTECT:
		return run_protection(ctx, stm32_target_readout_protect, STM32_OP_READOUT_PROTECT,
				      "Read-protecting the flash", "the chip resets itself");
	case CLI_ACTION_READ_UNPROTECT:
		return run_protection(ctx, stm32_target_readout_unprotect, STM32_OP_READOUT_UNPROTECT,
				      "Read-unprotecting the flash",
				      "the flash is erased and the chip resets itself");
	}
	return false;
}

bool cli_run_go(struct cli_context *ctx)
{
	uint32_t address = ctx->opts->go_address ? ctx->opts->go_address
						 : ctx->target->desc.device->flash_start;
	if (ctx->opts->dry_run) {
		cli_info("Would start the program at 0x%08X (-g).", address);
		return true;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	if (ctx->chip_reset_itself && stm32_target_reconnect(ctx->target, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_CONNECT, "the port after the chip's reset", &err);
		return false;
	}
	if (stm32_target_go(ctx->target, address, &err) != STM32_OK) {
		char where[16];
		snprintf(where, sizeof where, "0x%08X", address);
		cli_report_failure(CLI_STAGE_GO, where, &err);
		return false;
	}
	cli_info("Started the program at 0x%08X.", address);
	return true;
}

bool cli_run_software_reset(struct cli_context *ctx)
{
	if (ctx->opts->dry_run) {
		cli_info("Would reset the chip (-R).");
		return true;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_target_reset(ctx->target, &err) != STM32_OK) {
		cli_report_failure(CLI_STAGE_RESET, ctx->opts->port, &err);
		return false;
	}
	cli_info("Reset the chip.");
	return true;
}
