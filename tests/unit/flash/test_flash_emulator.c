/* The executor end to end against the emulator (stm32boot-sim, built next to
 * this test), through the library's "sim:" port. Outcomes are checked by
 * reading the chip back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stm32boot/crc.h"
#include "stm32boot/flash.h"
#include "stm32boot/rom.h"
#include "stm32boot/transport.h"

struct chip {
	struct stm32_transport *transport;
	struct stm32_target *target;
	char image_path[64];
};

static char sim_program[4096];
/* The chip a test has open, closed by the teardown even when the test fails
 * (an abandoned emulator would outlive the test). */
static struct stm32_transport *open_transport;
static char open_image[64];

static void find_emulator(void)
{
	ssize_t n = readlink("/proc/self/exe", sim_program, sizeof(sim_program) - 32);
	assert_true(n > 0);
	sim_program[n] = '\0';
	char *slash = strrchr(sim_program, '/');
	assert_non_null(slash);
	strcpy(slash + 1, "stm32boot-sim");
	if (access(sim_program, X_OK) != 0)
		fail_msg("emulator not built: %s", sim_program);
}

/* A chip whose whole flash holds 0x00, so erasing shows. */
static void write_programmed_image(const struct stm32_device *dev, const char *path)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t header[32] = { 'S', 'T', 'M', '3', '2', 'S', 'I', 'M', 1 };
	for (int i = 0; i < 4; i++) {
		header[12 + i] = (uint8_t)(dev->flash_size >> (8 * i));
		header[16 + i] = (uint8_t)(dev->opt_size >> (8 * i));
	}
	assert_int_equal(fwrite(header, 1, sizeof(header), f), sizeof(header));
	uint8_t *zeros = calloc(1, dev->flash_size);
	assert_non_null(zeros);
	assert_int_equal(fwrite(zeros, 1, dev->flash_size, f), dev->flash_size);
	free(zeros);
	if (dev->opt_size)
		assert_int_equal(fwrite(dev->opt_factory, 1, dev->opt_size, f), dev->opt_size);
	assert_int_equal(fclose(f), 0);
}

static void chip_open(struct chip *c, const char *device, bool programmed, const char *extra)
{
	struct stm32_port_options popts;
	struct stm32_error err;
	char port[256];
	memset(c, 0, sizeof(*c));
	snprintf(c->image_path, sizeof(c->image_path), "/tmp/test_flash_emulator.%d.img", (int)getpid());
	unlink(c->image_path);
	if (programmed)
		write_programmed_image(stm32_device_find(device), c->image_path);
	snprintf(port, sizeof(port), "sim:%s,speed=fast,image=%s%s%s", device, c->image_path,
		 extra ? "," : "", extra ? extra : "");
	stm32_port_options_default(&popts);
	popts.sim_program = sim_program;
	if (stm32_port_open(port, &popts, &c->transport, &err) != STM32_OK)
		fail_msg("open %s: %s", port, err.message);
	open_transport = c->transport;
	memcpy(open_image, c->image_path, sizeof(open_image));
	if (stm32_rom_open(c->transport, NULL, &c->target, &err) != STM32_OK)
		fail_msg("connect: %s", err.message);
	assert_string_equal(c->target->desc.device->name, device);
}

static void chip_close(struct chip *c)
{
	stm32_target_close(c->target);
	c->target = NULL;
	if (c->transport)
		stm32_transport_close(c->transport);
	c->transport = NULL;
	unlink(c->image_path);
	open_transport = NULL;
}

static int close_open_chip(void **state)
{
	(void)state;
	if (open_transport) {
		stm32_transport_close(open_transport);
		unlink(open_image);
	}
	open_transport = NULL;
	return 0;
}

static uint8_t byte_at(struct chip *c, uint32_t address)
{
	uint8_t b = 0;
	struct stm32_error err;
	if (stm32_flash_read(c->target, address, 1, &b, NULL, &err) != STM32_OK)
		fail_msg("read 0x%08X: %s", address, err.message);
	return b;
}

static void add_pattern(struct stm32_image *image, uint32_t address, size_t length, uint8_t seed)
{
	uint8_t *data = malloc(length);
	assert_non_null(data);
	for (size_t i = 0; i < length; i++)
		data[i] = (uint8_t)(seed + i * 5);
	assert_int_equal(stm32_image_add(image, address, data, length, NULL), STM32_OK);
	free(data);
}

static void flash_image(struct chip *c, const struct stm32_image *image, struct stm32_plan *plan)
{
	struct stm32_plan_options opts;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	assert_int_equal(stm32_plan_write(&c->target->desc, image, &opts, plan, &err), STM32_OK);
	if (stm32_flash_execute(c->target, plan, NULL, NULL, &err) != STM32_OK)
		fail_msg("execute: %s", err.message);
}

static void assert_image_on_chip(struct chip *c, const struct stm32_image *image)
{
	struct stm32_error err;
	for (size_t i = 0; i < image->count; i++) {
		const struct stm32_segment *s = &image->segments[i];
		uint8_t *back = malloc(s->length);
		assert_non_null(back);
		assert_int_equal(stm32_flash_read(c->target, s->address, s->length, back, NULL, &err), STM32_OK);
		assert_memory_equal(back, s->data, s->length);
		free(back);
	}
}

