/* System control block and NVIC, enough for polling programs (ARMv7-M and
 * ARMv6-M architecture manuals): CPUID, ICSR reads, VTOR, AIRCR with
 * VECTKEY (SYSRESETREQ resets the chip), SCR, CCR, SHPR, SHCSR, and the
 * NVIC enable/priority registers kept as plain storage. Exceptions are not
 * delivered (docs/sim.md). */
#include <string.h>

#include "cpu/periph.h"

#define SCS_NVIC_ISER  0x100u
#define SCS_NVIC_ICER  0x180u
#define SCS_NVIC_IPR   0x400u
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

void sim_scb_reset(struct sim_scb *scb, struct sim_soc_env *env, enum sim_cpu_core core)
{
	memset(scb, 0, sizeof(*scb));
	scb->env = env;
	scb->cpuid = cpuid_of(core);
	scb->has_vtor = core != SIM_CORE_M0;
	scb->ccr = core == SIM_CORE_M0 || core == SIM_CORE_M0PLUS ? 0x208u : 0x200u; /* STKALIGN */
}

uint32_t sim_scb_read(void *ctx, uint32_t offset)
{
	struct sim_scb *scb = ctx;
	if (offset >= SCS_NVIC_ISER && offset < SCS_NVIC_ISER + 0x40u)
		return scb->nvic_iser[(offset - SCS_NVIC_ISER) / 4];
	if (offset >= SCS_NVIC_ICER && offset < SCS_NVIC_ICER + 0x40u)
		return scb->nvic_iser[(offset - SCS_NVIC_ICER) / 4];
	if (offset >= SCS_NVIC_IPR && offset < SCS_NVIC_IPR + sizeof(scb->nvic_ipr))
		return scb->nvic_ipr[(offset - SCS_NVIC_IPR) / 4];
	switch (offset) {
	case SCS_CPUID: return scb->cpuid;
	case SCS_ICSR: return 0; /* thread mode, nothing pending */
	case SCS_VTOR: return scb->has_vtor ? scb->vtor : 0;
	case SCS_AIRCR: return (uint32_t)AIRCR_VECTKEYSTAT << 16 | scb->aircr_prigroup;
	case SCS_SCR: return scb->scr;
	case SCS_CCR: return scb->ccr;
	case SCS_SHPR1: case SCS_SHPR1 + 4: case SCS_SHPR1 + 8:
		return scb->shpr[(offset - SCS_SHPR1) / 4];
	case SCS_SHCSR: return scb->shcsr;
	}
	return 0; /* CFSR, HFSR, ... read as zero: no fault is ever recorded */
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
	if (offset >= SCS_NVIC_IPR && offset < SCS_NVIC_IPR + sizeof(scb->nvic_ipr)) {
		uint32_t *p = &scb->nvic_ipr[(offset - SCS_NVIC_IPR) / 4];
		*p = sim_merge(*p, value, mask);
		return;
	}
	switch (offset) {
	case SCS_VTOR:
		if (scb->has_vtor)
			scb->vtor = sim_merge(scb->vtor, value, mask) & ~0x7Fu;
		break;
	case SCS_AIRCR: write_aircr(scb, value, mask); break;
	case SCS_SCR: scb->scr = sim_merge(scb->scr, value, mask) & 0x16u; break;
	case SCS_CCR: scb->ccr = sim_merge(scb->ccr, value, mask); break;
	case SCS_SHPR1: case SCS_SHPR1 + 4: case SCS_SHPR1 + 8: {
		uint32_t *p = &scb->shpr[(offset - SCS_SHPR1) / 4];
		*p = sim_merge(*p, value, mask);
		break;
	}
	case SCS_SHCSR: scb->shcsr = sim_merge(scb->shcsr, value, mask); break;
	default: break;
	}
}
