/* The generated device table (see tools/gen_devices.c). */
#ifndef STM32BOOT_DEVICE_TABLE_H
#define STM32BOOT_DEVICE_TABLE_H
#include <stddef.h>
#include "stm32boot/device.h"
extern const struct stm32_device stm32_device_table[];
extern const size_t stm32_device_table_count;
#endif
