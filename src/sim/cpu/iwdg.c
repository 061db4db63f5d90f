/* Independent watchdog (RM0008 §19, RM0444 §24, RM0456 IWDG): KR keys
 * 0xCCCC start, 0xAAAA reload, 0x5555 unlock PR/RLR/WINR/EWCR (any other
 * key locks them again); the 12-bit counter runs at LSI / (4 << PR) from
 * 0xFFF after the start and from RLR after each reload, and reaching 0
 * resets the chip. PR: 3 bits (110 and 111 both /256); on the U5/H5
 * version 4 bits (0111 /512, 1xxx /1024). PVU/RVU/WVU/EWU read 1 for 5 LSI
 * periods after a write (the RMs' "up to 5 RC cycles" to cross into the
 * VDD domain).
 * Window (WINR, where the family has it: family.c): writing WINR reloads
 * the counter (RM0360's window configuration sequence), and a reload while
 * the counter is above WINR resets the chip, as a timeout does.
 * Early wakeup (U5/H5: EWCR.EWIT 11:0, EWIE 15, EWIC 14 write-only; SR.EWIF
 * 14): EWIF sets when the counter has come down to EWIT - 1 with EWIE
 * set, stays set (across reloads too) until EWIC, and raises the family's
 * IWDG line while EWIE is set.
 * Hardware watchdog (WDG_SW = 0 in the option bytes): counting from reset,
 * the start key changes nothing; when the ROM bootloader hands over it has
 * been refreshing it with the largest prescaler (AN2606: "The IWDG
 * prescaler is configured to maximum value and is periodically refreshed":
 * /256, PR 6; /1024, PR 8, on the 4-bit version).
 * While the ROM runs the core is halted and no emulated time passes,
 * which stands for those refreshes. */
#include <string.h>

#include "cpu/periph.h"

#define IWDG_KR   0x00u
#define IWDG_PR   0x04u
#define IWDG_RLR  0x08u
#define IWDG_SR   0x0Cu
#define IWDG_WINR 0x10u
#define IWDG_EWCR 0x14u
#define KEY_START  0xCCCCu
#define KEY_RELOAD 0xAAAAu
#define KEY_ACCESS 0x5555u
#define SR_PVU (1u << 0)
#define SR_RVU (1u << 1)
#define SR_WVU (1u << 2)
#define SR_EWU (1u << 3)
#define SR_EWIF (1u << 14)
#define EWCR_EWIC (1u << 14)
#define EWCR_EWIE (1u << 15)

void sim_iwdg_reset(struct sim_iwdg *iwdg, struct sim_soc_env *env, uint32_t lsi_hz,
		    struct sim_iwdg_features features)
{
	memset(iwdg, 0, sizeof(*iwdg));
	iwdg->env = env;
	iwdg->lsi_hz = lsi_hz;
	iwdg->features = features;
	iwdg->rlr = 0xFFFu;
	iwdg->winr = 0xFFFu;
	iwdg->expiry_ps = UINT64_MAX;
}

static bool early_wakeup(const struct sim_iwdg *iwdg) { return iwdg->features.ewi_irq >= 0; }

static uint64_t period_ps(const struct sim_iwdg *iwdg)
{
	unsigned pr = iwdg->pr;
	unsigned shift = early_wakeup(iwdg) ? (pr > 8 ? 8 : pr) : (pr > 6 ? 6 : pr);
	return sim_ps_of_cycles(4u << shift, iwdg->lsi_hz);
}

/* The counter now: RLR right after a reload, 0 in its last period. */
static uint32_t counter(const struct sim_iwdg *iwdg)
{
	uint64_t now = iwdg->env->now_ps, period = period_ps(iwdg);
	if (!iwdg->running || now >= iwdg->expiry_ps)
		return 0;
	return (uint32_t)((iwdg->expiry_ps - now + period - 1) / period - 1);
}

/* When the counter reaches EWIT - 1 (UINT64_MAX: never, or not armed). */
static uint64_t early_wakeup_ps(const struct sim_iwdg *iwdg)
{
	uint64_t lead = (uint64_t)iwdg->ewit * period_ps(iwdg);
	if (!iwdg->running || !(iwdg->ewcr & EWCR_EWIE) || iwdg->ewit == 0 || lead > iwdg->expiry_ps)
		return UINT64_MAX;
	return iwdg->expiry_ps - lead;
}

static bool ewif(const struct sim_iwdg *iwdg)
{
	uint64_t at = early_wakeup_ps(iwdg);
	return iwdg->ewif_latched ||
	       (at != UINT64_MAX && iwdg->env->now_ps >= at && iwdg->ew_acked_expiry != iwdg->expiry_ps);
}

static void reload(struct sim_iwdg *iwdg, uint32_t count)
{
	iwdg->ewif_latched = ewif(iwdg); /* a flag already up stays up */
	iwdg->expiry_ps = iwdg->env->now_ps + ((uint64_t)count + 1) * period_ps(iwdg);
}

void sim_iwdg_start_hardware(struct sim_iwdg *iwdg)
{
	iwdg->hardware = true;
	iwdg->running = true;
	reload(iwdg, 0xFFFu);
}

