/* DfuSe .dfu files (ST UM0391): a prefix, one target per alternate
 * setting, each a list of elements (address, size, bytes), and the 16-byte
 * DFU suffix with the USB IDs and a CRC-32 over everything before the CRC.
 * All fields are little-endian.
 *
 * Every element goes into the image at its own address: on an STM32 the
 * address alone says which memory it is (flash, option bytes, OTP), so the
 * alternate setting is not needed to place it. The prefix's image-size
 * field is not relied on (writers disagree on whether it counts the
 * suffix); the targets must fill the file exactly up to the suffix. */
#include <string.h>

#include "image/format_internal.h"

#define DFU_PREFIX_SIZE 11u
#define DFU_TARGET_PREFIX_SIZE 274u
#define DFU_TARGET_NAME_SIZE 255u
#define DFU_ELEMENT_HEADER_SIZE 8u
#define DFU_SUFFIX_SIZE 16u
#define DFU_BCD_DFUSE 0x011Au
#define DFU_DEFAULT_VENDOR 0x0483u  /* the STM32 ROM's DfuSe device */
#define DFU_DEFAULT_PRODUCT 0xDF11u
#define DFU_ANY_ID 0xFFFFu
#define DFU_TARGET_NAME "stm32boot"

/* Reflected CRC-32 (polynomial 0xEDB88320), initial 0xFFFFFFFF, no final
 * XOR: the DFU suffix's dwCRC as dfu-util computes it. */
struct dfu_crc {
	uint32_t table[256];
	uint32_t value;
};

static void dfu_crc_init(struct dfu_crc *crc)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int bit = 0; bit < 8; bit++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc->table[i] = c;
	}
	crc->value = 0xFFFFFFFFu;
}

