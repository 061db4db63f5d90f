/* Readout protection seen by code on the core (RM0008/PM0075 F1, RM0365
 * F3, RM0351 L4, RM0444 G0): at level 1 a program started by Go (the chip
 * booted from system memory) or run under a debugger cannot read or fetch
 * flash, a bus error reported as a fault stop or taken by its HardFault
 * handler, and the flash controller refuses to program it; the same
 * program at level 0 reads it, and code booted from flash reads flash at
 * level 1. Programs are hand-assembled Thumb. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

#define T_MOVS(rd, imm) (uint16_t)(0x2000u | (rd) << 8 | (imm))
#define T_STR(rt, rn, w) (uint16_t)(0x6000u | (w) << 6 | (rn) << 3 | (rt)) /* [rn, #4w] */
#define T_LDR(rt, rn, w) (uint16_t)(0x6800u | (w) << 6 | (rn) << 3 | (rt))
#define T_STRH(rt, rn) (uint16_t)(0x8000u | (rn) << 3 | (rt))
#define T_B_SELF 0xE7FEu

#define VTOR_ADDR 0xE000ED08u
#define FLASH 0x08000000u
#define MAIN 0x200u    /* offsets from the RAM start (vector table at 0) */
#define HANDLER 0x300u
#define DATA 0x400u
#define MARK 0x5Au

struct rig {
	struct sim_chip chip;
	struct sim_cpu *cpu;
	uint32_t base;
};

static void rig_up(struct rig *r, const char *device, int rdp_level)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	sim_chip_set_rdp_level(&r->chip, rdp_level); /* what the option loader reads */
	char err[128];
	r->cpu = sim_cpu_new(&r->chip, NULL, err, sizeof(err));
	if (!r->cpu)
		fail_msg("%s", err);
	r->base = dev->ram_start;
	const uint8_t word[4] = {0x78, 0x56, 0x34, 0x12};
	memcpy(r->chip.flash + 0x800, word, 4);
}

static void rig_down(struct rig *r)
{
	sim_cpu_free(r->cpu);
	sim_chip_free(&r->chip);
}

static uint8_t *ram(struct rig *r, uint32_t offset)
{
	return r->chip.ram + (r->base - SIM_RAM_BASE) + offset;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Code with "LDR rt, =literal" resolved against a pool after it. */
struct routine {
	uint16_t code[48];
	size_t n;
	uint32_t lit[12];
	size_t nlit, lit_at[12];
};

static void emit(struct routine *t, uint16_t insn) { t->code[t->n++] = insn; }

static void ldr_lit(struct routine *t, unsigned rt, uint32_t value)
{
	t->lit_at[t->nlit] = t->n;
	t->lit[t->nlit++] = value;
	emit(t, (uint16_t)(0x4800u | rt << 8));
}

/* Into memory at dest (address addr); returns the bytes used. */
static void place(struct routine *t, uint8_t *dest, uint32_t addr)
{
	uint32_t pool = (addr + 2u * (uint32_t)t->n + 3u) & ~3u;
	for (size_t i = 0; i < t->nlit; i++) {
		uint32_t pc = addr + 2u * (uint32_t)t->lit_at[i];
		t->code[t->lit_at[i]] |= (uint16_t)((pool + 4u * (uint32_t)i - ((pc + 4u) & ~3u)) / 4u);
		put32(dest + (pool - addr) + 4u * (uint32_t)i, t->lit[i]);
	}
	for (size_t i = 0; i < t->n; i++) {
		dest[2 * i] = (uint8_t)t->code[i];
		dest[2 * i + 1] = (uint8_t)(t->code[i] >> 8);
	}
}

/* main: VTOR = the RAM start, then the word at FLASH + 0x800 into DATA. */
static uint32_t reader(struct rig *r, uint32_t *load_pc)
{
	struct routine m = {0};
	ldr_lit(&m, 3, VTOR_ADDR);
	ldr_lit(&m, 4, r->base);
	emit(&m, T_STR(4, 3, 0));
	ldr_lit(&m, 0, FLASH + 0x800);
	ldr_lit(&m, 2, r->base + DATA);
	*load_pc = r->base + MAIN + 2u * (uint32_t)m.n;
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_STR(1, 2, 0));
	emit(&m, T_B_SELF);
	place(&m, ram(r, MAIN), r->base + MAIN);
	return r->base + MAIN;
}

