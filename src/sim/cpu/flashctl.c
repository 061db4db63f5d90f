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

void sim_flashctl_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
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
