/* stm32boot-sim --interface drive: the folder is the drive. It holds the
 * marker files; a copied file is taken once complete (HEX: its end record;
 * BIN: its size still for a while; UF2: every block of the chip's family),
 * the drive goes away (the folder is renamed aside), the chip is
 * programmed, and the drive comes back without the file (ST-LINK, with
 * FAIL.TXT when something failed; UF2: the bootloader reset, and the drive
 * comes back later as a fresh bootloader drive). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/stats.h"
#include "chip/chip.h"
#include "chip/image_file.h"
#include "drive/drive_files.h"
#include "drive/drive_main.h"

#define POLL_NS 10000000L
#define STILL_POLLS 30       /* a .bin unchanged this many polls is complete */
#define AWAY_MS 300          /* how long the drive stays away */

struct sim_drive {
	const struct sim_drive_config *c;
	struct sim_chip *chip;
	struct sim_stats *stats;
	struct sim_drive_share share; /* with_chip NULL: the chip is ours alone */
	char serial[80];              /* DETAILS.TXT's Unique ID */
	char offline[1100];
	uint64_t random;
	uint64_t files_taken, files_failed, blocks_ignored, bytes_flipped;
	/* the file being watched */
	char name[256];
	off_t size;
	struct timespec mtime;
	unsigned still;
	bool done_with; /* complete but ignored (UF2 without all blocks) */
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The board ID a Nucleo with this chip has (mbed-ls), or 0000. */
static const char *board_id_of(const struct stm32_device *dev)
{
	static const struct { const char *device, *id; } ids[] = {
		{"stm32f103xb", "0700"}, {"stm32f401xe", "0720"}, {"stm32f030x8", "0725"},
		{"stm32g071rb", "0729"}, {"stm32f411xe", "0740"}, {"stm32l476rg", "0765"},
		{"stm32l43x", "0770"}, {"stm32f429zi", "0796"},
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (strcmp(ids[i].device, dev->name) == 0)
			return ids[i].id;
	return "0000";
}

static void write_markers(const struct sim_drive *em, const char *dir)
{
	char text[600];
	if (em->c->kind == SIM_DRIVE_UF2) {
		snprintf(text, sizeof text, "TinyUF2 Bootloader 0.0.0-sim\r\nModel: %s (stm32boot-sim)\r\n"
			 "Board-ID: %s-sim\r\nDate: Jan  1 2024\r\n", em->c->device->description,
			 em->c->device->name);
		write_file(dir, "INFO_UF2.TXT", text);
		write_file(dir, "INDEX.HTM", "<html><body>stm32boot-sim UF2 drive</body></html>\n");
		return;
	}
	/* A real ST-LINK's DETAILS.TXT has no serial (the host finds its probe
	 * by the block device's USB serial); a folder has no USB device behind
	 * it, so the serial is written here, in DAPLink's form. */
	snprintf(text, sizeof text, "Version: 0221\r\nBuild:   Jan  1 2024 00:00:00\r\n"
		 "Unique ID: %s\r\n", em->serial);
	write_file(dir, "DETAILS.TXT", text);
	snprintf(text, sizeof text, "<!-- mbed Microcontroller Website and Authentication Shortcut -->\r\n"
		 "<html><head><meta http-equiv=\"refresh\" content=\"0; "
		 "URL=http://mbed.org/device/?code=%s0221000000000000000000000000\"/></head></html>\r\n",
		 board_id_of(em->c->device));
	write_file(dir, "MBED.HTM", text);
}

static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		char path[1400];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static void sleep_ms(unsigned ms, const sigset_t *mask)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	(void)ppoll(NULL, 0, &t, mask);
}

static bool draw(struct sim_drive *em, double p)
{
	if (p <= 0)
		return false;
	em->random = em->random * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(em->random >> 11) / 9007199254740992.0 < p;
}

struct program_job {
	struct sim_drive *em;
	const struct stm32_image *image;
	bool flip;           /* the fault: one byte programmed inverted */
	char *why;
	size_t why_size;
	uint64_t busy_us;
	bool ok;
};

/* One range into flash; with the copy-flip fault the first range's middle
 * byte goes in inverted. */
static void program_segment(struct program_job *job, struct sim_chip *chip, size_t index)
{
	const struct stm32_segment *s = &job->image->segments[index];
	uint8_t *wrong = NULL;
	const uint8_t *data = s->data;
	if (job->flip && index == 0 && (wrong = malloc(s->length))) {
		memcpy(wrong, s->data, s->length);
		wrong[s->length / 2] ^= 0xFF;
		data = wrong;
		job->em->bytes_flipped++;
	}
	if (sim_flash_program(chip, s->address, data, s->length) != SIM_PROGRAM_OK) {
		snprintf(job->why, job->why_size, "Flash algorithm write command FAILURE");
		job->ok = false;
	}
	free(wrong);
}

/* Erase the touched units, then write (the chip's owner holds its lock). */
static void program_work(struct sim_chip *chip, void *arg)
{
	struct program_job *job = arg;
	struct sim_drive *em = job->em;
	const struct stm32_device *dev = em->c->device;
	const struct stm32_image *image = job->image;
	long last = -1;
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *s = &image->segments[i];
		for (uint64_t a = s->address; a < (uint64_t)s->address + s->length;) {
			long unit = stm32_device_sector_at(dev, (uint32_t)a);
			uint32_t start, size;
			stm32_device_sector(dev, (size_t)unit, &start, &size);
			if (unit != last) {
				sim_flash_erase_sector(chip, (size_t)unit);
				em->stats->page_erases++;
				job->busy_us += 1000ull * stm32_device_erase_ms(dev, size);
				last = unit;
			}
			a = (uint64_t)start + size;
		}
	}
	job->ok = true;
	for (size_t i = 0; i < image->count && job->ok; i++) {
		const struct stm32_segment *s = &image->segments[i];
		program_segment(job, chip, i);
		if (!job->ok)
			return;
		em->stats->program_operations++;
		em->stats->bytes_programmed += s->length;
		job->busy_us += (uint64_t)dev->t_prog_us * (s->length / dev->program_unit + 1);
	}
}

