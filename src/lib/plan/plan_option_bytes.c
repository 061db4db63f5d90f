/* Flash plans: the option-byte write's old values and its safety checks
 * (a write that would lock the chip for good is refused unless allowed). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"
#include "stm32boot/option_bytes.h"

const char *stm32_option_risk_name(enum stm32_option_risk risk)
{
	switch (risk) {
	case STM32_OPTION_SAFE:
		return "no lasting lock";
	case STM32_OPTION_RDP_LEVEL2:
		return "readout protection level 2 (the chip can never be read, written or "
		       "debugged again)";
	case STM32_OPTION_BOOT_LOCKED:
		return "BOOT0 pin ignored and boot forced to flash (the ROM bootloader can no "
		       "longer be entered)";
	}
	return "?";
}

enum stm32_option_risk stm32_option_bytes_risk(const struct stm32_device *device,
					       const uint8_t *old_bytes, const uint8_t *new_bytes,
					       uint32_t *address)
{
	const char *family = device->family ? device->family : "";
	int rdp = device->rdp_offset;
	/* F1 has no level 2: any byte but 0xA5 is level 1. Elsewhere 0xCC is 2. */
	if (rdp >= 0 && (uint32_t)rdp < device->opt_size && strcmp(family, "F1") != 0 &&
	    new_bytes[rdp] == 0xCC && old_bytes[rdp] != 0xCC) {
		if (address)
			*address = device->opt_start + (uint32_t)rdp;
		return STM32_OPTION_RDP_LEVEL2;
	}
	/* The field table says which bits select the boot (nBOOT_SEL, nSWBOOT0,
	 * BOOT_SEL) and which boots flash (nBOOT0): data/option_bytes.tsv. */
	if (stm32_option_bytes_boot_locked(device, new_bytes, device->opt_size) &&
	    !stm32_option_bytes_boot_locked(device, old_bytes, device->opt_size)) {
		if (address)
			*address = device->opt_start + 3;
		return STM32_OPTION_BOOT_LOCKED;
	}
	return STM32_OPTION_SAFE;
}

const struct stm32_plan_block *plan_option_block(const struct stm32_plan *plan)
{
	for (size_t i = 0; i < plan->block_count; i++)
		if (plan->blocks[i].region == STM32_REGION_OPTION)
			return &plan->blocks[i];
	return NULL;
}

enum stm32_status plan_check_option_bytes(struct stm32_plan *plan,
					    const struct stm32_plan_options *opts, uint8_t *old_copy,
					    struct stm32_error *err)
{
	const struct stm32_device *dev = plan->device;
	const struct stm32_plan_block *block = plan_option_block(plan);
	if (!block || !dev->opt_size)
		return STM32_OK;
	const uint8_t *old_bytes = opts->current_option_bytes ? opts->current_option_bytes
							      : dev->opt_factory;
	uint8_t *after = malloc(dev->opt_size);
	if (!after)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory checking option bytes");
	if (old_bytes)
		memcpy(after, old_bytes, dev->opt_size);
	else
		memset(after, 0xFF, dev->opt_size);
	uint32_t offset = block->address - dev->opt_start;
	memcpy(old_copy, after + offset, block->length);
	memcpy(after + offset, block->data, block->length);
	plan->option_old = old_copy;
	uint32_t address = dev->opt_start;
	plan->option_risk = old_bytes ? stm32_option_bytes_risk(dev, old_bytes, after, &address)
				      : STM32_OPTION_SAFE;
	plan->option_risk_address = address;
	free(after);
	if (plan->option_risk == STM32_OPTION_SAFE || opts->allow_permanent_lock)
		return STM32_OK;
	stm32_error_set(err, STM32_E_INVALID,
			"refusing the option-byte write: it would set %s (byte 0x%08" PRIX32
			"); this is permanent and needs explicit permission",
			stm32_option_risk_name(plan->option_risk), address);
	stm32_error_address(err, address);
	stm32_error_reason(err, STM32_REASON_PERMANENT_LOCK);
	return STM32_E_INVALID;
}

