/* The core's state, shared by cpu.c (Unicorn mapping and hooks) and
 * cpu_run.c (the public lifecycle). */
#ifndef STM32SIM_CPU_INTERNAL_H
#define STM32SIM_CPU_INTERNAL_H

#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "cpu/memory_port.h"
#include "cpu/soc.h"
#include "cpu/spin.h"

enum sim_cpu_alias { SIM_ALIAS_NONE, SIM_ALIAS_FLASH, SIM_ALIAS_SYSMEM };

struct sim_cpu_region {
	struct sim_cpu *cpu;
	uint32_t base;
	bool info; /* chip memory map (read-only) rather than the peripheral bus */
};

/* Flash bytes to put back after Unicorn's raw store (see cpu.c). */
struct sim_cpu_fix {
	uint32_t offset, size;
	uint8_t bytes[8];
};

enum sim_exc_action { SIM_EXC_NONE, SIM_EXC_ENTER, SIM_EXC_RETURN };

/* What a FAULT or UNMAPPED stop is to the exception model (exception.c):
 * which fault handler it may go to, and which status bits it sets. */
enum sim_fault_kind {
	SIM_FAULT_HARD,       /* HardFault only (SVC while masked, an unknown exception) */
	SIM_FAULT_MEM_IFETCH, /* MemManage IACCVIOL: a fetch from an execute-never region */
	SIM_FAULT_BUS_IFETCH, /* BusFault IBUSERR */
	SIM_FAULT_BUS_DATA,   /* BusFault PRECISERR, BFAR */
	SIM_FAULT_UNDEF,      /* UsageFault UNDEFINSTR */
	SIM_FAULT_INVSTATE,   /* UsageFault INVSTATE: code run with the Thumb bit clear */
	SIM_FAULT_MODEL,      /* the exception model itself failed (vector, stacking, nesting,
				 return): stays a stop */
};

/* Exception delivery (exception.c): what a hook asked for, and the most
 * urgent pending exception. */
struct sim_exc {
	enum sim_exc_action action;
	unsigned action_num;
	unsigned pending;  /* exception number, 0 = none */
	int pending_group; /* its group priority */
};

#define SIM_CPU_REGIONS 8u
#define SIM_CPU_FIXES 8u

struct sim_cpu {
	uc_engine *uc;
	struct sim_chip *chip;
	struct sim_cpu_callbacks callbacks;
	struct sim_cpu_stats stats;
	struct sim_soc soc;
	struct sim_memory_view mem;
	struct sim_cpu_region regions[SIM_CPU_REGIONS];
	size_t region_count;
	struct sim_cpu_region alias_region;
	enum sim_cpu_alias alias;
	uint64_t alias_size;
	bool started;
	uint32_t resume_pc;
	uint64_t budget_end;         /* stats.instructions at which the slice ends */
	uint64_t deadline_ps;        /* the watchdog's, cached */
	uint64_t ps_per_instruction; /* one instruction per HCLK cycle */
	bool stop_set;
	struct sim_cpu_stop_info stop;
	enum sim_fault_kind fault_kind; /* with a FAULT or UNMAPPED stop */
	char lockup_what[160];          /* the text a lockup stop points to */
	struct sim_cpu_fix fixes[SIM_CPU_FIXES];
	size_t fix_count;
	bool dirty_flash;
	uint32_t dirty_start; /* the flash the controller changed since the last fix-up */
	uint64_t dirty_end;
	bool debugger; /* a debugger is attached: readout protection applies */
	bool booted_from_flash;
	struct sim_exc exc;
	struct sim_spin spin;
};

bool sim_cpu_map_memory(struct sim_cpu *cpu);
bool sim_cpu_map_alias(struct sim_cpu *cpu, enum sim_cpu_alias alias);
bool sim_cpu_add_hooks(struct sim_cpu *cpu);
void sim_cpu_init_soc(struct sim_cpu *cpu, const struct sim_family_info *info);
void sim_cpu_after_access(struct sim_cpu *cpu);
void sim_cpu_invalidate(struct sim_cpu *cpu, uint32_t address, uint32_t length);
void sim_cpu_finish_slice(struct sim_cpu *cpu);
void sim_cpu_set_stop(struct sim_cpu *cpu, enum sim_cpu_stop reason, const char *what);
/* Readout protection of the flash for code started now: level 1 at the
 * last reset and the code not booted from flash (or a debugger attached)
 * make flash reads and fetches fault and the controller refuse
 * programming; else flash is read and executed normally. */
void sim_cpu_apply_flash_access(struct sim_cpu *cpu, bool booted_from_flash);
/* A FAULT stop of that kind (nothing when a stop is already set). */
void sim_cpu_set_fault(struct sim_cpu *cpu, const char *what, enum sim_fault_kind kind);

/* exception.c */
void sim_exc_update(struct sim_cpu *cpu);    /* re-sample lines, pick the pending one */
bool sim_exc_preempts(struct sim_cpu *cpu);  /* it should be taken before the next instruction */
bool sim_exc_wakes(struct sim_cpu *cpu);     /* it ends a WFI (PRIMASK ignored) */
bool sim_exc_enter(struct sim_cpu *cpu, unsigned num, uint32_t return_pc);
bool sim_exc_return(struct sim_cpu *cpu, uint32_t exc_return);
/* Carry out cpu->exc.action at pc; false with a fault stop set. */
bool sim_exc_act(struct sim_cpu *cpu, uint32_t pc);
/* A fault stop in thread mode with a usable HardFault vector: enter the
 * handler instead, counted and logged; false leaves the stop. */
bool sim_exc_escalate(struct sim_cpu *cpu);

#endif
