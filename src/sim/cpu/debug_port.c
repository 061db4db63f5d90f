/* The debugger's view of the core (debug_port.h). Memory goes where a core
 * access would go (cpu.c's map), without Unicorn in between: RAM and flash
 * are the chip's buffers, the ID areas the chip's memory map, peripherals
 * and the PPB the peripheral bus. Flash stores go to the flash controller,
 * like a program's. */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/debug_port.h"
#include "cpu/memory_port.h"

#include "stm32boot/device.h"

#define PAGE 0x400u
#define PERIPH_BASE 0x40000000u
#define PERIPH_END 0x60000000u
#define PPB_BASE 0xE0000000u
#define PPB_END 0xE0100000u
#define XPSR_T (1u << 24)

static bool in_span(uint32_t address, unsigned size, uint32_t base, uint64_t length)
{
	return address >= base && (uint64_t)address - base + size <= length;
}

/* The pages cpu.c maps for the chip's ID areas (map_info_pages). */
static bool in_info_pages(const struct stm32_device *dev, uint32_t address, unsigned size)
{
	const struct { uint32_t start; uint64_t end; } r[4] = {
		{dev->sysmem_start, dev->sysmem_end},
		{dev->opt_start, (uint64_t)dev->opt_start + dev->opt_size},
		{dev->flash_size_reg, (uint64_t)dev->flash_size_reg + 2},
		{dev->uid_reg, (uint64_t)dev->uid_reg + 12},
	};
	for (size_t i = 0; i < 4; i++) {
		if (!r[i].start || r[i].end <= r[i].start)
			continue;
		uint32_t start = r[i].start & ~(PAGE - 1);
		uint64_t end = (r[i].end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
		if (in_span(address, size, start, end - start))
			return true;
	}
	return false;
}

static uint32_t load_le(const uint8_t *b, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *b, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static bool on_bus(uint32_t address, unsigned size)
{
	return in_span(address, size, PERIPH_BASE, PERIPH_END - PERIPH_BASE) ||
	       in_span(address, size, PPB_BASE, PPB_END - PPB_BASE);
}

/* The flash address behind address (itself, or through the alias at 0). */
static bool flash_address(const struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t *out)
{
	const struct sim_memory_view *m = &cpu->mem;
	if (cpu->alias == SIM_ALIAS_FLASH && in_span(address, size, 0, cpu->alias_size))
		address += m->flash_start;
	if (!in_span(address, size, m->flash_start, m->flash_size))
		return false;
	*out = address;
	return true;
}

bool sim_cpu_debug_is_flash(struct sim_cpu *cpu, uint32_t address)
{
	uint32_t unused;
	return flash_address(cpu, address, 1, &unused);
}

static bool valid_size(uint32_t address, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && address % size == 0;
}

bool sim_cpu_debug_read(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t *value)
{
	const struct sim_memory_view *m = &cpu->mem;
	const struct stm32_device *dev = sim_port_device(cpu->chip);
	uint32_t at;
	if (!valid_size(address, size))
		return false;
	if (flash_address(cpu, address, size, &at)) {
		*value = load_le(m->flash + (at - m->flash_start), size);
	} else if (in_span(address, size, m->ram_start, m->ram_size)) {
		*value = load_le(m->ram + (address - m->ram_start), size);
	} else if (cpu->alias == SIM_ALIAS_SYSMEM && in_span(address, size, 0, cpu->alias_size)) {
		uint8_t b[4];
		sim_port_read(cpu->chip, dev->sysmem_start + address, b, size);
		*value = load_le(b, size);
	} else if (in_info_pages(dev, address, size)) {
		uint8_t b[4];
		sim_port_read(cpu->chip, address, b, size);
		*value = load_le(b, size);
	} else if (on_bus(address, size)) {
		*value = sim_mmio_read(&cpu->soc.bus, address, size, cpu->resume_pc);
		cpu->soc.env.fault_request = NULL; /* a debug access stops no program */
		sim_cpu_after_access(cpu);
	} else {
		return false;
	}
	return true;
}

bool sim_cpu_debug_write(struct sim_cpu *cpu, uint32_t address, unsigned size, uint32_t value,
			 enum sim_reset_cause *reset)
{
	const struct sim_memory_view *m = &cpu->mem;
	const struct stm32_device *dev = sim_port_device(cpu->chip);
	struct sim_soc_env *env = &cpu->soc.env;
	uint32_t at;
	*reset = SIM_RESET_NONE;
	if (!valid_size(address, size))
		return false;
	if (flash_address(cpu, address, size, &at)) {
		sim_flashctl_memory_write(&cpu->soc.flash, at, size, value);
		sim_cpu_finish_slice(cpu); /* drops code translated from the old bytes */
	} else if (in_span(address, size, m->ram_start, m->ram_size)) {
		store_le(m->ram + (address - m->ram_start), size, value);
		sim_cpu_invalidate(cpu, address, size);
	} else if (dev->opt_size && in_span(address, size, dev->opt_start, dev->opt_size)) {
		sim_flashctl_option_write(&cpu->soc.flash, address, size, value);
	} else if (on_bus(address, size)) {
		sim_mmio_write(&cpu->soc.bus, address, size, value, cpu->resume_pc);
	} else {
		return false;
	}
	*reset = env->reset_request;
	env->reset_request = SIM_RESET_NONE;
	env->fault_request = NULL;
	sim_cpu_after_access(cpu);
	return true;
}

static int unicorn_reg(unsigned selector)
{
	if (selector <= 12)
		return UC_ARM_REG_R0 + (int)selector;
	switch (selector) {
	case SIM_DEBUG_REG_SP: return UC_ARM_REG_SP;
	case SIM_DEBUG_REG_LR: return UC_ARM_REG_LR;
	case SIM_DEBUG_REG_PC: return UC_ARM_REG_PC;
	case SIM_DEBUG_REG_XPSR: return UC_ARM_REG_XPSR;
	case SIM_DEBUG_REG_MSP: return UC_ARM_REG_MSP;
	case SIM_DEBUG_REG_PSP: return UC_ARM_REG_PSP;
	default: return -1;
	}
}

static uint32_t reg(struct sim_cpu *cpu, int which)
{
	uint32_t v = 0;
	uc_reg_read(cpu->uc, which, &v);
	return v;
}

bool sim_cpu_debug_get_reg(struct sim_cpu *cpu, unsigned selector, uint32_t *value)
{
	if (selector == SIM_DEBUG_REG_SPECIAL) {
		*value = (reg(cpu, UC_ARM_REG_CONTROL) & 0xFFu) << 24 |
			 (reg(cpu, UC_ARM_REG_FAULTMASK) & 0xFFu) << 16 |
			 (reg(cpu, UC_ARM_REG_BASEPRI) & 0xFFu) << 8 | (reg(cpu, UC_ARM_REG_PRIMASK) & 0xFFu);
		return true;
	}
	if (selector == SIM_DEBUG_REG_PC) {
		*value = cpu->resume_pc; /* where the core goes on; Unicorn's PC may be stale */
		return true;
	}
	int which = unicorn_reg(selector);
	if (which < 0)
		return false;
	*value = reg(cpu, which);
	return true;
}

bool sim_cpu_debug_set_reg(struct sim_cpu *cpu, unsigned selector, uint32_t value)
{
	if (selector == SIM_DEBUG_REG_SPECIAL) {
		uint32_t control = value >> 24 & 0xFFu, faultmask = value >> 16 & 0xFFu,
			 basepri = value >> 8 & 0xFFu, primask = value & 0xFFu;
		uc_reg_write(cpu->uc, UC_ARM_REG_CONTROL, &control);
		uc_reg_write(cpu->uc, UC_ARM_REG_FAULTMASK, &faultmask);
		uc_reg_write(cpu->uc, UC_ARM_REG_BASEPRI, &basepri);
		uc_reg_write(cpu->uc, UC_ARM_REG_PRIMASK, &primask);
		return true;
	}
	int which = unicorn_reg(selector);
	if (which < 0)
		return false;
	if (selector == SIM_DEBUG_REG_PC) {
		value &= ~1u;
		cpu->resume_pc = value;
	}
	uc_reg_write(cpu->uc, which, &value);
	return true;
}

bool sim_cpu_debug_load_reset_vector(struct sim_cpu *cpu)
{
	const struct sim_memory_view *m = &cpu->mem;
	sim_cpu_map_alias(cpu, SIM_ALIAS_FLASH);
	uint32_t sp = load_le(m->flash, 4) & ~3u, pc = load_le(m->flash + 4, 4);
	uint32_t zero = 0, lr = 0xFFFFFFFFu, xpsr = pc & 1u ? XPSR_T : 0;
	for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
		uc_reg_write(cpu->uc, r, &zero);
	uc_reg_write(cpu->uc, UC_ARM_REG_CONTROL, &zero);
	uc_reg_write(cpu->uc, UC_ARM_REG_MSP, &sp);
	uc_reg_write(cpu->uc, UC_ARM_REG_SP, &sp);
	uc_reg_write(cpu->uc, UC_ARM_REG_LR, &lr);
	uc_reg_write(cpu->uc, UC_ARM_REG_XPSR, &xpsr);
	cpu->resume_pc = pc & ~1u;
	uc_reg_write(cpu->uc, UC_ARM_REG_PC, &cpu->resume_pc);
	cpu->soc.scb.nest = 0;
	cpu->exc.action = SIM_EXC_NONE;
	cpu->started = false;
	return pc & 1u;
}

void sim_cpu_debug_resume(struct sim_cpu *cpu)
{
	cpu->started = true;
	cpu->stop_set = false;
}

void sim_cpu_debug_finish_flash_operation(struct sim_cpu *cpu)
{
	struct sim_soc_env *env = &cpu->soc.env;
	if (env->now_ps < cpu->soc.flash.busy_until_ps)
		env->now_ps = cpu->soc.flash.busy_until_ps;
	sim_cpu_after_access(cpu);
}