/* Program the image into flash; the time it takes passes outside the
 * chip's lock (the ST-LINK side waits for the lock, not for the time). */
static bool program(struct sim_drive *em, const struct stm32_image *image, char *why,
		    size_t why_size, const sigset_t *mask)
{
	const struct stm32_device *dev = em->c->device;
	for (size_t i = 0; i < image->count; i++)
		if (!stm32_device_in_flash(dev, image->segments[i].address, image->segments[i].length)) {
			snprintf(why, why_size, "The starting address for the file is outside the target's flash (0x%08X).",
				 (unsigned)image->segments[i].address);
			return false;
		}
	struct program_job job = {em, image, draw(em, em->c->copy_flip), why, why_size, 0, false};
	if (em->share.with_chip)
		em->share.with_chip(em->share.owner, program_work, &job);
	else
		program_work(em->chip, &job);
	if (em->c->realtime)
		sleep_ms((unsigned)(job.busy_us / 1000 > 20000 ? 20000 : job.busy_us / 1000), mask);
	return job.ok;
}

static uint8_t *read_all(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	uint8_t *data = NULL;
	if (fstat(fileno(f), &st) == 0 && (data = malloc((size_t)st.st_size + 1)))
		*length = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	return data;
}

/* The drive goes away: the folder renamed aside; it comes back refilled. */
static void go_away(struct sim_drive *em)
{
	rename(em->c->dir, em->offline);
}

static void come_back(struct sim_drive *em, const char *fail, const sigset_t *mask)
{
	empty_dir(em->offline);
	write_markers(em, em->offline);
	if (fail && *fail) {
		char text[400];
		snprintf(text, sizeof text, "%s\r\n", fail);
		write_file(em->offline, "FAIL.TXT", text);
	}
	sleep_ms(AWAY_MS, mask);
	rename(em->offline, em->c->dir);
}

