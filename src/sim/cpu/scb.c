/* System control block and NVIC (ARMv7-M B3.2, B3.4; ARMv6-M B3.2, B3.4):
 * CPUID, ICSR (VECTACTIVE, VECTPENDING, NMIPENDSET, PENDSV/PENDST set and clear),
 * VTOR, AIRCR with VECTKEY (SYSRESETREQ resets the chip), SCR, CCR, SHPR
 * and NVIC priorities with the implemented bits only, SHCSR, HFSR/CFSR/
 * BFAR as the exception model sets them, NVIC enable/pending/active and
 * STIR. Which exception is taken when is exception.c's business. */
#include <string.h>

#include "cpu/periph.h"

#define SCS_NVIC_ISER  0x100u
#define SCS_NVIC_ICER  0x180u
#define SCS_NVIC_ISPR  0x200u
#define SCS_NVIC_ICPR  0x280u
#define SCS_NVIC_IABR  0x300u
#define SCS_NVIC_IPR   0x400u
#define SCS_CFSR       0xD28u
#define SCS_HFSR       0xD2Cu
#define SCS_BFAR       0xD38u
#define SCS_STIR       0xF00u
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_ISRPENDING (1u << 22)
#define ICSR_NMIPENDSET (1u << 31)
/* SHCSR: the fault enables (ARMv7-M only) and the active bits this
 * model computes from the nest of active exceptions. */
#define SHCSR_ENABLES 0x70000u
#define SHCSR_SVCALLPENDED (1u << 15)
#define SCS_CPUID      0xD00u
#define SCS_ICSR       0xD04u
#define SCS_VTOR       0xD08u
#define SCS_AIRCR      0xD0Cu
#define SCS_SCR        0xD10u
#define SCS_CCR        0xD14u
#define SCS_SHPR1      0xD18u
#define SCS_SHCSR      0xD24u
#define AIRCR_VECTKEY  0x05FAu
#define AIRCR_VECTKEYSTAT 0xFA05u
#define AIRCR_SYSRESETREQ (1u << 2)

static uint32_t cpuid_of(enum sim_cpu_core core)
{
	switch (core) {
	case SIM_CORE_M0: return 0x410CC200u;     /* r0p0 */
	case SIM_CORE_M0PLUS: return 0x410CC601u; /* r0p1 */
	case SIM_CORE_M3: return 0x412FC231u;     /* r2p1 */
	case SIM_CORE_M4: return 0x410FC241u;     /* r0p1 */
	case SIM_CORE_M7: return 0x411FC270u;     /* r1p0 */
	case SIM_CORE_M33: return 0x410FD210u;    /* r0p0 */
	}
	return 0;
}

static bool is_v6m(const struct sim_scb *scb)
{
	return scb->cpuid == cpuid_of(SIM_CORE_M0) || scb->cpuid == cpuid_of(SIM_CORE_M0PLUS);
}

void sim_scb_reset(struct sim_scb *scb, struct sim_soc_env *env, enum sim_cpu_core core)
{
	memset(scb, 0, sizeof(*scb));
	scb->env = env;
	scb->cpuid = cpuid_of(core);
	scb->has_vtor = core != SIM_CORE_M0;
	bool v6m = core == SIM_CORE_M0 || core == SIM_CORE_M0PLUS;
	scb->ccr = v6m ? 0x208u : 0x200u; /* STKALIGN */
	/* STM32: 2 priority bits on Cortex-M0/M0+, 4 on the others (PM0215,
	 * PM0056); the low bits read as zero. */
	scb->prio_mask = v6m ? 0xC0u : 0xF0u;
}

static uint32_t prio_word_mask(const struct sim_scb *scb)
{
	return 0x01010101u * scb->prio_mask;
}

/* An interrupt number's bit is active while it is on the nest stack. */
static uint32_t active_word(const struct sim_scb *scb, unsigned word)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < scb->nest; i++) {
		unsigned irq = scb->active[i] >= 16 ? scb->active[i] - 16u : 0xFFFFu;
		if (irq / 32 == word)
			v |= 1u << (irq % 32);
	}
	return v;
}

