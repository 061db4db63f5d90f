/* The --image file: a 32-byte little-endian header, the flash, then the
 * option bytes (docs/architecture.md, "Image file"). */
#ifndef STM32SIM_IMAGE_FILE_H
#define STM32SIM_IMAGE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "chip/chip.h"

#define SIM_IMAGE_HEADER_SIZE 32u
#define SIM_IMAGE_VERSION 1u

/* Load path into chip. A missing file leaves the chip factory-fresh and sets
 * *existed to false. Returns false with a one-line reason on a bad file. */
bool sim_image_load(struct sim_chip *chip, const char *path, bool *existed,
		    char *why, size_t why_size);
/* Save atomically (temporary file + rename). */
bool sim_image_save(const struct sim_chip *chip, const char *path, char *why, size_t why_size);

#endif