static void take_stlink(struct sim_drive *em, const char *path, bool hex, const sigset_t *mask)
{
	size_t length = 0;
	uint8_t *data = read_all(path, &length);
	char why[300] = "";
	struct stm32_image image;
	stm32_image_init(&image);
	go_away(em);
	if (!data) {
		snprintf(why, sizeof why, "The interface firmware FAILED to read the file");
	} else if (draw(em, em->c->copy_fail)) {
		snprintf(why, sizeof why, "The interface firmware FAILED to reset/halt the target MCU");
	} else if (hex) {
		if (sim_hex_parse(data, length, &image, why, sizeof why))
			program(em, &image, why, sizeof why, mask);
	} else {
		struct stm32_error err;
		/* A .bin always lands at the start of flash. */
		if (length == 0 ||
		    stm32_image_put(&image, em->c->device->flash_start, data, length, &err) != STM32_OK)
			snprintf(why, sizeof why, "The file is empty");
		else
			program(em, &image, why, sizeof why, mask);
	}
	if (why[0])
		em->files_failed++;
	else
		em->files_taken++;
	free(data);
	stm32_image_free(&image);
	come_back(em, why, mask);
}

/* true when the file was taken (the drive reset). */
static bool take_uf2(struct sim_drive *em, const char *path, bool final, const sigset_t *mask)
{
	size_t length = 0;
	uint8_t *data = read_all(path, &length);
	if (!data)
		return false;
	static struct sim_uf2_state state;
	struct stm32_image image;
	stm32_image_init(&image);
	sim_uf2_scan(data, length, em->c->device->uf2_family, &state, &image);
	free(data);
	bool all = state.total && state.distinct == state.total;
	if (!all) {
		if (final)
			em->blocks_ignored += state.ignored;
		stm32_image_free(&image);
		return false;
	}
	em->blocks_ignored += state.ignored;
	go_away(em);
	char why[300] = "";
	bool ok = !draw(em, em->c->copy_fail) && program(em, &image, why, sizeof why, mask);
	stm32_image_free(&image);
	if (ok)
		em->files_taken++;
	else
		em->files_failed++; /* tinyuf2 has no error file: it just resets */
	em->stats->resets++;
	come_back(em, NULL, mask);
	return true;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n > s && strcasecmp(name + n - s, suffix) == 0;
}

/* One look at the folder. */
void sim_drive_service(struct sim_drive *em, const sigset_t *mask)
{
	DIR *d = opendir(em->c->dir);
	if (!d)
		return;
	char found[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		bool wanted = em->c->kind == SIM_DRIVE_UF2 ? has_suffix(e->d_name, ".uf2")
			    : has_suffix(e->d_name, ".hex") || has_suffix(e->d_name, ".bin");
		if (wanted && strcasecmp(e->d_name, "CURRENT.UF2") != 0) {
			snprintf(found, sizeof found, "%s", e->d_name);
			break;
		}
	}
	closedir(d);
	if (!found[0]) {
		em->name[0] = '\0';
		return;
	}
	char path[1400];
	snprintf(path, sizeof path, "%s/%s", em->c->dir, found);
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	bool same = strcmp(found, em->name) == 0 && st.st_size == em->size &&
		    st.st_mtim.tv_sec == em->mtime.tv_sec && st.st_mtim.tv_nsec == em->mtime.tv_nsec;
	if (!same) {
		snprintf(em->name, sizeof em->name, "%s", found);
		em->size = st.st_size;
		em->mtime = st.st_mtim;
		em->still = 0;
		em->done_with = false;
	} else if (em->still < STILL_POLLS) {
		em->still++;
	}
	if (em->done_with)
		return;
	if (em->c->kind == SIM_DRIVE_UF2) {
		if (take_uf2(em, path, em->still == STILL_POLLS, mask))
			em->name[0] = '\0';
		else if (em->still == STILL_POLLS)
			em->done_with = true; /* silently ignored, as tinyuf2 does */
		return;
	}
	bool hex = has_suffix(found, ".hex");
	bool complete = em->still == STILL_POLLS;
	if (hex && !complete && !same) {
		size_t length = 0;
		uint8_t *data = read_all(path, &length);
		complete = data && sim_hex_complete(data, length);
		free(data);
	}
	if (complete) {
		take_stlink(em, path, hex, mask);
		em->name[0] = '\0';
	}
}

