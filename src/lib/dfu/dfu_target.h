/* Inside the DFU back end: opening the target (dfu_target.c) and choosing
 * the device-table row for the layout the device reports (dfu_device.c). */
#ifndef STM32BOOT_DFU_TARGET_H
#define STM32BOOT_DFU_TARGET_H

#include "dfu/dfu_layout.h"
#include "dfu/dfu_usb.h"
#include "stm32boot/dfu.h"

/* selector: as dfu_usb_open's; named: the row the port names (device=), or
 * NULL to find it by layout. */
enum stm32_status dfu_target_open(const char *selector, const struct stm32_device *named,
				  const struct stm32_dfu_options *opts, struct stm32_target **out,
				  struct stm32_error *err);

/* "dfu:1-1 serial 0123456789AB" for messages (the CLI keeps 64 characters). */
void dfu_target_describe(struct stm32_target *t, char *out, size_t size);

/* How the row was chosen (stm32_dfu_info tells the caller). */
struct dfu_choice {
	bool named;
	unsigned fit_count;
	char fitting[256];
};

/* Parses the alternate settings' layouts, finds the row (named, else the
 * first DFU row whose flash and option-byte addresses match) and fills
 * device with it, its flash layout replaced by the device's own (runs holds
 * it) after warning through opts when the two differ. */
enum stm32_status dfu_choose_device(const char *address,
				    const char names[][DFU_USB_NAME_MAX], unsigned count,
				    const struct stm32_device *named,
				    const struct stm32_dfu_options *opts,
				    struct dfu_layout *layouts, int *option_alt,
				    struct stm32_device *device, struct stm32_sector_run *runs,
				    struct dfu_choice *choice, struct stm32_error *err);

#endif
