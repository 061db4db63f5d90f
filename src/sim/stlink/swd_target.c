/* The debug view of the chip (swd_target.h). Register bits: ARMv7-M
 * C1.6 (DHCSR, DCRSR, DEMCR), C1.7/C1.11 (DFSR, FPB); DP IDCODEs of the
 * SW-DP per core as the ST reference manuals' debug chapters give them. */
#include <string.h>
#include <time.h>

#include "cpu/debug_port.h"
#include "stlink/swd_target.h"

#include "stm32boot/device.h"

#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define DFSR 0xE000ED30u
#define FP_CTRL 0xE0002000u
#define FPB_END 0xE0003000u
#define DWT_CTRL 0xE0001000u
#define DWT_END 0xE0002000u
#define DBGKEY 0xA05Fu
#define XPSR_T (1u << 24)
#define DHCSR_CONTROL_BITS 0x2Fu /* C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS, C_SNAPSTALL */
#define DCRSR_REGWNR (1u << 16)
#define DEMCR_VC_CORERESET (1u << 0)
#define DFSR_HALTED (1u << 0)
#define DFSR_BKPT (1u << 1)
#define DFSR_VCATCH (1u << 3)
#define FP_CTRL_IDS 0x260u  /* 6 code comparators, 2 literal (Cortex-M3/M4 FPB) */
#define DWT_CTRL_IDS 0x40000000u /* 4 comparators */
/* A resumed core runs this many instructions at once: a flash loader's
 * page (program and busy waits) fits many times over. */
#define RESUME_BUDGET 50000000u
/* A core that keeps running gets this many before each probe command. */
#define SLICE_BUDGET 100000u
/* Emulated time a probe command takes on the wire (one USB frame). */
#define COMMAND_NS 1000000u
/* Realtime: instructions per step while catching up with the wall; short,
 * so that the core does not run far ahead of the probe's clock. A loop
 * that polls the flash controller costs little however long it runs: the
 * core moves over its passes (src/sim/cpu/spin.c). */
#define REALTIME_SLICE 2000u

static uint32_t dp_idcode_of(const struct stm32_device *dev, enum sim_cpu_core core)
{
	switch (core) {
	case SIM_CORE_M0: return 0x0BB11477u;
	case SIM_CORE_M0PLUS: return 0x0BC11477u;
	case SIM_CORE_M3: return 0x1BA01477u;
	case SIM_CORE_M4: return 0x2BA01477u;
	case SIM_CORE_M7: return strcmp(dev->family, "H7") == 0 ? 0x6BA02477u : 0x5BA02477u;
	case SIM_CORE_M33: return 0x0BE12477u;
	}
	return 0x1BA01477u;
}

void sim_swd_init(struct sim_swd_target *t, struct sim_chip *chip, struct sim_cpu *cpu)
{
	memset(t, 0, sizeof *t);
	t->chip = chip;
	t->cpu = cpu;
	t->dp_idcode = dp_idcode_of(chip->dev, sim_cpu_core(cpu));
}

static void run(struct sim_swd_target *t, uint64_t budget)
{
	struct sim_cpu_stop_info stop = sim_cpu_run(t->cpu, budget);
	switch (stop.reason) {
	case SIM_CPU_STOP_BUDGET:
	case SIM_CPU_STOP_IDLE:
		return;
	case SIM_CPU_STOP_BREAKPOINT:
		t->executing = false;
		if (t->dhcsr_control & SIM_DHCSR_C_DEBUGEN) {
			/* Debug state with the PC on the BKPT (the loaders' exit). */
			t->halted = true;
			t->dfsr |= DFSR_BKPT;
			t->counts.breakpoints++;
			return;
		}
		/* Without a debugger a BKPT escalates to HardFault; no handler is
		 * modelled for it here, so the core locks up. */
		t->lockup = true;
		t->counts.lockups++;
		return;
	case SIM_CPU_STOP_RESET:
		sim_swd_system_reset(t, stop.reset);
		return;
	case SIM_CPU_STOP_FAULT:
	case SIM_CPU_STOP_UNMAPPED:
	case SIM_CPU_STOP_LOCKUP:
		t->executing = false;
		t->lockup = true;
		t->counts.lockups++;
		return;
	case SIM_CPU_STOP_HALTED:
		t->executing = false;
		return;
	}
}

/* Where the core would fetch next, for the flash block above. */
static bool pc_in_flash(struct sim_swd_target *t)
{
	uint32_t pc = 0;
	(void)sim_cpu_debug_get_reg(t->cpu, 15, &pc);
	const struct stm32_device *dev = t->chip->dev;
	return (pc >= dev->flash_start && pc - dev->flash_start < dev->flash_size) ||
	       pc < dev->flash_size; /* the boot alias at 0 */
}

static void resume(struct sim_swd_target *t)
{
	t->halted = false;
	t->counts.resumes++;
	if (t->nrst_low)
		return;
	if (t->lockup || !t->thumb || (t->flash_blocked && pc_in_flash(t))) {
		/* Without the Thumb bit the first instruction faults (INVSTATE). */
		t->counts.lockups += !t->lockup;
		t->lockup = true;
		t->executing = false;
		return;
	}
	sim_cpu_debug_resume(t->cpu);
	t->executing = true;
	if (!t->realtime) /* realtime: it runs as wall time passes (sim_swd_tick) */
		run(t, RESUME_BUDGET);
}

