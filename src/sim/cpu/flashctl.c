/* The flash controller seen by the program: one entry point per access,
 * dispatched to the family's model (flash_f1.c, flash_f4.c, flash_dword.c,
 * flash_pecr.c, flash_h7.c). */
#include <string.h>

#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

void sim_flashctl_reset(struct sim_flashctl *fc, struct sim_soc_env *env, struct sim_chip *chip,
			const struct sim_family_info *info)
{
	bool pempty = fc->pempty; /* the latch is the option loader's, not reset's */
	void (*changed)(void *, uint32_t, uint32_t) = fc->flash_changed;
	void *owner = fc->owner;
	uint32_t reg_options = fc->reg_options; /* the chip's, like its option bytes */
	bool reg_options_set = fc->reg_options_set;
	memset(fc, 0, sizeof(*fc));
	fc->reg_options = reg_options;
	fc->reg_options_set = reg_options_set;
	fc->env = env;
	fc->chip = chip;
	fc->kind = info->flash;
	fc->obl_launch = strcmp(info->family, "F1") != 0;
	fc->bker_bit = info->flash_bker_bit;
	fc->pempty_device = (sim_port_device(chip)->flags & STM32_DEV_PEMPTY) != 0;
	fc->pempty = pempty;
	fc->flash_changed = changed;
	fc->owner = owner;
	fc->locked = true;
	fc->optlocked = true;
	fc->bank[0].locked = fc->bank[1].locked = true; /* H7 banks, F1-XL bank 2 */
	fc->rdp_at_reset = sim_port_rdp_level(chip);
	if (fc->kind == SIM_FLASH_PECR)
		sim_flash_pecr_reset(fc, info->family);
	else if (fc->kind == SIM_FLASH_DWORD)
		sim_flash_dword_reset(fc, info->family);
	else if (fc->kind == SIM_FLASH_H7)
		sim_flash_h7_reset(fc, info->family);
}

void sim_flashctl_unlock(struct sim_flashctl *fc)
{
	if (!fc->locked_until_reset)
		fc->locked = false;
	if (fc->kind == SIM_FLASH_PECR && !fc->locked_until_reset)
		fc->prglocked = false;
	for (unsigned b = 0; b < 2; b++)
		if (!fc->bank[b].locked_until_reset)
			fc->bank[b].locked = false;
}

uint32_t sim_flashctl_read(void *ctx, uint32_t offset)
{
	struct sim_flashctl *fc = ctx;
	switch (fc->kind) {
	case SIM_FLASH_F1: return sim_flash_f1_read(fc, offset);
	case SIM_FLASH_DWORD: return sim_flash_dword_read(fc, offset);
	case SIM_FLASH_F4: return sim_flash_f4_read(fc, offset);
	case SIM_FLASH_PECR: return sim_flash_pecr_read(fc, offset);
	case SIM_FLASH_H7: return sim_flash_h7_read(fc, offset);
	case SIM_FLASH_NONE: break;
	}
	return 0;
}

void sim_flashctl_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_flashctl *fc = ctx;
	/* Registers of both controllers take whole words; a narrower store
	 * keeps the other lanes as the register holds them. */
	uint32_t old = sim_flashctl_read(fc, offset);
	value = sim_merge(old, value, mask);
	switch (fc->kind) {
	case SIM_FLASH_F1: sim_flash_f1_write(fc, offset, value); break;
	case SIM_FLASH_DWORD: sim_flash_dword_write(fc, offset, value); break;
	case SIM_FLASH_F4: sim_flash_f4_write(fc, offset, value); break;
	case SIM_FLASH_PECR: sim_flash_pecr_write(fc, offset, value); break;
	case SIM_FLASH_H7: sim_flash_h7_write(fc, offset, value); break;
	case SIM_FLASH_NONE: break;
	}
}

/* F0/F1/F3 (PM0075, RM0008: an access to the flash while it is being
 * written or erased stalls the bus), F2/F4/F7 (RM0090 §3.5: likewise) and
 * the 64-bit controller (RM0351, RM0444: likewise): the store waits, the
 * core with it, until the operation ends, then is taken. The RMs word it
 * for reads; this emulator stalls stores, which it sees, and not fetches or
 * loads, which Unicorn serves from the mapping. The H7/H5 write buffer and
 * the L0/L1 half page are not stalled. */
static void stall_while_busy(struct sim_flashctl *fc, uint32_t address)
{
	uint64_t until;
	switch (fc->kind) {
	case SIM_FLASH_F1: until = sim_flash_f1_busy_until(fc, address); break;
	case SIM_FLASH_F4:
	case SIM_FLASH_DWORD: until = fc->busy_until_ps; break;
	default: return;
	}
	if (until != UINT64_MAX && until > fc->env->now_ps) {
		fc->env->now_ps = until;
		fc->stalls++;
	}
}

void sim_flashctl_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	stall_while_busy(fc, address);
	switch (fc->kind) {
	case SIM_FLASH_F1: sim_flash_f1_memory_write(fc, address, size, value); break;
	case SIM_FLASH_DWORD: sim_flash_dword_memory_write(fc, address, size, value); break;
	case SIM_FLASH_F4: sim_flash_f4_memory_write(fc, address, size, value); break;
	case SIM_FLASH_PECR: sim_flash_pecr_memory_write(fc, address, size, value); break;
	case SIM_FLASH_H7: sim_flash_h7_memory_write(fc, address, size, value); break;
	case SIM_FLASH_NONE: break; /* no controller modelled: the store is lost */
	}
}

void sim_flashctl_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	/* The F1 (OPTPG) and PECR controllers program option bytes by stores;
	 * the others take them through their option registers, and a store
	 * there changes nothing. */
	if (fc->kind == SIM_FLASH_F1)
		sim_flash_f1_option_write(fc, address, size, value);
	else if (fc->kind == SIM_FLASH_PECR)
		sim_flash_pecr_option_write(fc, address, size, value);
	else
		fc->env->stats->unmodelled_accesses++;
}

bool sim_flashctl_irq(const struct sim_flashctl *fc)
{
	switch (fc->kind) {
	case SIM_FLASH_F1: return sim_flash_f1_irq(fc);
	case SIM_FLASH_DWORD: return sim_flash_dword_irq(fc);
	case SIM_FLASH_F4: return sim_flash_f4_irq(fc);
	case SIM_FLASH_PECR: return sim_flash_pecr_irq(fc);
	case SIM_FLASH_H7: return sim_flash_h7_irq(fc);
	case SIM_FLASH_NONE: break;
	}
	return false;
}

uint64_t sim_flashctl_deadline(const struct sim_flashctl *fc)
{
	const uint64_t ends[] = {fc->busy_until_ps, fc->bank[0].busy_until_ps, fc->bank[1].busy_until_ps};
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (ends[i] > fc->env->now_ps && ends[i] < first)
			first = ends[i];
	return first;
}

bool sim_flashctl_latch_visible(const struct sim_flashctl *fc)
{
	return fc->pempty_device || (fc->kind == SIM_FLASH_DWORD && sim_flash_dword_acr_empty(fc));
}
