/* stm32boot command line: showing a flash plan (--dry-run, --verbose). */
#ifndef STM32BOOT_CLI_PLANVIEW_H
#define STM32BOOT_CLI_PLANVIEW_H

#include "stm32boot/plan.h"

void cli_show_plan(const struct stm32_plan *plan);
/* The same with one more line (may be NULL) before "Dry run: ...". */
void cli_show_plan_and(const struct stm32_plan *plan, const char *more);

#endif