static uint32_t read_icsr(const struct sim_scb *scb)
{
	uint32_t v = scb->nest ? scb->active[scb->nest - 1] : 0;
	v |= (uint32_t)scb->vectpending << 12;
	if (scb->vectpending >= 16)
		v |= ICSR_ISRPENDING;
	v |= scb->pendst ? ICSR_PENDSTSET : 0;
	v |= scb->pendsv ? ICSR_PENDSVSET : 0;
	v |= scb->pendnmi ? ICSR_NMIPENDSET : 0;
	return v;
}

/* MEMFAULTACT 0, BUSFAULTACT 1, USGFAULTACT 3, SVCALLACT 7, PENDSVACT 10,
 * SYSTICKACT 11 (ARMv7-M B3.2.13); on ARMv6-M only SVCALLPENDED exists. */
static uint32_t read_shcsr(const struct sim_scb *scb)
{
	static const struct { uint16_t num; uint8_t bit; } act[] = {
		{4, 0}, {5, 1}, {6, 3}, {11, 7}, {14, 10}, {15, 11}};
	uint32_t v = scb->shcsr;
	for (unsigned i = 0; i < scb->nest && !is_v6m(scb); i++)
		for (size_t k = 0; k < sizeof(act) / sizeof(act[0]); k++)
			if (scb->active[i] == act[k].num)
				v |= 1u << act[k].bit;
	return v;
}

static void write_icsr(struct sim_scb *scb, uint32_t value)
{
	if (value & ICSR_NMIPENDSET)
		scb->pendnmi = true;
	if (value & ICSR_PENDSVSET)
		scb->pendsv = true;
	else if (value & ICSR_PENDSVCLR)
		scb->pendsv = false;
	if (value & ICSR_PENDSTSET)
		scb->pendst = true;
	else if (value & ICSR_PENDSTCLR)
		scb->pendst = false;
}

uint32_t sim_scb_read(void *ctx, uint32_t offset)
{
	struct sim_scb *scb = ctx;
	if (offset >= SCS_NVIC_ISER && offset < SCS_NVIC_ISER + 0x40u)
		return scb->nvic_iser[(offset - SCS_NVIC_ISER) / 4];
	if (offset >= SCS_NVIC_ICER && offset < SCS_NVIC_ICER + 0x40u)
		return scb->nvic_iser[(offset - SCS_NVIC_ICER) / 4];
	if (offset >= SCS_NVIC_ISPR && offset < SCS_NVIC_ISPR + 0x40u)
		return scb->nvic_ispr[(offset - SCS_NVIC_ISPR) / 4];
	if (offset >= SCS_NVIC_ICPR && offset < SCS_NVIC_ICPR + 0x40u)
		return scb->nvic_ispr[(offset - SCS_NVIC_ICPR) / 4];
	if (offset >= SCS_NVIC_IABR && offset < SCS_NVIC_IABR + 0x40u)
		return active_word(scb, (offset - SCS_NVIC_IABR) / 4);
	if (offset >= SCS_NVIC_IPR && offset < SCS_NVIC_IPR + sizeof(scb->nvic_ipr))
		return scb->nvic_ipr[(offset - SCS_NVIC_IPR) / 4];
	switch (offset) {
	case SCS_CPUID: return scb->cpuid;
	case SCS_ICSR: return read_icsr(scb);
	case SCS_CFSR: return scb->cfsr;
	case SCS_HFSR: return scb->hfsr;
	case SCS_BFAR: return scb->bfar;
	case SCS_VTOR: return scb->has_vtor ? scb->vtor : 0;
	case SCS_AIRCR: return (uint32_t)AIRCR_VECTKEYSTAT << 16 | scb->aircr_prigroup;
	case SCS_SCR: return scb->scr;
	case SCS_CCR: return scb->ccr;
	case SCS_SHPR1: case SCS_SHPR1 + 4: case SCS_SHPR1 + 8:
		return scb->shpr[(offset - SCS_SHPR1) / 4];
	case SCS_SHCSR: return read_shcsr(scb);
	}
	return 0; /* MMFAR, AFSR, ID registers: zero */
}

