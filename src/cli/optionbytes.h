/* stm32boot command line: option bytes by name (--option-bytes,
 * --set-option, --write-protect), the chip summary's option lines, and the
 * refusal of writes and erases into write-protected pages. */
#ifndef STM32BOOT_CLI_OPTIONBYTES_H
#define STM32BOOT_CLI_OPTIONBYTES_H

#include <stdbool.h>

#include "actions.h"
#include "stm32boot/plan.h"
#include "stm32boot/target.h"

/* Summary on connect: the fields that differ from factory, protected pages. */
void cli_describe_option_fields(const struct stm32_target *target);

bool cli_run_option_bytes(struct cli_context *ctx);
bool cli_run_set_option(struct cli_context *ctx);
bool cli_run_write_protect(struct cli_context *ctx);

/* False (with an error naming the pages and -u) when the plan erases or
 * writes a page the chip's option bytes write-protect. */
bool cli_refuse_write_protected(const struct cli_context *ctx, const struct stm32_plan *plan);

#endif
