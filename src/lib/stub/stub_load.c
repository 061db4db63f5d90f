/* Where the stub goes (docs/stub-protocol.md "Loading"): at the first RAM
 * address the bootloader lets us write (devices.tsv ram_start, AN2606
 * Table 226; what lies below is the ROM's), its state and frame slots right
 * after it, its stack at the top of RAM. */
#include "stub/stub_load.h"

#include <stdio.h>
#include <string.h>

#include "stub/stub_wire.h"

static uint32_t chip_kind(const char *family)
{
	static const struct {
		const char *family;
		uint32_t chip;
	} kinds[] = {
		{"F0", STUB_CHIP_F0}, {"F1", STUB_CHIP_F1}, {"F3", STUB_CHIP_F3},
		{"F2", STUB_CHIP_F2}, {"F4", STUB_CHIP_F4}, {"F7", STUB_CHIP_F7},
		{"G0", STUB_CHIP_G0}, {"G4", STUB_CHIP_G4}, {"L4", STUB_CHIP_L4},
		{"L0", STUB_CHIP_L0}, {"L1", STUB_CHIP_L1},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].family, family) == 0)
			return kinds[i].chip;
	return 0;
}

static const struct stm32_stub_image *image_for(const char *family)
{
	for (size_t i = 0; i < stm32_stub_image_count; i++) {
		const char *list = stm32_stub_images[i].families;
		size_t n = strlen(family);
		for (const char *p = list; (p = strstr(p, family)) != NULL; p += n)
			if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return &stm32_stub_images[i];
	}
	return NULL;
}

bool stub_place(const struct stm32_device *device, struct stub_placement *out, char *why,
		size_t why_size)
{
	memset(out, 0, sizeof(*out));
	out->chip = chip_kind(device->family);
	out->image = out->chip ? image_for(device->family) : NULL;
	if (!out->image) {
		snprintf(why, why_size, "there is no stub for the %s family yet", device->family);
		return false;
	}
	if (device->flags & STM32_DEV_NO_RAM_ACCESS) {
		snprintf(why, why_size, "the %s bootloader cannot write RAM", device->name);
		return false;
	}
	out->load = (device->ram_start + 3u) & ~3u;
	out->buf_start = (out->load + (uint32_t)out->image->size + 7u) & ~7u;
	out->stack_top = (device->ram_end - 16u) & ~7u; /* H74x wants SP below the end - 16 */
	out->buf_end = out->stack_top - STUB_STACK_BYTES;
	uint64_t room = out->buf_end > out->buf_start ? out->buf_end - out->buf_start : 0;
	uint64_t slots = room > STUB_STATE_BYTES ? (room - STUB_STATE_BYTES) / STUB_SLOT_BYTES : 0;
	if (device->ram_end <= device->ram_start || slots == 0) {
		snprintf(why, why_size,
			 "the stub (%zu bytes + %u of buffers and stack) does not fit the %u bytes of RAM "
			 "the %s bootloader leaves",
			 out->image->size, STUB_STATE_BYTES + STUB_SLOT_BYTES + STUB_STACK_BYTES,
			 device->ram_end > device->ram_start ? device->ram_end - device->ram_start : 0u,
			 device->name);
		return false;
	}
	out->window = slots > STUB_MAX_WINDOW ? STUB_MAX_WINDOW : (unsigned)slots;
	return true;
}

static void put_param(uint8_t *image, uint32_t offset, uint32_t value)
{
	stub_put32(image + STUB_IMAGE_PARAMS + offset, value);
}

void stub_patch(const struct stub_placement *p, const struct stm32_device *device, unsigned baud,
		unsigned silence_ms, uint8_t *out)
{
	memcpy(out, p->image->bytes, p->image->size);
	stub_put32(out + STUB_IMAGE_SP, p->stack_top);
	stub_put32(out + STUB_IMAGE_ENTRY, p->load + STUB_ENTRY_OFFSET + 1u); /* Thumb */
	uint32_t flags = 0;
	bool pages = p->image->driver != STUB_DRIVER_F4; /* F4: sectors by number */
	if (device->bank_count == 2 && !pages)
		flags |= STUB_PARAM_DUAL_BANK;
	if (p->chip == STUB_CHIP_G0)
		flags |= STUB_PARAM_BKER_13;
	if (p->chip == STUB_CHIP_L1)
		flags |= STUB_PARAM_PECR_L1;
	put_param(out, STUB_PARAM_CHIP, p->chip);
	put_param(out, STUB_PARAM_FLAGS, flags);
	put_param(out, STUB_PARAM_BAUD, baud ? baud : 115200u);
	put_param(out, STUB_PARAM_STACK_TOP, p->stack_top);
	put_param(out, STUB_PARAM_BUF_START, p->buf_start);
	put_param(out, STUB_PARAM_BUF_END, p->buf_end);
	put_param(out, STUB_PARAM_FLASH_START, device->flash_start);
	put_param(out, STUB_PARAM_FLASH_SIZE, device->flash_size);
	put_param(out, STUB_PARAM_PAGE_SIZE, pages && device->layout_runs ? device->layout[0].size : 0u);
	put_param(out, STUB_PARAM_BANK2_START, pages ? device->bank2_start : 0u);
	put_param(out, STUB_PARAM_SILENCE_MS, silence_ms);
	put_param(out, STUB_PARAM_UNIT_COUNT, (uint32_t)stm32_device_sector_count(device));
}
