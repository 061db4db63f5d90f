/* The spin-loop fast-forward (src/sim/cpu/spin.c): programs that poll run
 * with it and without it, and everything a program or the caller can see
 * must be the same: where and when they stop, their registers, RAM and
 * flash, the instruction count and every block's access counts; only the
 * skip counters differ (polls of FLASH_SR.BSY, RXNE, SysTick's COUNTFLAG,
 * and a watchdog fed then starved). Loops that are not pure polls are not skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

#define SLICE 1000u
#define RAM_SEEN 16u
#define FLASH_SEEN 32u
#define FLASH_AT 0x400u /* where flash.s programs */

struct delivery {
	uint64_t at_instruction;
	uint8_t byte;
};

struct outcome {
	struct sim_cpu_stop_info stop;
	uint64_t instructions, time_ns, skips, skipped, refreshes, iwdg_resets;
	uint32_t regs[16];
	uint64_t reads[SIM_CPU_PERIPH_MAX], writes[SIM_CPU_PERIPH_MAX];
	uint8_t ram[RAM_SEEN], flash[FLASH_SEEN];
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The program (code and its literal pool, as assembled) at ram_start + 8
 * behind its vector, on a fresh F103 left as the ROM leaves it, run in
 * slices of slice instructions until it stops or has run max; the
 * deliveries reach USART1 between slices. */
static struct sim_cpu *start_program(struct sim_chip *chip, const uint16_t *code, size_t halfwords)
{
	const struct stm32_device *dev = stm32_device_find("stm32f103xb");
	assert_non_null(dev);
	assert_true(sim_chip_init(chip, dev));
	char err[128];
	struct sim_cpu *cpu = sim_cpu_new(chip, NULL, err, sizeof(err));
	if (!cpu)
		fail_msg("%s", err);
	uint32_t base = dev->ram_start;
	uint8_t *p = chip->ram + (base - SIM_RAM_BASE);
	put32(p, dev->ram_end & ~7u);
	put32(p + 4, (base + 8) | 1u);
	for (size_t i = 0; i < halfwords; i++)
		put16(p + 8 + 2 * i, code[i]);
	sim_cpu_memory_changed(cpu, base, (uint32_t)(8 + 2 * halfwords));
	sim_cpu_rom_handoff(cpu, 115200);
	assert_true(sim_cpu_go(cpu, base, NULL));
	return cpu;
}

static void run_program(struct outcome *o, bool skip, const uint16_t *code, size_t halfwords,
			const struct delivery *bytes, size_t count, uint64_t slice, uint64_t max)
{
	memset(o, 0, sizeof(*o));
	struct sim_chip chip;
	struct sim_cpu *cpu = start_program(&chip, code, halfwords);
	sim_cpu_set_spin_skip(cpu, skip);
	size_t next = 0;
	do {
		uint64_t done = sim_cpu_stats(cpu)->instructions;
		if (next < count && done >= bytes[next].at_instruction)
			sim_cpu_usart_receive(cpu, 1, bytes[next++].byte);
		o->stop = sim_cpu_run(cpu, slice);
	} while (o->stop.reason == SIM_CPU_STOP_BUDGET && sim_cpu_stats(cpu)->instructions < max);
	const struct sim_cpu_stats *s = sim_cpu_stats(cpu);
	o->instructions = s->instructions;
	o->time_ns = sim_cpu_time_ns(cpu);
	o->skips = s->spin_skips;
	o->skipped = s->spin_skipped_instructions;
	o->refreshes = s->iwdg_refreshes;
	o->iwdg_resets = s->resets[SIM_RESET_IWDG];
	for (int r = 0; r < 13; r++)
		o->regs[r] = sim_cpu_reg(cpu, UC_ARM_REG_R0 + r);
	o->regs[13] = sim_cpu_reg(cpu, UC_ARM_REG_SP);
	o->regs[14] = sim_cpu_reg(cpu, UC_ARM_REG_LR);
	o->regs[15] = sim_cpu_reg(cpu, UC_ARM_REG_PC);
	for (size_t i = 0; i < s->periph_count; i++) {
		o->reads[i] = s->periph[i].reads;
		o->writes[i] = s->periph[i].writes;
	}
	memcpy(o->ram, chip.ram + (0x20001000u - SIM_RAM_BASE), RAM_SEEN);
	memcpy(o->flash, chip.flash + FLASH_AT, FLASH_SEEN);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);
}

