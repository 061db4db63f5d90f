/* Device database (src/lib/devices.c and the generated table), tested against
 * data/devices.tsv read independently here and against facts from the
 * reference manuals (F4 sector map, dual-bank parts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stm32boot/device.h"
#include "stm32boot/transport.h"

static const struct stm32_device *must_find(const char *name)
{
	const struct stm32_device *dev = stm32_device_find(name);
	if (!dev)
		fail_msg("no device found for \"%s\"", name);
	return dev;
}

static void lookups_by_name_alias_and_pid(void **state)
{
	(void)state;
	assert_true(stm32_device_count() > 50);
	assert_string_equal(must_find("stm32f103xb")->name, "stm32f103xb");
	assert_string_equal(must_find("STM32F103XB")->name, "stm32f103xb");
	assert_string_equal(must_find("stm32f10x-md")->name, "stm32f103xb");
	assert_string_equal(must_find("stm32f405")->name, "stm32f407xg");
	assert_string_equal(must_find("STM32F417")->name, "stm32f407xg");
	assert_string_equal(must_find("stm32l486")->name, "stm32l476rg");
	assert_string_equal(must_find("0x413")->name, "stm32f407xg");
	assert_string_equal(must_find("0X450")->name, "stm32h743zi");
	/* two rows share 0x410: the PID alone gives the first (largest) */
	assert_string_equal(must_find("0x410")->name, "stm32f103xb");
	assert_int_equal(must_find("0x410")->flash_size, 128 * 1024);

	assert_null(stm32_device_find("stm32f40"));   /* a prefix of an alias is not a match */
	assert_null(stm32_device_find("stm32f4"));
	assert_null(stm32_device_find("stm32f103xb,")); /* nor a list */
	assert_null(stm32_device_find("nonsense"));
	assert_null(stm32_device_find(""));
	assert_null(stm32_device_find(NULL));
	assert_null(stm32_device_find("0x999"));
	assert_null(stm32_device_find("0x10410"));
	assert_null(stm32_device_find("0x41z"));
	assert_null(stm32_device_find("0x"));

	assert_null(stm32_device_at(stm32_device_count()));
	assert_non_null(stm32_device_at(0));
}

static void lookups_by_pid_and_size(void **state)
{
	(void)state;
	assert_string_equal(stm32_device_by_pid(0x410)->name, "stm32f103xb");
	assert_null(stm32_device_by_pid(0x999));
	const struct stm32_device *small = stm32_device_by_pid_and_size(0x410, 64);
	assert_non_null(small);
	assert_string_equal(small->name, "stm32f103x8");
	assert_int_equal(small->flash_size, 64 * 1024);
	assert_string_equal(stm32_device_by_pid_and_size(0x410, 128)->name, "stm32f103xb");
	assert_null(stm32_device_by_pid_and_size(0x410, 32));
	assert_null(stm32_device_by_pid_and_size(0x999, 128));
}

static void commands(void **state)
{
	(void)state;
	const struct stm32_device *f1 = must_find("stm32f103xb");
	assert_true(stm32_device_has_command(f1, 0x43));
	assert_false(stm32_device_has_command(f1, 0x44));
	assert_true(stm32_device_has_command(f1, 0x00));
	const struct stm32_device *f4 = must_find("stm32f407xg");
	assert_true(stm32_device_has_command(f4, 0x44));
	assert_false(stm32_device_has_command(f4, 0x43));
	assert_false(stm32_device_has_command(f4, 0xA1));
	assert_true(stm32_device_has_command(must_find("stm32u575"), 0xA1));
}

static void assert_sector(const struct stm32_device *dev, size_t index, uint32_t address,
			  uint32_t size)
{
	uint32_t got_address = 0, got_size = 0;
	if (!stm32_device_sector(dev, index, &got_address, &got_size))
		fail_msg("%s has no sector %zu", dev->name, index);
	if (got_address != address || got_size != size)
		fail_msg("%s sector %zu: 0x%08X+0x%X, expected 0x%08X+0x%X", dev->name, index,
			 got_address, got_size, address, size);
	assert_int_equal(stm32_device_sector_at(dev, address), (long)index);
	assert_int_equal(stm32_device_sector_at(dev, address + size - 1), (long)index);
}

