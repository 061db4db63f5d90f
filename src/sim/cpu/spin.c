/* Spin-loop fast-forward (docs/sim.md, "Polling loops").
 *
 * A pass is what the core runs from a peripheral read at one instruction
 * (the anchor) to the next read there. When four passes in a row took
 * the same instructions, read the same values from the same registers in
 * the same order and stored nothing but IWDG refreshes, and the last two
 * left every core register as they found it, the loop is a pure poll: the next passes can
 * only differ once a peripheral's timed state changes (sim_soc_next_change)
 * or the caller's slice ends. So the core moves over the passes before
 * that at once: emulated time, the instruction count and the per-block
 * access counts advance as those passes would have advanced them, and the
 * last skipped pass's refreshes are made at their own times, so the
 * watchdog counts from where it would have. The read then happens for
 * real at the new time. RAM stores are not seen by a hook, so the passes'
 * instructions are decoded: any store but a single one whose access the
 * bus saw as a refresh makes the loop not a poll, as do FP, coprocessor,
 * exception-raising and hint instructions. A model's read side effects
 * are taken to be idempotent (a flag cleared by a read stays cleared),
 * which holds for the models here and is why four passes must agree. */
#include <string.h>

#include "cpu/cpu_internal.h"

#define SPIN_CONFIRM 2u /* passes in a row that left the registers as they were */
#define IWDG_KR 0x00u
#define IWDG_REFRESH 0xAAAAu

void sim_spin_restart(struct sim_spin *spin)
{
	spin->tracking = false;
	spin->idle_requested = false;
}

static void begin_pass(struct sim_cpu *cpu, uint32_t pc, uint32_t address)
{
	struct sim_spin *spin = &cpu->spin;
	spin->tracking = true;
	spin->anchor_pc = pc;
	spin->anchor_address = address;
	spin->start_ps = cpu->soc.env.now_ps;
	spin->start_instructions = cpu->stats.instructions;
	spin->at_start = cpu->stats;
	spin->cur.length = 0;
	spin->cur.reads = 0;
	spin->cur.writes = 0;
	spin->cur.impure = false;
}

static bool passes_equal(const struct sim_spin_pass *a, const struct sim_spin_pass *b)
{
	if (a->length != b->length || a->ps != b->ps || a->reads != b->reads || a->writes != b->writes)
		return false;
	if (memcmp(a->pcs, b->pcs, a->length * sizeof(a->pcs[0])) != 0 ||
	    memcmp(a->read, b->read, a->reads * sizeof(a->read[0])) != 0)
		return false;
	for (unsigned i = 0; i < a->writes; i++) {
		const struct sim_spin_write *x = &a->write[i], *y = &b->write[i];
		if (x->address != y->address || x->value != y->value || x->size != y->size ||
		    x->offset_ps != y->offset_ps)
			return false;
	}
	return true;
}

/* What one Thumb instruction may store: 0 nothing, 1 one access, -1 more
 * than a poll may do (several words, FP and coprocessor transfers, SVC,
 * BKPT, hints that sleep, CPS, MSR). */
static int stores_of(uint16_t hw1, uint16_t hw2)
{
	if ((hw1 & 0xF800u) < 0xE800u) { /* 16-bit */
		if ((hw1 & 0xFE00u) >= 0x5000u && (hw1 & 0xFE00u) <= 0x5400u)
			return 1; /* STR, STRH, STRB (register) */
		if ((hw1 & 0xF800u) == 0x6000u || (hw1 & 0xF800u) == 0x7000u ||
		    (hw1 & 0xF800u) == 0x8000u || (hw1 & 0xF800u) == 0x9000u)
			return 1; /* STR, STRB, STRH (immediate), STR SP-relative */
		if ((hw1 & 0xFE00u) == 0xB400u || (hw1 & 0xF800u) == 0xC000u)
			return -1; /* PUSH, STM */
		if ((hw1 & 0xFF00u) == 0xBE00u || (hw1 & 0xFF00u) == 0xDF00u ||
		    (hw1 & 0xFF00u) == 0xDE00u || (hw1 & 0xFFE0u) == 0xB660u)
			return -1; /* BKPT, SVC, UDF, CPS */
		if ((hw1 & 0xFF0Fu) == 0xBF00u && hw1 != 0xBF00u)
			return -1; /* YIELD, WFE, WFI, SEV */
		return 0;
	}
	if ((hw1 & 0xFE00u) == 0xE800u) /* load/store multiple, dual, exclusive */
		return (hw1 & 0x0010u) ? 0 : -1;
	if ((hw1 & 0xFE00u) == 0xEA00u) /* data processing, shifted register */
		return 0;
	if ((hw1 & 0xF800u) == 0xF000u) { /* immediates, branches, misc control */
		unsigned op = (hw1 >> 4) & 0x7Fu;
		if ((hw2 & 0xD000u) == 0x8000u && op >= 0x38u && op != 0x3Bu && op != 0x3Eu && op != 0x3Fu)
			return -1; /* MSR, hints (WFI...), CPS, SMC: not MRS, DSB/DMB/ISB */
		return 0;
	}
	if ((hw1 & 0xFE00u) == 0xF800u) /* single loads and stores */
		return (hw1 & 0x0010u) ? 0 : ((hw1 & 0x0100u) ? -1 : 1);
	if ((hw1 & 0xFE00u) == 0xFA00u) /* data processing (register), multiply, divide */
		return 0;
	return -1; /* coprocessor and FP */
}

