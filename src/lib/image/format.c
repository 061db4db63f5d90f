/* Format names, detection by content, and dispatch to the readers. */
#include <string.h>
#include <strings.h>

#include "image/format_internal.h"

const char *stm32_format_name(enum stm32_format format)
{
	switch (format) {
	case STM32_FORMAT_AUTO: return "auto";
	case STM32_FORMAT_BINARY: return "binary";
	case STM32_FORMAT_IHEX: return "Intel HEX";
	case STM32_FORMAT_SREC: return "S-record";
	case STM32_FORMAT_ELF: return "ELF";
	case STM32_FORMAT_UF2: return "UF2";
	case STM32_FORMAT_DFU: return "DfuSe";
	}
	return "unknown";
}

struct format_alias {
	const char *name;
	enum stm32_format format;
};

static const struct format_alias format_names[] = {
	{ "bin", STM32_FORMAT_BINARY },   { "binary", STM32_FORMAT_BINARY },
	{ "raw", STM32_FORMAT_BINARY },   { "hex", STM32_FORMAT_IHEX },
	{ "ihex", STM32_FORMAT_IHEX },    { "intel", STM32_FORMAT_IHEX },
	{ "srec", STM32_FORMAT_SREC },    { "s19", STM32_FORMAT_SREC },
	{ "s28", STM32_FORMAT_SREC },     { "s37", STM32_FORMAT_SREC },
	{ "mot", STM32_FORMAT_SREC },     { "s-record", STM32_FORMAT_SREC },
	{ "elf", STM32_FORMAT_ELF },      { "uf2", STM32_FORMAT_UF2 },
	{ "dfu", STM32_FORMAT_DFU },      { "dfuse", STM32_FORMAT_DFU },
};

enum stm32_format stm32_format_parse(const char *name)
{
	if (!name)
		return STM32_FORMAT_AUTO;
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcasecmp(name, format_names[i].name) == 0)
			return format_names[i].format;
	return STM32_FORMAT_AUTO;
}

static const struct format_alias output_extensions[] = {
	{ "hex", STM32_FORMAT_IHEX }, { "ihex", STM32_FORMAT_IHEX },
	{ "srec", STM32_FORMAT_SREC }, { "s19", STM32_FORMAT_SREC },
	{ "s28", STM32_FORMAT_SREC }, { "s37", STM32_FORMAT_SREC },
	{ "mot", STM32_FORMAT_SREC }, { "uf2", STM32_FORMAT_UF2 },
	{ "dfu", STM32_FORMAT_DFU },
};

enum stm32_format stm32_format_from_extension(const char *path)
{
	if (!path)
		return STM32_FORMAT_BINARY;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return STM32_FORMAT_BINARY;
	for (size_t i = 0; i < sizeof(output_extensions) / sizeof(output_extensions[0]); i++)
		if (strcasecmp(dot + 1, output_extensions[i].name) == 0)
			return output_extensions[i].format;
	return STM32_FORMAT_BINARY;
}

enum stm32_format stm32_format_detect(const uint8_t *data, size_t length)
{
	static const uint8_t elf_magic[4] = { 0x7F, 'E', 'L', 'F' };
	if (!data)
		return STM32_FORMAT_BINARY;
	if (length >= sizeof(elf_magic) && memcmp(data, elf_magic, sizeof(elf_magic)) == 0)
		return STM32_FORMAT_ELF;
	if (format_looks_like_uf2(data, length))
		return STM32_FORMAT_UF2;
	if (format_looks_like_dfuse(data, length))
		return STM32_FORMAT_DFU;
	if (format_looks_like_ihex(data, length))
		return STM32_FORMAT_IHEX;
	if (format_looks_like_srec(data, length))
		return STM32_FORMAT_SREC;
	return STM32_FORMAT_BINARY;
}

static enum stm32_status format_read(const struct format_input *in, enum stm32_format format,
				     struct stm32_image *image, struct stm32_error *err)
{
	switch (format) {
	case STM32_FORMAT_BINARY: return format_binary_read(in, image, err);
	case STM32_FORMAT_IHEX: return format_ihex_read(in, image, err);
	case STM32_FORMAT_SREC: return format_srec_read(in, image, err);
	case STM32_FORMAT_ELF: return format_elf_read(in, image, err);
	case STM32_FORMAT_UF2: return format_uf2_read(in, image, err);
	case STM32_FORMAT_DFU: return format_dfu_read(in, image, err);
	case STM32_FORMAT_AUTO: break;
	}
	return stm32_error_set(err, STM32_E_INVALID, "unknown input format %d", (int)format);
}

enum stm32_status format_parse_input(const struct format_input *in, enum stm32_format format,
				     struct stm32_image *image, enum stm32_format *detected,
				     struct stm32_error *err)
{
	stm32_error_clear(err);
	if (!image || (!in->data && in->length))
		return stm32_error_set(err, STM32_E_INVALID, "no image or no input buffer given");
	if (image->count != 0)
		return stm32_error_set(err, STM32_E_INVALID, "the image to parse into is not empty");
	if (format == STM32_FORMAT_AUTO)
		format = stm32_format_detect(in->data, in->length);
	if (detected)
		*detected = format;
	enum stm32_status status = format_read(in, format, image, err);
	if (status != STM32_OK) {
		stm32_image_free(image);
		stm32_image_init(image);
	}
	return status;
}

enum stm32_status stm32_format_parse_buffer(const uint8_t *data, size_t length,
					    enum stm32_format format, uint32_t binary_base,
					    struct stm32_image *image, enum stm32_format *detected,
					    struct stm32_error *err)
{
	static const uint8_t nothing[1];
	struct format_input in = {
		.data = data || length ? data : nothing,
		.length = length,
		.binary_base = binary_base,
	};
	return format_parse_input(&in, format, image, detected, err);
}