void sim_iwdg_rom_handoff(struct sim_iwdg *iwdg)
{
	if (!iwdg->hardware)
		return;
	iwdg->pr = early_wakeup(iwdg) ? 8u : 6u;
	reload(iwdg, iwdg->rlr);
}

uint64_t sim_iwdg_deadline(const struct sim_iwdg *iwdg)
{
	if (iwdg->window_reset)
		return iwdg->env->now_ps; /* a reload in the window's closed part */
	return iwdg->running ? iwdg->expiry_ps : UINT64_MAX;
}

uint64_t sim_iwdg_irq_deadline(const struct sim_iwdg *iwdg)
{
	uint64_t at = early_wakeup_ps(iwdg);
	return at > iwdg->env->now_ps && !iwdg->ewif_latched ? at : UINT64_MAX;
}

bool sim_iwdg_irq(const struct sim_iwdg *iwdg)
{
	return early_wakeup(iwdg) && (iwdg->ewcr & EWCR_EWIE) && ewif(iwdg);
}

uint64_t sim_iwdg_update_end(const struct sim_iwdg *iwdg)
{
	return iwdg->update_until_ps > iwdg->env->now_ps ? iwdg->update_until_ps : UINT64_MAX;
}

uint64_t sim_iwdg_next_event(const struct sim_iwdg *iwdg, bool refreshed)
{
	uint64_t update = sim_iwdg_update_end(iwdg);
	uint64_t expiry = refreshed ? UINT64_MAX : sim_iwdg_deadline(iwdg);
	uint64_t early = sim_iwdg_irq_deadline(iwdg); /* EWIF shows in SR */
	uint64_t first = update < expiry ? update : expiry;
	return early < first ? early : first;
}

uint32_t sim_iwdg_read(void *ctx, uint32_t offset)
{
	struct sim_iwdg *iwdg = ctx;
	switch (offset) {
	case IWDG_PR: return iwdg->pr;
	case IWDG_RLR: return iwdg->rlr;
	case IWDG_SR:
		return (iwdg->env->now_ps < iwdg->update_until_ps ? iwdg->update_bits : 0) |
		       (early_wakeup(iwdg) && ewif(iwdg) ? SR_EWIF : 0);
	case IWDG_WINR: return iwdg->features.window ? iwdg->winr : 0;
	case IWDG_EWCR: return early_wakeup(iwdg) ? (iwdg->ewcr & EWCR_EWIE) | iwdg->ewit : 0;
	}
	return 0; /* KR is write-only */
}

static void write_key(struct sim_iwdg *iwdg, uint32_t key)
{
	iwdg->access = key == KEY_ACCESS;
	if (key == KEY_START && !iwdg->running) {
		iwdg->running = true;
		reload(iwdg, 0xFFFu);
	} else if (key == KEY_RELOAD && iwdg->running) {
		iwdg->env->stats->iwdg_refreshes++;
		if (iwdg->features.window && counter(iwdg) > iwdg->winr) {
			iwdg->window_reset = true; /* refreshed too early */
			return;
		}
		reload(iwdg, iwdg->rlr);
	}
}

static void mark_update(struct sim_iwdg *iwdg, uint32_t bit)
{
	iwdg->update_bits = (iwdg->env->now_ps < iwdg->update_until_ps ? iwdg->update_bits : 0) | bit;
	iwdg->update_until_ps = iwdg->env->now_ps + sim_ps_of_cycles(5, iwdg->lsi_hz);
}

static void write_ewcr(struct sim_iwdg *iwdg, uint32_t value)
{
	if (!early_wakeup(iwdg))
		return;
	if (value & EWCR_EWIC) {
		iwdg->ewif_latched = false;
		if (iwdg->env->now_ps >= early_wakeup_ps(iwdg))
			iwdg->ew_acked_expiry = iwdg->expiry_ps; /* this countdown's event is seen */
	}
	if (!iwdg->access)
		return; /* EWIT and EWIE are write-protected, EWIC is not */
	iwdg->ewcr = value & EWCR_EWIE;
	iwdg->ewit = value & 0xFFFu;
	mark_update(iwdg, SR_EWU);
}

void sim_iwdg_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_iwdg *iwdg = ctx;
	value &= mask;
	if (offset == IWDG_KR) {
		write_key(iwdg, value & 0xFFFFu);
		return;
	}
	if (offset == IWDG_EWCR) {
		write_ewcr(iwdg, value);
		return;
	}
	if (!iwdg->access)
		return; /* write-protected */
	switch (offset) {
	case IWDG_PR:
		iwdg->pr = value & (early_wakeup(iwdg) ? 0xFu : 7u);
		mark_update(iwdg, SR_PVU);
		break;
	case IWDG_RLR: iwdg->rlr = value & 0xFFFu; mark_update(iwdg, SR_RVU); break;
	case IWDG_WINR:
		if (!iwdg->features.window)
			break;
		iwdg->winr = value & 0xFFFu;
		mark_update(iwdg, SR_WVU);
		if (iwdg->running)
			reload(iwdg, iwdg->rlr); /* writing WINR refreshes the counter */
		break;
	default: break;
	}
}