/* The stores of a pass's instructions, or -1 (decoded once per path). */
static int pass_stores(struct sim_cpu *cpu, const struct sim_spin_pass *p)
{
	struct sim_spin *spin = &cpu->spin;
	if (spin->decoded_length == p->length &&
	    memcmp(spin->decoded_pcs, p->pcs, p->length * sizeof(p->pcs[0])) == 0)
		return spin->decoded_stores;
	int stores = 0;
	for (unsigned i = 0; i < p->length && stores >= 0; i++) {
		uint8_t b[4];
		if (uc_mem_read(cpu->uc, p->pcs[i], b, sizeof(b)) != UC_ERR_OK) {
			stores = -1;
			break;
		}
		int n = stores_of((uint16_t)(b[0] | b[1] << 8), (uint16_t)(b[2] | b[3] << 8));
		stores = n < 0 ? -1 : stores + n;
	}
	memcpy(spin->decoded_pcs, p->pcs, p->length * sizeof(p->pcs[0]));
	spin->decoded_length = p->length;
	spin->decoded_stores = stores;
	return stores;
}

static const int core_regs[SIM_SPIN_REGS] = {
	UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
	UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9,
	UC_ARM_REG_R10, UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR,
	UC_ARM_REG_XPSR, UC_ARM_REG_MSP, UC_ARM_REG_PSP, UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI,
	UC_ARM_REG_CONTROL,
};

static void read_regs(struct sim_cpu *cpu, uint32_t *regs)
{
	void *values[SIM_SPIN_REGS];
	for (unsigned i = 0; i < SIM_SPIN_REGS; i++) {
		regs[i] = 0;
		values[i] = &regs[i];
	}
	uc_reg_read_batch(cpu->uc, (int *)core_regs, values, (int)SIM_SPIN_REGS);
}

static bool refreshes_watchdog(const struct sim_cpu *cpu, const struct sim_spin_pass *p)
{
	return p->writes > 0 && cpu->soc.iwdg.running;
}

/* The counters a pass moved, k times more; false when the pass moved one
 * a poll does not (then it was not one). */
static bool scale_counts(struct sim_cpu_stats *s, const struct sim_cpu_stats *start, uint64_t k)
{
	struct sim_cpu_stats now = *s;
	if (now.faults != start->faults || now.exceptions != start->exceptions ||
	    now.usart_tx_bytes != start->usart_tx_bytes || now.usart_rx_bytes != start->usart_rx_bytes ||
	    now.usart_rx_overruns != start->usart_rx_overruns ||
	    now.usart_rx_errors != start->usart_rx_errors || now.periph_count != start->periph_count)
		return false;
	s->instructions += k * (now.instructions - start->instructions);
	s->unmodelled_accesses += k * (now.unmodelled_accesses - start->unmodelled_accesses);
	s->iwdg_refreshes += k * (now.iwdg_refreshes - start->iwdg_refreshes);
	for (size_t i = 0; i < now.periph_count; i++) {
		s->periph[i].reads += k * (now.periph[i].reads - start->periph[i].reads);
		s->periph[i].writes += k * (now.periph[i].writes - start->periph[i].writes);
	}
	return true;
}

/* Move over the passes that would end before the next change (the pass
 * now starting is one of the skipped; the read about to happen is the one
 * of the first pass after them). */
