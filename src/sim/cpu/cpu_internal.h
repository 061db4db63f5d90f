/* The core's state, shared by cpu.c (Unicorn mapping and hooks) and
 * cpu_run.c (the public lifecycle). */
#ifndef STM32SIM_CPU_INTERNAL_H
#define STM32SIM_CPU_INTERNAL_H

#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "cpu/memory_port.h"
#include "cpu/soc.h"

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
	struct sim_cpu_fix fixes[SIM_CPU_FIXES];
	size_t fix_count;
	bool dirty_flash;
};

bool sim_cpu_map_memory(struct sim_cpu *cpu);
bool sim_cpu_map_alias(struct sim_cpu *cpu, enum sim_cpu_alias alias);
bool sim_cpu_add_hooks(struct sim_cpu *cpu);
void sim_cpu_init_soc(struct sim_cpu *cpu, const struct sim_family_info *info);
void sim_cpu_after_access(struct sim_cpu *cpu);
void sim_cpu_invalidate(struct sim_cpu *cpu, uint32_t address, uint32_t length);
void sim_cpu_finish_slice(struct sim_cpu *cpu);
void sim_cpu_set_stop(struct sim_cpu *cpu, enum sim_cpu_stop reason, const char *what);

#endif