static void halt(struct sim_swd_target *t, uint32_t reason)
{
	if (t->halted)
		return;
	t->halted = true;
	t->executing = false;
	t->lockup = false; /* entering debug state ends a lockup */
	t->dfsr |= reason;
	t->counts.halts++;
}

void sim_swd_power_on(struct sim_swd_target *t)
{
	t->debugger_seen = false;
	t->flash_blocked = false;
	t->reset_level = sim_chip_rdp_level(t->chip);
	sim_swd_system_reset(t, SIM_RESET_NONE);
	t->reset_sticky = false;
	t->counts.resets = 0;
}

static uint64_t host_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Realtime: emulated time follows the USB model's clock. A core that
 * stops making time (asleep) has the rest pass idle. The host time a
 * catch-up takes is how far the core was behind the wall clock (stats). */
static void catch_up(struct sim_swd_target *t)
{
	uint64_t started_us = host_us();
	uint64_t wall_ns = t->wall_us * 1000u;
	uint64_t now = sim_cpu_time_ns(t->cpu);
	if (!t->clock_synced) {
		t->clock_offset_ns = (int64_t)now - (int64_t)wall_ns;
		t->clock_synced = true;
	}
	int64_t target = (int64_t)wall_ns + t->clock_offset_ns;
	while (t->executing && !t->halted && (int64_t)now < target) {
		run(t, REALTIME_SLICE);
		uint64_t later = sim_cpu_time_ns(t->cpu);
		if (later == now)
			break;
		now = later;
	}
	if ((int64_t)now < target)
		sim_cpu_idle(t->cpu, (uint64_t)(target - (int64_t)now));
	uint64_t took = host_us() - started_us;
	if (took > t->counts.behind_wall_us_max)
		t->counts.behind_wall_us_max = took;
}

void sim_swd_tick(struct sim_swd_target *t)
{
	if (t->realtime) {
		catch_up(t);
		return;
	}
	if (t->executing && !t->halted)
		run(t, SLICE_BUDGET);
	if (t->halted || !t->executing) {
		sim_cpu_idle(t->cpu, COMMAND_NS);
		if (!t->realtime)
			sim_cpu_debug_finish_flash_operation(t->cpu);
	}
}

void sim_swd_system_reset(struct sim_swd_target *t, enum sim_reset_cause cause)
{
	sim_cpu_reset(t->cpu, cause);
	int level = sim_chip_rdp_level(t->chip);
	t->debug_disabled = level == 2;
	if (t->debugger_seen && level == 1 && t->reset_level == 0)
		t->flash_blocked = true; /* RM0090 §3.6.3: a POR is needed */
	t->reset_level = level;
	t->thumb = sim_cpu_debug_load_reset_vector(t->cpu);
	t->reset_sticky = true;
	t->lockup = false;
	t->executing = false;
	t->halted = false;
	t->counts.resets++;
	if (t->nrst_low)
		return;
	bool debugging = t->dhcsr_control & SIM_DHCSR_C_DEBUGEN;
	if (debugging && (t->demcr & DEMCR_VC_CORERESET)) {
		halt(t, DFSR_VCATCH);
		return;
	}
	if (debugging && (t->dhcsr_control & SIM_DHCSR_C_HALT)) {
		halt(t, DFSR_HALTED);
		return;
	}
	resume(t);
	t->counts.resumes--; /* a reset's start is not a debugger's resume */
}

void sim_swd_set_nrst(struct sim_swd_target *t, bool high)
{
	if (!high) {
		t->nrst_low = true;
		t->executing = false;
		return;
	}
	if (!t->nrst_low)
		return;
	t->nrst_low = false;
	t->counts.nrst_pulses++;
	sim_swd_system_reset(t, SIM_RESET_NONE);
}

static uint32_t read_dhcsr(struct sim_swd_target *t)
{
	uint32_t v = t->dhcsr_control | SIM_DHCSR_S_REGRDY;
	if (t->halted)
		v |= SIM_DHCSR_S_HALT | SIM_DHCSR_C_HALT;
	if (t->lockup)
		v |= SIM_DHCSR_S_LOCKUP;
	if (t->reset_sticky)
		v |= SIM_DHCSR_S_RESET_ST;
	t->reset_sticky = false; /* sticky: cleared by the read */
	return v;
}

static void write_dhcsr(struct sim_swd_target *t, uint32_t value)
{
	if (value >> 16 != DBGKEY)
		return; /* ignored without the key */
	t->dhcsr_control = value & DHCSR_CONTROL_BITS;
	if (!(t->dhcsr_control & SIM_DHCSR_C_DEBUGEN)) {
		t->dhcsr_control = 0;
		if (t->halted)
			resume(t);
		return;
	}
	if (t->dhcsr_control & SIM_DHCSR_C_HALT)
		halt(t, DFSR_HALTED);
	else if (t->halted)
		resume(t);
}

