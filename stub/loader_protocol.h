/* The SWD RAM loader's control block (stub/loader.c; host side
 * src/lib/stlink/stlink_loader.c): constants only, shared by both sides
 * so they cannot disagree on an offset.
 *
 * The host writes the loader, the control block and its stack into SRAM,
 * points r0 at the control block and runs the loader from its first byte
 * with the debugger attached. The loader then serves two mailbox slots in
 * turn, 0, 1, 0, 1...: it waits for a slot's command word to become
 * non-zero, carries the command out (on that slot's buffer), writes the
 * results, clears the command and writes the status last. So the host
 * fills one slot's buffer over SWD while the chip works on the other
 * (double buffering) and only waits when it wants a slot back. When no
 * command comes for LOADER_IDLE_POLLS polls the loader parks: it writes
 * the slot it waits on to LOADER_NEXT, LOADER_PARKED to LOADER_ALIVE and
 * halts on BKPT; the host starts it again from its first byte (it goes on
 * with that slot). The host stops it by halting the core (DHCSR). */
#ifndef STUB_LOADER_PROTOCOL_H
#define STUB_LOADER_PROTOCOL_H

#include <stdint.h>

/* Commands (slot word LOADER_SLOT_COMMAND; 0 = empty). */
#define LOADER_CMD_ERASE_UNITS 1u /* the u32 unit numbers at buffer, length of them */
#define LOADER_CMD_ERASE_MASS  2u
#define LOADER_CMD_ERASE_BANK  3u /* bank number in length */
#define LOADER_CMD_PROGRAM     4u /* length bytes from buffer to address */
#define LOADER_CMD_CRC         5u /* CRC-32 of [address, address + length) into result */
#define LOADER_CMD_CRC_BLOCKS  6u /* a CRC-32 per result-byte block of the range, to buffer */

/* Status (LOADER_SLOT_STATUS): the host writes LOADER_RUNNING with the command. */
#define LOADER_OK           0u
#define LOADER_E_FLASH      1u /* the controller reported an error: error_sr, error_address */
#define LOADER_E_COMMAND    2u /* no such command */
#define LOADER_E_ALIGN      3u /* address or length not a multiple of the program unit */
#define LOADER_RUNNING      0xFFFFFFFFu

/* Options (LOADER_OPTIONS). */
#define LOADER_OPT_CRC_UNIT 0x1u /* the chip's CRC unit at crc_base (clock on); else software */
#define LOADER_OPT_CRC_INIT 0x2u /* the unit has INIT and POL (set them to the defaults first) */

/* Control block, all u32, little-endian, 4-aligned in SRAM. */
#define LOADER_FLASH_START   0x00u
#define LOADER_FLASH_SIZE    0x04u
#define LOADER_PAGE_SIZE     0x08u /* page drivers: bytes per page; F4: 0 */
#define LOADER_UNIT_COUNT    0x0Cu
#define LOADER_BANK2_START   0x10u
#define LOADER_DRIVER_FLAGS  0x14u /* STUB_PARAM_DUAL_BANK, STUB_PARAM_BKER_13 (stub_protocol.h) */
#define LOADER_OPTIONS       0x18u
#define LOADER_CRC_BASE      0x1Cu
/* STUB_CHIP_F0/F1/F3 (stub_protocol.h; the f1 image): the loader raises SYSCLK
 * to the PLL from HSI as the stub does (stub/clock.c) when it finds SYSCLK
 * on HSI with the PLL off (a chip just reset, or a program that never used
 * the PLL: nothing of its clock tree is taken away), so that its own work
 * between flash operations shrinks; 0 leaves the clock alone. */
#define LOADER_CLOCK_KIND    0x20u
#define LOADER_UNIT          0x24u /* written by the loader: its program unit in bytes */
#define LOADER_ALIVE         0x28u /* written by the loader: LOADER_MAGIC once it serves */
#define LOADER_NEXT          0x2Cu /* the slot to serve first when (re)started */
#define LOADER_SLOTS         0x30u /* two slots of LOADER_SLOT_BYTES */
#define LOADER_SLOT_BYTES    0x20u
#define LOADER_CONTROL_BYTES (LOADER_SLOTS + 2u * LOADER_SLOT_BYTES)
#define LOADER_MAGIC 0x4C4F4144u  /* "LOAD": serving */
#define LOADER_PARKED 0x50415243u /* "PARK": halted on BKPT for want of work */
#define LOADER_IDLE_POLLS 100000u  /* about 6 ms on a 100 MHz core, 80 ms at 8 MHz */

/* A slot. The host writes it in one go, the command last; the loader
 * writes the results, clears the command, then the status. */
#define LOADER_SLOT_ADDRESS       0x00u
#define LOADER_SLOT_LENGTH        0x04u
#define LOADER_SLOT_BUFFER        0x08u
#define LOADER_SLOT_ERROR_SR      0x0Cu
#define LOADER_SLOT_ERROR_ADDRESS 0x10u
#define LOADER_SLOT_RESULT        0x14u /* the CRC; for a failed unit erase, the index of the unit */
#define LOADER_SLOT_STATUS        0x18u
#define LOADER_SLOT_COMMAND       0x1Cu

#define LOADER_STACK_BYTES 256u /* what the host leaves for the loader's stack */

#endif