/* The vector table in RAM; HardFault (3) marks DATA + 4 when wanted. */
static void vectors(struct rig *r, uint32_t entry, bool hardfault_handler)
{
	put32(ram(r, 0), r->chip.dev->ram_end & ~7u);
	put32(ram(r, 4), entry | 1u);
	put32(ram(r, DATA), 0xDEADBEEFu);
	if (!hardfault_handler)
		return;
	struct routine h = {0};
	ldr_lit(&h, 0, r->base + DATA + 4);
	emit(&h, T_MOVS(1, MARK));
	emit(&h, T_STR(1, 0, 0));
	emit(&h, T_B_SELF);
	place(&h, ram(r, HANDLER), r->base + HANDLER);
	put32(ram(r, 12), (r->base + HANDLER) | 1u);
}

static struct sim_cpu_stop_info go_and_run(struct rig *r)
{
	sim_cpu_memory_changed(r->cpu, r->base, 0x800);
	assert_true(sim_cpu_go(r->cpu, r->base, NULL));
	return sim_cpu_run(r->cpu, 10000);
}

static void ram_program_reads_flash_at_level_0(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb", 0);
	uint32_t pc;
	vectors(&r, reader(&r, &pc), false);
	struct sim_cpu_stop_info s = go_and_run(&r);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_false(sim_cpu_flash_read_protected(r.cpu));
	assert_int_equal(get32(ram(&r, DATA)), 0x12345678u);
	rig_down(&r);
}

static void ram_program_read_of_flash_faults_at_level_1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb", 1);
	uint32_t pc;
	vectors(&r, reader(&r, &pc), false);
	struct sim_cpu_stop_info s = go_and_run(&r);
	assert_true(sim_cpu_flash_read_protected(r.cpu));
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_string_equal(s.what, "bus error: read of read-protected flash");
	assert_int_equal(s.address, FLASH + 0x800);
	assert_int_equal(s.pc, pc);
	assert_int_equal(get32(ram(&r, DATA)), 0xDEADBEEFu); /* the load never completed */
	assert_int_equal(sim_cpu_stats(r.cpu)->faults, 1);
	rig_down(&r);
}

static void the_bus_error_is_taken_by_the_hardfault_handler(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb", 1);
	uint32_t pc;
	vectors(&r, reader(&r, &pc), true);
	struct sim_cpu_stop_info s = go_and_run(&r);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET); /* spinning in the handler */
	assert_int_equal(get32(ram(&r, DATA + 4)), MARK);
	assert_int_equal(get32(ram(&r, DATA)), 0xDEADBEEFu);
	assert_int_equal(sim_cpu_stats(r.cpu)->hardfaults, 1);
	rig_down(&r);
}

/* In flash: MSP, reset vector, and at 0x100 the reader without VTOR. */
static void flash_reader(struct rig *r)
{
	put32(r->chip.flash, r->chip.dev->ram_end & ~7u);
	put32(r->chip.flash + 4, (FLASH + 0x100) | 1u);
	struct routine m = {0};
	ldr_lit(&m, 0, FLASH + 0x800);
	ldr_lit(&m, 2, r->base + DATA);
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_STR(1, 2, 0));
	emit(&m, T_B_SELF);
	place(&m, r->chip.flash + 0x100, FLASH + 0x100);
	put32(ram(r, DATA), 0xDEADBEEFu);
	sim_cpu_memory_changed(r->cpu, FLASH, 0x1000);
}

static void code_booted_from_flash_reads_flash_at_level_1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb", 1);
	flash_reader(&r);
	assert_true(sim_cpu_boot_flash(r.cpu, NULL));
	assert_false(sim_cpu_flash_read_protected(r.cpu));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 10000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(ram(&r, DATA)), 0x12345678u);
	rig_down(&r);
}

static void a_debugger_makes_flash_unreadable_even_when_booted_from_flash(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb", 1);
	flash_reader(&r);
	assert_true(sim_cpu_boot_flash(r.cpu, NULL));
	sim_cpu_set_debugger(r.cpu, true);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 10000);
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_string_equal(s.what, "bus error: instruction fetch from read-protected flash");
	assert_int_equal(get32(ram(&r, DATA)), 0xDEADBEEFu);
	rig_down(&r);
}

static void go_into_flash_at_level_1_faults_on_the_first_fetch(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb", 1);
	flash_reader(&r);
	assert_true(sim_cpu_go(r.cpu, FLASH, NULL)); /* the vectors are read, as the ROM would */
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 10000);
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_string_equal(s.what, "bus error: instruction fetch from read-protected flash");
	assert_int_equal(s.pc, FLASH + 0x100);
	rig_down(&r);
}

/* From RAM: KEYR (key_word: its word offset in the controller), CR = cr
 * (cr_word), a half-word (F1) or word (F4) store at FLASH + 0x2000, SR
 * (sr_word) into DATA. */