static void uniform_pages(void **state)
{
	(void)state;
	const struct stm32_device *dev = must_find("stm32f103xb");
	assert_int_equal(dev->flash_start, 0x08000000);
	assert_int_equal(dev->flash_size, 128 * 1024);
	assert_int_equal(stm32_device_sector_count(dev), 128);
	assert_int_equal(dev->bank_count, 1);
	assert_sector(dev, 0, 0x08000000, 1024);
	assert_sector(dev, 1, 0x08000400, 1024);
	assert_sector(dev, 127, 0x0801FC00, 1024);
	assert_false(stm32_device_sector(dev, 128, NULL, NULL));
	assert_int_equal(stm32_device_sector_at(dev, 0x07FFFFFF), -1);
	assert_int_equal(stm32_device_sector_at(dev, 0x08020000), -1);
	assert_int_equal(stm32_device_sector_at(dev, 0x00000000), -1);
	assert_int_equal(stm32_device_sector_at(dev, 0xFFFFFFFF), -1);

	const struct stm32_device *l0 = must_find("stm32l07x"); /* 128-byte pages */
	assert_int_equal(stm32_device_sector_count(l0), 1536);
	assert_sector(l0, 1535, 0x08000000 + 1535 * 128, 128);
}

/* RM0090: sectors 0-3 16 KiB, 4 64 KiB, 5-11 128 KiB. */
static void f4_mixed_sectors(void **state)
{
	(void)state;
	const struct stm32_device *dev = must_find("stm32f407xg");
	assert_int_equal(dev->flash_size, 1024 * 1024);
	assert_int_equal(stm32_device_sector_count(dev), 12);
	for (size_t i = 0; i < 4; i++)
		assert_sector(dev, i, 0x08000000 + (uint32_t)i * 0x4000, 0x4000);
	assert_sector(dev, 4, 0x08010000, 0x10000);
	for (size_t i = 5; i < 12; i++)
		assert_sector(dev, i, 0x08020000 + (uint32_t)(i - 5) * 0x20000, 0x20000);
	assert_int_equal(stm32_device_sector_at(dev, 0x0800FFFF), 3);
	assert_int_equal(stm32_device_sector_at(dev, 0x08010000), 4);
	assert_int_equal(stm32_device_sector_at(dev, 0x080FFFFF), 11);
	assert_int_equal(stm32_device_sector_at(dev, 0x08100000), -1);
	assert_false(stm32_device_sector(dev, 12, NULL, NULL));

	const struct stm32_device *f401 = must_find("stm32f401xc"); /* 256 KiB */
	assert_int_equal(stm32_device_sector_count(f401), 6);
	assert_sector(f401, 5, 0x08020000, 0x20000);
	assert_int_equal(stm32_device_sector_at(f401, 0x08040000), -1);
}

static void dual_bank_layouts(void **state)
{
	(void)state;
	/* F429 2 MiB: two banks of 16/64/128 KiB sectors, bank 2 from sector 12 */
	const struct stm32_device *f429 = must_find("stm32f429zi");
	assert_int_equal(f429->flash_size, 2 * 1024 * 1024);
	assert_int_equal(f429->bank_count, 2);
	assert_int_equal(f429->bank2_start, 0x08100000);
	assert_int_equal(f429->bank2_first_sector, 12);
	assert_int_equal(stm32_device_sector_count(f429), 24);
	assert_sector(f429, 11, 0x080E0000, 0x20000);
	assert_sector(f429, 12, 0x08100000, 0x4000);
	assert_sector(f429, 16, 0x08110000, 0x10000);
	assert_sector(f429, 23, 0x081E0000, 0x20000);
	assert_int_equal(stm32_device_sector_at(f429, 0x08200000), -1);

	/* L476: 2 x 256 pages of 2 KiB, bank 2 at 512 KiB */
	const struct stm32_device *l476 = must_find("stm32l476rg");
	assert_int_equal(l476->bank_count, 2);
	assert_int_equal(l476->bank2_start, 0x08080000);
	assert_int_equal(l476->bank2_first_sector, 256);
	assert_int_equal(stm32_device_sector_count(l476), 512);
	assert_sector(l476, 255, 0x0807F800, 0x800);
	assert_sector(l476, 256, 0x08080000, 0x800);
	assert_sector(l476, 511, 0x080FF800, 0x800);
	assert_true((l476->flags & STM32_DEV_BANK_ERASE) != 0);

	/* H743: 2 x 8 sectors of 128 KiB */
	const struct stm32_device *h743 = must_find("stm32h743zi");
	assert_int_equal(h743->bank2_start, 0x08100000);
	assert_int_equal(h743->bank2_first_sector, 8);
	assert_sector(h743, 8, 0x08100000, 0x20000);
	assert_sector(h743, 15, 0x081E0000, 0x20000);

	const struct stm32_device *single = must_find("stm32f407xg");
	assert_int_equal(single->bank_count, 1);
	assert_int_equal(single->bank2_start, 0);
}

