/* libstm32boot: the drive back end, flashing by copying a file to a drive.
 *
 * An ST-LINK/V2-1 or V3 mass-storage drive (Nucleo, Discovery: DETAILS.TXT
 * or MBED.HTM on it) takes an Intel HEX file: any image is written as HEX
 * (self-checking, and placed where the image says; a .bin always lands at
 * 0x08000000 there), then the drive goes away and comes back, and a
 * FAIL.TXT on it says what went wrong. A UF2 drive (INFO_UF2.TXT, tinyuf2)
 * takes NEW.UF2 in blocks with the chip's family ID and resets when it has
 * them all: the drive disappears, and that is the only sign of success.
 *
 * The target's only operation is write_image (STM32_CAP_WRITE_IMAGE): no
 * read, write, erase, verify. A drive copy cannot be verified through the
 * drive; an ST-LINK drive's probe can often be reached over USB as well
 * (stm32_drive_stlink_serial gives the serial for "stlink:SERIAL"), and the
 * caller verifies through that.
 *
 * Port names: "drive:" (the one flashing drive mounted now, searched for
 * under the option's roots, default /media, /run/media and /mnt, two levels
 * deep; several are refused with their list) and "drive:PATH" (that
 * folder). */
#ifndef STM32BOOT_DRIVE_H
#define STM32BOOT_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "stm32boot/error.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_drive_kind {
	STM32_DRIVE_STLINK, /* DETAILS.TXT / MBED.HTM */
	STM32_DRIVE_UF2,    /* INFO_UF2.TXT */
};

struct stm32_drive_info {
	char path[512];
	enum stm32_drive_kind kind;
	char board_id[40];   /* ST-LINK: the mbed board ID ("0720"); UF2: Board-ID: */
	char model[80];      /* UF2: Model:; ST-LINK: the board name when known */
	const struct stm32_device *device; /* from the board ID, NULL if unknown */
};

struct stm32_drive_options {
	/* Where "drive:" looks, ':'-separated; NULL: /media:/run/media:/mnt. */
	const char *roots;
	/* The wait for the drive to take the file (go away, come back). */
	unsigned timeout_ms;     /* default 30000 */
	/* The device row when the drive does not tell (a UF2 drive, an
	 * unknown board ID); NULL: from the board ID, else refused. */
	const struct stm32_device *device;
};

void stm32_drive_options_default(struct stm32_drive_options *opts);

bool stm32_port_is_drive(const char *port);

/* Whether dir is a flashing drive (its marker files); fills *info. */
bool stm32_drive_probe(const char *dir, struct stm32_drive_info *info);

/* The flashing drives mounted under roots (NULL: the default), sorted by
 * path; returns how many there are (at most max are filled). */
size_t stm32_drive_find(const char *roots, struct stm32_drive_info *out, size_t max);

/* The device-table row of an ST-LINK board ID (the first 4 characters of
 * the mbed ID: "0720" NUCLEO-F401RE), NULL when not in the table; *board
 * (may be NULL) gets the board's name. */
const struct stm32_device *stm32_drive_board_device(const char *board_id, const char **board);

/* The USB serial of the ST-LINK whose drive info is: the serial of the
 * USB device (VID 0483) the drive's block device belongs to (sysfs), else
 * the "Unique ID:" line of a DAPLink-style DETAILS.TXT. *source (may be
 * NULL) says which ("its USB device", "DETAILS.TXT"). STM32_E_UNSUPPORTED
 * when neither names one (or a UF2 drive). */
enum stm32_status stm32_drive_stlink_serial(const struct stm32_drive_info *info, char *serial,
					    size_t size, const char **source,
					    struct stm32_error *err);

/* The drive an open drive target writes to; false for any other target. */
bool stm32_drive_target_info(const struct stm32_target *target, struct stm32_drive_info *info);

/* Open "drive:" or "drive:PATH". The transport only names the drive for
 * messages. Close the target, then the transport. */
enum stm32_status stm32_drive_open_port(const char *port, const struct stm32_drive_options *opts,
					struct stm32_transport **transport,
					struct stm32_target **out, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
