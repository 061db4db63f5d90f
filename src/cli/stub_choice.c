/* The stub-or-ROM choice (stub_choice.h). The estimate is the planner's
 * for the stub's descriptor (its cost model has no overlap and no LZ4, so
 * it errs towards the ROM) plus loading the image in Write Memory blocks. */
#include "stub_choice.h"

#include <stdio.h>
#include <string.h>

#include "stm32boot/rom.h"
#include "stm32boot/stub.h"

/* The image in 256-byte Write Memory blocks (12 bytes of command, address
 * and acks each, three round trips), Go, and the two HELLO exchanges. */
static uint64_t load_ms(size_t image, unsigned baud)
{
	uint64_t blocks = (image + 255) / 256;
	uint64_t bytes = image + blocks * 12u + 9u + 2u * 45u;
	return bytes * 11u * 1000u / baud + blocks * 3u;
}

static bool input_in_flash(const struct cli_context *ctx, const struct stm32_device *dev)
{
	for (size_t i = 0; i < ctx->input->count; i++)
		if (!stm32_device_in_flash(dev, ctx->input->segments[i].address,
					   ctx->input->segments[i].length))
			return false;
	return true;
}

static const char *reason(const struct cli_context *ctx, const struct cli_stub_choice *c,
			  bool reset_needs_rom)
{
	if (ctx->opts->stub == CLI_STUB_DEFAULT && reset_needs_rom)
		return "the ROM is used: -R on this chip needs the ROM's reset";
	switch (ctx->opts->stub) {
	case CLI_STUB_ON:
		return "--stub was given (not loaded in a dry run)";
	case CLI_STUB_OFF:
		return "--no-stub keeps the ROM";
	default:
		return c->use ? "the stub is used: it pays for loading it (--no-stub keeps the ROM)"
			      : "the ROM is used: loading the stub does not pay here (--stub forces it)";
	}
}

void cli_stub_consider(const struct cli_context *ctx, uint64_t rom_ms, bool writes,
		       cli_stub_planner planner, void *user, struct cli_stub_choice *out)
{
	memset(out, 0, sizeof(*out));
	const struct stm32_device *dev = ctx->target->desc.device;
	unsigned baud = ctx->target->desc.cost.bits_per_second;
	struct stm32_rom_info rom;
	if (!dev || !baud || !stm32_rom_info(ctx->target, &rom) ||
	    ctx->transport->kind != STM32_LINK_UART)
		return;
	char why[200];
	if (!stm32_stub_supported(dev, why, sizeof why)) {
		/* --dry-run says why the ROM it plans with is all there is */
		if (ctx->opts->stub != CLI_STUB_OFF)
			snprintf(out->note, sizeof out->note, "  --stub: not possible: %s", why);
		return;
	}
	/* The stub writes flash only (board.c keeps the ROM for the rest). */
	if (writes && !input_in_flash(ctx, dev))
		return;
	/* Its reset cannot start a program on these (stub_target.c): -R needs the ROM. */
	bool reset_needs_rom = ctx->opts->reset && stm32_device_latches_empty_check(dev);
	/* At the rate it would switch to (a port that cannot change its rate
	 * keeps the ROM's, 8E1). */
	unsigned wanted = !ctx->opts->has_stub_baud ? 0
			  : ctx->opts->stub_baud ? ctx->opts->stub_baud : STM32_STUB_BAUD_KEEP;
	unsigned stub_baud = ctx->transport->ops->reconfigure
				     ? stm32_stub_planned_baud(dev, baud, wanted) : baud;
	struct stm32_target_desc desc;
	stm32_stub_describe_at(dev, stub_baud, stub_baud == baud ? 11u : 10u, &desc);
	struct stm32_plan plan;
	memset(&plan, 0, sizeof plan);
	if (planner(&desc, user, &plan) != STM32_OK)
		return;
	out->possible = true;
	out->load_ms = load_ms(stm32_stub_image_size(dev), baud);
	out->stub_ms = stm32_plan_estimate_ms(&plan) + out->load_ms;
	stm32_plan_free(&plan);
	bool would = ctx->opts->stub == CLI_STUB_DEFAULT && out->stub_ms < rom_ms && !reset_needs_rom;
	out->use = would && !ctx->opts->dry_run;
	struct cli_stub_choice shown = *out;
	shown.use = would;
	snprintf(out->note, sizeof out->note,
		 "  --stub: about %.1f s through the RAM stub %s at %u baud (%.1f s of it loading it), "
		 "against %.1f s over the ROM; %s",
		 (double)out->stub_ms / 1000.0, stm32_stub_image_name(dev), stub_baud,
		 (double)out->load_ms / 1000.0,
		 (double)rom_ms / 1000.0,
		 reason(ctx, &shown, reset_needs_rom));
}
