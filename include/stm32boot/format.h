/* libstm32boot: image file formats.
 *
 * Input: raw binary, Intel HEX (records 00-05), Motorola S-record (S0-S3,
 * S5-S9), ELF (PT_LOAD segments at their physical addresses) and DfuSe .dfu
 * (ST UM0391, CRC checked), detected by content, not by extension; UF2
 * (microsoft/uf2 blocks, main-flash blocks taken at their addresses).
 * Output: binary, Intel HEX, S-record, UF2 or DfuSe, written to a temporary
 * file and renamed into place only when complete. */
#ifndef STM32BOOT_FORMAT_H
#define STM32BOOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/image.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_format {
	STM32_FORMAT_AUTO = 0, /* detect by content (input) or extension (output) */
	STM32_FORMAT_BINARY,
	STM32_FORMAT_IHEX,
	STM32_FORMAT_SREC,
	STM32_FORMAT_ELF,
	STM32_FORMAT_UF2,
	STM32_FORMAT_DFU,  /* DfuSe (UM0391): prefix, targets, elements, DFU suffix */
};

/* UF2 blocks as written: 512 bytes, 256 of payload. */
#define STM32_UF2_BLOCK_SIZE 512u
#define STM32_UF2_PAYLOAD 256u

const char *stm32_format_name(enum stm32_format format); /* "binary", "Intel HEX", ... */
/* "bin", "hex"/"ihex", "srec"/"s19"/..., "elf", "uf2", "dfu"/"dfuse";
 * STM32_FORMAT_AUTO if unknown. */
enum stm32_format stm32_format_parse(const char *name);
/* Output format chosen by file extension: .hex/.ihex, .srec/.s19/.s28/.s37/.mot,
 * .uf2, .dfu, anything else binary. */
enum stm32_format stm32_format_from_extension(const char *path);

/* Detect the format of a buffer by content. */
enum stm32_format stm32_format_detect(const uint8_t *data, size_t length);

/* Parse a buffer into image (which must be initialised and empty). A raw
 * binary is placed at binary_base. *detected (may be NULL) gets the format
 * used. Errors name the line (text formats) or offset and what is wrong. */
enum stm32_status stm32_format_parse_buffer(const uint8_t *data, size_t length,
					    enum stm32_format format, uint32_t binary_base,
					    struct stm32_image *image, enum stm32_format *detected,
					    struct stm32_error *err);

/* Read and parse a file; path "-" reads standard input (binary forced, as
 * stm32flash does). Refuses directories, unreadable files and files larger
 * than 4 GiB with a clear message. */
enum stm32_status stm32_format_load(const char *path, enum stm32_format format,
				    uint32_t binary_base, struct stm32_image *image,
				    enum stm32_format *detected, struct stm32_error *err);

/* A .dfu file names the USB device it is for in its suffix (image->usb;
 * 0xFFFF matches any). STM32_E_INVALID naming both when the file's vendor
 * or product ID is not the device's; STM32_OK when they match or the image
 * has no such IDs (it did not come from a .dfu file). */
enum stm32_status stm32_format_check_usb_ids(const struct stm32_image *image, uint16_t vendor,
					     uint16_t product, struct stm32_error *err);

/* Write image to path in format (AUTO: by extension). A binary output is the
 * bytes from the lowest to the highest address with gaps filled with 0xFF.
 * A DfuSe output is one target (alternate setting 0) with an element per
 * segment and a suffix with image->usb's IDs, or 0483:DF11 and bcdDevice
 * 0xFFFF when the image has none. "-" writes to standard output. Writes path.tmp-XXXXXX then renames; on
 * failure nothing is left under path. */
enum stm32_status stm32_format_save(const char *path, enum stm32_format format,
				    const struct stm32_image *image, struct stm32_error *err);
/* The same for any format, with the UF2 family ID (the device row's
 * uf2_family) that a UF2 output puts in every block (flag 0x2000); 0 leaves
 * the flag off, and UF2 bootloaders that check families ignore the file. */
enum stm32_status stm32_format_save_family(const char *path, enum stm32_format format,
					   const struct stm32_image *image, uint32_t uf2_family,
					   struct stm32_error *err);
/* The image as UF2 blocks in memory (*out malloc'd, *length bytes): one
 * block per 256-byte aligned window the image touches, bytes it does not
 * hold 0xFF, block numbers from 0, the total in each. */
enum stm32_status stm32_format_uf2_encode(const struct stm32_image *image, uint32_t uf2_family,
					  uint8_t **out, size_t *length, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
