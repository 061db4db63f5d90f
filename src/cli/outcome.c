/* stm32boot command line: what an action did, in words (the line that
 * ends every successful write, read and copy). */
#include "outcome.h"

#include "chip.h"
#include "progress.h"
#include "report.h"

void cli_print_done(const char *done_what, uint64_t bytes, const struct timespec *started)
{
	double seconds = cli_seconds_since(started);
	char rate[32];
	cli_format_rate(bytes, seconds, rate, sizeof rate);
	cli_info("%s %llu bytes in %.1f s (%s)", done_what, (unsigned long long)bytes, seconds, rate);
}

void cli_print_write_done(const struct stm32_plan *plan,
			  const struct stm32_flash_report *report,
			  const struct timespec *started, const struct stm32_device *dev)
{
	const char *unit = cli_erase_unit_name(dev);
	if (plan->diff)
		cli_info("Unchanged: %zu of %zu %s; %zu written without erase (blank), %zu erased",
			 report->units_unchanged, report->units, unit, report->units_blank,
			 report->units_erased);
	if (plan->blank_check && report->units_blank)
		cli_info("Already blank: %zu of %zu %s, not erased", report->units_blank, report->units,
			 unit);
	if (plan->preserve && report->bytes_kept)
		cli_info("Kept %llu bytes outside the file in the erased %s",
			 (unsigned long long)report->bytes_kept, unit);
	cli_detail("Sent %zu blocks (%llu bytes), skipped %zu", report->blocks_written,
		   (unsigned long long)report->bytes_written, report->blocks_skipped);
	bool nothing_written = plan->diff && report->units > 0 && report->units_unchanged == report->units;
	const char *what = nothing_written ? "Already on the chip, compared"
			   : !plan->verify ? "Wrote"
			   : report->verified_by_crc ? "Wrote and verified (by CRC)"
						     : "Wrote and verified";
	cli_print_done(what, plan->image_bytes, started);
}

void cli_print_read_check(const struct stm32_read_check_report *report)
{
	if (!report->checked)
		return;
	if (report->blocks_reread)
		cli_info("Checked %s; %zu block%s had come back wrong and %s read again",
			 report->by_crc ? "by the chip's checksum" : "by a second read",
			 report->blocks_reread, report->blocks_reread == 1 ? "" : "s",
			 report->blocks_reread == 1 ? "was" : "were");
	else
		cli_info("Checked %s: every byte as read",
			 report->by_crc ? "by the chip's checksum" : "by a second read");
}
