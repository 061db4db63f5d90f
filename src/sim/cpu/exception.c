/* Exception entry and return on the core (ARMv7-M B1.5, ARMv6-M B1.5):
 * which exception is pending and whether it preempts, the 8-word frame on
 * the active stack, EXC_RETURN, the return that pops it, NMI, and faults:
 * MemManage, BusFault and UsageFault go to their own handlers where SHCSR
 * enables them and their priority allows, else to HardFault (ARMv7-M
 * B1.5.6; ARMv6-M has HardFault only), and a fault that HardFault cannot
 * take (in the HardFault or NMI handler, or with FAULTMASK set) is lockup
 * (B1.5.15): the core stops.
 *
 * Unicorn 2.0.1 delivers none of this for M profile: SVC reaches the
 * interrupt hook (number 2) with the PC already past the SVC, and a branch
 * to an EXC_RETURN value reaches it as QEMU's EXCP_EXCEPTION_EXIT (8) with
 * the PC at 0xFFFFFFF8 (measured, docs/sim.md); neither is acted on once
 * the hook returns. So the core does both itself, between uc_emu_start
 * calls: hooks only record what to do (cpu->exc.action) and stop. The
 * active exceptions live in the SCB model (ICSR, IABR read them); Unicorn's
 * IPSR follows them so MRS IPSR and QEMU's handler mode (MSP, privilege)
 * agree. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu_internal.h"

#include "stm32boot/device.h"

#define THUMB_BIT 1u
#define XPSR_T (1u << 24)
#define XPSR_SPALIGN (1u << 9)
#define XPSR_FLAGS 0xF80F0000u /* N Z C V Q, GE: kept across entry */
#define CONTROL_SPSEL 2u
#define EXC_NMI 2u
#define EXC_HARDFAULT 3u
#define EXC_MEMMANAGE 4u
#define EXC_BUSFAULT 5u
#define EXC_USAGEFAULT 6u
#define EXC_SVCALL 11u
#define EXC_PENDSV 14u
#define EXC_SYSTICK 15u
#define EXC_RETURN_HANDLER 0xFFFFFFF1u
#define EXC_RETURN_THREAD_MSP 0xFFFFFFF9u
#define EXC_RETURN_THREAD_PSP 0xFFFFFFFDu
#define CFSR_IACCVIOL (1u << 0)
#define CFSR_IBUSERR (1u << 8)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define HFSR_FORCED (1u << 30)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define NO_PRIORITY 1000

static const int frame_regs[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2,
				  UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};

static uint32_t reg(struct sim_cpu *cpu, int r)
{
	uint32_t v = 0;
	uc_reg_read(cpu->uc, r, &v);
	return v;
}

static void set_reg(struct sim_cpu *cpu, int r, uint32_t v)
{
	uc_reg_write(cpu->uc, r, &v);
}

static bool is_v6m(const struct sim_cpu *cpu)
{
	enum sim_cpu_core core = cpu->soc.info->core;
	return core == SIM_CORE_M0 || core == SIM_CORE_M0PLUS;
}

/* Configured priority of an exception (lower is more urgent). */
static int priority_of(const struct sim_scb *scb, unsigned num)
{
	switch (num) {
	case EXC_NMI: return -2;
	case EXC_HARDFAULT: return -1;
	case EXC_MEMMANAGE: case EXC_BUSFAULT: case EXC_USAGEFAULT:
		return (int)((scb->shpr[0] >> (8 * (num - EXC_MEMMANAGE))) & 0xFFu);
	case EXC_SVCALL: return (int)(scb->shpr[1] >> 24);
	case EXC_PENDSV: return (int)((scb->shpr[2] >> 16) & 0xFFu);
	case EXC_SYSTICK: return (int)(scb->shpr[2] >> 24);
	}
	if (num >= 16) {
		unsigned irq = num - 16;
		return (int)((scb->nvic_ipr[irq / 4] >> (8 * (irq % 4))) & 0xFFu);
	}
	return NO_PRIORITY;
}

/* Only the group priority preempts; PRIGROUP says how many low bits are
 * subpriority (ARMv7-M B1.5.4). */
static int group_of(const struct sim_scb *scb, int prio)
{
	if (prio < 0)
		return prio;
	unsigned prigroup = (scb->aircr_prigroup >> 8) & 7u;
	return prio & (int)(~((2u << prigroup) - 1u) & 0xFFu);
}