/* Both runs saw and did the same; the fast one skipped. */
static void assert_same(const struct outcome *fast, const struct outcome *slow)
{
	assert_int_equal(fast->stop.reason, slow->stop.reason);
	assert_int_equal(fast->stop.reset, slow->stop.reset);
	assert_int_equal(fast->stop.pc, slow->stop.pc);
	assert_int_equal(fast->instructions, slow->instructions);
	assert_int_equal(fast->time_ns, slow->time_ns);
	assert_int_equal(fast->refreshes, slow->refreshes);
	assert_int_equal(fast->iwdg_resets, slow->iwdg_resets);
	assert_memory_equal(fast->regs, slow->regs, sizeof(fast->regs));
	assert_memory_equal(fast->reads, slow->reads, sizeof(fast->reads));
	assert_memory_equal(fast->writes, slow->writes, sizeof(fast->writes));
	assert_memory_equal(fast->ram, slow->ram, sizeof(fast->ram));
	assert_memory_equal(fast->flash, slow->flash, sizeof(fast->flash));
	assert_int_equal(slow->skips, 0);
	assert_int_equal(slow->skipped, 0);
}

/* flash.s: unlock, PG, then 8 half-words to 0x08000400, each followed by
 * a poll of FLASH_SR.BSY that refreshes the IWDG (not running here). */
static const uint16_t flash_poll[] = {
	0x480A, 0x490B, 0x6041, 0x490B, 0x6041, 0x2101, 0x6101, 0x4A0A, 0x4C0A, 0xF64A, 0x25AA,
	0x2308, 0x8013, 0x3202, 0x6025, 0x68C1, 0x07C9, 0xD4FB, 0x3B01, 0xD1F7, 0xBE00, 0x0000,
	0x2000, 0x4002, 0x0123, 0x4567, 0x89AB, 0xCDEF, 0x0400, 0x0800, 0x3000, 0x4000,
};

static void flash_busy_poll_is_skipped_unchanged(void **state)
{
	(void)state;
	static const uint64_t slices[] = {SLICE, 37, 100000};
	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		struct outcome fast, slow;
		size_t n = sizeof(flash_poll) / sizeof(flash_poll[0]);
		run_program(&fast, true, flash_poll, n, NULL, 0, slices[i], 10000000);
		run_program(&slow, false, flash_poll, n, NULL, 0, slices[i], 10000000);
		assert_int_equal(slow.stop.reason, SIM_CPU_STOP_BREAKPOINT);
		assert_same(&fast, &slow);
		/* Half-words 8, 7, ... 1 programmed (flash takes its time: BSY
		 * is polled hundreds of times a half-word). */
		for (unsigned k = 0; k < 8; k++) {
			assert_int_equal(slow.flash[2 * k], 8 - k);
			assert_int_equal(slow.flash[2 * k + 1], 0);
		}
		if (slices[i] > 100) {
			assert_true(fast.skips >= 8);
			assert_true(fast.skipped * 2 > fast.instructions);
		}
	}
}

/* usart.s: poll USART1 SR.RXNE, store each byte received at 0x20001000,
 * three of them, then BKPT. */
static const uint16_t usart_poll[] = {
	0x4805, 0x4E06, 0x2300, 0x6801, 0x0689, 0xD5FC, 0x6841, 0x54F1,
	0x3301, 0x2B03, 0xD1F7, 0xBE00, 0x3800, 0x4001, 0x1000, 0x2000,
};

