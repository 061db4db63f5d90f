/* The Unicorn wrapper: memory map, hooks, slices, stop reasons, Go.
 *
 * Unicorn facts this file is built around (docs/sim.md, "The Cortex-M
 * core"): code cannot be fetched from MMIO, so flash is mapped as memory on
 * the chip's own buffer, read+exec only; a program's store to it raises
 * the write-protection hook, which hands it to the flash controller, but
 * Unicorn then performs the raw store anyway, so the bytes the controller
 * decided are put back before the next instruction. The PC is exact in
 * hooks only when a code hook exists, so one runs on every instruction; it
 * also counts instructions and enforces the budget (the count argument of
 * uc_emu_start is not reliable). Readout protection takes the flash
 * mapping's permissions away (uc_mem_protect, which 2.0.1 honours on
 * uc_mem_map_ptr memory and reports through the *_PROT hooks with the exact
 * PC: measured), so a read or fetch becomes a bus-error stop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "cpu/cpu_internal.h"
#include "cpu/memory_port.h"

#include "stm32boot/device.h"

#define PAGE 0x400u
#define PERIPH_BASE 0x40000000u
#define PERIPH_SIZE 0x20000000u
#define PPB_BASE 0xE0000000u
#define PPB_SIZE 0x00100000u
#define NEVER_PC 0xFFFFFFFFu
#define EXCP_SWI 2            /* QEMU's exception numbers: SVC */
#define EXCP_BKPT 7           /* BKPT */
#define EXCP_EXCEPTION_EXIT 8 /* a branch to an EXC_RETURN value */
#define EXCP_UDEF 1
#define EXCP_PREFETCH_ABORT 3
#define EXCP_DATA_ABORT 4
#define EXCP_INVSTATE 18
#define EXC_RETURN_PAGE 0xFFFFFF00u
#define EXC_SVCALL 11u

static uint32_t page_down(uint32_t v) { return v & ~(PAGE - 1); }
static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1); }

static void set_stop(struct sim_cpu *cpu, enum sim_cpu_stop reason, const char *what)
{
	if (cpu->stop_set)
		return;
	cpu->stop_set = true;
	cpu->stop = (struct sim_cpu_stop_info){.reason = reason, .what = what};
	cpu->fault_kind = SIM_FAULT_HARD;
	uc_reg_read(cpu->uc, UC_ARM_REG_PC, &cpu->stop.pc);
}

static void set_fault(struct sim_cpu *cpu, enum sim_cpu_stop reason, const char *what,
		      enum sim_fault_kind kind)
{
	if (cpu->stop_set)
		return;
	set_stop(cpu, reason, what);
	cpu->fault_kind = kind;
}

/* Peripheral requests become stops; clock changes the instruction time. */
static void after_access(struct sim_cpu *cpu)
{
	struct sim_soc_env *env = &cpu->soc.env;
	cpu->ps_per_instruction = sim_ps_of_cycles(1, env->clocks.hclk ? env->clocks.hclk : 1);
	cpu->deadline_ps = sim_soc_deadline(&cpu->soc);
	sim_exc_update(cpu); /* the access may have raised or cleared a line */
	if (env->fault_request) {
		set_fault(cpu, SIM_CPU_STOP_FAULT, env->fault_request, SIM_FAULT_BUS_DATA);
		cpu->stop.address = env->fault_address;
		env->fault_request = NULL;
		uc_emu_stop(cpu->uc);
	} else if (env->reset_request != SIM_RESET_NONE) {
		set_stop(cpu, SIM_CPU_STOP_RESET, "reset requested");
		cpu->stop.reset = env->reset_request;
		env->reset_request = SIM_RESET_NONE;
		uc_emu_stop(cpu->uc);
	}
}

static uint64_t on_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	struct sim_cpu_region *region = user;
	struct sim_cpu *cpu = region->cpu;
	uint32_t pc;
	uc_reg_read(uc, UC_ARM_REG_PC, &pc);
	uint32_t value;
	uint32_t address = region->base + (uint32_t)offset;
	sim_spin_before_read(cpu, pc, address);
	if (cpu->spin.idle_requested) {
		cpu->spin.idle_requested = false;
		set_stop(cpu, SIM_CPU_STOP_IDLE, "polling for a timer or the host");
	}
	if (region->info) {
		uint8_t b[4] = {0};
		sim_port_read(cpu->chip, region->base + (uint32_t)offset, b, size > 4 ? 4 : size);
		value = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	} else {
		value = sim_mmio_read(&cpu->soc.bus, address, size, pc);
	}
	sim_spin_after_read(cpu, address, value);
	after_access(cpu);
	return value;
}