static void write_dcrsr(struct sim_swd_target *t, uint32_t value)
{
	unsigned selector = value & 0x7Fu;
	if (value & DCRSR_REGWNR)
		(void)sim_cpu_debug_set_reg(t->cpu, selector, t->dcrdr);
	else if (!sim_cpu_debug_get_reg(t->cpu, selector, &t->dcrdr))
		t->dcrdr = 0;
}

/* The debug registers this model owns; false: not one of them. */
static bool debug_register_read(struct sim_swd_target *t, uint32_t address, uint32_t *value)
{
	switch (address) {
	case SIM_DHCSR: *value = read_dhcsr(t); return true;
	case DCRDR: *value = t->dcrdr; return true;
	case DEMCR: *value = t->demcr; return true;
	case DFSR: *value = t->dfsr; return true;
	case DCRSR: *value = 0; return true;
	case FP_CTRL: *value = FP_CTRL_IDS | t->fp_control; return true;
	case DWT_CTRL: *value = DWT_CTRL_IDS; return true;
	default: break;
	}
	if ((address >= FP_CTRL && address < FPB_END) || (address >= DWT_CTRL && address < DWT_END)) {
		*value = 0; /* comparators: not modelled, read as cleared */
		return true;
	}
	return false;
}

static bool debug_register_write(struct sim_swd_target *t, uint32_t address, uint32_t value)
{
	switch (address) {
	case SIM_DHCSR: write_dhcsr(t, value); return true;
	case DCRSR: write_dcrsr(t, value); return true;
	case DCRDR: t->dcrdr = value; return true;
	case DEMCR: t->demcr = value & 0x010F07F1u; return true;
	case DFSR: t->dfsr &= ~value; return true; /* write 1 to clear */
	case FP_CTRL:
		if (value & 2u) /* KEY */
			t->fp_control = value & 1u;
		return true;
	default: break;
	}
	return (address >= FP_CTRL && address < FPB_END) || (address >= DWT_CTRL && address < DWT_END);
}

static bool word_of_debug(uint32_t address, unsigned size)
{
	return size == 4 && address >= 0xE0000000u && address < 0xE0100000u;
}

/* F1 at RDP level 1: a debugger does not read the flash-size register
 * either. Not in RM0008; what users of locked F103s report (st-util
 * reading 0 at 0x1FFFF7E0 until "stm32f1x unlock", stlink issues #172 and
 * #192; st-info's "flash: 0" of ../shared/stm32/stlink.md's seed 003).
 * Unconfirmed on silicon: docs/sim.md says so. */
static bool f1_size_register_hidden(const struct sim_swd_target *t, uint32_t address,
				    unsigned size)
{
	const struct stm32_device *dev = t->chip->dev;
	uint32_t reg = dev->flash_size_reg;
	return reg && strcmp(dev->family, "F1") == 0 && address < reg + 2u &&
	       address + size > reg;
}

bool sim_swd_read(struct sim_swd_target *t, uint32_t address, unsigned size, uint32_t *value)
{
	*value = 0;
	if (word_of_debug(address, size) && debug_register_read(t, address, value))
		return true;
	if (sim_chip_rdp_level(t->chip) >= 1 &&
	    (sim_cpu_debug_is_flash(t->cpu, address) || f1_size_register_hidden(t, address, size))) {
		/* RDP level 1 with a debugger attached: flash reads are bus errors. */
		t->counts.rdp_refusals++;
		return false;
	}
	if (!sim_cpu_debug_read(t->cpu, address, size, value)) {
		t->counts.memory_faults++;
		return false;
	}
	return true;
}

bool sim_swd_write(struct sim_swd_target *t, uint32_t address, unsigned size, uint32_t value)
{
	if (word_of_debug(address, size) && debug_register_write(t, address, value))
		return true;
	enum sim_reset_cause reset;
	if (!sim_cpu_debug_write(t->cpu, address, size, value, &reset)) {
		t->counts.memory_faults++;
		return false;
	}
	if (reset != SIM_RESET_NONE)
		sim_swd_system_reset(t, reset);
	return true;
}

bool sim_swd_get_reg(struct sim_swd_target *t, unsigned selector, uint32_t *value)
{
	*value = 0;
	if (!sim_cpu_debug_get_reg(t->cpu, selector, value))
		return false;
	if (selector == SIM_DEBUG_REG_XPSR)
		*value = (*value & ~XPSR_T) | (t->thumb ? XPSR_T : 0);
	return true;
}

bool sim_swd_set_reg(struct sim_swd_target *t, unsigned selector, uint32_t value)
{
	if (selector == SIM_DEBUG_REG_XPSR)
		t->thumb = value & XPSR_T;
	return sim_cpu_debug_set_reg(t->cpu, selector, value);
}

bool sim_swd_debug_disabled(const struct sim_swd_target *t)
{
	return t->debug_disabled;
}

void sim_swd_debugger_attached(struct sim_swd_target *t)
{
	t->debugger_seen = true;
}
