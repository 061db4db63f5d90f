/* -v after a drive copy (drive_verify.h). The drive is one way in to the
 * board; its ST-LINK over SWD is another, to the same chip. The library
 * says which probe the drive belongs to; this file opens it as a second
 * target, reads back what the image put in flash and compares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive_verify.h"
#include "report.h"
#include "stm32boot/drive.h"
#include "stm32boot/flash.h"
#include "stm32boot/stlink.h"

#define READ_PIECE (64u * 1024u)

static enum cli_drive_verify unverified(const char *why)
{
	cli_warning("cannot verify the drive copy: %s; the copy is not verified", why);
	return CLI_DRIVE_UNVERIFIED;
}

/* The first byte of segment s the chip does not hold; false with err set
 * when reading fails. */
static bool compare_segment(struct stm32_target *probe, const struct stm32_segment *s,
			    uint8_t *buffer, bool *same, uint32_t *at, uint8_t *read,
			    struct stm32_error *err)
{
	struct stm32_flash_options options;
	stm32_flash_options_default(&options);
	*same = true;
	for (uint64_t done = 0; done < s->length; done += READ_PIECE) {
		uint32_t n = s->length - done < READ_PIECE ? (uint32_t)(s->length - done) : READ_PIECE;
		uint32_t address = (uint32_t)(s->address + done);
		if (stm32_flash_read(probe, address, n, buffer, &options, err) != STM32_OK)
			return false;
		for (uint32_t i = 0; i < n; i++)
			if (buffer[i] != s->data[done + i]) {
				*same = false;
				*at = address + i;
				*read = buffer[i];
				return true;
			}
	}
	return true;
}

/* Every segment of image against the chip behind probe. */
static enum cli_drive_verify compare_image(struct stm32_target *probe, const char *serial,
					   const struct stm32_image *image)
{
	uint8_t *buffer = malloc(READ_PIECE);
	if (!buffer) {
		cli_error("out of memory");
		return CLI_DRIVE_MISMATCH;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	enum cli_drive_verify result = CLI_DRIVE_VERIFIED;
	for (size_t i = 0; i < image->count && result == CLI_DRIVE_VERIFIED; i++) {
		const struct stm32_segment *s = &image->segments[i];
		bool same = true;
		uint32_t at = 0;
		uint8_t read = 0;
		if (!compare_segment(probe, s, buffer, &same, &at, &read, &err)) {
			cli_report_failure(CLI_STAGE_ACTION, "verify through the ST-LINK", &err);
			result = CLI_DRIVE_MISMATCH;
		} else if (!same) {
			cli_error("verify through ST-LINK %s (SWD) failed at 0x%08X: expected 0x%02X, "
				  "read 0x%02X (the drive reported success)", serial, at,
				  s->data[at - s->address], read);
			cli_hint("the copy did not land as written: copy again, or write through the "
				 "probe itself (-w FILE stlink:%s)", serial);
			result = CLI_DRIVE_MISMATCH;
		}
	}
	free(buffer);
	return result;
}

void cli_drive_pair(struct cli_context *ctx, struct cli_drive_pairing *pairing)
{
	memset(pairing, 0, sizeof *pairing);
	struct stm32_drive_info info;
	struct stm32_error err;
	stm32_error_clear(&err);
	if (!stm32_drive_target_info(ctx->target, &info))
		snprintf(pairing->why, sizeof pairing->why, "not a drive");
	else if (info.kind != STM32_DRIVE_STLINK)
		snprintf(pairing->why, sizeof pairing->why, "a UF2 drive has no other path to the chip");
	else if (stm32_drive_stlink_serial(&info, pairing->serial, sizeof pairing->serial,
					   &pairing->source, &err) != STM32_OK)
		snprintf(pairing->why, sizeof pairing->why, "%s", err.message);
	else
		pairing->known = true;
}

enum cli_drive_verify cli_drive_verify(struct cli_context *ctx,
				       const struct cli_drive_pairing *pairing)
{
	if (!pairing->known)
		return unverified(pairing->why);
	const char *serial = pairing->serial, *source = pairing->source;
	struct stm32_error err;
	stm32_error_clear(&err);
	char port[96], why[400];
	snprintf(port, sizeof port, "stlink:%s", serial);
	struct stm32_stlink_options options;
	stm32_stlink_options_default(&options);
	options.swd_khz = ctx->opts->swd_khz;
	options.connect_under_reset = ctx->opts->connect_under_reset;
	struct stm32_transport *transport = NULL;
	struct stm32_target *probe = NULL;
	if (stm32_stlink_open_port(port, &options, &transport, &probe, &err) != STM32_OK) {
		snprintf(why, sizeof why, "%s (the drive's ST-LINK, serial from %s)", err.message,
			 source);
		stm32_transport_close(transport);
		return unverified(why);
	}
	cli_detail("Verifying through %s (the drive's ST-LINK, serial from %s)", port, source);
	enum cli_drive_verify result = compare_image(probe, serial, ctx->input);
	if (result == CLI_DRIVE_VERIFIED)
		cli_info("Verified through ST-LINK %s (SWD): %llu bytes as written", serial,
			 (unsigned long long)stm32_image_size(ctx->input));
	stm32_target_close(probe);
	stm32_transport_close(transport);
	return result;
}
