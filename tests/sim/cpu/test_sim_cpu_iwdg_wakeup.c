/* The U5 IWDG's early-wakeup interrupt on the core (RM0456: EWCR.EWIE with
 * EWIT, NVIC line 27): a hand-assembled Thumb program in RAM starts the
 * watchdog at LSI / 4 (125 us a count) with RLR 100 and EWIT 90, enables
 * line 27 and sleeps in WFI; the handler acknowledges (EWIC), refreshes
 * and counts. The interrupt wakes the program 11 counts after each
 * refresh, so the watchdog never resets the chip; a handler that does
 * not refresh lets it reset 101 counts after the start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

#define T_MOVS(rd, imm) (uint16_t)(0x2000u | (rd) << 8 | (imm))
#define T_ADDS(rd, imm) (uint16_t)(0x3000u | (rd) << 8 | (imm))
#define T_STR(rt, rn, w) (uint16_t)(0x6000u | (w) << 6 | (rn) << 3 | (rt)) /* [rn, #4w] */
#define T_LDR(rt, rn, w) (uint16_t)(0x6800u | (w) << 6 | (rn) << 3 | (rt))
#define T_BX_LR 0x4770u
#define T_B_BACK2 0xE7FDu /* "wfi; b wfi" */
#define T_WFI 0xBF30u

#define IWDG 0x40003000u
#define IWDG_LINE 27u
#define MAIN 0x200u
#define HANDLER 0x300u
#define DATA 0x400u
#define COUNT_US 125u /* 4 / 32 kHz */

struct rig {
	struct sim_chip chip;
	struct sim_cpu *cpu;
	uint32_t base;
};

static uint8_t *at(struct rig *r, uint32_t offset)
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

struct routine {
	uint16_t code[64];
	size_t n;
	uint32_t lit[16];
	size_t nlit, lit_at[16];
};

static void emit(struct routine *t, uint16_t insn) { t->code[t->n++] = insn; }

static void ldr_lit(struct routine *t, unsigned rt, uint32_t value)
{
	t->lit_at[t->nlit] = t->n;
	t->lit[t->nlit++] = value;
	emit(t, (uint16_t)(0x4800u | rt << 8));
}

/* imm8 = (pool entry - Align(PC + 4, 4)) / 4 (ARMv7-M A7.7.43). */
static void place(struct rig *r, struct routine *t, uint32_t offset)
{
	uint32_t addr = r->base + offset;
	uint32_t pool = (addr + 2u * (uint32_t)t->n + 3u) & ~3u;
	for (size_t i = 0; i < t->nlit; i++) {
		uint32_t pc = addr + 2u * (uint32_t)t->lit_at[i];
		t->code[t->lit_at[i]] |= (uint16_t)((pool + 4u * (uint32_t)i - ((pc + 4u) & ~3u)) / 4u);
		put32(at(r, pool - r->base + 4u * (uint32_t)i), t->lit[i]);
	}
	for (size_t i = 0; i < t->n; i++) {
		at(r, offset)[2 * i] = (uint8_t)t->code[i];
		at(r, offset)[2 * i + 1] = (uint8_t)(t->code[i] >> 8);
	}
}

