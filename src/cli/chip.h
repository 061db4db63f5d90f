/* stm32boot command line: naming the connected chip. */
#ifndef STM32BOOT_CLI_CHIP_H
#define STM32BOOT_CLI_CHIP_H

#include <stddef.h>

#include "stm32boot/device.h"
#include "stm32boot/target.h"
#include "stm32boot/transport.h"

/* "128 KiB, 128 x 1 KiB pages" or "1 MiB: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB sectors". */
void cli_format_flash_layout(const struct stm32_device *dev, char *buf, size_t size);

/* Print what connecting learned: PID and name, bootloader, flash layout,
 * RAM, option bytes, readout protection, unique ID, link settings. */
void cli_describe_chip(const struct stm32_target *target, struct stm32_transport *t);

/* Erase units are "sectors" on parts with large or mixed units, else "pages". */
const char *cli_erase_unit_name(const struct stm32_device *dev);

#endif
