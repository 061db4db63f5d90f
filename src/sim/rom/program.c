/* The program started by Go or a boot from flash, run in slices from the
 * caller's poll loop, and what its stops mean for the chip: a reset
 * request resets it (back to the bootloader or the program, per BOOT0 and
 * the empty check), a fault stops it until the next reset. */
#include "rom/rom_private.h"

/* How often a program waiting in WFI (or, at --speed fast, in a poll that
 * only time or the host can end) is looked at again when no timer is due
 * sooner: no interrupts are delivered, so only time, e.g. the watchdog's,
 * or the host's bytes can change anything. */
#define IDLE_RECHECK_US 10000u

static uint64_t idle_recheck_us(const struct sim_engine *engine)
{
	uint64_t ns = rom_core_next_timer_ns(engine);
	if (ns >= (uint64_t)IDLE_RECHECK_US * 1000u)
		return IDLE_RECHECK_US;
	return ns < 1000u ? 1u : (ns + 999u) / 1000u;
}

static void program_reset(struct sim_engine *engine, enum sim_reset_cause cause)
{
	/* The stub or program may have toggled FLASH_SR.PEMPTY or cleared
	 * FLASH_ACR.EMPTY: the chip's latch is what the controller holds now. */
	engine->empty_boot = rom_core_pempty(engine, engine->empty_boot);
	if (cause == SIM_RESET_OBL_LAUNCH)
		sim_engine_option_reload(engine);
	else
		rom_system_reset(engine, cause);
}

/* Wall time (us since the emulator started) the core has reached. */
static uint64_t core_clock_us(const struct sim_engine *engine)
{
	return rom_core_clock_ns(engine) / 1000u;
}

/* The core's stop, and when to call again (0: the program has ended). */
static uint64_t after_stop(struct sim_engine *engine, const struct sim_cpu_stop_info *stop,
			   uint64_t now_us)
{
	struct sim_program *p = &engine->program;
	switch (stop->reason) {
	case SIM_CPU_STOP_BUDGET:
		return now_us;
	case SIM_CPU_STOP_IDLE:
		p->idle = true;
		p->idle_since_us = now_us;
		return now_us + idle_recheck_us(engine);
	case SIM_CPU_STOP_RESET:
		program_reset(engine, stop->reset);
		return now_us;
	case SIM_CPU_STOP_BREAKPOINT: {
		/* Without a debugger, BKPT escalates to HardFault (ARMv7-M ARM,
		 * "Debug event behavior"), which is not delivered here. */
		struct sim_cpu_stop_info fault = *stop;
		fault.what = "BKPT without a debugger (HardFault)";
		rom_core_report_fault(engine, &fault);
		return 0;
	}
	case SIM_CPU_STOP_UNMAPPED:
	case SIM_CPU_STOP_FAULT:
	case SIM_CPU_STOP_LOCKUP:
		rom_core_report_fault(engine, stop);
		return 0;
	case SIM_CPU_STOP_HALTED:
		break;
	}
	p->running = false;
	return 0;
}

bool sim_engine_run_program(struct sim_engine *engine, uint64_t budget, uint64_t now_us,
			    uint64_t *wake_us)
{
	struct sim_program *p = &engine->program;
	*wake_us = 0;
	if (engine->run != SIM_RUN_APPLICATION || !p->running)
		return false;
	if (p->epoch_pending) {
		p->epoch_pending = false;
		p->epoch_us = now_us;
		p->epoch_ns = rom_core_time_ns(engine);
	}
	if (p->idle) {
		/* The time spent waiting passes on the core too, up to its next
		 * timer change or host byte (what lies beyond is not made up:
		 * the core's clock falls behind, as a slower one would). */
		if (now_us > p->idle_since_us)
			rom_core_idle(engine, (now_us - p->idle_since_us) * 1000u);
		p->idle = false;
	}
	/* Realtime: the core may not run ahead of the wall clock, so that its
	 * timers (the watchdog) and its USART bytes keep wall time. */
	if (engine->timed && core_clock_us(engine) > now_us) {
		*wake_us = core_clock_us(engine);
		return true;
	}
	if (engine->timed) {
		uint64_t behind = now_us - core_clock_us(engine);
		uint64_t *most = &engine->stats->core.behind_wall_us_max;
		*most = behind > *most ? behind : *most;
	}
	struct sim_cpu_stop_info stop = rom_core_run(engine, budget);
	*wake_us = after_stop(engine, &stop, now_us);
	rom_core_sync_stats(engine);
	return *wake_us != 0 || engine->program.running;
}