static void erase_times(void **state)
{
	(void)state;
	const struct stm32_device *f4 = must_find("stm32f407xg");
	assert_int_equal(stm32_device_erase_ms(f4, 16 * 1024), 250);
	assert_int_equal(stm32_device_erase_ms(f4, 64 * 1024), 550);
	assert_int_equal(stm32_device_erase_ms(f4, 128 * 1024), 1000);
	assert_int_equal(stm32_device_erase_ms(f4, 256 * 1024), 1000); /* nearest */
	assert_int_equal(stm32_device_erase_ms(f4, 1024), 250);
	assert_int_equal(stm32_device_erase_ms(must_find("stm32f103xb"), 1024), 20);
	assert_int_equal(stm32_device_erase_ms(must_find("stm32l07x"), 128), 3); /* 3.2 ms page erase */
	/* every unit of every device has a non-zero typical time */
	for (size_t d = 0; d < stm32_device_count(); d++) {
		const struct stm32_device *dev = stm32_device_at(d);
		assert_true(dev->erase_time_count > 0);
		for (size_t r = 0; r < dev->layout_runs; r++)
			if (stm32_device_erase_ms(dev, dev->layout[r].size) == 0)
				fail_msg("%s: zero erase time for %u-byte units", dev->name,
					 dev->layout[r].size);
	}
}

static void in_flash(void **state)
{
	(void)state;
	const struct stm32_device *dev = must_find("stm32f103xb");
	assert_true(stm32_device_in_flash(dev, 0x08000000, 128 * 1024));
	assert_true(stm32_device_in_flash(dev, 0x0801FFFF, 1));
	assert_false(stm32_device_in_flash(dev, 0x08000000, 128 * 1024 + 1));
	assert_false(stm32_device_in_flash(dev, 0x07FFFFFF, 2));
	assert_false(stm32_device_in_flash(dev, 0x08020000, 1));
	assert_false(stm32_device_in_flash(dev, 0x20000000, 4));
	assert_false(stm32_device_in_flash(dev, 0x08000000, 0x100000000ull));
	assert_false(stm32_device_in_flash(dev, 0xFFFFFFFF, 0xFFFFFFFFull));
}

/* ---- the generated table agrees with data/devices.tsv ---- */

static unsigned long size_token(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (*end == 'K')
		v *= 1024;
	else if (*end == 'M')
		v *= 1024 * 1024;
	return v;
}

/* Sum and count of a "SIZE*COUNT,...|..." layout; banks counted too. */
static void layout_totals(const char *layout, unsigned long *bytes, unsigned long *units,
			  unsigned long *banks, unsigned long *bank1_bytes)
{
	*bytes = *units = *bank1_bytes = 0;
	*banks = 1;
	for (const char *p = layout; *p;) {
		unsigned long size = size_token(p);
		const char *star = strchr(p, '*');
		assert_non_null(star);
		char *end;
		unsigned long count = strtoul(star + 1, &end, 10);
		*bytes += size * count;
		*units += count;
		if (*end == '|') {
			(*banks)++;
			*bank1_bytes = *bytes;
		}
		p = *end ? end + 1 : end;
	}
}

static char *column(char *line, int index)
{
	char *p = line;
	for (int i = 0; i < index && p; i++) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	assert_non_null(p);
	static char field[4096];
	size_t n = strcspn(p, "\t\n");
	assert_true(n < sizeof(field));
	memcpy(field, p, n);
	field[n] = '\0';
	return field;
}