static void on_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
	struct sim_cpu_region *region = user;
	struct sim_cpu *cpu = region->cpu;
	uint32_t pc;
	uc_reg_read(uc, UC_ARM_REG_PC, &pc);
	/* System memory and ID registers are read-only to the program; a
	 * store into the option bytes goes to the flash controller (F1 OPTPG),
	 * which counts it as unmodelled where it takes none. */
	const struct stm32_device *dev = sim_port_device(cpu->chip);
	uint32_t a = region->base + (uint32_t)offset;
	if (region->info)
		sim_spin_impure(&cpu->spin);
	else
		sim_spin_write(cpu, a, size, (uint32_t)value);
	if (region->info && dev->opt_size && a >= dev->opt_start && a - dev->opt_start < dev->opt_size)
		sim_flashctl_option_write(&cpu->soc.flash, a, size, (uint32_t)value);
	else if (region->info)
		cpu->soc.bus.stats->unmodelled_accesses++;
	else
		sim_mmio_write(&cpu->soc.bus, region->base + (uint32_t)offset, size, (uint32_t)value, pc);
	after_access(cpu);
}

static void invalidate(struct sim_cpu *cpu, uint32_t address, uint32_t length)
{
	uc_ctl_remove_cache(cpu->uc, address, (uint64_t)address + length);
	const struct sim_memory_view *m = &cpu->mem;
	if (cpu->alias == SIM_ALIAS_FLASH && address >= m->flash_start &&
	    address - m->flash_start < m->flash_size) {
		uint32_t at = address - m->flash_start;
		uc_ctl_remove_cache(cpu->uc, at, (uint64_t)at + length);
	}
}

/* Only the translations of the bytes the controller changed are dropped,
 * not the whole flash's after every half-word a loader programs. */
static void flash_changed(void *owner, uint32_t address, uint32_t length)
{
	struct sim_cpu *cpu = owner;
	uint64_t end = (uint64_t)address + length;
	if (!cpu->dirty_flash || address < cpu->dirty_start)
		cpu->dirty_start = address;
	if (!cpu->dirty_flash || end > cpu->dirty_end)
		cpu->dirty_end = end;
	cpu->dirty_flash = true;
}

static void apply_fixes(struct sim_cpu *cpu)
{
	for (size_t i = 0; i < cpu->fix_count; i++) {
		struct sim_cpu_fix *f = &cpu->fixes[i];
		memcpy(cpu->mem.flash + f->offset, f->bytes, f->size);
	}
	cpu->fix_count = 0;
	if (cpu->dirty_flash) {
		invalidate(cpu, cpu->dirty_start, (uint32_t)(cpu->dirty_end - cpu->dirty_start));
		cpu->dirty_flash = false;
	}
}

static bool on_flash_store(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
			   int64_t value, void *user)
{
	struct sim_cpu *cpu = user;
	(void)uc;
	(void)type;
	const struct sim_memory_view *m = &cpu->mem;
	uint32_t a = (uint32_t)address;
	if (cpu->alias == SIM_ALIAS_FLASH && a < m->flash_size)
		a += m->flash_start; /* a store through the alias at 0 */
	if (a < m->flash_start || a - m->flash_start >= m->flash_size || size > 8 ||
	    cpu->fix_count >= SIM_CPU_FIXES) {
		set_fault(cpu, SIM_CPU_STOP_FAULT, "store to read-only memory", SIM_FAULT_BUS_DATA);
		cpu->stop.address = (uint32_t)address;
		cpu->stop.write = true;
		return false;
	}
	uint32_t offset = a - m->flash_start;
	sim_spin_impure(&cpu->spin);
	sim_flashctl_memory_write(&cpu->soc.flash, a, (unsigned)size, (uint32_t)value);
	/* Unicorn stores the raw value after this returns: remember what the
	 * controller left there. */
	struct sim_cpu_fix *f = &cpu->fixes[cpu->fix_count++];
	f->offset = offset;
	f->size = (uint32_t)size;
	memcpy(f->bytes, m->flash + offset, (size_t)size);
	after_access(cpu);
	return true;
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
			void *user)
{
	struct sim_cpu *cpu = user;
	(void)uc;
	(void)size;
	(void)value;
	if (type == UC_MEM_FETCH_UNMAPPED && address >= EXC_RETURN_PAGE && !cpu->stop_set) {
		/* A Unicorn that lets the EXC_RETURN branch through fetches it. */
		cpu->exc.action = SIM_EXC_RETURN;
		return false;
	}
	set_fault(cpu, SIM_CPU_STOP_UNMAPPED,
		  type == UC_MEM_FETCH_UNMAPPED ? "instruction fetch from unmapped memory" :
		  type == UC_MEM_WRITE_UNMAPPED ? "write to unmapped memory" :
						  "read from unmapped memory",
		  type == UC_MEM_FETCH_UNMAPPED ? SIM_FAULT_BUS_IFETCH : SIM_FAULT_BUS_DATA);
	cpu->stop.address = (uint32_t)address;
	cpu->stop.write = type == UC_MEM_WRITE_UNMAPPED;
	return false;
}

