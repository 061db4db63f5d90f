/* The core's lifecycle: creation per device row, reset, Go, boot from
 * flash, slices and their stop reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"

#include "stm32boot/device.h"

#define THUMB_BIT 1u
#define XPSR_T (1u << 24)

static int unicorn_model(enum sim_cpu_core core)
{
	/* Unicorn has no M0+; its models are not enforced anyway (docs/sim.md). */
	switch (core) {
	case SIM_CORE_M0: case SIM_CORE_M0PLUS: return UC_CPU_ARM_CORTEX_M0;
	case SIM_CORE_M3: return UC_CPU_ARM_CORTEX_M3;
	case SIM_CORE_M4: return UC_CPU_ARM_CORTEX_M4;
	case SIM_CORE_M7: return UC_CPU_ARM_CORTEX_M7;
	case SIM_CORE_M33: return UC_CPU_ARM_CORTEX_M33;
	}
	return UC_CPU_ARM_CORTEX_M3;
}

static bool first_word_erased(const struct sim_memory_view *m)
{
	return m->flash_size >= 4 && m->flash[0] == 0xFF && m->flash[1] == 0xFF && m->flash[2] == 0xFF &&
	       m->flash[3] == 0xFF;
}

struct sim_cpu *sim_cpu_new(struct sim_chip *chip, const struct sim_cpu_callbacks *callbacks,
			    char *err, size_t err_size)
{
	const struct stm32_device *dev = sim_port_device(chip);
	const struct sim_family_info *info = sim_family_info(dev->family);
	if (!info) {
		snprintf(err, err_size, "no Cortex-M core known for family %s", dev->family);
		return NULL;
	}
	struct sim_cpu *cpu = calloc(1, sizeof(*cpu));
	if (!cpu) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	cpu->chip = chip;
	if (callbacks)
		cpu->callbacks = *callbacks;
	cpu->mem = sim_port_memory(chip);
	cpu->spin.enabled = true;
	cpu->spin.input_due_ps = UINT64_MAX;
	uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &cpu->uc);
	if (e == UC_ERR_OK)
		e = uc_ctl_set_cpu_model(cpu->uc, unicorn_model(info->core));
	if (e != UC_ERR_OK) {
		snprintf(err, err_size, "unicorn: %s", uc_strerror(e));
		sim_cpu_free(cpu);
		return NULL;
	}
	sim_cpu_init_soc(cpu, info);
	cpu->soc.flash.pempty = first_word_erased(&cpu->mem);
	if (!sim_cpu_map_memory(cpu) || !sim_cpu_map_alias(cpu, SIM_ALIAS_SYSMEM) ||
	    !sim_cpu_add_hooks(cpu)) {
		snprintf(err, err_size, "unicorn: cannot map the memory of %s", dev->name);
		sim_cpu_free(cpu);
		return NULL;
	}
	return cpu;
}

void sim_cpu_free(struct sim_cpu *cpu)
{
	if (!cpu)
		return;
	if (cpu->uc)
		uc_close(cpu->uc);
	free(cpu);
}

enum sim_cpu_core sim_cpu_core(const struct sim_cpu *cpu)
{
	return cpu->soc.info->core;
}

void sim_cpu_reset(struct sim_cpu *cpu, enum sim_reset_cause cause)
{
	if (cause != SIM_RESET_NONE && cause < SIM_RESET_CAUSES)
		cpu->stats.resets[cause]++;
	sim_soc_reset(&cpu->soc, cause);
	cpu->started = false;
	cpu->stop_set = false;
	sim_cpu_after_access(cpu);
}

void sim_cpu_rom_handoff(struct sim_cpu *cpu, uint32_t host_baud)
{
	sim_cpu_rom_handoff_on(cpu, 1, host_baud);
}