static void table_matches_tsv(void **state)
{
	(void)state;
	FILE *tsv = fopen(TEST_DATA_DIR "/../data/devices.tsv", "r");
	assert_non_null(tsv);
	static char line[16384];
	size_t rows = 0;
	bool header_seen = false;
	while (fgets(line, sizeof(line), tsv)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!header_seen) {
			header_seen = true;
			assert_string_equal(column(line, 0), "name");
			assert_string_equal(column(line, 8), "flash_layout");
			continue;
		}
		char name[64];
		snprintf(name, sizeof(name), "%s", column(line, 0));
		const struct stm32_device *dev = must_find(name);
		assert_string_equal(dev->name, name);
		assert_int_equal(dev->pid, strtoul(column(line, 2), NULL, 16));
		assert_int_equal(dev->flash_start, strtoul(column(line, 7), NULL, 16));
		unsigned long bytes, units, banks, bank1;
		layout_totals(column(line, 8), &bytes, &units, &banks, &bank1);
		assert_int_equal(dev->flash_size, bytes);
		assert_int_equal(stm32_device_sector_count(dev), units);
		assert_int_equal(dev->bank_count, banks);
		if (banks == 2)
			assert_int_equal(dev->bank2_start, dev->flash_start + bank1);
		/* every alias resolves */
		char aliases[512];
		snprintf(aliases, sizeof(aliases), "%s", column(line, 1));
		if (strcmp(aliases, "-") != 0 && aliases[0])
			for (char *a = strtok(aliases, ","); a; a = strtok(NULL, ","))
				assert_non_null(stm32_device_find(a));
		/* sectors tile the flash exactly */
		uint32_t expect = dev->flash_start;
		for (size_t i = 0; i < units; i++) {
			uint32_t address, size;
			assert_true(stm32_device_sector(dev, i, &address, &size));
			assert_int_equal(address, expect);
			assert_int_equal(stm32_device_sector_at(dev, address), (long)i);
			expect += size;
		}
		assert_int_equal(expect, dev->flash_start + dev->flash_size);
		assert_int_equal(stm32_device_sector_at(dev, expect), -1);
		assert_true(stm32_device_in_flash(dev, dev->flash_start, dev->flash_size));
		assert_false(stm32_device_in_flash(dev, dev->flash_start, (uint64_t)dev->flash_size + 1));
		rows++;
	}
	fclose(tsv);
	assert_int_equal(rows, stm32_device_count());
}

static void interfaces_and_i2c_addresses(void **state)
{
	(void)state;
	const struct stm32_device *f1 = must_find("stm32f103xb");
	assert_int_equal(f1->interfaces, STM32_IF_UART); /* F1: USART only */
	assert_int_equal(f1->i2c_address, -1);
	const struct stm32_device *g0 = must_find("stm32g071rb");
	assert_int_equal(g0->interfaces, STM32_IF_UART | STM32_IF_I2C | STM32_IF_SPI);
	assert_int_equal(g0->i2c_address, 0x51);
	assert_int_equal(must_find("stm32f411xe")->i2c_address, 0x39);
	/* F0 has I2C but no SPI bootloader; WL the other way round */
	assert_int_equal(must_find("stm32f030x8")->interfaces, STM32_IF_UART | STM32_IF_I2C);
	assert_int_equal(must_find("stm32wl55")->interfaces, STM32_IF_UART | STM32_IF_SPI);
	for (size_t d = 0; d < stm32_device_count(); d++) {
		const struct stm32_device *dev = stm32_device_at(d);
		assert_true(dev->interfaces & STM32_IF_UART);
		if (dev->i2c_address != -1)
			assert_true(dev->interfaces & STM32_IF_I2C);
	}
}

/* The uart_max_baud column, found by its header name, reaches the table row
 * by row; every value is one a host can set (-b accepts it) and none is
 * below AN3155's tested 115200. */
static void uart_max_baud_matches_tsv(void **state)
{
	(void)state;
	FILE *tsv = fopen(TEST_DATA_DIR "/../data/devices.tsv", "r");
	assert_non_null(tsv);
	static char line[16384];
	int baud_column = -1;
	size_t rows = 0;
	while (fgets(line, sizeof(line), tsv)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (baud_column < 0) {
			for (int i = 0; i < 64 && baud_column < 0; i++)
				if (strcmp(column(line, i), "uart_max_baud") == 0)
					baud_column = i;
			assert_true(baud_column >= 0);
			continue;
		}
		const struct stm32_device *dev = must_find(column(line, 0));
		char *end;
		unsigned long baud = strtoul(column(line, baud_column), &end, 0);
		assert_true(*end == '\0');
		assert_int_equal(dev->uart_max_baud, baud);
		assert_true(dev->uart_max_baud >= 115200);
		assert_true(stm32_uart_baud_valid(dev->uart_max_baud));
		rows++;
	}
	fclose(tsv);
	assert_int_equal(rows, stm32_device_count());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups_by_name_alias_and_pid),
		cmocka_unit_test(lookups_by_pid_and_size),
		cmocka_unit_test(commands),
		cmocka_unit_test(uniform_pages),
		cmocka_unit_test(f4_mixed_sectors),
		cmocka_unit_test(dual_bank_layouts),
		cmocka_unit_test(erase_times),
		cmocka_unit_test(in_flash),
		cmocka_unit_test(table_matches_tsv),
		cmocka_unit_test(interfaces_and_i2c_addresses),
		cmocka_unit_test(uart_max_baud_matches_tsv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
