/* Loading and saving the emulated chip's non-volatile memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "chip/image_file.h"

static const char magic[8] = {'S', 'T', 'M', '3', '2', 'S', 'I', 'M'};

static uint32_t option_size(const struct sim_chip *chip)
{
	return chip->options ? chip->dev->opt_size : chip->register_options_size;
}

/* The bytes saved after the flash: the option area, or the register image. */
static uint8_t *option_bytes(const struct sim_chip *chip)
{
	return chip->options ? chip->options : chip->register_options;
}

static bool check_header(const struct sim_chip *chip, const uint8_t *header, long file_size,
			 const char *path, char *why, size_t why_size)
{
	const struct stm32_device *dev = chip->dev;
	uint32_t flash = sim_get_le32(header + 12), options = sim_get_le32(header + 16);
	uint32_t rdp = sim_get_le32(header + 20);
	if (memcmp(header, magic, sizeof(magic)) != 0)
		snprintf(why, why_size, "%s: not an emulator image (bad magic)", path);
	else if (sim_get_le32(header + 8) != SIM_IMAGE_VERSION)
		snprintf(why, why_size, "%s: image format version %u, expected %u", path,
			 sim_get_le32(header + 8), SIM_IMAGE_VERSION);
	else if (flash != dev->flash_size)
		snprintf(why, why_size, "%s: flash size %u does not match %s (%u bytes)", path,
			 flash, dev->name, dev->flash_size);
	else if (options != option_size(chip) && !(options == 0 && !chip->options))
		snprintf(why, why_size, "%s: option-byte size %u does not match %s (%u bytes)",
			 path, options, dev->name, option_size(chip));
	else if (rdp > 2)
		snprintf(why, why_size, "%s: RDP level %u is not 0, 1 or 2", path, rdp);
	else if (file_size != (long)(SIM_IMAGE_HEADER_SIZE + flash + options))
		snprintf(why, why_size, "%s: file is %ld bytes, expected %u for %s", path,
			 file_size, SIM_IMAGE_HEADER_SIZE + flash + options, dev->name);
	else
		return true;
	return false;
}

bool sim_image_load(struct sim_chip *chip, const char *path, bool *existed,
		    char *why, size_t why_size)
{
	FILE *in = fopen(path, "rb");
	*existed = in != NULL;
	if (!in) {
		if (errno == ENOENT)
			return true;
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return false;
	}
	uint8_t header[SIM_IMAGE_HEADER_SIZE];
	bool ok = false;
	long file_size = -1;
	if (fseek(in, 0, SEEK_END) == 0)
		file_size = ftell(in);
	rewind(in);
	if (fread(header, 1, sizeof(header), in) != sizeof(header))
		snprintf(why, why_size, "%s: too short for an emulator image", path);
	else if (check_header(chip, header, file_size, path, why, why_size)) {
		/* A register image saved before there was one: factory values. */
		uint32_t options_in_file = sim_get_le32(header + 16);
		ok = fread(chip->flash, 1, chip->dev->flash_size, in) == chip->dev->flash_size &&
		     (!options_in_file ||
		      fread(option_bytes(chip), 1, options_in_file, in) == options_in_file);
		if (!ok)
			snprintf(why, why_size, "%s: read error", path);
		else if (!chip->options || chip->dev->rdp_offset < 0)
			chip->unmapped_rdp_level = (int)sim_get_le32(header + 20);
	}
	fclose(in);
	if (ok)
		sim_flash_derive_programmed(chip);
	return ok;
}

bool sim_image_save(const struct sim_chip *chip, const char *path, char *why, size_t why_size)
{
	size_t length = strlen(path) + 32;
	char *temp = malloc(length);
	if (!temp) {
		snprintf(why, why_size, "out of memory");
		return false;
	}
	snprintf(temp, length, "%s.tmp.%ld", path, (long)getpid());
	uint8_t header[SIM_IMAGE_HEADER_SIZE] = {0};
	memcpy(header, magic, sizeof(magic));
	sim_put_le32(header + 8, SIM_IMAGE_VERSION);
	sim_put_le32(header + 12, chip->dev->flash_size);
	sim_put_le32(header + 16, option_size(chip));
	sim_put_le32(header + 20, (uint32_t)sim_chip_rdp_level(chip));

	FILE *out = fopen(temp, "wb");
	bool ok = out != NULL;
	if (ok) {
		ok = fwrite(header, 1, sizeof(header), out) == sizeof(header) &&
		     fwrite(chip->flash, 1, chip->dev->flash_size, out) == chip->dev->flash_size &&
		     (!option_size(chip) ||
		      fwrite(option_bytes(chip), 1, option_size(chip), out) == option_size(chip));
		ok = fflush(out) == 0 && ok;
		ok = fclose(out) == 0 && ok;
	}
	if (ok)
		ok = rename(temp, path) == 0;
	if (!ok) {
		snprintf(why, why_size, "%s: cannot save image: %s", path, strerror(errno));
		unlink(temp);
	}
	free(temp);
	return ok;
}
