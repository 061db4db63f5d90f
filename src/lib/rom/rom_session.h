/* Private to src/lib/rom: a connected bootloader session.
 *
 * Connecting syncs (unless told not to), asks Get, Get Version and Get ID,
 * looks the PID up in the device database, and learns what the chip will
 * tell: flash size register, unique ID, option bytes, readout protection. */
#ifndef STM32BOOT_ROM_SESSION_H
#define STM32BOOT_ROM_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"
#include "rom/rom_protocol.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct stm32_session_options {
	bool skip_sync;          /* stm32flash -c: the bootloader is already synced */
	unsigned sync_attempts;  /* 0x7F rounds before giving up (default 3) */
};

struct stm32_session {
	struct stm32_bl bl;
	const struct stm32_device *device; /* never NULL after a successful connect */
	/* What connecting learnt: flash-size register, UID, option bytes,
	 * readout protection (the target publishes it as its chip facts). */
	struct stm32_chip_facts facts;
};

void stm32_session_options_default(struct stm32_session_options *opts);

enum stm32_status stm32_session_connect(struct stm32_session *s, struct stm32_transport *t,
					const struct stm32_session_options *opts,
					struct stm32_error *err);

/* After a command that resets the chip (readout (un)protect, write
 * (un)protect, option-byte write): wait for the reboot and sync again. */
enum stm32_status stm32_session_reconnect(struct stm32_session *s, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
