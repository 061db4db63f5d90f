/* stm32boot-sim --interface drive: a folder served as a board's flashing
 * drive (an ST-LINK's mass storage, or a UF2 bootloader's), programming the
 * chip model from the files copied into it. */
#ifndef STM32SIM_DRIVE_MAIN_H
#define STM32SIM_DRIVE_MAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "stm32boot/device.h"

enum sim_drive_kind { SIM_DRIVE_STLINK, SIM_DRIVE_UF2 };

struct sim_drive_config {
	const struct stm32_device *device;
	const char *dir;
	enum sim_drive_kind kind;
	const char *image_path, *stats_path;
	bool realtime;
	double copy_fail;  /* --faults copy-fail=P: a copy refused with FAIL.TXT */
	uint64_t seed;
};

/* Serves until a stop signal; the program's exit status. */
int sim_drive_main(const struct sim_drive_config *config, const sigset_t *wait_mask,
		   volatile sig_atomic_t *stop);

#endif
