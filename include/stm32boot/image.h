/* libstm32boot: sparse memory images.
 *
 * An image is a set of non-overlapping segments, kept sorted by address and
 * with touching segments merged. File parsers build images, the flash plan
 * reads them, the emulator keeps its memory in one. */
#ifndef STM32BOOT_IMAGE_H
#define STM32BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct stm32_segment {
	uint32_t address;
	uint32_t length;
	uint8_t *data;
	size_t capacity; /* bytes allocated for data (internal) */
};

/* The USB IDs in a .dfu file's suffix: the device the file is for. 0xFFFF
 * in a field matches any device. */
struct stm32_usb_ids {
	bool present;                   /* the image came from a .dfu file */
	uint16_t vendor, product, device; /* idVendor, idProduct, bcdDevice */
};

struct stm32_image {
	struct stm32_segment *segments; /* sorted by address, never touching */
	size_t count;
	size_t capacity;
	bool has_entry;
	uint32_t entry;                 /* start address from the file, if any */
	struct stm32_usb_ids usb;       /* from a .dfu suffix; a .dfu output uses them */
};

void stm32_image_init(struct stm32_image *image);
void stm32_image_free(struct stm32_image *image);

/* Add bytes; fails with STM32_E_FORMAT if any byte is already present, or
 * STM32_E_RANGE if the span passes 4 GiB. Merges with touching segments. */
enum stm32_status stm32_image_add(struct stm32_image *image, uint32_t address,
				  const uint8_t *data, size_t length,
				  struct stm32_error *err);

/* Like stm32_image_add but overwrites bytes already present. */
enum stm32_status stm32_image_put(struct stm32_image *image, uint32_t address,
				  const uint8_t *data, size_t length,
				  struct stm32_error *err);

/* Copy [address, address+length) into out; bytes not in the image become
 * fill. Returns true if at least one byte came from the image. */
bool stm32_image_read(const struct stm32_image *image, uint32_t address,
		      uint8_t *out, size_t length, uint8_t fill);

/* True if any byte of [address, address+length) is in the image. */
bool stm32_image_covers_any(const struct stm32_image *image, uint32_t address,
			    uint64_t length);

/* Total number of bytes held. */
uint64_t stm32_image_size(const struct stm32_image *image);
/* Lowest address and one past the highest; false if the image is empty. */
bool stm32_image_bounds(const struct stm32_image *image, uint32_t *low, uint64_t *high_exclusive);

/* Move every segment by delta (for raw binaries placed at -S). */
enum stm32_status stm32_image_relocate(struct stm32_image *image, int64_t delta,
				       struct stm32_error *err);

/* Keep only bytes inside [address, address+length). */
enum stm32_status stm32_image_clip(struct stm32_image *image, uint32_t address,
				   uint64_t length, struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
