/* Private to src/lib/rom: the AN3155 / AN4221 / AN4286 bootloader
 * protocol, one function per command.
 *
 * No policy here: callers decide what to erase, in which order, how often to
 * retry. Every function sends one command and checks its answer. Nothing
 * outside src/lib/rom includes this (scripts/check-layers.sh); unit tests of
 * the ROM back end may. */
#ifndef STM32BOOT_ROM_PROTOCOL_H
#define STM32BOOT_ROM_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/crc.h"
#include "stm32boot/error.h"
#include "stm32boot/rom.h"
#include "stm32boot/transport.h"

/* Timeouts in milliseconds; stm32_bl_init sets generous defaults, callers
 * (the session, from the device's timing table) tighten or widen them. */
struct stm32_bl_timeouts {
	unsigned sync_ms;        /* answer to 0x7F */
	unsigned ack_ms;         /* ordinary ACK and short replies */
	unsigned write_ms;       /* ACK after programming one block */
	unsigned page_erase_ms;  /* per page or sector in an erase list */
	unsigned mass_erase_ms;  /* mass or bank erase, readout unprotect */
	unsigned option_ms;      /* write protect / unprotect / readout protect */
	unsigned checksum_ms;    /* Get Checksum computation */
};

struct stm32_bl {
	struct stm32_transport *transport;
	struct stm32_bl_timeouts timeouts;
	/* Filled by stm32_bl_get / get_version / get_id: */
	uint8_t version;           /* protocol version from Get */
	uint8_t option1, option2;  /* from Get Version (UART) */
	uint8_t commands[64];      /* raw Get list */
	size_t command_count;
	uint16_t pid;
	/* Chosen opcodes, -1 when the bootloader lacks the command. The highest
	 * listed variant wins (0x44 over 0x43, no-stretch over stretch). */
	int cmd_read, cmd_go, cmd_write, cmd_erase, cmd_write_protect, cmd_write_unprotect,
	    cmd_readout_protect, cmd_readout_unprotect, cmd_checksum;
};

void stm32_bl_init(struct stm32_bl *bl, struct stm32_transport *transport);

/* Send 0x7F and expect ACK; a NACK also means "in sync" (the bootloader had
 * already seen its auto-baud byte). On no answer, a second 0x7F. */
enum stm32_status stm32_bl_sync(struct stm32_bl *bl, struct stm32_error *err);
/* Recover framing: send 0xFF 0x00 pairs until a NACK, up to timeout_ms. */
enum stm32_status stm32_bl_resync(struct stm32_bl *bl, unsigned timeout_ms, struct stm32_error *err);

enum stm32_status stm32_bl_get(struct stm32_bl *bl, struct stm32_error *err);
enum stm32_status stm32_bl_get_version(struct stm32_bl *bl, struct stm32_error *err);
enum stm32_status stm32_bl_get_id(struct stm32_bl *bl, struct stm32_error *err);

bool stm32_bl_has(const struct stm32_bl *bl, uint8_t opcode);
/* Set the cmd_* choices from bl->commands (Get does this itself). */
void stm32_bl_choose_opcodes(struct stm32_bl *bl);

/* 1..256 bytes. */
enum stm32_status stm32_bl_read_memory(struct stm32_bl *bl, uint32_t address, uint8_t *data,
				       size_t length, struct stm32_error *err);
/* 1..256 bytes at a 4-aligned address; a tail short of 4 is padded with 0xFF. */
enum stm32_status stm32_bl_write_memory(struct stm32_bl *bl, uint32_t address, const uint8_t *data,
					size_t length, struct stm32_error *err);
/* Page or sector numbers; uses 0x44 (16-bit) or 0x43 (8-bit, <= 255 pages)
 * per the Get list. The caller splits long lists. */
enum stm32_status stm32_bl_erase_pages(struct stm32_bl *bl, const uint16_t *pages, size_t count,
				       struct stm32_error *err);
enum stm32_status stm32_bl_erase_mass(struct stm32_bl *bl, struct stm32_error *err);
/* bank 1 or 2 (Extended Erase FFFE / FFFD). */
enum stm32_status stm32_bl_erase_bank(struct stm32_bl *bl, int bank, struct stm32_error *err);
/* The device jumps to user code; a missing final ACK is tolerated. */
enum stm32_status stm32_bl_go(struct stm32_bl *bl, uint32_t address, struct stm32_error *err);
enum stm32_status stm32_bl_write_protect(struct stm32_bl *bl, const uint8_t *sectors, size_t count,
					 struct stm32_error *err);
/* These three end in a device reset: the caller must sync again. */
enum stm32_status stm32_bl_write_unprotect(struct stm32_bl *bl, struct stm32_error *err);
enum stm32_status stm32_bl_readout_protect(struct stm32_bl *bl, struct stm32_error *err);
enum stm32_status stm32_bl_readout_unprotect(struct stm32_bl *bl, struct stm32_error *err);
/* Get Checksum (0xA1) over [address, address+length), both multiples of 4;
 * CRC-32 polynomial 0x04C11DB7, initial 0xFFFFFFFF. */
enum stm32_status stm32_bl_get_checksum(struct stm32_bl *bl, uint32_t address, uint32_t length,
					uint32_t *crc, struct stm32_error *err);

#endif
