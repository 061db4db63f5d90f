/* Stats counters and their JSON form. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/stats.h"

bool sim_stats_init(struct sim_stats *stats, size_t sector_count)
{
	memset(stats, 0, sizeof(*stats));
	stats->erased_pages = calloc(sector_count ? sector_count : 1, sizeof(uint32_t));
	stats->sector_count = sector_count;
	return stats->erased_pages != NULL;
}

void sim_stats_free(struct sim_stats *stats)
{
	free(stats->erased_pages);
	memset(stats, 0, sizeof(*stats));
}

static void write_commands(FILE *out, const struct sim_stats *stats)
{
	const char *separator = "";
	fputs("  \"commands\": {", out);
	for (unsigned op = 0; op < 256; op++) {
		if (!stats->commands[op])
			continue;
		fprintf(out, "%s\"0x%02x\": %" PRIu64, separator, op, stats->commands[op]);
		separator = ", ";
	}
	fputs("},\n", out);
}

static void write_erased_pages(FILE *out, const struct sim_stats *stats)
{
	const char *separator = "";
	fputs("  \"erased_pages\": {", out);
	for (size_t i = 0; i < stats->sector_count; i++) {
		if (!stats->erased_pages[i])
			continue;
		fprintf(out, "%s\"%zu\": %" PRIu32, separator, i, stats->erased_pages[i]);
		separator = ", ";
	}
	fputs("},\n", out);
}

static void write_core(FILE *out, const struct sim_core_counts *c)
{
	static const char *const causes[SIM_STATS_RESET_CAUSES] = {"sysresetreq", "iwdg",
								    "obl_launch"};
	fprintf(out, "  \"core\": {\"instructions\": %" PRIu64 ", \"faults\": %" PRIu64
		", \"lockups\": %" PRIu64 ", \"unmodelled_accesses\": %" PRIu64 ",\n", c->instructions,
		c->faults, c->lockups, c->unmodelled_accesses);
	fprintf(out, "           \"spin_skips\": %" PRIu64 ", \"spin_skipped_instructions\": %" PRIu64
		", \"spin_idle_stops\": %" PRIu64 ", \"behind_wall_ms_max\": %" PRIu64 ".%03" PRIu64 ",\n",
		c->spin_skips, c->spin_skipped_instructions, c->spin_idle_stops, c->behind_wall_us_max / 1000u,
		c->behind_wall_us_max % 1000u);
	fprintf(out, "           \"usart_tx_bytes\": %" PRIu64 ", \"usart_rx_bytes\": %" PRIu64
		", \"usart_rx_overruns\": %" PRIu64 ", \"usart_garbled\": %" PRIu64
		", \"usart_rx_errors\": %" PRIu64 ",\n",
		c->usart_tx_bytes, c->usart_rx_bytes, c->usart_rx_overruns, c->usart_garbled,
		c->usart_rx_errors);
	if (c->usart_wired)
		fprintf(out, "           \"usart_wired\": \"USART%u\",\n", c->usart_wired);
	else
		fputs("           \"usart_wired\": null,\n", out);
	fputs("           \"usarts\": {", out);
	for (unsigned u = 1, n = 0; u < SIM_STATS_USARTS; u++)
		if (c->usart_listed[u])
			fprintf(out, "%s\"USART%u\": {\"tx\": %" PRIu64 ", \"rx\": %" PRIu64 "}",
				n++ ? ", " : "", u, c->usart_tx[u], c->usart_rx[u]);
	fprintf(out, "},\n           \"iwdg_refreshes\": %" PRIu64 ",\n           \"resets\": {",
		c->iwdg_refreshes);
	for (size_t i = 0; i < SIM_STATS_RESET_CAUSES; i++)
		fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", causes[i], c->resets[i]);
	fputs("},\n           \"peripherals\": {", out);
	for (size_t i = 0; i < c->block_count; i++)
		fprintf(out, "%s\"%s\": {\"reads\": %" PRIu64 ", \"writes\": %" PRIu64 "}",
			i ? ", " : "", c->blocks[i].name, c->blocks[i].reads, c->blocks[i].writes);
	fputs("},\n           \"last_fault\": ", out);
	if (c->fault_what)
		fprintf(out, "{\"pc\": \"0x%08" PRIX32 "\", \"address\": \"0x%08" PRIX32
			"\", \"what\": \"%s\"}", c->fault_pc, c->fault_address, c->fault_what);
	else
		fputs("null", out);
	fputs("},\n", out);
}

void sim_stats_write_json(FILE *out, const struct sim_stats *stats,
			  const struct sim_stats_context *context)
{
	const struct sim_fault_counts *f = &stats->faults;
	fprintf(out, "{\n  \"device\": \"%s\",\n", context->device);
	fprintf(out, "  \"interface\": \"%s\",\n",
		context->interface ? context->interface : "uart");
	write_commands(out, stats);
	fprintf(out, "  \"nacks\": %" PRIu64 ",\n", stats->nacks);
	fprintf(out, "  \"bytes_in\": %" PRIu64 ", \"bytes_out\": %" PRIu64 ",\n",
		stats->bytes_in, stats->bytes_out);
	fprintf(out, "  \"page_erases\": %" PRIu64 ",\n", stats->page_erases);
	write_erased_pages(out, stats);
	fprintf(out, "  \"mass_erases\": %" PRIu64 ", \"bank_erases\": %" PRIu64 ",\n",
		stats->mass_erases, stats->bank_erases);
	fprintf(out, "  \"program_operations\": %" PRIu64 ", \"bytes_programmed\": %" PRIu64 ",\n",
		stats->program_operations, stats->bytes_programmed);
	fprintf(out, "  \"resets\": %" PRIu64 ", \"boots_bootloader\": %" PRIu64
		", \"boots_application\": %" PRIu64 ",\n",
		stats->resets, stats->boots_bootloader, stats->boots_application);
	fprintf(out, "  \"boots_sram\": %" PRIu64 ", \"last_boot\": \"%s\",\n", stats->boots_sram,
		stats->last_boot ? stats->last_boot : "none");
	fprintf(out, "  \"bytes_lost_busy\": %" PRIu64 ",\n", stats->bytes_lost_busy);
	fprintf(out, "  \"output_dropped\": %" PRIu64 ",\n", stats->output_dropped);
	if (context->interface && strcmp(context->interface, "uart") != 0)
		fprintf(out, "  \"bus_transactions\": %" PRIu64 ", \"bus_bytes\": %" PRIu64
			", \"bus_wire_us\": %" PRIu64 ",\n",
			stats->bus_transactions, stats->bus_bytes, stats->bus_wire_ns / 1000u);
	if (stats->core.present)
		write_core(out, &stats->core);
	fprintf(out, "  \"rdp_level\": %d,\n", context->rdp_level);
	fprintf(out, "  \"state\": \"%s\",\n", context->state);
	if (context->write_extra)
		context->write_extra(out, context->extra);
	fprintf(out, "  \"faults\": {\"corrupt_in\": %" PRIu64 ", \"corrupt_out\": %" PRIu64
		", \"drop_in\": %" PRIu64 ", \"drop_out\": %" PRIu64 ",\n"
		"             \"nack\": %" PRIu64 ", \"stall\": %" PRIu64 ", \"reset\": %" PRIu64
		", \"hangup\": %" PRIu64 "}\n}\n",
		f->corrupt_in, f->corrupt_out, f->drop_in, f->drop_out, f->nack, f->stall,
		f->reset, f->hangup);
}

bool sim_stats_save(const char *path, const struct sim_stats *stats,
		    const struct sim_stats_context *context)
{
	size_t length = strlen(path) + 32;
	char *temp = malloc(length);
	if (!temp)
		return false;
	snprintf(temp, length, "%s.tmp.%ld", path, (long)getpid());
	FILE *out = fopen(temp, "w");
	if (!out) {
		free(temp);
		return false;
	}
	sim_stats_write_json(out, stats, context);
	bool ok = fflush(out) == 0 && !ferror(out);
	ok = (fclose(out) == 0) && ok;
	if (ok)
		ok = rename(temp, path) == 0;
	if (!ok) {
		int saved = errno;
		unlink(temp);
		errno = saved;
	}
	free(temp);
	return ok;
}