static void rxne_poll_sees_the_bytes_as_they_arrive(void **state)
{
	(void)state;
	static const struct delivery bytes[] = {{5000, 'a'}, {20000, 'b'}, {77777, 'c'}};
	struct outcome fast, slow;
	size_t n = sizeof(usart_poll) / sizeof(usart_poll[0]);
	run_program(&fast, true, usart_poll, n, bytes, 3, SLICE, 1000000);
	run_program(&slow, false, usart_poll, n, bytes, 3, SLICE, 1000000);
	assert_int_equal(slow.stop.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_same(&fast, &slow);
	assert_memory_equal(slow.ram, "abc", 3);
	assert_true(fast.skips > 0);
	assert_true(fast.skipped * 2 > fast.instructions);
}

/* iwdg.s: the IWDG started with RLR 0xFF (about 25.7 ms at LSI/4), a poll
 * of RXNE that refreshes it, then, once a byte came (read, so RXNE is clear again), one that does not. */
static const uint16_t watchdog_poll[] = {
	0x4C0A, 0xF245, 0x5155, 0x6021, 0x21FF, 0x60A1, 0xF64C, 0x41CC, 0x6021,
	0xF64A, 0x25AA, 0x4806, 0x6025, 0x6801, 0x0689, 0xD5FB, 0x6841, 0x6801,
	0x0689, 0xD5FC, 0xBE00, 0x0000, 0x3000, 0x4000, 0x3800, 0x4001,
};

static void watchdog_still_fires_in_a_skipped_poll(void **state)
{
	(void)state;
	/* Fed for 2000000 instructions (83 ms at the ROM's 24 MHz, over three
	 * watchdog periods), then starved: the reset comes one period (617000
	 * instructions) after the last refresh. */
	static const struct delivery bytes[] = {{2000000, 'x'}};
	/* A slice longer than the period: one skip covers several periods. */
	static const uint64_t slices[] = {SLICE, 3000000};
	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		struct outcome fast, slow;
		size_t n = sizeof(watchdog_poll) / sizeof(watchdog_poll[0]);
		run_program(&fast, true, watchdog_poll, n, bytes, 1, slices[i], 10000000);
		run_program(&slow, false, watchdog_poll, n, bytes, 1, slices[i], 10000000);
		/* The byte arrives at the first slice's end past 2000000. */
		uint64_t fed = (bytes[0].at_instruction + slices[i] - 1) / slices[i] * slices[i];
		assert_int_equal(slow.stop.reason, SIM_CPU_STOP_RESET);
		assert_int_equal(slow.stop.reset, SIM_RESET_IWDG);
		assert_true(slow.instructions > fed + 600000);
		assert_true(slow.instructions < fed + 700000);
		assert_same(&fast, &slow);
		assert_true(fast.skips > 0);
		assert_true(fast.refreshes > 1000);
	}
}

/* tick.s: SysTick at HCLK with LOAD 999, no interrupt; polls CTRL for
 * COUNTFLAG 20 times (r5). */
static const uint16_t countflag_poll[] = {
	0x4807, 0xF240, 0x31E7, 0x6041, 0x2100, 0x6081, 0x2105, 0x6001, 0x2500,
	0x6801, 0x03C9, 0xD5FC, 0x3501, 0x2D14, 0xD1F9, 0xBE00, 0xE010, 0xE000,
};

