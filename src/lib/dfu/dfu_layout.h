/* The DfuSe memory-layout strings of the alternate settings (UM0424):
 * "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg". */
#ifndef STM32BOOT_DFU_LAYOUT_H
#define STM32BOOT_DFU_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"

#define DFU_LAYOUT_MAX_RUNS 16

struct dfu_layout {
	char name[64];      /* "Internal Flash" (trailing spaces dropped) */
	uint32_t start;     /* of the first range */
	struct stm32_sector_run runs[DFU_LAYOUT_MAX_RUNS];
	size_t run_count;
	uint32_t size;      /* bytes in all runs */
	bool contiguous;    /* one address range */
};

/* False when text is not a layout string. */
bool dfu_layout_parse(const char *text, struct dfu_layout *out);
/* The same runs as the device table's row (sizes merged across banks)? */
bool dfu_layout_matches(const struct dfu_layout *layout, const struct stm32_device *dev);

#endif