static bool in_flash_mapping(const struct sim_cpu *cpu, uint64_t address)
{
	const struct sim_memory_view *m = &cpu->mem;
	return (address >= m->flash_start && address - m->flash_start < m->flash_size) ||
	       (cpu->alias == SIM_ALIAS_FLASH && address < cpu->alias_size);
}

/* A read or fetch of flash while readout protection keeps it from the
 * code (its mapping has no permissions then): a bus error. */
static bool on_protected(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
			 int64_t value, void *user)
{
	struct sim_cpu *cpu = user;
	(void)uc;
	(void)size;
	(void)value;
	if (!cpu->soc.flash.rdp_blocked || !in_flash_mapping(cpu, address))
		return false; /* not ours: uc_emu_start's error says what it was */
	set_fault(cpu, SIM_CPU_STOP_FAULT,
		  type == UC_MEM_FETCH_PROT ? "bus error: instruction fetch from read-protected flash" :
					      "bus error: read of read-protected flash",
		  type == UC_MEM_FETCH_PROT ? SIM_FAULT_BUS_IFETCH : SIM_FAULT_BUS_DATA);
	cpu->stop.address = (uint32_t)address;
	return false;
}

void sim_cpu_apply_flash_access(struct sim_cpu *cpu, bool booted_from_flash)
{
	struct sim_flashctl *fc = &cpu->soc.flash;
	fc->rdp_blocked = fc->rdp_at_reset > 0 && (!booted_from_flash || cpu->debugger);
	uint32_t prot = fc->rdp_blocked ? UC_PROT_NONE : UC_PROT_READ | UC_PROT_EXEC;
	uc_mem_protect(cpu->uc, cpu->mem.flash_start, page_down(cpu->mem.flash_size), prot);
	if (cpu->alias == SIM_ALIAS_FLASH)
		uc_mem_protect(cpu->uc, 0, cpu->alias_size, prot);
}

/* The other QEMU exceptions that reach the hook are faults. A prefetch
 * abort is a fetch from a region the code cannot run from (peripherals,
 * system memory here): on silicon the default memory map's execute-never
 * rule, a MemManage fault. */
static void fault_of_exception(struct sim_cpu *cpu, uint32_t intno)
{
	switch (intno) {
	case EXCP_UDEF:
		set_fault(cpu, SIM_CPU_STOP_FAULT, "undefined instruction", SIM_FAULT_UNDEF);
		return;
	case EXCP_PREFETCH_ABORT:
		set_fault(cpu, SIM_CPU_STOP_FAULT, "instruction fetch from non-executable memory",
			  SIM_FAULT_MEM_IFETCH);
		cpu->stop.address = cpu->stop.pc;
		return;
	case EXCP_DATA_ABORT:
		set_fault(cpu, SIM_CPU_STOP_FAULT, "data abort", SIM_FAULT_BUS_DATA);
		return;
	case EXCP_INVSTATE:
		set_fault(cpu, SIM_CPU_STOP_FAULT, "execution with the Thumb bit clear", SIM_FAULT_INVSTATE);
		return;
	}
	set_fault(cpu, SIM_CPU_STOP_FAULT, "exception (HardFault)", SIM_FAULT_HARD);
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
	struct sim_cpu *cpu = user;
	/* SVC and exception return are carried out by sim_cpu_run between
	 * uc_emu_start calls (exception.c); the PC is already past the SVC. */
	if (intno == EXCP_SWI && !cpu->stop_set) {
		cpu->exc.action = SIM_EXC_ENTER;
		cpu->exc.action_num = EXC_SVCALL;
	} else if (intno == EXCP_EXCEPTION_EXIT && !cpu->stop_set) {
		cpu->exc.action = SIM_EXC_RETURN;
	} else if (intno == EXCP_BKPT) {
		set_stop(cpu, SIM_CPU_STOP_BREAKPOINT, "BKPT");
	} else {
		fault_of_exception(cpu, intno);
	}
	uc_emu_stop(uc);
}

