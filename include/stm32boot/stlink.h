/* libstm32boot: the ST-LINK back end (SWD through an ST-LINK/V2, V2-1 or V3
 * probe, ../shared/stm32/stlink.md).
 *
 * stm32_stlink_open finds the probe, enters SWD (hot plug: no reset, unless
 * connect_under_reset holds NRST low while attaching), halts the core,
 * identifies the chip by CPUID, DBGMCU IDCODE, the flash-size
 * register and the UID, and returns a struct stm32_target the flash engine
 * (flash.h) drives: reads through the MEM-AP, page/sector and mass erase
 * and programming through the flash controller's registers (F0/F1/F3,
 * F2/F4/F7, G0/G4/L4), reset by AIRCR.SYSRESETREQ. No CRC yet: verify
 * reads back.
 *
 * Port names: "stlink:" (the only probe attached; with several, the error
 * lists them) or "stlink:SERIAL". The emulator's probe
 * (stm32boot-sim --interface stlink) is seen by a program run under
 * "stm32boot-sim --interface stlink --run -- CMD"; the stm32boot command
 * re-executes itself that way for "sim:DEVICE,interface=stlink". */
#ifndef STM32BOOT_STLINK_H
#define STM32BOOT_STLINK_H

#include <stdbool.h>
#include <stddef.h>

#include "stm32boot/error.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct stm32_stlink_options {
	unsigned timeout_ms;      /* per USB transfer (default 3000) */
	unsigned swd_khz;         /* SWD clock: the probe's fastest not above it; 0: its default */
	bool connect_under_reset; /* NRST held low while attaching, released halted */
	bool reset_with_nrst;     /* the reset that runs the program (-R): NRST pulsed, not AIRCR */
};

void stm32_stlink_options_default(struct stm32_stlink_options *opts);

/* One probe attached now (stm32_stlink_find). */
struct stm32_stlink_probe {
	char port[96];     /* "stlink:SERIAL" */
	char serial[64];
	unsigned pid;      /* USB product ID (VID 0x0483) */
	char address[32];  /* USB bus and port path, "1-1.4" */
};

/* The ST-LINK probes libusb sees (at most max written); the number found.
 * 0 without libusb. */
size_t stm32_stlink_find(struct stm32_stlink_probe *out, size_t max);

/* "stlink:..." or a sim: port with interface=stlink (which
 * stm32_stlink_open refuses: see above). */
bool stm32_port_is_stlink(const char *port);

enum stm32_status stm32_stlink_open(const char *port, const struct stm32_stlink_options *opts,
				    struct stm32_target **out, struct stm32_error *err);

/* What the CLI calls: the target, and a transport that only names the
 * probe (for messages; no bytes, no modem lines). Close the target, then
 * the transport. */
enum stm32_status stm32_stlink_open_port(const char *port, const struct stm32_stlink_options *opts,
					 struct stm32_transport **transport,
					 struct stm32_target **out, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
