/* Where the stub goes (src/lib/stub/stub_load.c): the family's image where
 * it fits, the family's small image where only that one does (F030x8,
 * F10x-mdvl, F303x8, G431),
 * a refusal naming the RAM where neither does; the H7 image's parameters;
 * the program units HELLO may announce; and the frame size the host
 * uses for a stub that announces a smaller payload. Checked against
 * data/devices.tsv's rows, so a row whose RAM changes shows up here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/device.h"
#include "stub/stub_load.h"
#include "stub/stub_session.h"

static const struct stm32_device *row(const char *name)
{
	const struct stm32_device *d = stm32_device_find(name);
	assert_non_null(d);
	return d;
}

/* Everything the image needs lies inside [ram_start, ram_end): image,
 * state, slots, then the stack below stack_top. */
static void assert_inside_ram(const struct stm32_device *d, const struct stub_placement *p)
{
	assert_true(p->load >= d->ram_start);
	assert_true(p->buf_start >= p->load + p->image->size);
	uint32_t slots_end = p->buf_start + stub_image_state_bytes(p->image) +
			     p->window * stub_image_slot_bytes(p->image);
	assert_true(slots_end <= p->buf_end);
	assert_true(p->buf_end + stub_image_stack_bytes(p->image) <= p->stack_top);
	assert_true(p->stack_top <= d->ram_end);
}

static void f030x8_takes_the_small_image_with_two_slots(void **state)
{
	(void)state;
	const struct stm32_device *d = row("stm32f030x8");
	struct stub_placement p;
	char why[200];
	assert_true(stub_place(d, &p, why, sizeof(why)));
	assert_string_equal(p.image->name, "f0small");
	assert_true(p.image->small);
	assert_int_equal(p.window, 2);
	assert_int_equal(stub_image_chunk(p.image), 256);
	assert_inside_ram(d, &p);
}

/* Every F0 row: the family's image where it fits, else the small one,
 * else a refusal that names the RAM the bootloader leaves. */
static void every_f0_row_gets_the_image_that_fits(void **state)
{
	(void)state;
	static const struct {
		const char *name, *image; /* NULL: refused */
	} rows[] = {
		{"stm32f030x8", "f0small"}, {"stm32f03xx6", NULL}, {"stm32f030xc", "f1"},
		{"stm32f04x", NULL},        {"stm32f07x", "f1"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct stm32_device *d = row(rows[i].name);
		struct stub_placement p;
		char why[200] = "";
		bool fits = stub_place(d, &p, why, sizeof(why));
		if (!rows[i].image) {
			assert_false(fits);
			assert_non_null(strstr(why, "does not fit"));
			assert_non_null(strstr(why, d->name));
			continue;
		}
		assert_true(fits);
		assert_string_equal(p.image->name, rows[i].image);
		assert_inside_ram(d, &p);
	}
}

/* The small images serve one family each: an F1 or F3 row with room for
 * the family's image keeps it. */
static void other_families_keep_their_image(void **state)
{
	(void)state;
	struct stub_placement p;
	char why[200];
	assert_true(stub_place(row("stm32f103xb"), &p, why, sizeof(why)));
	assert_string_equal(p.image->name, "f1");
	assert_int_equal(p.window, 8);
	assert_int_equal(stub_image_chunk(p.image), 1024);
	assert_true(stub_place(row("stm32f301"), &p, why, sizeof(why)));
	assert_string_equal(p.image->name, "f1");
	/* The F1 XL's second register bank: never a small image. */
	assert_true(stub_place(row("stm32f10x-xl"), &p, why, sizeof(why)));
	assert_false(p.image->small);
}

/* Which rows of the stub's families do not get the family's image, and
 * what they get instead: a small image, or a refusal that says why. */
static const struct {
	const char *name;
	const char *image; /* NULL: refused */
	const char *why;   /* the refusal's words */
} narrow_rows[] = {
	{"stm32f030x8", "f0small", NULL},
	{"stm32f10x-mdvl", "f1small", NULL}, /* 7.5 KiB from 0x20000200 */
	{"stm32f303x8", "f3small", NULL},    /* 6 KiB from 0x20001800 */
	{"stm32g431", "g4small", NULL},      /* 6 KiB from 0x20004000 */
	{"stm32f03xx6", NULL, "does not fit the 2048 bytes"},
	{"stm32f04x", NULL, "does not fit the 0 bytes"},
	{"stm32g03x", NULL, "does not fit the 4096 bytes"},
	{"stm32l01x", NULL, "does not fit the 0 bytes"},
	{"stm32l05x", NULL, "does not fit the 4096 bytes"},
	{"stm32l031", NULL, "bootloader cannot write RAM"},
};

static bool stub_family(const char *family)
{
	static const char *const families[] = {"F0", "F1", "F3", "F2", "F4", "F7",
					       "G0", "G4", "L4", "L0", "L1", "H7"};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i], family) == 0)
			return true;
	return false;
}

