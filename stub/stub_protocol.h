/* The RAM stub's wire protocol and image layout (docs/stub-protocol.md):
 * constants only, shared by the stub (stub/) and the host back end
 * (src/lib/stub/), so the two sides cannot disagree on a number. No code,
 * no host or target headers beyond stdint. */
#ifndef STUB_PROTOCOL_H
#define STUB_PROTOCOL_H

#include <stdint.h>

/* Frames: SOF, code, seq, length (2, LE), header check, payload, CRC-32 (4, LE). */
#define STUB_SOF_REQUEST 0xA5u /* host -> stub */
#define STUB_SOF_REPLY   0x5Au /* stub -> host */
#define STUB_HEADER_BYTES 6u
#define STUB_TRAILER_BYTES 4u
#define STUB_FRAME_OVERHEAD (STUB_HEADER_BYTES + STUB_TRAILER_BYTES)
#define STUB_MAX_PAYLOAD 1032u /* a 4-byte address + 1 KiB of data, rounded up */
#define STUB_WRITE_CHUNK 1024u /* data bytes per WRITE frame the host sends */
/* A stub whose HELLO announces a smaller payload gets frames of the power
 * of two that fits, at least this (the small image's). */
#define STUB_MIN_WRITE_CHUNK 256u
#define STUB_MAX_WINDOW 8u

/* Commands (request code; the reply carries the same code). */
#define STUB_CMD_HELLO     0x01u
#define STUB_CMD_SET_BAUD  0x02u
#define STUB_CMD_CONFIRM   0x03u
#define STUB_CMD_ERASE     0x10u
#define STUB_CMD_WRITE     0x11u
#define STUB_CMD_READ      0x12u
#define STUB_CMD_READ_ACK  0x13u
#define STUB_CMD_CRC       0x14u
#define STUB_CMD_WRITE_LZ4 0x15u /* address (u32), decoded length (u16), an LZ4 block */
#define STUB_CMD_OPTION    0x18u
#define STUB_CMD_GO        0x20u
#define STUB_CMD_RESET     0x21u

/* Status: the first payload byte of every reply. */
#define STUB_OK            0x00u
#define STUB_E_CRC         0x01u /* the request's CRC-32 did not match: send it again */
#define STUB_E_UNKNOWN     0x02u /* no such command */
#define STUB_E_LENGTH      0x03u /* the payload has the wrong length for the command */
#define STUB_E_RANGE       0x04u /* outside flash (or the range the command allows) */
#define STUB_E_ALIGN       0x05u /* address or length not a multiple of the program unit */
#define STUB_E_FLASH       0x06u /* the controller reported an error (SR follows) */
#define STUB_E_SEQUENCE    0x07u /* not the sequence number expected (expected one follows) */
#define STUB_E_UNSUPPORTED 0x08u /* known but not in this stub */
#define STUB_E_TIMEOUT     0x09u /* the host stopped acknowledging a read */
#define STUB_E_BAUD        0x0Au /* that rate cannot be made from the stub's clock */
#define STUB_E_DECODE      0x0Bu /* an LZ4 block that is malformed or not of its stated size */