static int active_priority(const struct sim_scb *scb)
{
	int p = NO_PRIORITY;
	for (unsigned i = 0; i < scb->nest; i++) {
		int q = group_of(scb, priority_of(scb, scb->active[i]));
		p = q < p ? q : p;
	}
	return p;
}

/* The execution priority with PRIMASK, BASEPRI and FAULTMASK (B1.5.4). */
static int execution_priority(struct sim_cpu *cpu)
{
	const struct sim_scb *scb = &cpu->soc.scb;
	int p = active_priority(scb);
	if ((reg(cpu, UC_ARM_REG_PRIMASK) & 1u) && p > 0)
		p = 0;
	if (!is_v6m(cpu)) {
		if ((reg(cpu, UC_ARM_REG_FAULTMASK) & 1u) && p > -1)
			p = -1;
		int basepri = (int)(reg(cpu, UC_ARM_REG_BASEPRI) & scb->prio_mask);
		if (basepri && group_of(scb, basepri) < p)
			p = group_of(scb, basepri);
	}
	return p;
}

static bool is_active(const struct sim_scb *scb, unsigned num)
{
	for (unsigned i = 0; i < scb->nest; i++)
		if (scb->active[i] == num)
			return true;
	return false;
}

static void sample_line(struct sim_scb *scb, int irq, bool high)
{
	if (irq >= 0 && high && !is_active(scb, 16u + (unsigned)irq))
		scb->nvic_ispr[irq / 32] |= 1u << (irq % 32);
}

/* Level-sensitive lines (the USARTs, flash, the IWDG's early wakeup) pend
 * while high unless already active; the handler that clears the source
 * before returning is not re-entered. */
static void sample_lines(struct sim_cpu *cpu)
{
	struct sim_soc *soc = &cpu->soc;
	struct sim_scb *scb = &soc->scb;
	if (soc->systick.pend) {
		scb->pendst = true;
		soc->systick.pend = false;
	}
	for (size_t i = 0; i < soc->usart_count; i++)
		sample_line(scb, soc->usart_map[i].irq, sim_usart_irq(&soc->usarts[i]));
	sample_line(scb, soc->flash_irq, sim_flashctl_irq(&soc->flash));
	sample_line(scb, soc->iwdg.features.ewi_irq, sim_iwdg_irq(&soc->iwdg));
}

static void consider(const struct sim_scb *scb, unsigned num, unsigned *best, int *best_prio)
{
	int p = priority_of(scb, num);
	if (p < *best_prio) { /* ties: the lower number, seen first */
		*best = num;
		*best_prio = p;
	}
}

void sim_exc_update(struct sim_cpu *cpu)
{
	struct sim_scb *scb = &cpu->soc.scb;
	sample_lines(cpu);
	unsigned best = 0;
	int best_prio = NO_PRIORITY;
	if (scb->pendnmi)
		consider(scb, EXC_NMI, &best, &best_prio);
	if (scb->pendsv)
		consider(scb, EXC_PENDSV, &best, &best_prio);
	if (scb->pendst)
		consider(scb, EXC_SYSTICK, &best, &best_prio);
	for (unsigned w = 0; w < 16; w++)
		for (uint32_t bits = scb->nvic_ispr[w] & scb->nvic_iser[w]; bits; bits &= bits - 1)
			consider(scb, 16u + 32u * w + (unsigned)__builtin_ctz(bits), &best, &best_prio);
	cpu->exc.pending = best;
	cpu->exc.pending_group = best ? group_of(scb, best_prio) : NO_PRIORITY;
	scb->vectpending = (uint16_t)best;
}

bool sim_exc_preempts(struct sim_cpu *cpu)
{
	return cpu->exc.pending && cpu->exc.pending_group < execution_priority(cpu);
}

bool sim_exc_wakes(struct sim_cpu *cpu)
{
	/* WFI wakes on a pending interrupt that would preempt but for PRIMASK
	 * (B1.5.18). */
	return cpu->exc.pending && cpu->exc.pending_group < active_priority(&cpu->soc.scb);
}

static void clear_pending(struct sim_scb *scb, unsigned num)
{
	if (num == EXC_NMI)
		scb->pendnmi = false;
	else if (num == EXC_SYSTICK)
		scb->pendst = false;
	else if (num == EXC_PENDSV)
		scb->pendsv = false;
	else if (num >= 16)
		scb->nvic_ispr[(num - 16) / 32] &= ~(1u << ((num - 16) % 32));
}

