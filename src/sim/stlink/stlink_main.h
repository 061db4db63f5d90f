/* stm32boot-sim --interface stlink: an ST-LINK probe wired by SWD to the
 * chip (its Cortex-M core runs what the debugger loads), emulated for
 * libusb programs through umockdev, until a stop signal or, with --run,
 * for as long as the command runs. */
#ifndef STM32SIM_STLINK_MAIN_H
#define STM32SIM_STLINK_MAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/faults.h"
#include "chip/chip.h"
#include "drive/drive_main.h"
#include "stlink/stlink_cmd.h"
#include "stm32boot/device.h"

struct sim_stlink_config {
	const struct stm32_device *device;
	enum sim_stlink_version version;
	bool no_target; /* nothing on the SWD wires */
	const char *image_path, *stats_path;
	bool realtime;
	struct sim_fault_spec faults;
	uint64_t seed;
	const uint8_t *uid; /* SIM_UID_BYTES, or NULL for the chip's default */
	char **run_argv;    /* the command for --run (NULL-terminated), or NULL */
	/* --interface drive --with-stlink: the board's drive too, on this chip
	 * (its DETAILS.TXT names this probe's serial); NULL: the probe alone. */
	const struct sim_drive_config *drive;
};

/* The exit status of the program: --run's command's, else 0 (1 when the
 * image or stats could not be saved, or the emulator not set up). */
int sim_stlink_main(const struct sim_stlink_config *config, const sigset_t *wait_mask,
		    volatile sig_atomic_t *stop);

#endif