/* Every row of the device table: an image that fits its RAM (the family's
 * own unless narrow_rows says otherwise, a small one serving its family
 * only), or a one-line refusal naming the device or its family. */
static void every_device_gets_an_image_that_fits_or_a_reason(void **state)
{
	(void)state;
	size_t narrow_seen = 0;
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		struct stub_placement p;
		char why[200] = "";
		bool fits = stub_place(d, &p, why, sizeof(why));
		size_t n = 0;
		while (n < sizeof(narrow_rows) / sizeof(narrow_rows[0]) &&
		       strcmp(narrow_rows[n].name, d->name) != 0)
			n++;
		bool narrow = n < sizeof(narrow_rows) / sizeof(narrow_rows[0]);
		narrow_seen += narrow;
		if (fits) {
			print_message("%s: %s, window %u\n", d->name, p.image->name, p.window);
			assert_true(p.window >= 1);
			assert_inside_ram(d, &p);
			assert_non_null(strstr(p.image->families, d->family));
			if (p.image->small)
				assert_string_equal(p.image->families, d->family);
			if (narrow)
				assert_string_equal(p.image->name, narrow_rows[n].image ? narrow_rows[n].image : "-");
			else
				assert_false(p.image->small);
			continue;
		}
		print_message("%s: refused: %s\n", d->name, why);
		assert_true(why[0] != '\0');
		assert_null(strchr(why, '\n'));
		if (stub_family(d->family)) {
			/* a row of the stub's families refused unlisted: a new
			 * narrow part, to be given an image or listed */
			assert_true(narrow);
			assert_null(narrow_rows[n].image);
			assert_non_null(strstr(why, narrow_rows[n].why));
			assert_non_null(strstr(why, d->name));
		} else {
			assert_true(strstr(why, d->name) != NULL || strstr(why, d->family) != NULL);
		}
	}
	assert_int_equal(narrow_seen, sizeof(narrow_rows) / sizeof(narrow_rows[0]));
}

/* Every WB and WL row: the 64-bit image inside the RAM the bootloader
 * leaves, patched for the controller at 0x58004000 (flash_dword.c). */