static void skip(struct sim_cpu *cpu, const struct sim_spin_pass *p)
{
	struct sim_spin *spin = &cpu->spin;
	struct sim_soc_env *env = &cpu->soc.env;
	uint64_t now = env->now_ps;
	/* Waiting like WFI (fast speed): a poll that only a timer or the
	 * outside world can end stops the core, and the caller lets the wall
	 * clock's time pass on it; moved over here, a program's timeouts for
	 * the host would pass in no wall time (docs/sim.md). */
	if (spin->timer_polls_idle && sim_soc_next_work_change(&cpu->soc) == UINT64_MAX) {
		spin->idle_requested = true; /* the read hook stops the core (cpu.c) */
		cpu->stats.spin_idle_stops++;
		return;
	}
	uint64_t next = sim_soc_next_change(&cpu->soc, refreshes_watchdog(cpu, p));
	if (spin->input_due_ps < next) /* a byte the caller hands over then */
		next = spin->input_due_ps;
	uint64_t left = cpu->budget_end > cpu->stats.instructions ? cpu->budget_end - cpu->stats.instructions : 0;
	uint64_t k = left / p->length;
	if (next != UINT64_MAX) {
		uint64_t by_time = next > now ? (next - now) / p->ps : 0;
		k = by_time < k ? by_time : k;
	}
	if (k == 0)
		return;
	struct sim_cpu_stats counted = cpu->stats;
	if (!scale_counts(&counted, &spin->at_start, k))
		return;
	/* The refreshes of the last pass skipped, at their times: the model's
	 * own write, its counting undone by the scaled counts. */
	for (unsigned i = 0; i < p->writes; i++) {
		const struct sim_spin_write *w = &p->write[i];
		env->now_ps = now + (k - 1) * p->ps + w->offset_ps;
		sim_mmio_write(&cpu->soc.bus, w->address, w->size, w->value, spin->anchor_pc);
	}
	env->now_ps = now + k * p->ps;
	cpu->stats = counted;
	cpu->stats.spin_skips++;
	cpu->stats.spin_skipped_instructions += k * p->length;
}

static void end_pass(struct sim_cpu *cpu)
{
	struct sim_spin *spin = &cpu->spin;
	struct sim_spin_pass *p = &spin->cur;
	p->ps = cpu->soc.env.now_ps - spin->start_ps;
	bool same = spin->have_prev && !p->impure && p->length <= SIM_SPIN_PASS_MAX &&
		    cpu->stats.instructions - spin->start_instructions == p->length &&
		    passes_equal(p, &spin->prev) && pass_stores(cpu, p) == (int)p->writes;
	if (same) {
		uint32_t regs[SIM_SPIN_REGS];
		read_regs(cpu, regs);
		spin->matches = spin->have_regs && memcmp(regs, spin->regs, sizeof(regs)) == 0
					? spin->matches + 1 : 0;
		memcpy(spin->regs, regs, sizeof(regs));
		spin->have_regs = true;
	} else {
		spin->matches = 0;
		spin->have_regs = false;
	}
	spin->prev = *p;
	spin->have_prev = true;
	if (spin->matches >= SPIN_CONFIRM && p->ps > 0 && p->length > 0) {
		skip(cpu, p);
		spin->matches = 0;
		spin->have_regs = false;
	}
}

void sim_spin_before_read(struct sim_cpu *cpu, uint32_t pc, uint32_t address)
{
	struct sim_spin *spin = &cpu->spin;
	if (!spin->enabled)
		return;
	if (spin->tracking && pc == spin->anchor_pc && address == spin->anchor_address) {
		end_pass(cpu);
		begin_pass(cpu, pc, address);
	} else if (!spin->tracking) {
		spin->have_prev = false;
		spin->have_regs = false;
		spin->matches = 0;
		begin_pass(cpu, pc, address);
	}
}

void sim_spin_after_read(struct sim_cpu *cpu, uint32_t address, uint32_t value)
{
	struct sim_spin *spin = &cpu->spin;
	if (!spin->tracking)
		return;
	struct sim_spin_pass *p = &spin->cur;
	if (p->reads >= SIM_SPIN_READS_MAX) {
		p->impure = true;
		return;
	}
	p->read[p->reads++] = (struct sim_spin_read){address, value};
}

void sim_spin_write(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t value)
{
	struct sim_spin *spin = &cpu->spin;
	if (!spin->tracking)
		return;
	struct sim_spin_pass *p = &spin->cur;
	uint32_t kr = cpu->soc.info->iwdg_base + IWDG_KR;
	if (address != kr || (value & 0xFFFFu) != IWDG_REFRESH || p->writes >= SIM_SPIN_WRITES_MAX) {
		p->impure = true;
		return;
	}
	p->write[p->writes++] = (struct sim_spin_write){address, value, size,
						       cpu->soc.env.now_ps - spin->start_ps};
}
