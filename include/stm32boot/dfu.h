/* libstm32boot: the USB DFU back end (the ROM's DfuSe bootloader, AN3156).
 *
 * stm32_dfu_open finds the STM32 DFU device (0483:df11), reads its memory
 * layout from the alternate-setting strings, checks it against the device
 * table and returns a struct stm32_target the flash engine (flash.h) drives:
 * erase per page/sector (0x41 + address) or mass erase, writes and reads of
 * wTransferSize bytes at the Set Address Pointer (0x21), go/reset by leaving
 * DFU, read unprotect (0x92), option bytes and readout/write protection
 * through the "Option Bytes" memory (the device resets after each). No CRC:
 * verify reads back.
 *
 * Port names: "dfu:" (the only such device; with several, the error lists
 * them), "dfu:SERIAL", "dfu:BUS-PORT[.PORT...]" (as dfu-util's path), each
 * optionally followed by ",device=NAME" (the device-table row, when the
 * layout alone does not tell the part). The emulator's device is seen only
 * by a process started under "stm32boot-sim --interface dfu --run -- CMD"
 * (umockdev's preload): stm32_dfu_open_port refuses "sim:" ports, and the
 * stm32boot command re-executes itself that way for
 * "sim:DEVICE,interface=dfu" (src/cli/dfu_sim.c). */
#ifndef STM32BOOT_DFU_H
#define STM32BOOT_DFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ROM's DfuSe device: the only one stm32_dfu_open opens. */
#define STM32_DFU_VENDOR_ID 0x0483u
#define STM32_DFU_PRODUCT_ID 0xDF11u

/* Called for what the caller should hear but which does not stop the run
 * (the layout the device reports differs from the device table's). */
typedef void (*stm32_dfu_warning_fn)(void *user, const char *message);

struct stm32_dfu_options {
	unsigned timeout_ms;          /* per USB transfer (default 5000) */
	stm32_dfu_warning_fn warning; /* NULL: warnings are dropped */
	void *warning_user;
};

void stm32_dfu_options_default(struct stm32_dfu_options *opts);

/* What a DFU target said of itself and how its device row was chosen. DfuSe
 * reports no chip ID: the row comes from device=NAME, else from the memory
 * layouts of the alternate settings, which several rows may fit. */
struct stm32_dfu_info {
	char address[32];          /* "1-1": bus, then the port path */
	char serial[64];           /* the serial number string ("" when none) */
	uint16_t bcd_device;       /* the DFU bootloader's version (AN3156: 0x2200 = v2.2) */
	uint16_t bcd_dfu;          /* 0x011A: DfuSe */
	uint16_t transfer_size;    /* wTransferSize */
	unsigned memory_count;     /* alternate settings */
	char memories[256];        /* their names, "Internal Flash, Option Bytes, ..." */
	bool device_named;         /* the row is the port's device=NAME */
	unsigned fitting_count;    /* rows the layouts fit (when not named) */
	char fitting[256];         /* their names, "stm32f2xx, stm32f407xg" */
};

/* False (and *info untouched) when t is not a DFU target. */
bool stm32_dfu_info(const struct stm32_target *t, struct stm32_dfu_info *info);

/* One STM32 DFU device attached now. */
struct stm32_dfu_device {
	char address[32]; /* "1-2": dfu:1-2 names it */
	char serial[64];  /* "" when it has none */
	char product[64]; /* the USB product string ("STM32  BOOTLOADER"), or "" */
};

/* The STM32 DFU devices (0483:df11) attached now, in address order, at most
 * max written; returns how many there are (0 without libusb). */
size_t stm32_dfu_find(struct stm32_dfu_device *out, size_t max);

/* "dfu:..." or a sim: port with interface=dfu. */
bool stm32_port_is_dfu(const char *port);

/* Open the DFU device named by port ("dfu:..."). On success *out is the target. */
enum stm32_status stm32_dfu_open(const char *port, const struct stm32_dfu_options *opts,
				 struct stm32_target **out, struct stm32_error *err);

/* What the CLI calls for a "dfu:" port: the target, and a transport that
 * only names the link (for messages; it moves no bytes and has no modem
 * lines). Close the target, then the transport. A "sim:" port is refused
 * (STM32_E_UNSUPPORTED): see above. */
enum stm32_status stm32_dfu_open_port(const char *port, const struct stm32_dfu_options *opts,
				      struct stm32_transport **transport,
				      struct stm32_target **out, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
