/* The CRC unit on H7 (RM0433, at 0x58024C00; RM0455's H7A3/B3 at
 * 0x40023000), H5 (RM0481), L5 (RM0438) and U5 (RM0456) (0x40023000,
 * non-secure), with CR.POLYSIZE choosing a 32, 16,
 * 8 or 7-bit polynomial; the catalogue check values of "123456789" (the
 * Rocksoft model: CRC-32/MPEG-2, CRC-16/CMS, CRC-16/MODBUS, CRC-8/SMBUS,
 * CRC-7/MMC). And the NVIC lines of the USARTs and the flash controller on
 * those families (their RMs' vector tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define DR   0x00u
#define IDR  0x04u
#define CR   0x08u
#define INIT 0x10u
#define POL  0x14u
#define CR_RESET 1u
#define POLYSIZE(n) ((uint32_t)(n) << 3)
#define REV_IN_BYTE (1u << 5)
#define REV_OUT (1u << 7)

static const char check_text[] = "123456789";

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }

static void feed_text(struct rig *r, uint32_t base)
{
	for (size_t i = 0; i < 9; i++)
		sim_mmio_write(&r->soc.bus, base + DR, 1, (uint8_t)check_text[i], 0);
}

struct crc_case {
	uint32_t polysize, pol, init, cr_extra, check;
};

static const struct crc_case crc_cases[] = {
	{0, 0x04C11DB7u, 0xFFFFFFFFu, 0, 0x0376E6E7u},          /* CRC-32/MPEG-2 */
	{1, 0x8005u, 0xFFFFu, 0, 0xAEE7u},                      /* CRC-16/CMS */
	{1, 0x8005u, 0xFFFFu, REV_IN_BYTE | REV_OUT, 0x4B37u},  /* CRC-16/MODBUS */
	{2, 0x07u, 0x00u, 0, 0xF4u},                            /* CRC-8/SMBUS */
	{3, 0x09u, 0x00u, 0, 0x75u},                            /* CRC-7/MMC */
};

static void crc_unit_where_each_rm_puts_it(void **state)
{
	(void)state;
	static const struct { const char *device; uint32_t base; } parts[] = {
		{"stm32h743zi", 0x58024C00u}, {"stm32h7a3", 0x40023000u}, {"stm32h563zi", 0x40023000u},
		{"stm32l552", 0x40023000u},   {"stm32u575", 0x40023000u},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct rig r;
		rig_up(&r, parts[i].device);
		uint32_t b = parts[i].base;
		/* Reset values (each RM's CRC register map): DR and INIT all ones,
		 * POL the Ethernet polynomial, CR 0. */
		assert_int_equal(rd(&r, b + DR), 0xFFFFFFFFu);
		assert_int_equal(rd(&r, b + INIT), 0xFFFFFFFFu);
		assert_int_equal(rd(&r, b + POL), 0x04C11DB7u);
		assert_int_equal(rd(&r, b + CR), 0);
		wr(&r, b + IDR, 0xCAFEF00Du); /* 32-bit IDR on these */
		assert_int_equal(rd(&r, b + IDR), 0xCAFEF00Du);
		feed_text(&r, b);
		assert_int_equal(rd(&r, b + DR), 0x0376E6E7u);
		assert_int_equal(r.stats.unmodelled_accesses, 0);
		rig_down(&r);
	}
}

static void polysize_gives_narrow_crcs(void **state)
{
	(void)state;
	const char *devices[] = {"stm32h743zi", "stm32u575", "stm32g071rb"};
	for (size_t d = 0; d < 3; d++) {
		struct rig r;
		rig_up(&r, devices[d]);
		uint32_t b = d == 0 ? 0x58024C00u : 0x40023000u;
		for (size_t i = 0; i < sizeof(crc_cases) / sizeof(crc_cases[0]); i++) {
			const struct crc_case *c = &crc_cases[i];
			wr(&r, b + POL, c->pol);
			wr(&r, b + CR, POLYSIZE(c->polysize) | c->cr_extra);
			wr(&r, b + INIT, c->init); /* loads DR with INIT's low bits */
			feed_text(&r, b);
			assert_int_equal(rd(&r, b + DR), c->check);
			assert_int_equal(rd(&r, b + CR), POLYSIZE(c->polysize) | c->cr_extra);
		}
		/* RESET loads INIT's low POLYSIZE bits. */
		wr(&r, b + CR, POLYSIZE(1));
		wr(&r, b + INIT, 0x12345678u);
		assert_int_equal(rd(&r, b + DR), 0x5678u);
		wr(&r, b + DR, 0xFFFFFFFFu);
		wr(&r, b + CR, POLYSIZE(1) | CR_RESET);
		assert_int_equal(rd(&r, b + DR), 0x5678u);
		rig_down(&r);
	}
}

/* The 16-bit CRC of one 32-bit word equals that of its four bytes, MSB
 * first: the word's low bits enter the narrow division one by one. */
static void narrow_crc_of_a_word_is_that_of_its_bytes(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h563zi");
	uint32_t b = 0x40023000u;
	wr(&r, b + POL, 0x1021u);
	wr(&r, b + CR, POLYSIZE(1));
	wr(&r, b + INIT, 0xFFFFu);
	wr(&r, b + DR, 0x31323334u);
	uint32_t word = rd(&r, b + DR);
	wr(&r, b + CR, POLYSIZE(1) | CR_RESET);
	for (unsigned i = 0; i < 4; i++)
		sim_mmio_write(&r.soc.bus, b + DR, 1, 0x31u + i, 0);
	assert_int_equal(rd(&r, b + DR), word);
	assert_int_equal(word, 0x5349u); /* CRC-16/CCITT-FALSE of "1234" */
	rig_down(&r);
}

static void interrupt_lines_of_h7_h5_l5_u5(void **state)
{
	(void)state;
	static const struct { const char *device; int usart[3]; int flash; } parts[] = {
		{"stm32h743zi", {37, 38, 39}, 4},
		{"stm32h563zi", {58, 59, 60}, 6},
		{"stm32l552", {61, 62, 63}, 6},
		{"stm32u575", {61, 62, 63}, 6},
		{"stm32f103xb", {37, -1, -1}, 4},
		{"stm32wb55", {36, -1, -1}, 4},
		{"stm32wl55", {36, 37, -1}, 4},
		{"stm32g071rb", {27, 28, 29}, 3},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct stm32_device *dev = stm32_device_find(parts[i].device);
		assert_non_null(dev);
		const struct sim_family_info *info = sim_family_info(dev->family);
		struct sim_usart_instance found[SIM_USART_MAX];
		size_t n = sim_usart_instances(info, dev->name, found);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(found[k].irq, parts[i].usart[found[k].index - 1]);
		assert_true(n >= 1);
		assert_int_equal(sim_family_flash_irq(info), parts[i].flash);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_unit_where_each_rm_puts_it),
		cmocka_unit_test(polysize_gives_narrow_crcs),
		cmocka_unit_test(narrow_crc_of_a_word_is_that_of_its_bytes),
		cmocka_unit_test(interrupt_lines_of_h7_h5_l5_u5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
