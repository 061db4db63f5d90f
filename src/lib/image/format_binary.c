/* Raw binary: the file's bytes placed at a base address; written back as
 * the span from the lowest to the highest address with gaps as 0xFF (the
 * erased state of flash). */
#include <string.h>

#include "image/format_internal.h"

enum stm32_status format_binary_read(const struct format_input *in, struct stm32_image *image,
				     struct stm32_error *err)
{
	if (in->length == 0) {
		stm32_error_set(err, STM32_E_FORMAT, "the input is empty");
		stm32_error_reason(err, STM32_REASON_EMPTY_INPUT);
		return STM32_E_FORMAT;
	}
	if ((uint64_t)in->binary_base + in->length > 0x100000000ull) {
		stm32_error_set(err, STM32_E_RANGE,
				"%zu bytes placed at 0x%08X run past the 4 GiB address space",
				in->length, (unsigned)in->binary_base);
		stm32_error_address(err, in->binary_base);
		return STM32_E_RANGE;
	}
	/* In steps, so a mapped file can drop the pages already copied. */
	for (size_t done = 0; done < in->length;) {
		size_t step = in->length - done;
		if (step > FORMAT_RELEASE_STEP)
			step = FORMAT_RELEASE_STEP;
		enum stm32_status status = stm32_image_add(image, in->binary_base + (uint32_t)done,
							   in->data + done, step, err);
		if (status != STM32_OK)
			return status;
		done += step;
		format_report_progress(in, done);
	}
	return STM32_OK;
}

enum stm32_status format_binary_write(FILE *out, const struct stm32_image *image,
				      struct stm32_error *err)
{
	uint8_t erased[4096];
	memset(erased, 0xFF, sizeof(erased));
	uint64_t position = image->count ? image->segments[0].address : 0;
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		while (position < seg->address) {
			uint64_t gap = seg->address - position;
			size_t step = gap < sizeof(erased) ? (size_t)gap : sizeof(erased);
			if (fwrite(erased, 1, step, out) != step)
				return format_write_failed(err);
			position += step;
		}
		if (fwrite(seg->data, 1, seg->length, out) != seg->length)
			return format_write_failed(err);
		position += seg->length;
	}
	return STM32_OK;
}
