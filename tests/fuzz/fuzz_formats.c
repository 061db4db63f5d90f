/* libFuzzer target: every reader on arbitrary bytes. A reader may refuse the
 * input, but must not crash, leak, or report success with an inconsistent
 * image. Built with clang -fsanitize=fuzzer when STM32BOOT_FUZZ is on; the
 * replay driver (fuzz_replay.c) runs the same function over the corpora in
 * ordinary test runs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "stm32boot/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The promises of image.h, checked on every successful parse. */
static void check_image(const struct stm32_image *image)
{
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *seg = &image->segments[i];
		uint64_t end = (uint64_t)seg->address + seg->length;
		if (seg->length == 0 || end > 0x100000000ull)
			abort();
		if (i + 1 < image->count && end >= image->segments[i + 1].address)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum stm32_format formats[] = {
		STM32_FORMAT_AUTO, STM32_FORMAT_BINARY, STM32_FORMAT_IHEX,
		STM32_FORMAT_SREC, STM32_FORMAT_ELF, STM32_FORMAT_DFU,
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct stm32_image image;
		struct stm32_error err;
		enum stm32_format detected;
		stm32_image_init(&image);
		enum stm32_status status = stm32_format_parse_buffer(data, size, formats[i], 0x08000000,
								     &image, &detected, &err);
		if (status == STM32_OK)
			check_image(&image);
		else if (image.count != 0 || err.status != status)
			abort();
		stm32_image_free(&image);
	}
	return 0;
}
