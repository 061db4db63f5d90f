/* Independent watchdog (RM0008 §19, RM0444 §24): KR keys 0xCCCC start,
 * 0xAAAA reload, 0x5555 unlock PR/RLR/WINR (any other key locks them
 * again); the 12-bit counter runs at LSI / (4 << PR) from 0xFFF after the
 * start and from RLR after each reload, and reaching 0 resets the chip.
 * PVU/RVU/WVU read 1 for 5 LSI periods after a write (the RM's "up to 5
 * RC cycles" to cross into the VDD domain). No window reset (WINR kept).
 * Hardware watchdog (WDG_SW = 0 in the option bytes): counting from reset,
 * the start key changes nothing; when the ROM bootloader hands over it has
 * been refreshing it with the largest prescaler (AN2606: "The IWDG
 * prescaler is configured to maximum value and is periodically refreshed").
 * While the ROM runs the core is halted and no emulated time passes,
 * which stands for those refreshes. */
#include <string.h>

#include "cpu/periph.h"

#define IWDG_KR   0x00u
#define IWDG_PR   0x04u
#define IWDG_RLR  0x08u
#define IWDG_SR   0x0Cu
#define IWDG_WINR 0x10u
#define KEY_START  0xCCCCu
#define KEY_RELOAD 0xAAAAu
#define KEY_ACCESS 0x5555u
#define SR_PVU (1u << 0)
#define SR_RVU (1u << 1)
#define SR_WVU (1u << 2)

void sim_iwdg_reset(struct sim_iwdg *iwdg, struct sim_soc_env *env, uint32_t lsi_hz)
{
	memset(iwdg, 0, sizeof(*iwdg));
	iwdg->env = env;
	iwdg->lsi_hz = lsi_hz;
	iwdg->rlr = 0xFFFu;
	iwdg->winr = 0xFFFu;
	iwdg->expiry_ps = UINT64_MAX;
}

#define PR_MAX 6u /* LSI / 256 */

static uint64_t period_ps(const struct sim_iwdg *iwdg)
{
	return sim_ps_of_cycles(4u << iwdg->pr, iwdg->lsi_hz);
}

static void reload(struct sim_iwdg *iwdg, uint32_t count)
{
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
	iwdg->pr = PR_MAX;
	reload(iwdg, iwdg->rlr);
}

uint64_t sim_iwdg_deadline(const struct sim_iwdg *iwdg)
{
	return iwdg->running ? iwdg->expiry_ps : UINT64_MAX;
}

uint64_t sim_iwdg_next_event(const struct sim_iwdg *iwdg, bool refreshed)
{
	uint64_t update = iwdg->update_until_ps > iwdg->env->now_ps ? iwdg->update_until_ps : UINT64_MAX;
	uint64_t expiry = refreshed ? UINT64_MAX : sim_iwdg_deadline(iwdg);
	return update < expiry ? update : expiry;
}

uint32_t sim_iwdg_read(void *ctx, uint32_t offset)
{
	struct sim_iwdg *iwdg = ctx;
	switch (offset) {
	case IWDG_PR: return iwdg->pr;
	case IWDG_RLR: return iwdg->rlr;
	case IWDG_SR: return iwdg->env->now_ps < iwdg->update_until_ps ? iwdg->update_bits : 0;
	case IWDG_WINR: return iwdg->winr;
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
		reload(iwdg, iwdg->rlr);
	}
}

static void mark_update(struct sim_iwdg *iwdg, uint32_t bit)
{
	iwdg->update_bits = (iwdg->env->now_ps < iwdg->update_until_ps ? iwdg->update_bits : 0) | bit;
	iwdg->update_until_ps = iwdg->env->now_ps + sim_ps_of_cycles(5, iwdg->lsi_hz);
}

void sim_iwdg_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_iwdg *iwdg = ctx;
	value &= mask;
	if (offset == IWDG_KR) {
		write_key(iwdg, value & 0xFFFFu);
		return;
	}
	if (!iwdg->access)
		return; /* write-protected */
	switch (offset) {
	case IWDG_PR: iwdg->pr = value & 7u; mark_update(iwdg, SR_PVU); break;
	case IWDG_RLR: iwdg->rlr = value & 0xFFFu; mark_update(iwdg, SR_RVU); break;
	case IWDG_WINR: iwdg->winr = value & 0xFFFu; mark_update(iwdg, SR_WVU); break;
	default: break;
	}
}
