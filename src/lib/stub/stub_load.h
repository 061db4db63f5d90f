/* Choosing the stub image for a device, placing it in the RAM the ROM
 * leaves us, and filling its header and parameter block. */
#ifndef STM32_STUB_LOAD_H
#define STM32_STUB_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stub/stub_images.h"

struct stub_placement {
	const struct stm32_stub_image *image;
	uint32_t chip;        /* STUB_CHIP_* */
	uint32_t load;        /* where the image goes */
	uint32_t buf_start, buf_end, stack_top;
	unsigned window;      /* frame slots that fit */
};

/* What an image needs around it (the small image's STUB_SMALL_* or the
 * others'), and the data bytes of its largest write frame. */
uint32_t stub_image_state_bytes(const struct stm32_stub_image *image);
uint32_t stub_image_slot_bytes(const struct stm32_stub_image *image);
uint32_t stub_image_stack_bytes(const struct stm32_stub_image *image);
uint32_t stub_image_chunk(const struct stm32_stub_image *image);

/* The family's first image that fits, with its state, slots and stack;
 * false with a reason in why when there is no stub for device or none fits. */
bool stub_place(const struct stm32_device *device, struct stub_placement *out, char *why,
		size_t why_size);

/* The parts whose maximum clock is below the PLL the stub would raise to
 * (STUB_PARAM_HSI_ONLY): the stub stays on HSI, 8 MHz, and its rates. */
bool stub_hsi_only(const struct stm32_device *device);

/* The image as it is written: header and parameters filled in. out holds
 * p->image->size bytes. */
void stub_patch(const struct stub_placement *p, const struct stm32_device *device, unsigned baud,
		unsigned silence_ms, uint8_t *out);

#endif