void sim_cpu_rom_handoff_on(struct sim_cpu *cpu, unsigned usart, uint32_t host_baud)
{
	struct sim_soc *soc = &cpu->soc;
	sim_rcc_rom_handoff(&soc->rcc, soc->info->rom_sysclk_hz);
	struct sim_usart *u = sim_soc_usart(soc, usart);
	if (u)
		sim_usart_rom_handoff(u, sim_usart_kernel_hz(u), host_baud);
	sim_flashctl_unlock(&soc->flash);
	sim_iwdg_rom_handoff(&soc->iwdg);
	sim_cpu_after_access(cpu);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static bool start_at(struct sim_cpu *cpu, uint32_t msp, uint32_t pc, struct sim_cpu_stop_info *fail)
{
	if (!(pc & THUMB_BIT)) {
		/* ARMv7-M: a vector without the Thumb bit faults (INVSTATE) on
		 * its first instruction. */
		if (fail)
			*fail = (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_FAULT, .pc = pc,
							   .what = "reset vector without the Thumb bit"};
		cpu->stats.faults++;
		return false;
	}
	uint32_t zero = 0, lr = 0xFFFFFFFFu, xpsr = XPSR_T;
	for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
		uc_reg_write(cpu->uc, r, &zero);
	uc_reg_write(cpu->uc, UC_ARM_REG_CONTROL, &zero);
	uc_reg_write(cpu->uc, UC_ARM_REG_MSP, &msp);
	uc_reg_write(cpu->uc, UC_ARM_REG_SP, &msp);
	uc_reg_write(cpu->uc, UC_ARM_REG_LR, &lr);
	uc_reg_write(cpu->uc, UC_ARM_REG_XPSR, &xpsr);
	cpu->resume_pc = pc & ~THUMB_BIT;
	cpu->started = true;
	cpu->stop_set = false;
	cpu->soc.scb.nest = 0; /* thread mode, nothing active */
	cpu->exc.action = SIM_EXC_NONE;
	return true;
}

bool sim_cpu_go(struct sim_cpu *cpu, uint32_t address, struct sim_cpu_stop_info *fail)
{
	/* The bootloader ran, so system memory is what sits at 0 (and on
	 * Cortex-M0, without VTOR, stays the vector table). */
	sim_cpu_map_alias(cpu, SIM_ALIAS_SYSMEM);
	uint8_t v[8];
	sim_port_read(cpu->chip, address, v, sizeof(v));
	cpu->booted_from_flash = false;
	sim_cpu_apply_flash_access(cpu, false);
	return start_at(cpu, le32(v), le32(v + 4), fail);
}

bool sim_cpu_boot_flash(struct sim_cpu *cpu, struct sim_cpu_stop_info *fail)
{
	return sim_cpu_boot_at(cpu, false, cpu->mem.flash_start, fail);
}

bool sim_cpu_boot_at(struct sim_cpu *cpu, bool sram, uint32_t vectors, struct sim_cpu_stop_info *fail)
{
	/* SRAM is not aliased at 0 here: a program booted from it finds its
	 * vectors through VTOR, which it sets itself. */
	if (!sim_cpu_map_alias(cpu, sram ? SIM_ALIAS_NONE : SIM_ALIAS_FLASH)) {
		if (fail)
			*fail = (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_FAULT,
							   .what = "cannot alias flash at 0"};
		return false;
	}
	/* Readout protection keeps flash from code that did not boot from it. */
	cpu->booted_from_flash = !sram && vectors >= cpu->mem.flash_start &&
				 vectors - cpu->mem.flash_start < cpu->mem.flash_size;
	sim_cpu_apply_flash_access(cpu, cpu->booted_from_flash);
	uint8_t v[8];
	sim_port_read(cpu->chip, vectors, v, sizeof(v));
	return start_at(cpu, le32(v), le32(v + 4), fail);
}

void sim_cpu_set_debugger(struct sim_cpu *cpu, bool attached)
{
	cpu->debugger = attached;
	if (cpu->started)
		sim_cpu_apply_flash_access(cpu, cpu->booted_from_flash);
}

bool sim_cpu_flash_read_protected(const struct sim_cpu *cpu)
{
	return cpu->soc.flash.rdp_blocked;
}

static bool is_wait_instruction(struct sim_cpu *cpu, uint32_t pc)
{
	uint8_t b[2];
	if (uc_mem_read(cpu->uc, pc - 2, b, 2) != UC_ERR_OK)
		return false;
	uint16_t insn = (uint16_t)(b[0] | b[1] << 8);
	return insn == 0xBF30 || insn == 0xBF20; /* WFI, WFE */
}

static void classify_error(struct sim_cpu *cpu, uc_err e)
{
	/* The default memory map makes the peripheral and system regions
	 * execute-never: a fetch there is a MemManage fault (ARMv7-M B3.1). */
	if (e == UC_ERR_FETCH_PROT)
		sim_cpu_set_fault(cpu, "instruction fetch from non-executable memory", SIM_FAULT_MEM_IFETCH);
	else if (e == UC_ERR_INSN_INVALID)
		sim_cpu_set_fault(cpu, "undefined instruction", SIM_FAULT_UNDEF);
	else if (e == UC_ERR_WRITE_PROT)
		sim_cpu_set_fault(cpu, "store to read-only memory", SIM_FAULT_BUS_DATA);
	else
		sim_cpu_set_fault(cpu, uc_strerror(e), SIM_FAULT_HARD);
	if (e == UC_ERR_FETCH_PROT || e == UC_ERR_INSN_INVALID)
		cpu->stop.address = cpu->stop.pc;
}

/* One uc_emu_start: true when it ended in an exception entry or return
 * (or a WFI an interrupt ends) and the slice goes on. */
static bool run_part(struct sim_cpu *cpu)
{
	cpu->exc.action = SIM_EXC_NONE;
	sim_spin_restart(&cpu->spin);
	uc_err e = UC_ERR_OK;
	if (!cpu->stop_set)
		e = uc_emu_start(cpu->uc, cpu->resume_pc | THUMB_BIT, 0xFFFFFFFFu, 0, 0);
	sim_cpu_finish_slice(cpu);
	uint32_t pc;
	uc_reg_read(cpu->uc, UC_ARM_REG_PC, &pc);
	cpu->resume_pc = pc;
	if (!cpu->stop_set && cpu->exc.action != SIM_EXC_NONE) {
		if (sim_exc_act(cpu, pc))
			return !cpu->stop_set;
	} else if (!cpu->stop_set && e != UC_ERR_OK) {
		classify_error(cpu, e);
	}
	if (!cpu->stop_set) {
		bool wait = is_wait_instruction(cpu, pc);
		if (wait && sim_exc_wakes(cpu))
			return true;
		sim_cpu_set_stop(cpu, SIM_CPU_STOP_IDLE, wait ? "WFI/WFE" : "stopped");
	}
	return sim_exc_escalate(cpu);
}

struct sim_cpu_stop_info sim_cpu_run(struct sim_cpu *cpu, uint64_t budget)
{
	if (!cpu->started)
		return (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_HALTED, .what = "halted"};
	cpu->stop_set = false;
	cpu->budget_end = cpu->stats.instructions + budget;
	sim_cpu_after_access(cpu);
	while (run_part(cpu))
		continue;
	enum sim_cpu_stop r = cpu->stop.reason;
	if (r == SIM_CPU_STOP_FAULT || r == SIM_CPU_STOP_UNMAPPED || r == SIM_CPU_STOP_LOCKUP) {
		cpu->stats.faults++;
		cpu->started = false;
	} else if (r == SIM_CPU_STOP_RESET) {
		cpu->started = false;
	}
	return cpu->stop;
}

void sim_cpu_set_input_due(struct sim_cpu *cpu, uint64_t ns)
{
	cpu->spin.input_due_ps = ns == UINT64_MAX ? UINT64_MAX : ns * 1000u;
}

void sim_cpu_set_timer_polls_idle(struct sim_cpu *cpu, bool on)
{
	cpu->spin.timer_polls_idle = on;
}

void sim_cpu_set_spin_skip(struct sim_cpu *cpu, bool on)
{
	cpu->spin.enabled = on;
	sim_spin_restart(&cpu->spin);
}

void sim_cpu_idle(struct sim_cpu *cpu, uint64_t ns)
{
	cpu->soc.env.now_ps += ns * 1000u;
}

uint64_t sim_cpu_next_timer_ns(const struct sim_cpu *cpu)
{
	uint64_t next = sim_soc_next_change(&cpu->soc, false), now = cpu->soc.env.now_ps;
	if (next == UINT64_MAX)
		return UINT64_MAX;
	return next > now ? (next - now + 999u) / 1000u : 0;
}

uint64_t sim_cpu_time_ns(const struct sim_cpu *cpu)
{
	return cpu->soc.env.now_ps / 1000u;
}

void sim_cpu_memory_changed(struct sim_cpu *cpu, uint32_t address, uint32_t length)
{
	sim_cpu_invalidate(cpu, address, length);
}

void sim_cpu_usart_receive(struct sim_cpu *cpu, unsigned usart, uint8_t byte)
{
	struct sim_usart *u = sim_soc_usart(&cpu->soc, usart);
	if (u) {
		sim_usart_receive(u, byte);
		sim_exc_update(cpu);
	}
}

void sim_cpu_usart_receive_at(struct sim_cpu *cpu, unsigned usart, uint8_t byte,
			      uint32_t host_baud)
{
	struct sim_usart *u = sim_soc_usart(&cpu->soc, usart);
	if (u) {
		sim_usart_receive_at(u, byte, host_baud);
		sim_exc_update(cpu);
	}
}

uint32_t sim_cpu_reg(struct sim_cpu *cpu, int uc_arm_reg)
{
	uint32_t v = 0;
	uc_reg_read(cpu->uc, uc_arm_reg, &v);
	return v;
}

bool sim_cpu_pempty(const struct sim_cpu *cpu)
{
	return cpu->soc.flash.pempty;
}

void sim_cpu_set_pempty(struct sim_cpu *cpu, bool set)
{
	cpu->soc.flash.pempty = set;
}

bool sim_cpu_latch_visible(const struct sim_cpu *cpu)
{
	return sim_flashctl_latch_visible(&cpu->soc.flash);
}

const struct sim_cpu_stats *sim_cpu_stats(const struct sim_cpu *cpu)
{
	return &cpu->stats;
}

const char *sim_cpu_stop_name(enum sim_cpu_stop reason)
{
	static const char *const names[] = {"budget", "idle", "unmapped", "fault", "lockup",
					    "breakpoint", "reset", "halted"};
	return (unsigned)reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

const char *sim_cpu_reset_name(enum sim_reset_cause cause)
{
	static const char *const names[] = {"none", "sysresetreq", "iwdg", "obl_launch"};
	return (unsigned)cause < sizeof(names) / sizeof(names[0]) ? names[cause] : "?";
}
