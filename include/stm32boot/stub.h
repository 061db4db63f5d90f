/* libstm32boot: the RAM stub back end (docs/stub-protocol.md).
 *
 * A small program of ours, loaded into SRAM through the ROM bootloader
 * (Write Memory, then Go) and spoken to in a protocol of its own: frames
 * with a CRC-32 and sequence numbers, a window of write frames in flight,
 * streamed reads, verify by the chip's CRC unit. It drives USART1 (the ROM
 * must have been reached through USART1) and the flash controller itself.
 *
 * stm32_stub_open takes a ROM target that is connected and the transport
 * under it; after it returns (either way, once Go was sent) the ROM target
 * no longer talks to the chip: close it. The stub target owns nothing but
 * itself; the transport stays the caller's. */
#ifndef STM32BOOT_STUB_H
#define STM32BOOT_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"
#include "stm32boot/rom.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct stm32_stub_options {
	unsigned answer_ms;       /* wait for the stub's HELLO after Go (default 1000) */
	unsigned silence_ms;      /* the stub returns to its start state after this much
				   * silence from the host (default 10000; 0: never) */
	stm32_reentry_fn reenter; /* to put the chip back into its bootloader when the
				   * stub does not answer (the CLI's -i sequence); may be NULL */
	void *reenter_user;
	/* The rate after HELLO (docs/stub-protocol.md "Switching the rate"):
	 * 0 (default) the fastest of 2000000, 1000000, 460800, 230400, 115200
	 * (8N1) that the stub, its clock and the port make and that a
	 * full-size frame confirms; STM32_STUB_BAUD_KEEP (or the link's rate)
	 * stays at the ROM's rate and 8E1; any other rate is that one only,
	 * and opening fails (STM32_E_UNSUPPORTED, nothing written to flash)
	 * when it cannot be made. */
	unsigned baud;
	bool overlap;             /* hold unit erases back until the first write into each
				   * and keep write frames in flight across entries: faster,
				   * but the caller must call stm32_stub_finish before it
				   * trusts the flash (default false) */
};

#define STM32_STUB_BAUD_KEEP 1u

void stm32_stub_options_default(struct stm32_stub_options *opts);

/* Whether there is a stub for device that fits the RAM its bootloader lets
 * us write; false with a one-line reason in why (may be NULL) when not. */
bool stm32_stub_supported(const struct stm32_device *device, char *why, size_t why_size);

/* The bytes loading the stub writes through the ROM (0: no stub). */
size_t stm32_stub_image_size(const struct stm32_device *device);

/* The name of the image device would get ("f1", "f3small"; NULL: none
 * fits, see stm32_stub_supported): what --dry-run shows. */
const char *stm32_stub_image_name(const struct stm32_device *device);

/* The stub's descriptor for device on a UART at baud, as stm32_stub_open
 * fills it for a stub that answers as this one does: for estimates. */
void stm32_stub_describe(const struct stm32_device *device, unsigned baud,
			 struct stm32_target_desc *out);

/* The rate a stub loaded at rom_baud with options baud (as above) would
 * run at, on a port that makes every rate: what --dry-run assumes. */
unsigned stm32_stub_planned_baud(const struct stm32_device *device, unsigned rom_baud,
				 unsigned baud);

/* As stm32_stub_describe for a stub running at stub_baud with
 * bits_per_byte on the wire (10: 8N1 once switched; 11: 8E1, the ROM's). */
void stm32_stub_describe_at(const struct stm32_device *device, unsigned stub_baud,
			    unsigned bits_per_byte, struct stm32_target_desc *out);

/* Load the stub through rom, start it, check its HELLO. A stub that does
 * not answer: STM32_E_TIMEOUT (op STM32_OP_CONNECT), after opts->reenter
 * was run when there is one; the message says what the user can do. */
enum stm32_status stm32_stub_open(struct stm32_target *rom, struct stm32_transport *t,
				  const struct stm32_stub_options *opts, struct stm32_target **out,
				  struct stm32_error *err);

/* What the running stub announced. */
struct stm32_stub_info {
	const char *image;     /* "f1", "f4", "dword" */
	uint32_t load_address;
	size_t image_size;
	unsigned protocol, driver, version, window, program_unit;
	uint32_t caps;         /* STUB_CAP_* of docs/stub-protocol.md */
	uint32_t clock_hz;     /* the stub's USART kernel clock */
	uint32_t baud;         /* the rate it runs at now */
	const char *framing;   /* "8N1" once switched, else "8E1" (the ROM's) */
	/* Write frames so far, those sent LZ4-compressed, their data bytes
	 * and the bytes sent for them (compressed blocks + their sizes). */
	unsigned frames, compressed_frames;
	uint64_t data_bytes, sent_bytes;
};

/* False (info untouched) when t is not a stub target. */
/* With options.overlap: wait for every frame in flight and do every erase
 * still held back; an error here is the failure of an entry that returned
 * STM32_OK. STM32_OK at once for a target that is not the stub. */
enum stm32_status stm32_stub_finish(struct stm32_target *t, struct stm32_error *err);

bool stm32_stub_info(const struct stm32_target *t, struct stm32_stub_info *info);

#ifdef __cplusplus
}
#endif
#endif