static void every_wb_and_wl_row_gets_the_dword_image(void **state)
{
	(void)state;
	size_t seen = 0;
	static uint8_t image[16384];
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		bool wb = strcmp(d->family, "WB") == 0;
		if (!wb && strcmp(d->family, "WL") != 0)
			continue;
		seen++;
		struct stub_placement p;
		char why[200] = "";
		assert_true(stub_place(d, &p, why, sizeof(why)));
		assert_string_equal(p.image->name, "dword");
		assert_int_equal(p.chip, wb ? STUB_CHIP_WB : STUB_CHIP_WL);
		assert_inside_ram(d, &p);
		assert_true(p.window >= 2);
		assert_true(p.image->size <= sizeof(image));
		stub_patch(&p, d, 115200, 3000, image);
		uint32_t flags = stub_get32(image + STUB_IMAGE_PARAMS + STUB_PARAM_FLAGS);
		assert_true(flags & STUB_PARAM_DWORD_WB);
		assert_false(flags & STUB_PARAM_BKER_13);
	}
	assert_true(seen >= 2);
	/* An L4 keeps the controller at 0x40022000. */
	struct stub_placement p;
	char why[200];
	const struct stm32_device *l4 = row("stm32l476rg");
	assert_true(stub_place(l4, &p, why, sizeof(why)));
	stub_patch(&p, l4, 115200, 3000, image);
	assert_false(stub_get32(image + STUB_IMAGE_PARAMS + STUB_PARAM_FLAGS) & STUB_PARAM_DWORD_WB);
}

static uint32_t param_of(const uint8_t *image, uint32_t offset)
{
	return stub_get32(image + STUB_IMAGE_PARAMS + offset);
}

/* Every H7 row: the h7 image in the DTCM the bootloader leaves (from
 * 0x20004100), its stack below RAM end - 16 (H74x), and the parameters
 * flash_h7.c and chip_h7.h read: RM0455's flag on the 16-byte-word
 * H7A3/B3 only, bank 2's start where there are two banks (sector n of
 * bank 2 is unit per-bank + n), the sector size, the sector count. */
static void every_h7_row_gets_the_h7_image_with_its_parameters(void **state)
{
	(void)state;
	static uint8_t image[16384];
	size_t seen = 0;
	for (size_t i = 0; i < stm32_device_count(); i++) {
		const struct stm32_device *d = stm32_device_at(i);
		if (strcmp(d->family, "H7") != 0)
			continue;
		seen++;
		struct stub_placement p;
		char why[200] = "";
		assert_true(stub_place(d, &p, why, sizeof(why)));
		assert_string_equal(p.image->name, "h7");
		assert_int_equal(p.image->driver, STUB_DRIVER_H7);
		assert_int_equal(p.chip, STUB_CHIP_H7);
		assert_inside_ram(d, &p);
		assert_int_equal(p.load, 0x20004100u);
		assert_true(p.stack_top <= d->ram_end - 16u);
		assert_int_equal(p.window, 8);
		assert_true(p.image->size <= sizeof(image));
		stub_patch(&p, d, 115200, 3000, image);
		bool rm0455 = d->program_unit == 16;
		assert_int_equal(param_of(image, STUB_PARAM_CHIP), STUB_CHIP_H7);
		assert_int_equal(param_of(image, STUB_PARAM_FLAGS), rm0455 ? STUB_PARAM_H7_RM0455 : 0u);
		assert_int_equal(param_of(image, STUB_PARAM_BANK2_START), d->bank2_start);
		assert_int_equal(param_of(image, STUB_PARAM_PAGE_SIZE), rm0455 ? 8192u : 131072u);
		assert_int_equal(param_of(image, STUB_PARAM_UNIT_COUNT),
				 (uint32_t)stm32_device_sector_count(d));
		assert_int_equal(param_of(image, STUB_PARAM_FLASH_SIZE), d->flash_size);
	}
	assert_int_equal(seen, 3);
	/* The two-bank H743: bank 2 from 0x08100000, 16 sectors in all. */
	const struct stm32_device *h743 = row("stm32h743zi");
	assert_int_equal(h743->bank2_start, 0x08100000u);
	assert_int_equal(stm32_device_sector_count(h743), 16);
	assert_int_equal(row("stm32h7a3")->program_unit, 16);
}

static enum stm32_status hello_with_unit(unsigned unit, struct stub_hello *h)
{
	uint8_t b[STUB_HELLO_BYTES] = {0};
	stub_put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_DRIVER] = STUB_DRIVER_H7;
	b[STUB_HELLO_WINDOW] = 8;
	b[STUB_HELLO_UNIT] = (uint8_t)unit;
	stub_put16(b + STUB_HELLO_PAYLOAD, STUB_MAX_PAYLOAD);
	struct stm32_error err;
	stm32_error_clear(&err);
	return stub_hello_parse(b, sizeof(b), h, &err);
}

