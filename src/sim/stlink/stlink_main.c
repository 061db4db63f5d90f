/* The ST-LINK emulator's main thread (stlink_main.h): chip, image, core,
 * the SWD target and the probe, the umockdev testbed and its --run child
 * (usb/usb_main.c serves it), the stats file. The probe itself runs on
 * umockdev's worker thread, under usbfs's lock. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/stats.h"
#include "chip/image_file.h"
#include "cpu/cpu.h"
#include "stlink/stlink_main.h"
#include "stlink/probe_usb.h"
#include "usb/usb_main.h"
#include "usb/usbfs.h"

struct stlink_emulator {
	const struct sim_stlink_config *config;
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_cpu *cpu;
	struct sim_swd_target target;
	struct sim_stlink stlink;
	struct sim_stlink_usb usb_face;
	struct sim_usbfs *usb;
	struct sim_drive *drive; /* the board's drive beside the probe, or NULL */
	const sigset_t *wait_mask;
	bool saved_ok;
};

static void write_counts(FILE *out, const char *title, const uint64_t *counts)
{
	fprintf(out, "\"%s\": {", title);
	const char *separator = "";
	for (unsigned i = 0; i < 256; i++) {
		if (!counts[i])
			continue;
		fprintf(out, "%s\"0x%02X\": %" PRIu64, separator, i, counts[i]);
		separator = ", ";
	}
	fputs("}", out);
}

/* The "stlink" member of the stats file (docs/sim.md). */
static void write_stlink_stats(FILE *out, const void *extra)
{
	const struct stlink_emulator *em = extra;
	const struct sim_stlink_counts *c = &em->stlink.counts;
	const struct sim_swd_counts *t = &em->target.counts;
	fprintf(out, "  \"stlink\": {\"version\": \"%s\", \"swd_khz\": %u, ",
		sim_stlink_version_name(em->stlink.version), em->stlink.swd_khz);
	write_counts(out, "commands", c->commands);
	fputs(",\n             ", out);
	write_counts(out, "debug_commands", c->debug_commands);
	fprintf(out, ",\n             \"unknown_commands\": %" PRIu64 ", \"memory_read_bytes\": %" PRIu64
		", \"memory_written_bytes\": %" PRIu64 ", \"memory_errors\": %" PRIu64
		", \"waits\": %" PRIu64 ", \"write_waits\": %" PRIu64
		",\n             \"halts\": %" PRIu64 ", \"resumes\": %" PRIu64
		", \"breakpoints\": %" PRIu64 ", \"lockups\": %" PRIu64 ", \"resets\": %" PRIu64
		", \"nrst_pulses\": %" PRIu64 ",\n             \"bus_errors\": %" PRIu64
		", \"rdp_refusals\": %" PRIu64 ", \"usb_transfers\": %" PRIu64
		", \"halted\": %s},\n",
		c->unknown, c->memory_read_bytes, c->memory_written_bytes, c->memory_errors, c->waits,
		c->write_waits, t->halts,
		t->resumes, t->breakpoints, t->lockups, t->resets, t->nrst_pulses, t->memory_faults,
		t->rdp_refusals, em->usb_face.bulk_out, em->target.halted ? "true" : "false");
	if (em->drive)
		sim_drive_write_stats(out, em->drive);
}

static void sync_core_stats(struct stlink_emulator *em)
{
	struct sim_core_counts *c = &em->stats.core;
	const struct sim_cpu_stats *s = sim_cpu_stats(em->cpu);
	c->present = true;
	c->instructions = s->instructions;
	c->faults = s->faults;
	c->unmodelled_accesses = s->unmodelled_accesses;
	c->iwdg_refreshes = s->iwdg_refreshes;
	c->spin_skips = s->spin_skips;
	c->spin_skipped_instructions = s->spin_skipped_instructions;
	c->behind_wall_us_max = em->target.counts.behind_wall_us_max;
	for (unsigned i = 0; i < SIM_STATS_RESET_CAUSES; i++)
		c->resets[i] = s->resets[i + 1];
	c->block_count = s->periph_count < SIM_STATS_BLOCKS ? s->periph_count : SIM_STATS_BLOCKS;
	for (size_t i = 0; i < c->block_count; i++)
		c->blocks[i] = (struct sim_block_count){s->periph[i].name, s->periph[i].reads,
							s->periph[i].writes};
}