/* The watchdog's or SysTick's time came: true when the core must stop. */
static bool time_event(struct sim_cpu *cpu)
{
	struct sim_soc *soc = &cpu->soc;
	if (soc->env.now_ps >= sim_iwdg_deadline(&soc->iwdg)) {
		set_stop(cpu, SIM_CPU_STOP_RESET, "independent watchdog timeout");
		cpu->stop.reset = SIM_RESET_IWDG;
		return true;
	}
	sim_systick_catch_up(&soc->systick);
	sim_rcc_catch_up(&soc->rcc); /* a PLL locked: the clock may switch */
	cpu->ps_per_instruction = sim_ps_of_cycles(1, soc->env.clocks.hclk ? soc->env.clocks.hclk : 1);
	sim_exc_update(cpu);
	cpu->deadline_ps = sim_soc_deadline(soc);
	return false;
}

static void on_instruction(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct sim_cpu *cpu = user;
	(void)size;
	if (cpu->fix_count || cpu->dirty_flash)
		apply_fixes(cpu);
	if (cpu->stop_set) {
		uc_emu_stop(uc);
		return;
	}
	struct sim_soc_env *env = &cpu->soc.env;
	if (env->now_ps >= cpu->deadline_ps && time_event(cpu)) {
		uc_emu_stop(uc);
		return;
	}
	if (cpu->stats.instructions >= cpu->budget_end) {
		set_stop(cpu, SIM_CPU_STOP_BUDGET, "instruction budget used");
		uc_emu_stop(uc);
		return;
	}
	if (cpu->exc.pending && sim_exc_preempts(cpu)) {
		/* Taken before this instruction, which is the return address. */
		cpu->exc.action = SIM_EXC_ENTER;
		cpu->exc.action_num = cpu->exc.pending;
		uc_emu_stop(uc);
		return;
	}
	cpu->stats.instructions++;
	env->now_ps += cpu->ps_per_instruction;
	sim_spin_instruction(&cpu->spin, (uint32_t)address);
}

static bool map_region(struct sim_cpu *cpu, uint32_t base, uint64_t size, bool info)
{
	if (cpu->region_count >= SIM_CPU_REGIONS)
		return false;
	struct sim_cpu_region *r = &cpu->regions[cpu->region_count++];
	*r = (struct sim_cpu_region){cpu, base, info};
	return uc_mmio_map(cpu->uc, base, (size_t)size, on_mmio_read, r, on_mmio_write, r) == UC_ERR_OK;
}

/* System memory, option bytes, flash-size and UID registers: read through
 * the chip's memory map, on whole 1 KiB pages (Unicorn's granule), merged
 * where they touch. */