void sim_drive_write_stats(FILE *out, const struct sim_drive *em)
{
	fprintf(out, "  \"drive\": {\"kind\": \"%s\", \"files_taken\": %llu, \"files_failed\": %llu, "
		"\"blocks_ignored\": %llu, \"bytes_flipped\": %llu},\n",
		em->c->kind == SIM_DRIVE_UF2 ? "uf2" : "stlink",
		(unsigned long long)em->files_taken, (unsigned long long)em->files_failed,
		(unsigned long long)em->blocks_ignored, (unsigned long long)em->bytes_flipped);
}

static void write_drive_stats(FILE *out, const void *extra)
{
	sim_drive_write_stats(out, extra);
}

struct sim_drive *sim_drive_new(const struct sim_drive_config *c, struct sim_chip *chip,
				struct sim_stats *stats, const char *serial,
				const struct sim_drive_share *share, char *why, size_t why_size)
{
	struct sim_drive *em = calloc(1, sizeof *em);
	if (!em) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	em->c = c;
	em->chip = chip;
	em->stats = stats;
	if (share)
		em->share = *share;
	snprintf(em->serial, sizeof em->serial, "%s", serial);
	em->random = c->seed ^ 0x9E3779B97F4A7C15ull;
	snprintf(em->offline, sizeof em->offline, "%s.offline-%ld", c->dir, (long)getpid());
	if (mkdir(c->dir, 0755) != 0 && errno != EEXIST) {
		snprintf(why, why_size, "--drive %s: %s", c->dir, strerror(errno));
		free(em);
		return NULL;
	}
	write_markers(em, c->dir);
	return em;
}

void sim_drive_free(struct sim_drive *em)
{
	free(em);
}

/* What the emulated ST-LINK would report as its serial: the hex of the
 * chip's unique ID (stlink/probe_usb.c does the same). */
static void serial_of(const struct sim_chip *chip, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < SIM_UID_BYTES && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02X", chip->uid[i]);
}

int sim_drive_main(const struct sim_drive_config *c, const sigset_t *wait_mask,
		   volatile sig_atomic_t *stop)
{
	static struct sim_chip chip;
	static struct sim_stats stats;
	char why[320], serial[2 * SIM_UID_BYTES + 1];
	bool existed;
	if (!sim_chip_init(&chip, c->device) || !sim_stats_init(&stats, chip.sector_count)) {
		fprintf(stderr, "stm32boot-sim: out of memory\n");
		return 1;
	}
	if (c->image_path && !sim_image_load(&chip, c->image_path, &existed, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return 1;
	}
	serial_of(&chip, serial, sizeof serial);
	struct sim_drive *em = sim_drive_new(c, &chip, &stats, serial, NULL, why, sizeof why);
	if (!em) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		return 1;
	}
	stats.boots_bootloader = 1;
	printf("%s\n", c->dir);
	fflush(stdout);
	while (!*stop) {
		struct timespec period = {0, POLL_NS};
		(void)ppoll(NULL, 0, &period, wait_mask);
		sim_drive_service(em, wait_mask);
	}
	int status = 0;
	if (c->image_path && !sim_image_save(&chip, c->image_path, why, sizeof why)) {
		fprintf(stderr, "stm32boot-sim: %s\n", why);
		status = 1;
	}
	struct sim_stats_context context = {c->device->name, sim_chip_rdp_level(&chip),
					    "bootloader", "drive", write_drive_stats, em};
	if (c->stats_path && !sim_stats_save(c->stats_path, &stats, &context)) {
		fprintf(stderr, "stm32boot-sim: %s: %s\n", c->stats_path, strerror(errno));
		status = 1;
	}
	sim_drive_free(em);
	sim_stats_free(&stats);
	sim_chip_free(&chip);
	return status;
}
