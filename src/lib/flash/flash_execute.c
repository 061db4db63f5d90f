/* The executor's entry point: checks a write or erase plan against the
 * target it is to run on, then carries it out. */
#include <string.h>

#include "flash/flash_internal.h"

static enum stm32_status check_plan(const struct stm32_target *t, const struct stm32_plan *plan,
				    struct stm32_error *err)
{
	if (plan->action != STM32_PLAN_WRITE && plan->action != STM32_PLAN_ERASE)
		return stm32_error_set(err, STM32_E_INVALID,
				       "only write and erase plans are executed; read and checksum "
				       "have their own calls");
	const struct stm32_device *connected = t->desc.device;
	if (!connected || !plan->device || strcmp(connected->name, plan->device->name) != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "the plan is for %s but the connected device is %s",
				       plan->device ? plan->device->name : "no device",
				       connected ? connected->name : "unknown");
	if (plan->block_count && !stm32_target_can(&t->desc, STM32_CAP_WRITE))
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the %s cannot write memory",
				       t->desc.name);
	if (plan->erase_kind != STM32_ERASE_KIND_NONE && !stm32_target_can(&t->desc, STM32_CAP_ERASE))
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the %s cannot erase flash",
				       t->desc.name);
	return STM32_OK;
}

enum stm32_status stm32_flash_execute(struct stm32_target *t, const struct stm32_plan *plan,
				      const struct stm32_flash_options *options,
				      struct stm32_flash_report *report, struct stm32_error *err)
{
	stm32_error_clear(err);
	if (report)
		memset(report, 0, sizeof(*report));
	struct stm32_flash_options defaults;
	options = flash_options_or_default(options, &defaults);
	enum stm32_status status = check_plan(t, plan, err);
	if (status != STM32_OK) {
		stm32_error_op(err, STM32_OP_PLAN);
		return status;
	}
	if (plan->action == STM32_PLAN_WRITE)
		return flash_execute_write(t, plan, options, report, err);
	return flash_run_erase(t, plan, options->retries, options->progress, options->progress_user,
			       err);
}
