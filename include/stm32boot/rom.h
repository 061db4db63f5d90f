/* libstm32boot: the ROM bootloader back end (AN3155 UART, AN4221 I2C,
 * AN4286 SPI, and sim: ports).
 *
 * stm32_rom_open syncs (unless told not to), asks Get, Get Version and Get
 * ID, looks the PID up in the device database, learns what the chip will
 * tell (flash-size register, unique ID, option bytes, readout protection)
 * and returns a struct stm32_target the flash engine (flash.h) drives. The
 * bootloader's own details (version, Get list) are read with
 * stm32_rom_info; nothing else of the protocol is public. */
#ifndef STM32BOOT_ROM_H
#define STM32BOOT_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AN3155 bytes and opcodes, for messages and for programs that show them. */
#define STM32_ACK  0x79
#define STM32_NACK 0x1F
#define STM32_BUSY 0x76

#define STM32_CMD_GET               0x00
#define STM32_CMD_GET_VERSION       0x01
#define STM32_CMD_GET_ID            0x02
#define STM32_CMD_READ_MEMORY       0x11
#define STM32_CMD_GO                0x21
#define STM32_CMD_WRITE_MEMORY      0x31
#define STM32_CMD_ERASE             0x43
#define STM32_CMD_EXTENDED_ERASE    0x44
#define STM32_CMD_WRITE_PROTECT     0x63
#define STM32_CMD_WRITE_UNPROTECT   0x73
#define STM32_CMD_READOUT_PROTECT   0x82
#define STM32_CMD_READOUT_UNPROTECT 0x92
#define STM32_CMD_GET_CHECKSUM      0xA1

#define STM32_MAX_BLOCK 256 /* bytes per Read/Write Memory */

/* Pages per erase command: 0x43 carries 8-bit numbers and at most 255 of
 * them; 0x44 takes 16-bit numbers (L1/L0 cannot take 512 in one list). */
#define STM32_ERASE_CHUNK_LEGACY   255u
#define STM32_ERASE_CHUNK_EXTENDED 511u

/* A command's name for messages ("Write Memory", "sync" for 0x7F, no-stretch
 * variants named as their twin; "command" if unknown). */
const char *stm32_command_name(int opcode);

/* Re-entering the bootloader after the chip reset on its own (brown-out,
 * watchdog, a glitch on NRST): the caller's -i entry sequence, for instance.
 * Called when a retry finds the chip answering nothing at all, before the
 * back end syncs again (0x7F, Get) and the executor carries on from the
 * request that failed. Return STM32_OK when the sequence ran. */
typedef enum stm32_status (*stm32_reentry_fn)(void *user, struct stm32_error *err);

struct stm32_rom_options {
	bool skip_sync;          /* stm32flash -c: the bootloader is already synced */
	unsigned sync_attempts;  /* 0x7F rounds before giving up (default 3) */
	stm32_reentry_fn reenter; /* NULL: only sync again (BOOT0 assumed to stay high) */
	void *reenter_user;
};

void stm32_rom_options_default(struct stm32_rom_options *opts);

/* Connect to the bootloader on t (which stays the caller's to close, after
 * the target). opts may be NULL. On success *out is the target. */
enum stm32_status stm32_rom_open(struct stm32_transport *t, const struct stm32_rom_options *opts,
				 struct stm32_target **out, struct stm32_error *err);

/* What the bootloader said about itself. */
struct stm32_rom_info {
	uint16_t pid;
	uint8_t version;           /* protocol version from Get */
	uint8_t option1, option2;  /* from Get Version (UART) */
	uint8_t commands[64];      /* the raw Get list */
	size_t command_count;
};

/* False (and *info untouched) when t is not a ROM bootloader target. */
bool stm32_rom_info(const struct stm32_target *t, struct stm32_rom_info *info);

/* The opcode the connected bootloader uses for op, or -1 (none, or t is
 * not a ROM target). For messages such as "bootloader command 0x73". */
int stm32_rom_command_for(const struct stm32_target *t, enum stm32_op op);

/* The descriptor of device's ROM bootloader as its Get list in the device
 * table describes it, on a UART at baud (0: unknown): what stm32_rom_open
 * fills in for a chip that answers as the table says. For planning without
 * a chip (tests, tools). */
void stm32_rom_describe(const struct stm32_device *device, unsigned baud,
			struct stm32_target_desc *out);

/* The software-reset stub the ROM back end's reset writes to RAM at
 * device->ram_start and starts with Go (SYSRESETREQ through AIRCR; an
 * option-byte reload on STM32_DEV_OBL_LAUNCH devices; FLASH_SR.PEMPTY
 * cleared first on STM32_DEV_PEMPTY devices), for inspection and tests:
 * fills buf (at least STM32_RESET_STUB_MAX bytes) and returns its length,
 * or 0 when the device has no usable RAM for it. */
#define STM32_RESET_STUB_MAX 64u
size_t stm32_rom_reset_stub(const struct stm32_device *device, uint8_t *buf);

#ifdef __cplusplus
}
#endif
#endif
