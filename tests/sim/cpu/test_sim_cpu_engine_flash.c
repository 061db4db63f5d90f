/* The ROM engine and a program on the core share the flash: a RAM program
 * started by Go programs flash through the family's controller (L0 PECR,
 * H7 flash words), and after a reset into the bootloader Read Memory
 * returns what it wrote. */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_sim_harness.h"

#define FLASH_WORD_AT 0x08000100u

/* A RAM program: vectors at the start, code after them, "LDR rt, =value"
 * literals in a pool after the code. Thumb-1 only (Cortex-M0+ runs it). */
struct program {
	uint32_t base;
	uint16_t code[64];
	size_t n;
	uint32_t lit[16];
	size_t nlit, lit_at[16];
};

static void emit(struct program *p, uint16_t insn) { p->code[p->n++] = insn; }

static void ldr(struct program *p, unsigned rt, uint32_t value)
{
	p->lit_at[p->nlit] = p->n;
	p->lit[p->nlit++] = value;
	emit(p, (uint16_t)(0x4800u | rt << 8));
}

/* STR rt, [rn, #offset] */
static void str(struct program *p, unsigned rt, unsigned rn, unsigned offset)
{
	emit(p, (uint16_t)(0x6000u | (offset / 4u) << 6 | rn << 3 | rt));
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* The image: MSP, reset vector, code at base + 8, then the pool. */
static size_t assemble(struct program *p, uint32_t msp, uint8_t *out)
{
	uint32_t code_at = p->base + 8u;
	uint32_t pool = (code_at + 2u * (uint32_t)p->n + 3u) & ~3u;
	for (size_t i = 0; i < p->nlit; i++) {
		uint32_t pc = code_at + 2u * (uint32_t)p->lit_at[i];
		p->code[p->lit_at[i]] |= (uint16_t)((pool + 4u * (uint32_t)i - ((pc + 4u) & ~3u)) / 4u);
	}
	memset(out, 0xFF, 256);
	put32(out, msp);
	put32(out + 4, code_at | 1u);
	for (size_t i = 0; i < p->n; i++) {
		out[8 + 2 * i] = (uint8_t)p->code[i];
		out[9 + 2 * i] = (uint8_t)(p->code[i] >> 8);
	}
	for (size_t i = 0; i < p->nlit; i++)
		put32(out + (pool - p->base) + 4 * i, p->lit[i]);
	return (pool - p->base) + 4u * p->nlit;
}

/* Write the program, Go, let it run, reset into the bootloader, read the
 * flash back through the ROM. */
static void run_and_read_back(const char *device, struct program *p, uint8_t *out, size_t length)
{
	struct harness *h = harness_new(device, false);
	harness_sync(h);
	uint8_t image[256];
	size_t n = (assemble(p, h->chip.dev->ram_end, image) + 3u) & ~(size_t)3;
	assert_true(n <= sizeof(image));
	assert_int_equal(harness_write(h, p->base, image, n), 0x79);
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, p->base);
	harness_run_program(h);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	assert_int_equal(h->stats.core.faults, 0);
	sim_engine_set_boot0(&h->engine, true);
	sim_engine_hold_reset(&h->engine);
	sim_engine_release_reset(&h->engine);
	h->reply_length = 0;
	harness_sync(h);
	assert_true(harness_read(h, FLASH_WORD_AT, out, length));
	harness_free(h);
}

static void l0_program_writes_flash_through_pecr_and_the_rom_reads_it(void **state)
{
	(void)state;
	const struct stm32_device *dev = stm32_device_find("stm32l05x");
	assert_non_null(dev);
	struct program p = {.base = dev->ram_start};
	ldr(&p, 0, 0x40022000u);
	ldr(&p, 1, 0x89ABCDEFu);
	str(&p, 1, 0, 0x0C); /* PEKEYR */
	ldr(&p, 1, 0x02030405u);
	str(&p, 1, 0, 0x0C);
	ldr(&p, 1, 0x8C9DAEBFu);
	str(&p, 1, 0, 0x10); /* PRGKEYR */
	ldr(&p, 1, 0x13141516u);
	str(&p, 1, 0, 0x10);
	ldr(&p, 2, FLASH_WORD_AT);
	ldr(&p, 1, 0xC0FFEE42u);
	str(&p, 1, 2, 0); /* one word */
	emit(&p, 0xE7FEu); /* b . */
	uint8_t back[4];
	run_and_read_back("stm32l05x", &p, back, sizeof(back));
	assert_memory_equal(back, ((uint8_t[]){0x42, 0xEE, 0xFF, 0xC0}), 4);
}

static void h743_program_writes_a_flash_word_and_the_rom_reads_it(void **state)
{
	(void)state;
	const struct stm32_device *dev = stm32_device_find("stm32h743zi");
	assert_non_null(dev);
	struct program p = {.base = dev->ram_start};
	ldr(&p, 0, 0x52002000u);
	ldr(&p, 1, 0x45670123u);
	str(&p, 1, 0, 0x04); /* KEYR1 */
	ldr(&p, 1, 0xCDEF89ABu);
	str(&p, 1, 0, 0x04);
	emit(&p, 0x2102u);   /* movs r1, #2: PG */
	str(&p, 1, 0, 0x0C); /* CR1 */
	ldr(&p, 2, FLASH_WORD_AT);
	for (unsigned i = 0; i < 8; i++) {
		emit(&p, (uint16_t)(0x2100u | (0x10u + i))); /* movs r1, #(0x10 + i) */
		str(&p, 1, 2, 4 * i);
	}
	emit(&p, 0xE7FEu);
	uint8_t back[36];
	run_and_read_back("stm32h743zi", &p, back, sizeof(back));
	for (unsigned i = 0; i < 8; i++)
		assert_memory_equal(back + 4 * i, ((uint8_t[]){(uint8_t)(0x10 + i), 0, 0, 0}), 4);
	assert_int_equal(back[32], 0xFF); /* the next flash word is left alone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l0_program_writes_flash_through_pecr_and_the_rom_reads_it),
		cmocka_unit_test(h743_program_writes_a_flash_word_and_the_rom_reads_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
