/* stm32boot-sim's command line: the options, --help and --list-devices. */
#ifndef STM32SIM_OPTIONS_H
#define STM32SIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_MAX_USB_BOARDS 8 /* --count; src/sim/usb has room for this many */

#include "base/faults.h"
#include "chip/chip.h"
#include "link/wiring.h"
#include "rom/engine.h"

#define EXIT_USAGE 2

struct options {
	const struct stm32_device *device;
	const char *link_path, *image_path, *stats_path, *control_path;
	bool realtime;
	struct sim_fault_spec faults;
	uint64_t seed;
	unsigned max_baud; /* 0: no limit */
	unsigned usart;    /* --usart N: the USART wired to the host, 0: the device's first */
	struct sim_wiring wiring;
	enum sim_interface interface;
	int i2c_address; /* -1: not given */
	uint32_t i2c_clock_hz;
	bool has_uid; /* --uid: the chip's unique ID, else one derived from the device */
	uint8_t uid[SIM_UID_BYTES];
	bool dfu;        /* --interface dfu: USB through umockdev (src/sim/usb) */
	char **run_argv; /* --run -- CMD ARGS... */
	unsigned count;  /* --count N: boards on the USB bus (dfu), 0: not given */
	bool drive;              /* --interface drive: a folder as the drive (src/sim/drive) */
	const char *drive_dir;   /* --drive DIR */
	bool drive_uf2;          /* --drive-kind uf2 (else stlink) */
	double drive_copy_fail;  /* --faults copy-fail=P */
	double drive_copy_flip;  /* --faults copy-flip=P */
	bool drive_with_stlink;  /* --with-stlink: the board's ST-LINK on USB too, same chip */
	bool stlink;             /* --interface stlink: an ST-LINK probe over umockdev (src/sim/stlink) */
	unsigned stlink_version; /* --stlink-version: enum sim_stlink_version + 1, 0 = not given */
	bool stlink_no_target;   /* --stlink-target none: nothing on the SWD wires */
};

/* Parse argv into o; bad options print one line and exit 2, --help and
 * --list-devices print and exit 0. */
void sim_parse_options(int argc, char **argv, struct options *o);

#endif