static void systick_countflag_poll_ends_at_each_count_to_zero(void **state)
{
	(void)state;
	struct outcome fast, slow;
	size_t n = sizeof(countflag_poll) / sizeof(countflag_poll[0]);
	run_program(&fast, true, countflag_poll, n, NULL, 0, 100000, 1000000);
	run_program(&slow, false, countflag_poll, n, NULL, 0, 100000, 1000000);
	assert_int_equal(slow.stop.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_same(&fast, &slow);
	assert_int_equal(fast.regs[5], 20);
	assert_true(fast.instructions > 20 * 1000 - 1000); /* a count to 0 every 1000 cycles */
	assert_true(fast.skips >= 20);
}

/* With timer polls idle (the UART's fast speed), the COUNTFLAG poll stops
 * the core as WFI would, each time with the wrap still to come; the caller
 * lets that time pass and the program sees the same 20 wraps at the same
 * times, without running the passes between them. A poll on the flash's
 * own work is still moved over without a stop. */
static void timer_polls_stop_the_core_until_the_next_wrap(void **state)
{
	(void)state;
	struct sim_chip chip;
	struct sim_cpu *cpu =
		start_program(&chip, countflag_poll, sizeof(countflag_poll) / sizeof(countflag_poll[0]));
	sim_cpu_set_timer_polls_idle(cpu, true);
	struct sim_cpu_stop_info stop;
	unsigned idles = 0;
	uint64_t idled_ns = 0;
	while ((stop = sim_cpu_run(cpu, 100000)).reason == SIM_CPU_STOP_IDLE ||
	       stop.reason == SIM_CPU_STOP_BUDGET) {
		if (stop.reason != SIM_CPU_STOP_IDLE)
			continue;
		uint64_t ns = sim_cpu_next_timer_ns(cpu);
		assert_true(ns > 0 && ns < 1000000); /* the wrap, a 1000-cycle count away */
		sim_cpu_idle(cpu, ns);
		idled_ns += ns;
		assert_true(++idles < 1000);
	}
	assert_int_equal(stop.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_int_equal(sim_cpu_reg(cpu, UC_ARM_REG_R5), 20);
	assert_true(idles >= 19);
	assert_int_equal(sim_cpu_stats(cpu)->spin_idle_stops, idles);
	struct outcome slow;
	run_program(&slow, false, countflag_poll, sizeof(countflag_poll) / sizeof(countflag_poll[0]),
		    NULL, 0, 100000, 1000000);
	/* The same wraps: the time is the run's within a pass a wrap. */
	uint64_t t = sim_cpu_time_ns(cpu);
	assert_true(t + 20 * 1000 >= slow.time_ns && t <= slow.time_ns + 20 * 1000);
	assert_true(sim_cpu_stats(cpu)->instructions < slow.instructions / 2);
	assert_true(idled_ns > slow.time_ns / 2);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);

	cpu = start_program(&chip, flash_poll, sizeof(flash_poll) / sizeof(flash_poll[0]));
	sim_cpu_set_timer_polls_idle(cpu, true);
	while ((stop = sim_cpu_run(cpu, 100000)).reason == SIM_CPU_STOP_BUDGET)
		continue;
	assert_int_equal(stop.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_int_equal(sim_cpu_stats(cpu)->spin_idle_stops, 0);
	assert_true(sim_cpu_stats(cpu)->spin_skips >= 8);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);
}

/* A poll that only the host can end (RXNE, no timer running) stops the
 * core with no timer change to wait for. */
static void a_poll_for_the_host_stops_with_no_timer_to_wait_for(void **state)
{
	(void)state;
	struct sim_chip chip;
	struct sim_cpu *cpu = start_program(&chip, usart_poll, sizeof(usart_poll) / sizeof(usart_poll[0]));
	sim_cpu_set_timer_polls_idle(cpu, true);
	struct sim_cpu_stop_info stop = sim_cpu_run(cpu, 100000);
	assert_int_equal(stop.reason, SIM_CPU_STOP_IDLE);
	assert_int_equal(sim_cpu_next_timer_ns(cpu), UINT64_MAX);
	assert_true(sim_cpu_stats(cpu)->instructions < 100);
	for (const char *c = "abc"; *c; c++) {
		sim_cpu_usart_receive(cpu, 1, (uint8_t)*c);
		stop = sim_cpu_run(cpu, 100000);
	}
	assert_int_equal(stop.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_memory_equal(chip.ram + (0x20001000u - SIM_RAM_BASE), "abc", 3);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);
}

/* count.s: polls RXNE (never set) and counts the passes in r2. */
static const uint16_t counting_poll[] = {
	0x4806, 0x4E07, 0x2200, 0x2307, 0x6801, 0x3201, 0x0689, 0xD5FB, 0x6033,
	0x6801, 0x0689, 0xD5FB, 0xBE00, 0x0000, 0x3800, 0x4001, 0x1000, 0x2000,
};

/* store.s: polls RXNE and stores the same word into RAM every pass. */
static const uint16_t storing_poll[] = {
	0x4803, 0x4E04, 0x2307, 0x6033, 0x6801, 0x0689, 0xD5FB, 0xBE00, 0x3800, 0x4001, 0x1000, 0x2000,
};

static void loops_that_do_more_than_poll_run_as_they_are(void **state)
{
	(void)state;
	struct outcome fast, slow;
	size_t n = sizeof(counting_poll) / sizeof(counting_poll[0]);
	run_program(&fast, true, counting_poll, n, NULL, 0, SLICE, 200000);
	run_program(&slow, false, counting_poll, n, NULL, 0, SLICE, 200000);
	assert_same(&fast, &slow);
	assert_int_equal(fast.skips, 0);
	assert_true(fast.regs[2] > 40000); /* four instructions a pass, each counted */

	n = sizeof(storing_poll) / sizeof(storing_poll[0]);
	run_program(&fast, true, storing_poll, n, NULL, 0, SLICE, 200000);
	run_program(&slow, false, storing_poll, n, NULL, 0, SLICE, 200000);
	assert_same(&fast, &slow);
	assert_int_equal(fast.skips, 0);
	assert_int_equal(fast.ram[0], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flash_busy_poll_is_skipped_unchanged),
		cmocka_unit_test(rxne_poll_sees_the_bytes_as_they_arrive),
		cmocka_unit_test(watchdog_still_fires_in_a_skipped_poll),
		cmocka_unit_test(systick_countflag_poll_ends_at_each_count_to_zero),
		cmocka_unit_test(loops_that_do_more_than_poll_run_as_they_are),
		cmocka_unit_test(timer_polls_stop_the_core_until_the_next_wrap),
		cmocka_unit_test(a_poll_for_the_host_stops_with_no_timer_to_wait_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
