/* The generated option-byte field table (tools/gen_optbytes.c). */
#ifndef STM32BOOT_OPTION_TABLE_H
#define STM32BOOT_OPTION_TABLE_H
#include <stddef.h>
#include "stm32boot/option_bytes.h"
extern const struct stm32_option_field *const stm32_option_field_table[];
extern const size_t stm32_option_field_table_count;
#endif