static void f1_image_with_gap(void **state)
{
	(void)state;
	struct chip c;
	struct stm32_plan plan;
	struct stm32_image image;
	chip_open(&c, "stm32f103xb", true, NULL);
	stm32_image_init(&image);
	add_pattern(&image, 0x08001000, 700, 1);
	add_pattern(&image, 0x08003000, 256, 2);
	flash_image(&c, &image, &plan);
	assert_image_on_chip(&c, &image);
	assert_int_equal(byte_at(&c, 0x08000FFF), 0x00); /* page 3 kept */
	assert_int_equal(byte_at(&c, 0x080012BC), 0xFF); /* page 4 erased, tail unwritten */
	assert_int_equal(byte_at(&c, 0x08001400), 0x00); /* page 5 kept */
	assert_int_equal(byte_at(&c, 0x08002000), 0x00); /* the gap is not touched */
	assert_int_equal(byte_at(&c, 0x08003100), 0xFF);
	assert_int_equal(byte_at(&c, 0x08003400), 0x00);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	chip_close(&c);
}

static void f4_sectors_across_a_size_change(void **state)
{
	(void)state;
	struct chip c;
	struct stm32_plan plan;
	struct stm32_image image;
	chip_open(&c, "stm32f407xg", true, NULL);
	stm32_image_init(&image);
	add_pattern(&image, 0x0800F000, 0x2000, 3);
	flash_image(&c, &image, &plan);
	assert_image_on_chip(&c, &image);
	assert_int_equal(byte_at(&c, 0x0800BFFF), 0x00); /* sector 2 kept */
	assert_int_equal(byte_at(&c, 0x0800C000), 0xFF); /* sector 3 erased */
	assert_int_equal(byte_at(&c, 0x0801FFFF), 0xFF); /* all of 64K sector 4 erased */
	assert_int_equal(byte_at(&c, 0x08020000), 0x00); /* sector 5 kept */
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	chip_close(&c);
}

static void survives_nacks_and_corruption(void **state)
{
	(void)state;
	struct chip c;
	struct stm32_plan plan;
	struct stm32_image image;
	char stats_path[64], extra[128];
	snprintf(stats_path, sizeof(stats_path), "/tmp/test_flash_emulator.%d.json", (int)getpid());
	snprintf(extra, sizeof(extra), "faults=nack=0.03,seed=11,stats=%s", stats_path);
	unlink(stats_path);
	chip_open(&c, "stm32f103xb", false, extra);
	stm32_image_init(&image);
	add_pattern(&image, 0x08000000, 8192, 4);
	flash_image(&c, &image, &plan);
	assert_image_on_chip(&c, &image);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	chip_close(&c);
	/* the faults really happened: the emulator counted its injected NACKs */
	FILE *f = fopen(stats_path, "r");
	assert_non_null(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	unlink(stats_path);
	text[n] = '\0';
	const char *nack = strstr(text, "\"nack\":");
	assert_non_null(nack);
	assert_true(strtoul(nack + strlen("\"nack\":"), NULL, 10) > 0);
}

static void l0_erase_all_by_pages(void **state)
{
	(void)state;
	struct chip c;
	struct stm32_plan plan;
	struct stm32_plan_options opts;
	struct stm32_error err;
	chip_open(&c, "stm32l07x", true, NULL);
	stm32_plan_options_default(&opts);
	assert_int_equal(stm32_plan_erase(&c.target->desc, &opts, &plan, &err), STM32_OK);
	assert_int_equal(plan.erase_kind, STM32_ERASE_KIND_PAGES);
	if (stm32_flash_execute(c.target, &plan, NULL, NULL, &err) != STM32_OK)
		fail_msg("execute: %s", err.message);
	uint8_t *back = malloc(c.target->desc.device->flash_size);
	assert_non_null(back);
	assert_int_equal(stm32_flash_read(c.target, 0x08000000, c.target->desc.device->flash_size, back, NULL, &err), STM32_OK);
	for (uint32_t i = 0; i < c.target->desc.device->flash_size; i++)
		if (back[i] != 0x00) /* L0 flash erases to zeros */
			fail_msg("0x%08X not erased", 0x08000000 + i);
	free(back);
	stm32_plan_free(&plan);
	chip_close(&c);
}

static void checksums_agree(void **state)
{
	(void)state;
	const char *devices[] = { "stm32f103xb", "stm32h563zi" }; /* without and with 0xA1 */
	for (size_t d = 0; d < 2; d++) {
		struct chip c;
		struct stm32_plan plan;
		struct stm32_image image;
		struct stm32_error err;
		chip_open(&c, devices[d], false, NULL);
		stm32_image_init(&image);
		add_pattern(&image, 0x08000000, 4096, 9);
		flash_image(&c, &image, &plan);
		uint32_t crc = 0;
		bool on_device = !d;
		if (stm32_flash_checksum(c.target, 0x08000000, 4096, &crc, &on_device, NULL, &err) != STM32_OK)
			fail_msg("checksum on %s: %s", devices[d], err.message);
		assert_int_equal(on_device, d == 1);
		assert_int_equal(crc, stm32_crc32(0xFFFFFFFFu, image.segments[0].data, 4096));
		stm32_plan_free(&plan);
		stm32_image_free(&image);
		chip_close(&c);
	}
}

int main(void)
{
	find_emulator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(f1_image_with_gap, close_open_chip),
		cmocka_unit_test_teardown(f4_sectors_across_a_size_change, close_open_chip),
		cmocka_unit_test_teardown(survives_nacks_and_corruption, close_open_chip),
		cmocka_unit_test_teardown(l0_erase_all_by_pages, close_open_chip),
		cmocka_unit_test_teardown(checksums_agree, close_open_chip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
