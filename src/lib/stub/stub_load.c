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
		{"WB", STUB_CHIP_WB}, {"WL", STUB_CHIP_WL}, {"H7", STUB_CHIP_H7},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].family, family) == 0)
			return kinds[i].chip;
	return 0;
}

/* The next image after `after` (NULL: from the first) that serves family. */
static const struct stm32_stub_image *next_image_for(const char *family,
						     const struct stm32_stub_image *after)
{
	size_t from = after ? (size_t)(after - stm32_stub_images) + 1u : 0u;
	for (size_t i = from; i < stm32_stub_image_count; i++) {
		const char *list = stm32_stub_images[i].families;
		size_t n = strlen(family);
		for (const char *p = list; (p = strstr(p, family)) != NULL; p += n)
			if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return &stm32_stub_images[i];
	}
	return NULL;
}

uint32_t stub_image_state_bytes(const struct stm32_stub_image *image)
{
	return image->small ? STUB_SMALL_STATE_BYTES : STUB_STATE_BYTES;
}

uint32_t stub_image_slot_bytes(const struct stm32_stub_image *image)
{
	return image->small ? STUB_SMALL_SLOT_BYTES : STUB_SLOT_BYTES;
}

uint32_t stub_image_stack_bytes(const struct stm32_stub_image *image)
{
	return image->small ? STUB_SMALL_STACK_BYTES : STUB_STACK_BYTES;
}

uint32_t stub_image_chunk(const struct stm32_stub_image *image)
{
	return image->small ? STUB_SMALL_MAX_PAYLOAD - 4u : STUB_WRITE_CHUNK;
}

/* The image at the start of RAM, its state and slots after it (from
 * align: a power of two), its stack at the top; how many slots fit (0: it
 * does not). */
static unsigned place_image_at(const struct stm32_device *device, const struct stm32_stub_image *image,
			       uint32_t align, struct stub_placement *out)
{
	out->image = image;
	out->load = (device->ram_start + 3u) & ~3u;
	out->buf_start = (out->load + (uint32_t)image->size + align - 1u) & ~(align - 1u);
	out->stack_top = (device->ram_end - 16u) & ~7u; /* H74x wants SP below the end - 16 */
	out->buf_end = out->stack_top - stub_image_stack_bytes(image);
	if (device->ram_end <= device->ram_start || out->buf_end > out->stack_top)
		return 0;
	uint64_t room = out->buf_end > out->buf_start ? out->buf_end - out->buf_start : 0;
	uint32_t state = stub_image_state_bytes(image);
	uint64_t slots = room > state ? (room - state) / stub_image_slot_bytes(image) : 0;
	out->window = slots > STUB_MAX_WINDOW ? STUB_MAX_WINDOW : (unsigned)slots;
	return out->window;
}

/* The state in a 1 KiB page of its own where that costs no slot: the stub
 * stores into its state at every byte, and an emulator (libunicorn, like
 * QEMU) checks every store into a page that holds translated code for
 * self-modifying code, at a cost many times the store's. Silicon does not
 * care either way. */
#define STATE_PAGE 1024u

static unsigned place_image(const struct stm32_device *device, const struct stm32_stub_image *image,
			    struct stub_placement *out)
{
	unsigned packed = place_image_at(device, image, 8u, out);
	struct stub_placement paged = *out;
	if (packed && place_image_at(device, image, STATE_PAGE, &paged) == packed)
		*out = paged;
	return packed;
}

bool stub_place(const struct stm32_device *device, struct stub_placement *out, char *why,
		size_t why_size)
{
	memset(out, 0, sizeof(*out));
	out->chip = chip_kind(device->family);
	const struct stm32_stub_image *image = out->chip ? next_image_for(device->family, NULL) : NULL;
	if (!image) {
		snprintf(why, why_size, "there is no stub for the %s family yet", device->family);
		return false;
	}
	if (device->flags & STM32_DEV_NO_RAM_ACCESS) {
		snprintf(why, why_size, "the %s bootloader cannot write RAM", device->name);
		return false;
	}
	/* The family's images from the largest (the table's order): the
	 * first that fits. */
	const struct stm32_stub_image *smallest = image;
	for (; image; image = next_image_for(device->family, image)) {
		/* The small F1-driver images drive one register bank
		 * (flash_f1.c): never for an F1 XL part. */
		if (image->small && image->driver == STUB_DRIVER_F1 && device->bank_count == 2)
			continue;
		if (place_image(device, image, out))
			return true;
		smallest = image;
	}
	snprintf(why, why_size,
		 "the stub (%zu bytes + %u of buffers and stack) does not fit the %u bytes of RAM "
		 "the %s bootloader leaves",
		 smallest->size,
		 stub_image_state_bytes(smallest) + stub_image_slot_bytes(smallest) +
			 stub_image_stack_bytes(smallest),
		 device->ram_end > device->ram_start ? device->ram_end - device->ram_start : 0u,
		 device->name);
	return false;
}

static void put_param(uint8_t *image, uint32_t offset, uint32_t value)
{
	stub_put32(image + STUB_IMAGE_PARAMS + offset, value);
}

bool stub_hsi_only(const struct stm32_device *device)
{
	/* F100 value line (RM0041): 24 MHz at most, where clock.c's F1 PLL
	 * makes 64. */
	return device->pid == 0x420 || device->pid == 0x428;
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
	if (p->chip == STUB_CHIP_WB || p->chip == STUB_CHIP_WL)
		flags |= STUB_PARAM_DWORD_WB;
	if (stub_hsi_only(device))
		flags |= STUB_PARAM_HSI_ONLY;
	/* H7A3/B3 (RM0455): 16-byte flash words, its CR layout, its CRC unit
	 * and clock enables (stub/chip_h7.h); the SWD loader tells them apart
	 * the same way. */
	if (p->chip == STUB_CHIP_H7 && device->program_unit == 16)
		flags |= STUB_PARAM_H7_RM0455;
	put_param(out, STUB_PARAM_CHIP, p->chip);
	put_param(out, STUB_PARAM_FLAGS, flags);
	put_param(out, STUB_PARAM_BAUD, baud ? baud : 115200u);
	put_param(out, STUB_PARAM_STACK_TOP, p->stack_top);
	put_param(out, STUB_PARAM_BUF_START, p->buf_start);
	put_param(out, STUB_PARAM_BUF_END, p->buf_end);
	put_param(out, STUB_PARAM_FLASH_START, device->flash_start);
	put_param(out, STUB_PARAM_FLASH_SIZE, device->flash_size);
	/* Page drivers: the page size; the F4 driver: sector 0's, from which
	 * it tells a failed erase's address (flash_f4.c). */
	put_param(out, STUB_PARAM_PAGE_SIZE, device->layout_runs ? device->layout[0].size : 0u);
	put_param(out, STUB_PARAM_BANK2_START, pages ? device->bank2_start : 0u);
	put_param(out, STUB_PARAM_SILENCE_MS, silence_ms);
	put_param(out, STUB_PARAM_UNIT_COUNT, (uint32_t)stm32_device_sector_count(device));
}
