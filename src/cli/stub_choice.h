/* Whether an action goes through the RAM stub: with neither --stub nor
 * --no-stub, where the chip has one and the plan's estimate through it,
 * loading included, beats the ROM's. --dry-run shows both and the choice. */
#ifndef CLI_STUB_CHOICE_H
#define CLI_STUB_CHOICE_H

#include <stdbool.h>
#include <stdint.h>

#include "actions.h"
#include "stm32boot/plan.h"

/* Plans the action again for the stub's descriptor. */
typedef enum stm32_status (*cli_stub_planner)(const struct stm32_target_desc *desc, void *user,
					      struct stm32_plan *plan);

struct cli_stub_choice {
	bool possible;        /* a stub for this chip, link and input */
	bool use;             /* load it now (never in a dry run) */
	uint64_t stub_ms, load_ms;
	char note[256];       /* for --dry-run: both estimates and the choice; "" if none */
};

/* rom_ms: the action's estimate over the ROM, planned already. */
void cli_stub_consider(const struct cli_context *ctx, uint64_t rom_ms, bool writes,
		       cli_stub_planner planner, void *user, struct cli_stub_choice *out);

#endif