static void program(struct rig *r, bool handler_refreshes)
{
	put32(at(r, 0), r->chip.dev->ram_end & ~7u);
	put32(at(r, 4), (r->base + MAIN) | 1u);
	put32(at(r, 4 * (16 + IWDG_LINE)), (r->base + HANDLER) | 1u);
	struct routine m = {0}, h = {0};
	ldr_lit(&m, 0, 0xE000ED08u); /* VTOR = the table in RAM */
	ldr_lit(&m, 1, r->base);
	emit(&m, T_STR(1, 0, 0));
	ldr_lit(&m, 0, IWDG);
	ldr_lit(&m, 1, 0xCCCCu);
	emit(&m, T_STR(1, 0, 0));
	ldr_lit(&m, 1, 0x5555u);
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_MOVS(1, 0));
	emit(&m, T_STR(1, 0, 1)); /* PR = /4 */
	emit(&m, T_MOVS(1, 100));
	emit(&m, T_STR(1, 0, 2)); /* RLR */
	ldr_lit(&m, 1, 1u << 15 | 90u);
	emit(&m, T_STR(1, 0, 5)); /* EWCR: EWIE, EWIT 90 */
	ldr_lit(&m, 1, 0xAAAAu);
	emit(&m, T_STR(1, 0, 0)); /* reload: RLR */
	ldr_lit(&m, 0, 0xE000E100u); /* NVIC_ISER0 */
	ldr_lit(&m, 1, 1u << IWDG_LINE);
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_WFI);
	emit(&m, T_B_BACK2);
	place(r, &m, MAIN);
	ldr_lit(&h, 0, IWDG);
	ldr_lit(&h, 1, 1u << 14);
	emit(&h, T_STR(1, 0, 5)); /* EWCR.EWIC */
	if (handler_refreshes) {
		ldr_lit(&h, 1, 0xAAAAu);
		emit(&h, T_STR(1, 0, 0));
	}
	ldr_lit(&h, 0, r->base + DATA);
	emit(&h, T_LDR(1, 0, 0));
	emit(&h, T_ADDS(1, 1));
	emit(&h, T_STR(1, 0, 0));
	emit(&h, T_BX_LR);
	place(r, &h, HANDLER);
}

static void up(struct rig *r, bool handler_refreshes)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find("stm32u575");
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	char err[128];
	r->cpu = sim_cpu_new(&r->chip, NULL, err, sizeof(err));
	if (!r->cpu)
		fail_msg("%s", err);
	r->base = dev->ram_start;
	program(r, handler_refreshes);
	sim_cpu_memory_changed(r->cpu, r->base, 0x800);
	assert_true(sim_cpu_go(r->cpu, r->base, NULL));
}

static void down(struct rig *r)
{
	sim_cpu_free(r->cpu);
	sim_chip_free(&r->chip);
}

/* Sleep in WFI for us microseconds of emulated time, a tick at a time, as
 * the emulator's loop does. */
static struct sim_cpu_stop_info sleep_us(struct rig *r, unsigned us)
{
	struct sim_cpu_stop_info s = sim_cpu_run(r->cpu, 10000);
	for (unsigned t = 0; t < us && s.reason == SIM_CPU_STOP_IDLE; t += 25) {
		sim_cpu_idle(r->cpu, 25000);
		s = sim_cpu_run(r->cpu, 10000);
	}
	return s;
}

static void early_wakeup_interrupt_keeps_the_watchdog_fed(void **state)
{
	(void)state;
	struct rig r;
	up(&r, true);
	assert_int_equal(sim_cpu_run(r.cpu, 10000).reason, SIM_CPU_STOP_IDLE);
	assert_int_equal(get32(at(&r, DATA)), 0);
	struct sim_cpu_stop_info s = sleep_us(&r, 11 * COUNT_US + 100);
	assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
	assert_int_equal(get32(at(&r, DATA)), 1);
	s = sleep_us(&r, 200 * COUNT_US); /* well past the 101-count timeout */
	assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
	assert_true(get32(at(&r, DATA)) >= 15);
	assert_int_equal(sim_cpu_stats(r.cpu)->resets[SIM_RESET_IWDG], 0);
	down(&r);
}

static void without_a_refresh_the_watchdog_resets(void **state)
{
	(void)state;
	struct rig r;
	up(&r, false);
	struct sim_cpu_stop_info s = sleep_us(&r, 200 * COUNT_US);
	assert_int_equal(s.reason, SIM_CPU_STOP_RESET);
	assert_int_equal(s.reset, SIM_RESET_IWDG);
	assert_int_equal(get32(at(&r, DATA)), 1); /* one early wakeup, then the end */
	down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(early_wakeup_interrupt_keeps_the_watchdog_fed),
		cmocka_unit_test(without_a_refresh_the_watchdog_resets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
