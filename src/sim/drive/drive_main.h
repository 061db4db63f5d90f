/* stm32boot-sim --interface drive: a folder served as a board's flashing
 * drive (an ST-LINK's mass storage, or a UF2 bootloader's), programming the
 * chip model from the files copied into it. Alone (sim_drive_main) it owns
 * the chip; with --with-stlink the ST-LINK emulator owns it and services
 * the drive from its main loop (sim_drive_new / sim_drive_service). */
#ifndef STM32SIM_DRIVE_MAIN_H
#define STM32SIM_DRIVE_MAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/stats.h"
#include "chip/chip.h"
#include "stm32boot/device.h"

enum sim_drive_kind { SIM_DRIVE_STLINK, SIM_DRIVE_UF2 };

struct sim_drive_config {
	const struct stm32_device *device;
	const char *dir;
	enum sim_drive_kind kind;
	const char *image_path, *stats_path;
	bool realtime;
	double copy_fail;  /* --faults copy-fail=P: a copy refused with FAIL.TXT */
	double copy_flip;  /* --faults copy-flip=P: one byte programmed wrong, success reported */
	uint64_t seed;
};

/* How the drive reaches a chip someone else owns: work runs on the chip
 * under the owner's lock (the owner's other way in runs on another
 * thread), and the owner then resets the chip as a real ST-LINK does after
 * a drive copy. */
struct sim_drive_share {
	void (*with_chip)(void *owner, void (*work)(struct sim_chip *chip, void *arg), void *arg);
	void *owner;
};

struct sim_drive;

/* The drive on chip (its stats counted in stats): the folder made and its
 * marker files written; DETAILS.TXT carries serial as its "Unique ID:"
 * (the probe's USB serial, how the host pairs the drive with its ST-LINK).
 * share NULL: the caller's thread is the chip's only user. NULL with why. */
struct sim_drive *sim_drive_new(const struct sim_drive_config *config, struct sim_chip *chip,
				struct sim_stats *stats, const char *serial,
				const struct sim_drive_share *share, char *why, size_t why_size);
/* One look at the folder (call it every 10 ms or so): a complete file is
 * taken, programmed and the drive re-enumerated, in this call. */
void sim_drive_service(struct sim_drive *drive, const sigset_t *wait_mask);
/* The "drive" member of the stats file (docs/sim.md). */
void sim_drive_write_stats(FILE *out, const struct sim_drive *drive);
void sim_drive_free(struct sim_drive *drive);

/* Serves until a stop signal; the program's exit status. */
int sim_drive_main(const struct sim_drive_config *config, const sigset_t *wait_mask,
		   volatile sig_atomic_t *stop);

#endif