static bool map_info_pages(struct sim_cpu *cpu)
{
	const struct stm32_device *dev = sim_port_device(cpu->chip);
	struct { uint32_t start; uint64_t end; } r[4] = {
		{dev->sysmem_start, dev->sysmem_end},
		{dev->opt_start, (uint64_t)dev->opt_start + dev->opt_size},
		{dev->flash_size_reg, (uint64_t)dev->flash_size_reg + 2},
		{dev->uid_reg, (uint64_t)dev->uid_reg + 12},
	};
	size_t n = 0;
	for (size_t i = 0; i < 4; i++)
		if (r[i].start && r[i].end > r[i].start) {
			r[n].start = page_down(r[i].start);
			r[n].end = page_up(r[i].end);
			n++;
		}
	for (size_t i = 1; i < n; i++) /* insertion sort: four entries */
		for (size_t j = i; j > 0 && r[j].start < r[j - 1].start; j--) {
			__typeof__(r[0]) t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (size_t i = 0; i < n;) {
		uint32_t start = r[i].start;
		uint64_t end = r[i].end;
		for (i++; i < n && r[i].start <= end; i++)
			end = r[i].end > end ? r[i].end : end;
		if (!map_region(cpu, start, end - start, true))
			return false;
	}
	return true;
}

bool sim_cpu_map_alias(struct sim_cpu *cpu, enum sim_cpu_alias alias)
{
	if (cpu->alias == alias)
		return true;
	if (cpu->alias_size)
		uc_mem_unmap(cpu->uc, 0, cpu->alias_size);
	cpu->alias_size = 0;
	cpu->alias = SIM_ALIAS_NONE;
	const struct stm32_device *dev = sim_port_device(cpu->chip);
	uc_err e = UC_ERR_OK;
	uint64_t size = 0;
	if (alias == SIM_ALIAS_FLASH) {
		size = page_down(cpu->mem.flash_size);
		e = uc_mem_map_ptr(cpu->uc, 0, (size_t)size, UC_PROT_READ | UC_PROT_EXEC, cpu->mem.flash);
	} else if (alias == SIM_ALIAS_SYSMEM && dev->sysmem_end > dev->sysmem_start) {
		size = page_up(dev->sysmem_end - dev->sysmem_start);
		struct sim_cpu_region *r = &cpu->alias_region;
		*r = (struct sim_cpu_region){cpu, dev->sysmem_start, true};
		e = uc_mmio_map(cpu->uc, 0, (size_t)size, on_mmio_read, r, on_mmio_write, r);
	}
	if (e != UC_ERR_OK)
		return false;
	cpu->alias = alias;
	cpu->alias_size = size;
	uc_ctl_remove_cache(cpu->uc, 0, size ? size : 1);
	return true;
}

bool sim_cpu_map_memory(struct sim_cpu *cpu)
{
	const struct sim_memory_view *m = &cpu->mem;
	uint32_t ram = page_down(m->ram_size);
	if (uc_mem_map_ptr(cpu->uc, m->flash_start, page_down(m->flash_size),
			   UC_PROT_READ | UC_PROT_EXEC, m->flash) != UC_ERR_OK)
		return false;
	if (ram && uc_mem_map_ptr(cpu->uc, m->ram_start, ram, UC_PROT_ALL, m->ram) != UC_ERR_OK)
		return false;
	return map_info_pages(cpu) && map_region(cpu, PERIPH_BASE, PERIPH_SIZE, false) &&
	       map_region(cpu, PPB_BASE, PPB_SIZE, false);
}

bool sim_cpu_add_hooks(struct sim_cpu *cpu)
{
	uc_hook h;
	return uc_hook_add(cpu->uc, &h, UC_HOOK_CODE, (void *)on_instruction, cpu, 1, 0) == UC_ERR_OK &&
	       uc_hook_add(cpu->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, cpu, 1, 0) ==
		       UC_ERR_OK &&
	       uc_hook_add(cpu->uc, &h, UC_HOOK_MEM_WRITE_PROT, (void *)on_flash_store, cpu, 1, 0) ==
		       UC_ERR_OK &&
	       uc_hook_add(cpu->uc, &h, UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_FETCH_PROT,
			   (void *)on_protected, cpu, 1, 0) == UC_ERR_OK &&
	       uc_hook_add(cpu->uc, &h, UC_HOOK_INTR, (void *)on_interrupt, cpu, 1, 0) == UC_ERR_OK;
}

void sim_cpu_init_soc(struct sim_cpu *cpu, const struct sim_family_info *info)
{
	sim_soc_init(&cpu->soc, info, cpu->chip, &cpu->stats, &cpu->callbacks);
	cpu->soc.flash.flash_changed = flash_changed;
	cpu->soc.flash.owner = cpu;
	after_access(cpu);
}

void sim_cpu_after_access(struct sim_cpu *cpu)
{
	after_access(cpu);
}

void sim_cpu_invalidate(struct sim_cpu *cpu, uint32_t address, uint32_t length)
{
	invalidate(cpu, address, length);
}

void sim_cpu_finish_slice(struct sim_cpu *cpu)
{
	apply_fixes(cpu);
}

void sim_cpu_set_stop(struct sim_cpu *cpu, enum sim_cpu_stop reason, const char *what)
{
	set_stop(cpu, reason, what);
}

void sim_cpu_set_fault(struct sim_cpu *cpu, const char *what, enum sim_fault_kind kind)
{
	set_fault(cpu, SIM_CPU_STOP_FAULT, what, kind);
}
