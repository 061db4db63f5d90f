/* stm32boot command line: what an action did, in words. */
#ifndef STM32BOOT_CLI_OUTCOME_H
#define STM32BOOT_CLI_OUTCOME_H

#include <stdint.h>
#include <time.h>

#include "stm32boot/flash.h"
#include "stm32boot/plan.h"

/* "<done_what> N bytes in S s (rate)". */
void cli_print_done(const char *done_what, uint64_t bytes, const struct timespec *started);
/* A write's summary: units left unchanged or found blank, bytes kept, then
 * cli_print_done's line. */
void cli_print_write_done(const struct stm32_plan *plan, const struct stm32_flash_report *report,
			  const struct timespec *started, const struct stm32_device *dev);
/* How a read was checked, when it was. */
void cli_print_read_check(const struct stm32_read_check_report *report);

#endif