/* The program units a stub may announce: 2, 4, 8, and the H7's flash
 * words of 32 bytes (16 on H7A3/B3); anything else is not one of ours. */
static void hello_takes_the_h7_flash_words(void **state)
{
	(void)state;
	static const unsigned good[] = {2, 4, 8, 16, 32};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct stub_hello h;
		assert_int_equal(hello_with_unit(good[i], &h), STM32_OK);
		assert_int_equal(h.program_unit, good[i]);
	}
	static const unsigned bad[] = {0, 1, 3, 12, 64, 128};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct stub_hello h;
		assert_int_equal(hello_with_unit(bad[i], &h), STM32_E_PROTOCOL);
	}
}

/* The first flash address the stub refuses (WB's CPU2 area) comes from HELLO. */
static void hello_carries_the_secure_start(void **state)
{
	(void)state;
	uint8_t b[STUB_HELLO_BYTES] = {0};
	stub_put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_WINDOW] = 8;
	b[STUB_HELLO_UNIT] = 8;
	stub_put16(b + STUB_HELLO_PAYLOAD, STUB_MAX_PAYLOAD);
	stub_put32(b + STUB_HELLO_SECURE, 0x080F0000u);
	struct stub_hello h;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_hello_parse(b, sizeof(b), &h, &err), STM32_OK);
	assert_int_equal(h.secure_start, 0x080F0000u);
	/* A HELLO cut before the field is not one of ours. */
	assert_int_not_equal(stub_hello_parse(b, STUB_HELLO_SECURE, &h, &err), STM32_OK);
}

static struct stub_hello hello_with_payload(unsigned max_payload)
{
	uint8_t b[STUB_HELLO_BYTES] = {0};
	stub_put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_DRIVER] = STUB_DRIVER_F1;
	b[STUB_HELLO_WINDOW] = 2;
	b[STUB_HELLO_UNIT] = 2;
	stub_put16(b + STUB_HELLO_PAYLOAD, max_payload);
	struct stub_hello h;
	memset(&h, 0, sizeof(h));
	struct stm32_error err;
	stm32_error_clear(&err);
	h.max_payload = 0;
	if (stub_hello_parse(b, sizeof(b), &h, &err) != STM32_OK)
		h.max_payload = 0;
	return h;
}

static void frames_follow_the_payload_the_stub_announces(void **state)
{
	(void)state;
	struct stub_hello h = hello_with_payload(STUB_MAX_PAYLOAD);
	assert_int_equal(stub_hello_chunk(&h), 1024);
	h = hello_with_payload(STUB_SMALL_MAX_PAYLOAD);
	assert_int_equal(h.max_payload, STUB_SMALL_MAX_PAYLOAD);
	assert_int_equal(stub_hello_chunk(&h), 256);
	h = hello_with_payload(4 + 700);
	assert_int_equal(stub_hello_chunk(&h), 512);
	/* Less than a 256-byte frame: not one of ours. */
	h = hello_with_payload(4 + 200);
	assert_int_equal(h.max_payload, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f030x8_takes_the_small_image_with_two_slots),
		cmocka_unit_test(every_f0_row_gets_the_image_that_fits),
		cmocka_unit_test(other_families_keep_their_image),
		cmocka_unit_test(every_device_gets_an_image_that_fits_or_a_reason),
		cmocka_unit_test(frames_follow_the_payload_the_stub_announces),
		cmocka_unit_test(every_wb_and_wl_row_gets_the_dword_image),
		cmocka_unit_test(hello_carries_the_secure_start),
		cmocka_unit_test(every_h7_row_gets_the_h7_image_with_its_parameters),
		cmocka_unit_test(hello_takes_the_h7_flash_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
