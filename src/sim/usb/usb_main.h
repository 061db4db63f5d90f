/* stm32boot-sim --interface dfu: the chip's USB DFU bootloader, emulated for
 * libusb programs through umockdev, until a stop signal or, with --run, for
 * as long as the command runs. */
#ifndef STM32SIM_USB_MAIN_H
#define STM32SIM_USB_MAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/faults.h"
#include "stm32boot/device.h"

#define SIM_USB_PRELOAD "libumockdev-preload.so.0"
#define SIM_USB_PATH_MAX 4096

/* count boards of one device (--count, 1 by default): board k >= 2 has the
 * files image_path.k and stats_path.k and the unique ID with k - 1 added to
 * its first byte. */
struct sim_usb_config {
	const struct stm32_device *device;
	const char *image_path, *stats_path;
	unsigned count;
	const uint8_t *uid; /* --uid, or NULL: the chip model's own */
	bool realtime;
	struct sim_fault_spec faults;
	uint64_t seed;
	char **run_argv; /* the command for --run (NULL-terminated), or NULL */
};

struct sim_usbfs;

#define SIM_USB_NOT_SERVED (-1)

/* Serves the testbed's device: with run_argv, runs that command where it
 * sees the device and returns its exit status once it ends (or at a stop
 * signal); else prints the testbed root and serves until a stop signal
 * (0). SIM_USB_NOT_SERVED when the command could not be started. */
int sim_usb_serve(struct sim_usbfs *usb, char **run_argv, const sigset_t *wait_mask,
		  volatile sig_atomic_t *stop);
/* The same, calling tick(user) on this thread every 10 ms: another event
 * source of the same chip (the drive beside an ST-LINK). */
int sim_usb_serve_ticking(struct sim_usbfs *usb, char **run_argv, const sigset_t *wait_mask,
			  volatile sig_atomic_t *stop, void (*tick)(void *user), void *user);

/* The exit status of the program: --run's command's, else 0 (1 when the
 * image or stats could not be saved, or the testbed not made). */
int sim_usb_main(const struct sim_usb_config *config, const sigset_t *wait_mask,
		 volatile sig_atomic_t *stop);

#endif