static bool in_ram(const struct sim_cpu *cpu, uint32_t address, uint32_t length)
{
	const struct sim_memory_view *m = &cpu->mem;
	return address >= m->ram_start && address - m->ram_start <= m->ram_size &&
	       m->ram_size - (address - m->ram_start) >= length;
}

static bool executable(const struct sim_cpu *cpu, uint32_t address)
{
	const struct sim_memory_view *m = &cpu->mem;
	if (cpu->alias == SIM_ALIAS_FLASH && address < cpu->alias_size)
		return true;
	return (address >= m->flash_start && address - m->flash_start < m->flash_size) ||
	       in_ram(cpu, address, 2);
}

/* The vector at VTOR + 4 * num (0 without VTOR), read through what is
 * aliased at 0. Usable: Thumb bit set and code that can run there. */
static bool read_vector(struct sim_cpu *cpu, unsigned num, uint32_t *vector)
{
	const struct sim_scb *scb = &cpu->soc.scb;
	uint32_t a = (scb->has_vtor ? scb->vtor : 0) + 4u * num;
	if (a < cpu->alias_size)
		a += cpu->alias == SIM_ALIAS_FLASH ? cpu->mem.flash_start :
						     sim_port_device(cpu->chip)->sysmem_start;
	uint8_t b[4];
	sim_port_read(cpu->chip, a, b, sizeof(b));
	*vector = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return (*vector & THUMB_BIT) && executable(cpu, *vector & ~THUMB_BIT);
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

/* A fault stop (as cpu.c's set_fault; not called from here so that cpu.c,
 * which calls this file from its hooks, is not called back). */
static bool fail_as(struct sim_cpu *cpu, const char *what, enum sim_fault_kind kind)
{
	if (!cpu->stop_set) {
		cpu->stop_set = true;
		cpu->stop = (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_FAULT, .what = what};
		cpu->stop.pc = reg(cpu, UC_ARM_REG_PC);
		cpu->fault_kind = kind;
	}
	return false;
}

/* The exception model itself cannot go on: a stop, never escalated. */
static bool fail(struct sim_cpu *cpu, const char *what)
{
	return fail_as(cpu, what, SIM_FAULT_MODEL);
}

/* Push R0-R3, R12, LR, the return address and xPSR; with SP not 8-byte
 * aligned one more word of padding, recorded in bit 9 of the stacked
 * xPSR (CCR.STKALIGN is 1 on every modelled core). */
static bool push_frame(struct sim_cpu *cpu, uint32_t return_pc, uint32_t *frame_out)
{
	uint32_t sp = reg(cpu, UC_ARM_REG_SP);
	bool pad = sp & 4u;
	uint32_t frame = (sp - 32u) & ~(pad ? 4u : 0u);
	if (!in_ram(cpu, frame, 32))
		return fail(cpu, "exception entry: the stack is not in RAM (stacking fault)");
	uint8_t f[32];
	for (int i = 0; i < 6; i++)
		put32(f + 4 * i, reg(cpu, frame_regs[i]));
	put32(f + 24, return_pc & ~THUMB_BIT);
	put32(f + 28, reg(cpu, UC_ARM_REG_XPSR) | (pad ? XPSR_SPALIGN : 0));
	uc_mem_write(cpu->uc, frame, f, sizeof(f));
	*frame_out = frame;
	return true;
}

bool sim_exc_enter(struct sim_cpu *cpu, unsigned num, uint32_t return_pc)
{
	struct sim_scb *scb = &cpu->soc.scb;
	uint32_t vector, frame;
	if (!read_vector(cpu, num, &vector))
		return fail(cpu, num == EXC_HARDFAULT ? "HardFault vector unusable" :
			    num == EXC_NMI ? "NMI vector unusable" :
					     "exception vector unusable (no Thumb bit or no code there)");
	if (scb->nest >= SIM_SCB_NEST)
		return fail(cpu, "exceptions nested deeper than modelled");
	if (!push_frame(cpu, return_pc, &frame))
		return false;
	uint32_t control = reg(cpu, UC_ARM_REG_CONTROL);
	bool from_psp = scb->nest == 0 && (control & CONTROL_SPSEL);
	set_reg(cpu, UC_ARM_REG_SP, frame);
	/* Handler mode runs on MSP: switch while QEMU is still in thread
	 * mode (it ignores SPSEL writes in handler mode). */
	if (from_psp)
		set_reg(cpu, UC_ARM_REG_CONTROL, control & ~CONTROL_SPSEL);
	uint32_t xpsr = reg(cpu, UC_ARM_REG_XPSR);
	set_reg(cpu, UC_ARM_REG_XPSR, (xpsr & XPSR_FLAGS) | XPSR_T | num);
	set_reg(cpu, UC_ARM_REG_LR, scb->nest ? EXC_RETURN_HANDLER :
				    from_psp ? EXC_RETURN_THREAD_PSP : EXC_RETURN_THREAD_MSP);
	scb->active[scb->nest++] = (uint16_t)num;
	clear_pending(scb, num);
	cpu->resume_pc = vector & ~THUMB_BIT;
	cpu->stats.exceptions++;
	cpu->stats.nmis += num == EXC_NMI;
	sim_exc_update(cpu);
	return true;
}

bool sim_exc_return(struct sim_cpu *cpu, uint32_t exc_return)
{
	struct sim_scb *scb = &cpu->soc.scb;
	if (scb->nest == 0)
		return fail(cpu, "branch to an EXC_RETURN value in thread mode");
	bool to_thread = exc_return != EXC_RETURN_HANDLER;
	if (exc_return != EXC_RETURN_HANDLER && exc_return != EXC_RETURN_THREAD_MSP &&
	    exc_return != EXC_RETURN_THREAD_PSP)
		return fail(cpu, "exception return with a reserved EXC_RETURN value (INVPC)");
	if (to_thread != (scb->nest == 1))
		return fail(cpu, "exception return to the wrong mode (INVPC)");
	bool psp = exc_return == EXC_RETURN_THREAD_PSP;
	uint32_t sp = reg(cpu, psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP);
	uint8_t f[32];
	if (!in_ram(cpu, sp, 32) || uc_mem_read(cpu->uc, sp, f, sizeof(f)) != UC_ERR_OK)
		return fail(cpu, "exception return: the frame is not in RAM (unstacking fault)");
	scb->nest--;
	for (int i = 0; i < 6; i++)
		set_reg(cpu, frame_regs[i], get32(f + 4 * i));
	uint32_t xpsr = get32(f + 28);
	uint32_t new_sp = sp + 32u + ((xpsr & XPSR_SPALIGN) ? 4u : 0u);
	/* Back to thread mode first, then SPSEL: the order QEMU accepts. */
	set_reg(cpu, UC_ARM_REG_XPSR, (xpsr & ~XPSR_SPALIGN) | XPSR_T);
	if (psp)
		set_reg(cpu, UC_ARM_REG_CONTROL, reg(cpu, UC_ARM_REG_CONTROL) | CONTROL_SPSEL);
	set_reg(cpu, UC_ARM_REG_SP, new_sp);
	cpu->resume_pc = get32(f + 24) & ~THUMB_BIT;
	sim_exc_update(cpu);
	return true;
}

bool sim_exc_act(struct sim_cpu *cpu, uint32_t pc)
{
	enum sim_exc_action action = cpu->exc.action;
	cpu->exc.action = SIM_EXC_NONE;
	if (action == SIM_EXC_RETURN)
		return sim_exc_return(cpu, pc | THUMB_BIT);
	unsigned num = cpu->exc.action_num;
	if (num == EXC_SVCALL &&
	    group_of(&cpu->soc.scb, priority_of(&cpu->soc.scb, num)) >= execution_priority(cpu))
		return fail_as(cpu, "SVC while its priority is masked", SIM_FAULT_HARD);
	return sim_exc_enter(cpu, num, pc);
}

/* Which handler takes a fault of this kind at execution priority exec:
 * its own where SHCSR enables it and its group priority beats exec,
 * else HardFault (B1.5.6). ARMv6-M has HardFault only. */
static unsigned fault_handler(struct sim_cpu *cpu, enum sim_fault_kind kind, int exec)
{
	const struct sim_scb *scb = &cpu->soc.scb;
	unsigned num;
	uint32_t enable;
	switch (kind) {
	case SIM_FAULT_MEM_IFETCH: num = EXC_MEMMANAGE, enable = SHCSR_MEMFAULTENA; break;
	case SIM_FAULT_BUS_IFETCH:
	case SIM_FAULT_BUS_DATA: num = EXC_BUSFAULT, enable = SHCSR_BUSFAULTENA; break;
	case SIM_FAULT_UNDEF:
	case SIM_FAULT_INVSTATE: num = EXC_USAGEFAULT, enable = SHCSR_USGFAULTENA; break;
	default: return EXC_HARDFAULT;
	}
	if (is_v6m(cpu) || !(scb->shcsr & enable) || group_of(scb, priority_of(scb, num)) >= exec)
		return EXC_HARDFAULT;
	return num;
}

/* Fault status as the handler would find it (B3.2.15, B3.2.16); ARMv6-M
 * has no CFSR, HFSR or BFAR. */
static void record_fault(struct sim_cpu *cpu, enum sim_fault_kind kind, unsigned handler)
{
	struct sim_scb *scb = &cpu->soc.scb;
	if (is_v6m(cpu))
		return;
	switch (kind) {
	case SIM_FAULT_MEM_IFETCH: scb->cfsr |= CFSR_IACCVIOL; break;
	case SIM_FAULT_BUS_IFETCH: scb->cfsr |= CFSR_IBUSERR; break;
	case SIM_FAULT_BUS_DATA:
		scb->cfsr |= CFSR_PRECISERR | CFSR_BFARVALID;
		scb->bfar = cpu->stop.address;
		break;
	case SIM_FAULT_UNDEF: scb->cfsr |= CFSR_UNDEFINSTR; break;
	case SIM_FAULT_INVSTATE: scb->cfsr |= CFSR_INVSTATE; break;
	default: break;
	}
	if (handler == EXC_HARDFAULT)
		scb->hfsr |= HFSR_FORCED; /* escalated, or a fault only HardFault takes */
}

static const char *handler_name(unsigned num)
{
	switch (num) {
	case EXC_MEMMANAGE: return "MemManage";
	case EXC_BUSFAULT: return "BusFault";
	case EXC_USAGEFAULT: return "UsageFault";
	}
	return "HardFault";
}

/* A fault HardFault cannot take: the core locks up. It stays stopped until
 * a reset, as after any other stop. */
static bool lock_up(struct sim_cpu *cpu, const struct sim_cpu_stop_info *s)
{
	const struct sim_scb *scb = &cpu->soc.scb;
	unsigned active = scb->nest ? scb->active[scb->nest - 1] : 0;
	snprintf(cpu->lockup_what, sizeof(cpu->lockup_what), "lockup: %s %s",
		 s->what ? s->what : "fault",
		 active == EXC_NMI ? "in the NMI handler" :
		 active == EXC_HARDFAULT ? "in the HardFault handler" : "with FAULTMASK set");
	cpu->stop = *s;
	cpu->stop.reason = SIM_CPU_STOP_LOCKUP;
	cpu->stop.what = cpu->lockup_what;
	cpu->stop_set = true;
	cpu->stats.lockups++;
	return false;
}

bool sim_exc_escalate(struct sim_cpu *cpu)
{
	const struct sim_cpu_stop_info s = cpu->stop;
	enum sim_fault_kind kind = cpu->fault_kind;
	if ((s.reason != SIM_CPU_STOP_FAULT && s.reason != SIM_CPU_STOP_UNMAPPED) ||
	    kind == SIM_FAULT_MODEL)
		return false;
	int exec = execution_priority(cpu);
	unsigned handler = fault_handler(cpu, kind, exec);
	if (handler == EXC_HARDFAULT && exec <= -1)
		return lock_up(cpu, &s);
	uint32_t vector;
	if (!read_vector(cpu, handler, &vector))
		return false; /* no handler to take it: the fault stays a stop */
	record_fault(cpu, kind, handler);
	cpu->stop_set = false;
	if (!sim_exc_enter(cpu, handler, s.pc)) {
		cpu->stop = s; /* report the original fault, not the failed entry */
		cpu->stop_set = true;
		return false;
	}
	cpu->stats.faults++;
	if (handler == EXC_HARDFAULT)
		cpu->stats.hardfaults++;
	else
		cpu->stats.fault_handlers++;
	if (cpu->callbacks.log) {
		char line[200];
		snprintf(line, sizeof(line),
			 "core: %s at pc 0x%08x (address 0x%08x): taken by the %s handler",
			 s.what ? s.what : "fault", s.pc, s.address, handler_name(handler));
		cpu->callbacks.log(cpu->callbacks.user, line);
	}
	return true;
}