static void save(void *ctx, void *user)
{
	struct stlink_emulator *em = user;
	(void)ctx;
	const struct sim_stlink_config *c = em->config;
	char why[320];
	em->saved_ok = true;
	if (c->image_path && !sim_image_save(&em->chip, c->image_path, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		em->saved_ok = false;
	}
	sync_core_stats(em);
	em->stats.resets = em->target.counts.resets;
	const char *state = em->target.nrst_low ? "reset" : em->target.halted ? "halted" :
			    em->target.lockup ? "lockup" : "application";
	struct sim_stats_context context = {em->chip.dev->name, sim_chip_rdp_level(&em->chip), state,
					    "stlink", write_stlink_stats, em};
	if (c->stats_path && !sim_stats_save(c->stats_path, &em->stats, &context)) {
		fprintf(stderr, "stm32boot-sim: %s: %s\n", c->stats_path, strerror(errno));
		em->saved_ok = false;
	}
}

struct chip_job {
	struct stlink_emulator *em;
	void (*work)(struct sim_chip *chip, void *arg);
	void *arg;
};

/* The drive programmed the chip: the core must not run code translated
 * from the old flash, and the ST-LINK resets the target after a copy. */
static void chip_job_locked(void *ctx, void *user)
{
	struct chip_job *job = user;
	struct stlink_emulator *em = job->em;
	(void)ctx;
	job->work(&em->chip, job->arg);
	sim_cpu_memory_changed(em->cpu, em->chip.dev->flash_start, em->chip.dev->flash_size);
	sim_swd_system_reset(&em->target, SIM_RESET_NONE);
}

static void with_chip(void *owner, void (*work)(struct sim_chip *chip, void *arg), void *arg)
{
	struct stlink_emulator *em = owner;
	struct chip_job job = {em, work, arg};
	sim_usbfs_locked(em->usb, 0, chip_job_locked, &job);
}

static void service_drive(void *user)
{
	struct stlink_emulator *em = user;
	sim_drive_service(em->drive, em->wait_mask);
}

static bool set_up(struct stlink_emulator *em)
{
	const struct sim_stlink_config *c = em->config;
	char why[320];
	bool existed;
	if (!sim_chip_init(&em->chip, c->device) ||
	    !sim_stats_init(&em->stats, em->chip.sector_count)) {
		fprintf(stderr, "stm32boot-sim: out of memory\n");
		return false;
	}
	if (c->uid)
		memcpy(em->chip.uid, c->uid, SIM_UID_BYTES);
	if (c->image_path && !sim_image_load(&em->chip, c->image_path, &existed, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	em->cpu = sim_cpu_new(&em->chip, NULL, why, sizeof why);
	if (!em->cpu) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	sim_swd_init(&em->target, &em->chip, em->cpu);
	em->target.realtime = c->realtime;
	sim_swd_power_on(&em->target);
	em->stats.boots_application = 1;
	sim_faults_init(&em->faults, &c->faults, c->seed, &em->stats.faults);
	sim_stlink_init(&em->stlink, c->version, &em->target);
	em->stlink.faults = &em->faults;
	em->stlink.no_target = c->no_target;
	sim_stlink_usb_init(&em->usb_face, &em->stlink, em->chip.uid, &em->faults);
	struct sim_usb_function fn = sim_stlink_usb_function(&em->usb_face);
	em->usb = sim_usbfs_open_functions(&fn, 1, c->realtime, why, sizeof why);
	if (!em->usb) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return false;
	}
	if (c->drive) {
		struct sim_drive_share share = {with_chip, em};
		em->drive = sim_drive_new(c->drive, &em->chip, &em->stats, em->usb_face.serial, &share,
					  why, sizeof why);
		if (!em->drive) {
			fprintf(stderr, "stm32boot-sim: %s\n", why);
			return false;
		}
	}
	return true;
}

int sim_stlink_main(const struct sim_stlink_config *config, const sigset_t *wait_mask,
		    volatile sig_atomic_t *stop)
{
	static struct stlink_emulator em;
	em.config = config;
	int status = 1;
	if (set_up(&em)) {
		em.wait_mask = wait_mask;
		status = sim_usb_serve_ticking(em.usb, config->run_argv, wait_mask, stop,
					       em.drive ? service_drive : NULL, &em);
		sim_usbfs_locked(em.usb, 0, save, &em);
		if (status == SIM_USB_NOT_SERVED || (!em.saved_ok && status == 0))
			status = 1;
	}
	sim_usbfs_close(em.usb);
	sim_drive_free(em.drive);
	sim_cpu_free(em.cpu);
	sim_stats_free(&em.stats);
	sim_chip_free(&em.chip);
	return status;
}