struct programmer {
	uint32_t base;
	unsigned key_word, cr_word, sr_word;
	uint32_t cr;
	bool halfword;
};

static void programmer(struct rig *r, const struct programmer *p)
{
	struct routine m = {0};
	ldr_lit(&m, 0, p->base);
	ldr_lit(&m, 1, 0x45670123u);
	emit(&m, T_STR(1, 0, p->key_word));
	ldr_lit(&m, 1, 0xCDEF89ABu);
	emit(&m, T_STR(1, 0, p->key_word));
	ldr_lit(&m, 1, p->cr);
	emit(&m, T_STR(1, 0, p->cr_word));
	ldr_lit(&m, 2, FLASH + 0x2000);
	emit(&m, p->halfword ? T_STRH(1, 2) : T_STR(1, 2, 0));
	emit(&m, T_LDR(3, 0, p->sr_word));
	ldr_lit(&m, 2, r->base + DATA);
	emit(&m, T_STR(3, 2, 0));
	emit(&m, T_B_SELF);
	place(&m, ram(r, MAIN), r->base + MAIN);
	vectors(r, r->base + MAIN, false);
}

/* The program runs at level 0 and 1: the store lands, or the controller
 * sets error and flash keeps its byte. */
static void ram_program_cannot_program_flash_at_level_1(const char *device,
							const struct programmer *p, uint32_t error)
{
	for (int level = 0; level <= 1; level++) {
		struct rig r;
		rig_up(&r, device, level);
		programmer(&r, p);
		struct sim_cpu_stop_info s = go_and_run(&r);
		assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
		uint32_t sr = get32(ram(&r, DATA));
		assert_int_equal(sr & error, level ? error : 0);
		assert_int_equal(r.chip.flash[0x2000], level ? 0xFF : (uint8_t)p->cr);
		rig_down(&r);
	}
}

static void f1_ram_program_cannot_program_flash_at_level_1(void **state)
{
	(void)state;
	/* KEYR 0x04, CR 0x10 = PG, SR 0x0C: PGERR (RM0365) */
	const struct programmer f1 = {0x40022000u, 1, 4, 3, 0x1u, true};
	ram_program_cannot_program_flash_at_level_1("stm32f103xb", &f1, 1u << 2);
}

static void f4_ram_program_cannot_program_flash_at_level_1(void **state)
{
	(void)state;
	/* KEYR 0x04, CR 0x10 = PG | PSIZE x32, SR 0x0C: WRPERR */
	const struct programmer f4 = {0x40023C00u, 1, 4, 3, 0x201u, false};
	ram_program_cannot_program_flash_at_level_1("stm32f407xg", &f4, 1u << 4);
}

static void g0_ram_program_store_into_flash_is_a_bus_error_at_level_1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb", 1);
	struct routine m = {0};
	ldr_lit(&m, 0, 0x40022000u);
	ldr_lit(&m, 1, 0x45670123u);
	emit(&m, T_STR(1, 0, 2)); /* KEYR */
	ldr_lit(&m, 1, 0xCDEF89ABu);
	emit(&m, T_STR(1, 0, 2));
	emit(&m, T_MOVS(1, 1));
	emit(&m, T_STR(1, 0, 5)); /* CR = PG */
	ldr_lit(&m, 2, FLASH + 0x2000);
	emit(&m, T_STR(1, 2, 0));
	emit(&m, T_B_SELF);
	place(&m, ram(&r, MAIN), r.base + MAIN);
	vectors(&r, r.base + MAIN, false);
	struct sim_cpu_stop_info s = go_and_run(&r);
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_string_equal(s.what, "bus error: flash write under readout protection");
	assert_int_equal(r.chip.flash[0x2000], 0xFF);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ram_program_reads_flash_at_level_0),
		cmocka_unit_test(ram_program_read_of_flash_faults_at_level_1),
		cmocka_unit_test(the_bus_error_is_taken_by_the_hardfault_handler),
		cmocka_unit_test(code_booted_from_flash_reads_flash_at_level_1),
		cmocka_unit_test(a_debugger_makes_flash_unreadable_even_when_booted_from_flash),
		cmocka_unit_test(go_into_flash_at_level_1_faults_on_the_first_fetch),
		cmocka_unit_test(f1_ram_program_cannot_program_flash_at_level_1),
		cmocka_unit_test(f4_ram_program_cannot_program_flash_at_level_1),
		cmocka_unit_test(g0_ram_program_store_into_flash_is_a_bus_error_at_level_1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