/* HELLO reply payload (after the status byte), little-endian. */
#define STUB_MAGIC 0x42323353u /* "S32B" */
#define STUB_PROTOCOL_VERSION 1u
#define STUB_HELLO_MAGIC     0  /* u32 */
#define STUB_HELLO_PROTOCOL  4  /* u8 */
#define STUB_HELLO_DRIVER    5  /* u8: STUB_DRIVER_* */
#define STUB_HELLO_WINDOW    6  /* u8: frames the host may have unanswered */
#define STUB_HELLO_UNIT      7  /* u8: program unit in bytes */
#define STUB_HELLO_PAYLOAD   8  /* u16: largest payload it takes */
#define STUB_HELLO_VERSION  10  /* u16: the stub build's version */
#define STUB_HELLO_CAPS     12  /* u32: STUB_CAP_* */
#define STUB_HELLO_CLOCK    16  /* u32: the USART's kernel clock in Hz */
#define STUB_HELLO_BAUD     20  /* u32: the rate it runs at */
#define STUB_HELLO_SECURE   24  /* u32: first flash address it refuses to write or erase
                                * (WB: CPU2's area from FLASH_SFR.SFSA), 0: none */
#define STUB_HELLO_BYTES    28

#define STUB_CAP_ERASE      0x0001u
#define STUB_CAP_MASS_ERASE 0x0002u
#define STUB_CAP_BANK_ERASE 0x0004u
#define STUB_CAP_CRC_UNIT   0x0008u /* CRC computed by the chip's CRC unit (else in software) */
#define STUB_CAP_SET_BAUD   0x0010u
#define STUB_CAP_GO         0x0020u
#define STUB_CAP_RESET      0x0040u
#define STUB_CAP_DEFER_ERASE 0x0080u /* ERASE kinds DEFER and DEFERRED */
#define STUB_CAP_LZ4        0x0100u /* WRITE_LZ4 (it had RAM for a decoded frame) */

/* Flash drivers, one per flash-controller family. */
#define STUB_DRIVER_F1    1u /* F0/F1/F3: half-word programming, pages */
#define STUB_DRIVER_F4    2u /* F2/F4/F7: word programming, sectors */
#define STUB_DRIVER_DWORD 3u /* G0/G4/L4: 64-bit programming, pages */
#define STUB_DRIVER_PECR  4u /* L0/L1: word and half-page programming, pages, erased is 0x00 */
#define STUB_DRIVER_H7    5u /* H7: flash words of 32 (16) bytes, sectors per bank */

/* ERASE payload: kind (u8), bank (u8), count (u16), count x unit (u16). */
#define STUB_ERASE_UNITS 0u
#define STUB_ERASE_MASS  1u
#define STUB_ERASE_BANK  2u
/* Units to erase later: each is erased when an ERASE DEFERRED names it
 * (the host sends one ahead of its first WRITE into it), and all that are
 * left before any request other than WRITE or ERASE runs. */
#define STUB_ERASE_DEFER    3u
#define STUB_ERASE_DEFERRED 4u /* erase those listed that are still deferred; count 0: all */
#define STUB_DEFER_MAX_UNITS 512u /* units the stub can hold back (a bit each) */
#define STUB_ERASE_MAX_UNITS ((STUB_MAX_PAYLOAD - 4u) / 2u)

/* The image: a 64-byte header at its start (the host patches the first two
 * words and the parameter block before Write Memory), the entry point right
 * after it. The code is position-independent: the same bytes run at any
 * 4-aligned RAM address. */
#define STUB_IMAGE_SP        0x00u /* u32: initial MSP (host: params.stack_top) */
#define STUB_IMAGE_ENTRY     0x04u /* u32: load address + STUB_ENTRY_OFFSET + 1 */
#define STUB_IMAGE_MAGIC     0x08u /* u32: STUB_MAGIC */
#define STUB_IMAGE_DRIVER    0x0Cu /* u8 driver, u8 protocol, u16 version */
#define STUB_IMAGE_PARAMS    0x10u /* struct stub_params, 48 bytes */
#define STUB_ENTRY_OFFSET    0x40u

/* Chip kinds (params.chip): what the stub needs to know to drive the
 * clock, the USART and its pins. */
#define STUB_CHIP_F0 1u
#define STUB_CHIP_F1 2u
#define STUB_CHIP_F3 3u
#define STUB_CHIP_F2 4u
#define STUB_CHIP_F4 5u
#define STUB_CHIP_F7 6u
#define STUB_CHIP_G0 7u
#define STUB_CHIP_G4 8u
#define STUB_CHIP_L4 9u
#define STUB_CHIP_L0 10u
#define STUB_CHIP_L1 11u
#define STUB_CHIP_WB 12u /* the L4 RCC layout at 0x58000000, flash_dword.c with STUB_PARAM_DWORD_WB */
#define STUB_CHIP_WL 13u
#define STUB_CHIP_H7 14u /* the H7 image: RCC at 0x58024400, HSI 64 MHz (stub/chip_h7.h) */

/* Parameter block flags. */
#define STUB_PARAM_DUAL_BANK  0x0001u /* F1 XL: bank 2 registers; F4 2 MiB: SNB 16+ */
#define STUB_PARAM_NO_CRC_UNIT 0x0002u
#define STUB_PARAM_BKER_13    0x0004u /* 64-bit driver: BKER is CR bit 13 (G0), else 11 */
#define STUB_PARAM_PECR_L1    0x0008u /* PECR driver: L1's controller (0x40023C00, 128-byte half pages) */
#define STUB_PARAM_DWORD_WB   0x0010u /* 64-bit driver: the WB/WL controller at 0x58004000 */
#define STUB_PARAM_H7_RM0455  0x0020u /* H7 driver: H7A3/B3's CR layout (START 5, FW 4, SNB 12:6) */
#define STUB_PARAM_HSI_ONLY   0x0040u /* keep HSI: the part's maximum is below clock.c's PLL (F100: 24 MHz) */

/* Parameter block at STUB_IMAGE_PARAMS, all u32, little-endian. */
#define STUB_PARAM_CHIP        0x00u
#define STUB_PARAM_FLAGS       0x04u
#define STUB_PARAM_BAUD        0x08u /* the host's rate at Go (8E1) */
#define STUB_PARAM_STACK_TOP   0x0Cu
#define STUB_PARAM_BUF_START   0x10u /* frame buffers: [buf_start, buf_end) */
#define STUB_PARAM_BUF_END     0x14u
#define STUB_PARAM_FLASH_START 0x18u
#define STUB_PARAM_FLASH_SIZE  0x1Cu
#define STUB_PARAM_PAGE_SIZE   0x20u /* page drivers: bytes per page; F4: sector 0's size */
#define STUB_PARAM_BANK2_START 0x24u /* first address of bank 2, 0 if none */
#define STUB_PARAM_SILENCE_MS  0x28u /* silence after which the stub returns to its start state */
#define STUB_PARAM_UNIT_COUNT  0x2Cu /* erase units the flash has (pages or sectors, both banks) */
#define STUB_PARAMS_BYTES      0x30u

#define STUB_STACK_BYTES 1024u /* what the host leaves below stack_top */
/* The stub's own state at buf_start; its frame slots follow it. */
#define STUB_STATE_BYTES 768u
/* One frame slot (a request of the largest payload, 4-aligned). */
#define STUB_SLOT_BYTES (STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD + 2u)

/* The small images (parts whose bootloader leaves 6 to 7.5 KiB: F030x8,
 * F10x-mdvl, F303x8, G431): frames of at most 256 data bytes (it says so in HELLO), less
 * state, a stack sized from -fstack-usage. */
#define STUB_SMALL_MAX_PAYLOAD (4u + 256u)
#define STUB_SMALL_SLOT_BYTES (STUB_FRAME_OVERHEAD + STUB_SMALL_MAX_PAYLOAD + 2u)
#define STUB_SMALL_STATE_BYTES 384u
#define STUB_SMALL_STACK_BYTES 384u

#endif
