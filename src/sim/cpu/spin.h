/* Spin-loop fast-forward: a core that only polls a register is let skip
 * the passes of its loop that could not read anything new (docs/sim.md,
 * "Polling loops"). Used by cpu.c's hooks only. */
#ifndef STM32SIM_CPU_SPIN_H
#define STM32SIM_CPU_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define SIM_SPIN_PASS_MAX 32u   /* instructions a poll loop may have */
#define SIM_SPIN_WRITES_MAX 4u  /* IWDG refreshes in one pass */
#define SIM_SPIN_READS_MAX 8u   /* peripheral reads in one pass */

struct sim_cpu;

/* A store the loop makes that changes nothing but the watchdog's count. */
struct sim_spin_write {
	uint32_t address, value;
	unsigned size;
	uint64_t offset_ps; /* from the pass's first read */
};

struct sim_spin_read {
	uint32_t address, value;
};

/* One pass of a candidate loop: from a read at the anchor instruction to
 * the next read there. */
struct sim_spin_pass {
	uint32_t pcs[SIM_SPIN_PASS_MAX];
	unsigned length;     /* instructions */
	uint64_t ps;         /* emulated time it took */
	struct sim_spin_read read[SIM_SPIN_READS_MAX]; /* in order */
	unsigned reads;
	unsigned writes;
	struct sim_spin_write write[SIM_SPIN_WRITES_MAX];
	bool impure;         /* a store that is not a refresh, a flash store, too long */
};

#define SIM_SPIN_REGS 21u

struct sim_spin {
	bool enabled;
	bool timer_polls_idle; /* a poll only a timer or the host can end stops the core (fast) */
	bool idle_requested;   /* such a poll was found: stop the core as idle */
	uint64_t input_due_ps; /* the next byte from outside is due then (UINT64_MAX: none) */
	bool tracking;            /* a pass is being recorded */
	uint32_t anchor_pc, anchor_address;
	uint64_t start_ps, start_instructions;
	struct sim_spin_pass cur, prev;
	bool have_prev;
	bool have_regs;
	uint32_t regs[SIM_SPIN_REGS]; /* at the last anchor read whose pass matched */
	unsigned matches;         /* passes in a row that changed nothing */
	struct sim_cpu_stats at_start; /* the counters when the pass began */
	/* The stores of the last decoded pass (its pcs): single stores, or -1
	 * for one that cannot be a poll's. */
	uint32_t decoded_pcs[SIM_SPIN_PASS_MAX];
	unsigned decoded_length;
	int decoded_stores;
};

/* Forget the candidate: the core is started again (an exception, a new
 * slice), so what it saw before proves nothing now. */
void sim_spin_restart(struct sim_spin *spin);

static inline void sim_spin_instruction(struct sim_spin *spin, uint32_t pc)
{
	if (!spin->tracking)
		return;
	if (spin->cur.length < SIM_SPIN_PASS_MAX)
		spin->cur.pcs[spin->cur.length] = pc;
	else
		spin->tracking = false; /* not a short loop */
	spin->cur.length++;
}

/* Before the core reads a peripheral (or the chip's ID pages) at address
 * from the instruction at pc: may move the core over passes of a loop
 * that polls (its time, counts and the watchdog's refreshes as the passes
 * would have left them). */
void sim_spin_before_read(struct sim_cpu *cpu, uint32_t pc, uint32_t address);
/* The value that read returned. */
void sim_spin_after_read(struct sim_cpu *cpu, uint32_t address, uint32_t value);
/* A store to a peripheral; an IWDG refresh is the only one a poll may make. */
void sim_spin_write(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t value);
/* Anything else that changes state (a store into flash). */
static inline void sim_spin_impure(struct sim_spin *spin)
{
	spin->cur.impure = true;
}

#endif