static void dfu_crc_add(struct dfu_crc *crc, const uint8_t *data, size_t length)
{
	uint32_t c = crc->value;
	for (size_t i = 0; i < length; i++)
		c = crc->table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
	crc->value = c;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static enum stm32_status dfu_error(struct stm32_error *err, enum stm32_status status,
				   size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "DfuSe file, offset 0x1B: ..." (the loader puts the file name first). */
static enum stm32_status dfu_error(struct stm32_error *err, enum stm32_status status,
				   size_t offset, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	stm32_error_vset(err, status, fmt, args);
	va_end(args);
	char where[48];
	snprintf(where, sizeof where, "DfuSe file, offset 0x%zX: ", offset);
	format_prefix_error(err, where);
	return status;
}

bool format_looks_like_dfuse(const uint8_t *data, size_t length)
{
	return length >= 5 && memcmp(data, "DfuSe", 5) == 0;
}

/* Signature, length, DFU version and CRC of the suffix at the end of data. */
static enum stm32_status dfu_check_suffix(const uint8_t *data, size_t length,
					  struct stm32_error *err)
{
	size_t at = length - DFU_SUFFIX_SIZE;
	const uint8_t *suffix = data + at;
	if (memcmp(suffix + 8, "UFD", 3) != 0)
		return dfu_error(err, STM32_E_FORMAT, at + 8,
				 "no DFU suffix signature (\"UFD\") in the last 16 bytes: truncated?");
	if (suffix[11] != DFU_SUFFIX_SIZE)
		return dfu_error(err, STM32_E_FORMAT, at + 11,
				 "DFU suffix length is %u, not 16", suffix[11]);
	uint16_t bcd = le16(suffix + 6);
	if (bcd != DFU_BCD_DFUSE)
		return dfu_error(err, STM32_E_FORMAT, at + 6,
				 "DFU suffix gives DFU version 0x%04X; a DfuSe file has 0x011A", bcd);
	struct dfu_crc crc;
	dfu_crc_init(&crc);
	dfu_crc_add(&crc, data, length - 4);
	uint32_t stored = le32(suffix + 12);
	if (stored != crc.value)
		return dfu_error(err, STM32_E_FORMAT, at + 12,
				 "bad CRC 0x%08X in the DFU suffix (the file's bytes give 0x%08X): damaged file",
				 (unsigned)stored, (unsigned)crc.value);
	return STM32_OK;
}

static enum stm32_status dfu_element(const struct format_input *in, struct stm32_image *image,
				     size_t at, size_t target_end, unsigned t, uint32_t e,
				     size_t *next, struct stm32_error *err)
{
	if (target_end - at < DFU_ELEMENT_HEADER_SIZE)
		return dfu_error(err, STM32_E_FORMAT, at,
				 "target %u: element %u's header runs past the target's size", t,
				 (unsigned)e);
	uint32_t address = le32(in->data + at), size = le32(in->data + at + 4);
	size_t data_at = at + DFU_ELEMENT_HEADER_SIZE;
	if (size > target_end - data_at)
		return dfu_error(err, STM32_E_FORMAT, at + 4,
				 "target %u: element %u's %u bytes run past the target's size", t,
				 (unsigned)e, (unsigned)size);
	if ((uint64_t)address + size > 0x100000000ull) {
		dfu_error(err, STM32_E_RANGE, at,
			  "target %u: element %u (%u bytes at 0x%08X) runs past the 4 GiB address space",
			  t, (unsigned)e, (unsigned)size, (unsigned)address);
		stm32_error_address(err, address);
		return STM32_E_RANGE;
	}
	if (stm32_image_covers_any(image, address, size)) {
		dfu_error(err, STM32_E_FORMAT, at,
			  "target %u: element %u at 0x%08X overlaps data given earlier", t,
			  (unsigned)e, (unsigned)address);
		stm32_error_address(err, address);
		return STM32_E_FORMAT;
	}
	if (size > 0) {
		enum stm32_status status =
			stm32_image_add(image, address, in->data + data_at, size, err);
		if (status != STM32_OK)
			return status;
	}
	*next = data_at + size;
	format_report_progress(in, *next);
	return STM32_OK;
}

static enum stm32_status dfu_target(const struct format_input *in, struct stm32_image *image,
				    size_t at, size_t end, unsigned t, size_t *next,
				    struct stm32_error *err)
{
	const uint8_t *p = in->data + at;
	if (end - at < DFU_TARGET_PREFIX_SIZE)
		return dfu_error(err, STM32_E_FORMAT, at,
				 "target %u's prefix runs into the DFU suffix: truncated?", t);
	if (memcmp(p, "Target", 6) != 0)
		return dfu_error(err, STM32_E_FORMAT, at,
				 "target %u has no \"Target\" signature", t);
	uint32_t size = le32(p + 266), elements = le32(p + 270);
	size_t body = at + DFU_TARGET_PREFIX_SIZE;
	if (size > end - body)
		return dfu_error(err, STM32_E_FORMAT, at + 266,
				 "target %u says %u bytes but only %zu are left before the suffix", t,
				 (unsigned)size, end - body);
	size_t target_end = body + size, cursor = body;
	for (uint32_t e = 0; e < elements; e++) {
		enum stm32_status status =
			dfu_element(in, image, cursor, target_end, t, e, &cursor, err);
		if (status != STM32_OK)
			return status;
	}
	if (cursor != target_end)
		return dfu_error(err, STM32_E_FORMAT, cursor,
				 "target %u says %u bytes but its %u elements hold %zu", t,
				 (unsigned)size, (unsigned)elements, cursor - body);
	*next = target_end;
	return STM32_OK;
}

enum stm32_status format_dfu_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err)
{
	const uint8_t *data = in->data;
	size_t length = in->length;
	if (!format_looks_like_dfuse(data, length))
		return dfu_error(err, STM32_E_FORMAT, 0,
				 "no \"DfuSe\" signature: not a DfuSe file (plain DFU files are not read)");
	if (length < DFU_PREFIX_SIZE + DFU_SUFFIX_SIZE)
		return dfu_error(err, STM32_E_FORMAT, length,
				 "the file ends after %zu bytes, before the prefix and suffix: truncated?",
				 length);
	enum stm32_status status = dfu_check_suffix(data, length, err);
	if (status != STM32_OK)
		return status;
	if (data[5] != 1)
		return dfu_error(err, STM32_E_FORMAT, 5, "DfuSe version %u; only version 1 is known",
				 data[5]);
	unsigned targets = data[10];
	if (targets == 0)
		return dfu_error(err, STM32_E_FORMAT, 10, "the file holds no targets");
	size_t end = length - DFU_SUFFIX_SIZE, cursor = DFU_PREFIX_SIZE;
	for (unsigned t = 0; t < targets; t++) {
		status = dfu_target(in, image, cursor, end, t, &cursor, err);
		if (status != STM32_OK)
			return status;
	}
	if (cursor != end)
		return dfu_error(err, STM32_E_FORMAT, cursor,
				 "%zu bytes after the last of %u targets, before the suffix", end - cursor,
				 targets);
	if (image->count == 0)
		return dfu_error(err, STM32_E_FORMAT, DFU_PREFIX_SIZE,
				 "the file's targets hold no data");
	const uint8_t *suffix = data + end;
	image->usb.present = true;
	image->usb.device = le16(suffix);
	image->usb.product = le16(suffix + 2);
	image->usb.vendor = le16(suffix + 4);
	return STM32_OK;
}

/* ---- writing ---- */

struct dfu_writer {
	FILE *out;
	struct dfu_crc crc;
};

static bool dfu_put(struct dfu_writer *w, const uint8_t *data, size_t length)
{
	dfu_crc_add(&w->crc, data, length);
	return fwrite(data, 1, length, w->out) == length;
}

enum stm32_status format_dfu_write(FILE *out, const struct stm32_image *image,
				   struct stm32_error *err)
{
	uint64_t target_size = 0;
	for (size_t s = 0; s < image->count; s++)
		target_size += DFU_ELEMENT_HEADER_SIZE + (uint64_t)image->segments[s].length;
	uint64_t file_size =
		DFU_PREFIX_SIZE + DFU_TARGET_PREFIX_SIZE + target_size + DFU_SUFFIX_SIZE;
	if (file_size > 0xFFFFFFFFu || image->count > 0xFFFFFFFFu)
		return stm32_error_set(err, STM32_E_RANGE,
				       "the image is too large for a DfuSe file (%llu bytes)",
				       (unsigned long long)file_size);
	struct dfu_writer w = { .out = out };
	dfu_crc_init(&w.crc);

	uint8_t prefix[DFU_PREFIX_SIZE];
	memcpy(prefix, "DfuSe", 5);
	prefix[5] = 1;
	put32(prefix + 6, (uint32_t)file_size); /* as dfuse-pack: the whole file */
	prefix[10] = 1;
	uint8_t target[DFU_TARGET_PREFIX_SIZE];
	memset(target, 0, sizeof target);
	memcpy(target, "Target", 6);
	target[6] = 0; /* alternate setting 0: internal flash */
	put32(target + 7, 1);
	memcpy(target + 11, DFU_TARGET_NAME, sizeof DFU_TARGET_NAME);
	put32(target + 266, (uint32_t)target_size);
	put32(target + 270, (uint32_t)image->count);
	if (!dfu_put(&w, prefix, sizeof prefix) || !dfu_put(&w, target, sizeof target))
		return format_write_failed(err);
	for (size_t s = 0; s < image->count; s++) {
		const struct stm32_segment *seg = &image->segments[s];
		uint8_t header[DFU_ELEMENT_HEADER_SIZE];
		put32(header, seg->address);
		put32(header + 4, seg->length);
		if (!dfu_put(&w, header, sizeof header) || !dfu_put(&w, seg->data, seg->length))
			return format_write_failed(err);
	}
	const struct stm32_usb_ids *ids = &image->usb;
	uint8_t suffix[DFU_SUFFIX_SIZE];
	put16(suffix, ids->present ? ids->device : DFU_ANY_ID);
	put16(suffix + 2, ids->present ? ids->product : DFU_DEFAULT_PRODUCT);
	put16(suffix + 4, ids->present ? ids->vendor : DFU_DEFAULT_VENDOR);
	put16(suffix + 6, DFU_BCD_DFUSE);
	memcpy(suffix + 8, "UFD", 3);
	suffix[11] = DFU_SUFFIX_SIZE;
	dfu_crc_add(&w.crc, suffix, 12);
	put32(suffix + 12, w.crc.value);
	if (fwrite(suffix, 1, sizeof suffix, out) != sizeof suffix)
		return format_write_failed(err);
	return STM32_OK;
}

/* ---- the suffix's IDs against a device's ---- */

static bool id_matches(uint16_t in_file, uint16_t device)
{
	return in_file == DFU_ANY_ID || in_file == device;
}

enum stm32_status stm32_format_check_usb_ids(const struct stm32_image *image, uint16_t vendor,
					     uint16_t product, struct stm32_error *err)
{
	stm32_error_clear(err);
	if (!image || !image->usb.present)
		return STM32_OK;
	const struct stm32_usb_ids *ids = &image->usb;
	if (id_matches(ids->vendor, vendor) && id_matches(ids->product, product))
		return STM32_OK;
	return stm32_error_set(err, STM32_E_INVALID,
			       "the file's DFU suffix is for USB device %04X:%04X, not this %04X:%04X",
			       ids->vendor, ids->product, vendor, product);
}