/* Only a write with VECTKEY in the upper half counts (ARM: otherwise the
 * write is ignored). */
static void write_aircr(struct sim_scb *scb, uint32_t value, uint32_t mask)
{
	if (mask != 0xFFFFFFFFu || value >> 16 != AIRCR_VECTKEY)
		return;
	if (scb->cpuid != cpuid_of(SIM_CORE_M0) && scb->cpuid != cpuid_of(SIM_CORE_M0PLUS))
		scb->aircr_prigroup = value & 0x700u;
	if (value & AIRCR_SYSRESETREQ)
		sim_env_request_reset(scb->env, SIM_RESET_SYSRESETREQ);
}

void sim_scb_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_scb *scb = ctx;
	if (offset >= SCS_NVIC_ISER && offset < SCS_NVIC_ISER + 0x40u) {
		scb->nvic_iser[(offset - SCS_NVIC_ISER) / 4] |= value & mask;
		return;
	}
	if (offset >= SCS_NVIC_ICER && offset < SCS_NVIC_ICER + 0x40u) {
		scb->nvic_iser[(offset - SCS_NVIC_ICER) / 4] &= ~(value & mask);
		return;
	}
	if (offset >= SCS_NVIC_ISPR && offset < SCS_NVIC_ISPR + 0x40u) {
		scb->nvic_ispr[(offset - SCS_NVIC_ISPR) / 4] |= value & mask;
		return;
	}
	if (offset >= SCS_NVIC_ICPR && offset < SCS_NVIC_ICPR + 0x40u) {
		scb->nvic_ispr[(offset - SCS_NVIC_ICPR) / 4] &= ~(value & mask);
		return;
	}
	if (offset >= SCS_NVIC_IPR && offset < SCS_NVIC_IPR + sizeof(scb->nvic_ipr)) {
		uint32_t *p = &scb->nvic_ipr[(offset - SCS_NVIC_IPR) / 4];
		*p = sim_merge(*p, value, mask) & prio_word_mask(scb);
		return;
	}
	switch (offset) {
	case SCS_ICSR: write_icsr(scb, value & mask); break;
	case SCS_STIR:
		if ((value & 0x1FFu) < 16u * 32u)
			scb->nvic_ispr[(value & 0x1FFu) / 32] |= 1u << (value & 31u);
		break;
	case SCS_CFSR: scb->cfsr &= ~(value & mask); break; /* write 1 to clear */
	case SCS_HFSR: scb->hfsr &= ~(value & mask); break;
	case SCS_VTOR:
		if (scb->has_vtor)
			scb->vtor = sim_merge(scb->vtor, value, mask) & ~0x7Fu;
		break;
	case SCS_AIRCR: write_aircr(scb, value, mask); break;
	case SCS_SCR: scb->scr = sim_merge(scb->scr, value, mask) & 0x16u; break;
	case SCS_CCR: scb->ccr = sim_merge(scb->ccr, value, mask); break;
	case SCS_SHPR1: case SCS_SHPR1 + 4: case SCS_SHPR1 + 8: {
		uint32_t *p = &scb->shpr[(offset - SCS_SHPR1) / 4];
		*p = sim_merge(*p, value, mask) & prio_word_mask(scb);
		break;
	}
	case SCS_SHCSR: {
		uint32_t writable = is_v6m(scb) ? SHCSR_SVCALLPENDED : SHCSR_ENABLES | SHCSR_SVCALLPENDED;
		scb->shcsr = sim_merge(scb->shcsr, value, mask) & writable;
		break;
	}
	default: break;
	}
}
