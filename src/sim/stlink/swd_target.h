/* The chip as a debugger sees it over SWD: the DP, the MEM-AP onto the
 * core's memory map (cpu/debug_port.h), and the halting debug registers of
 * ARMv7-M C1 (DHCSR, DCRSR/DCRDR, DEMCR, DFSR) with the FPB and DWT ID
 * registers; NRST; readout protection's effect on debug access. The core
 * runs only when this model lets it: in one long burst when resumed (so a
 * flash loader ends before the host polls), then a short slice before each
 * probe command while it keeps running. */
#ifndef STM32SIM_STLINK_SWD_TARGET_H
#define STM32SIM_STLINK_SWD_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

#define SIM_DHCSR 0xE000EDF0u
#define SIM_DHCSR_C_DEBUGEN (1u << 0)
#define SIM_DHCSR_C_HALT (1u << 1)
#define SIM_DHCSR_C_MASKINTS (1u << 3)
#define SIM_DHCSR_S_REGRDY (1u << 16)
#define SIM_DHCSR_S_HALT (1u << 17)
#define SIM_DHCSR_S_LOCKUP (1u << 19)
#define SIM_DHCSR_S_RESET_ST (1u << 25)

struct sim_swd_counts {
	uint64_t halts, resumes, breakpoints, lockups, resets, nrst_pulses;
	uint64_t memory_faults; /* debug accesses answered with a bus error */
	uint64_t rdp_refusals;  /* flash reads refused by readout protection */
	/* realtime: the longest a catch-up with the USB clock took on the host,
	 * so how far the core fell behind the wall clock */
	uint64_t behind_wall_us_max;
};

struct sim_swd_target {
	struct sim_chip *chip;
	struct sim_cpu *cpu;
	uint32_t dp_idcode;
	uint32_t dhcsr_control; /* C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS as written */
	bool halted;            /* in debug state (S_HALT) */
	bool executing;         /* not halted, and the core has code to run */
	bool lockup;            /* the core stopped on a fault it cannot take */
	bool reset_sticky;      /* S_RESET_ST: a reset since DHCSR was last read */
	bool nrst_low;          /* NRST held low: the chip stays in reset */
	bool debug_disabled;    /* RDP level 2 when the last reset loaded the options */
	/* Readout protection raised while a debugger was attached (since
	 * power-on): from the next reset the core fetches nothing from flash
	 * (its first fetch there locks it up) until a power-on. */
	bool debugger_seen;     /* ENTER since power-on */
	int reset_level;        /* RDP at the last reset */
	bool flash_blocked;
	bool thumb;             /* xPSR.T: 0 only after a reset vector without bit 0 */
	bool realtime;          /* --speed realtime: the core and the flash run on the USB clock */
	uint64_t wall_us;       /* realtime: the USB model's clock at this command */
	bool clock_synced;      /* realtime: clock_offset_ns set */
	int64_t clock_offset_ns; /* emulated time minus the USB clock */
	uint32_t demcr, dfsr, dcrdr;
	uint32_t fp_control;
	struct sim_swd_counts counts;
};

void sim_swd_init(struct sim_swd_target *t, struct sim_chip *chip, struct sim_cpu *cpu);
/* Power-on: the chip starts its firmware (flash at 0), no debugger yet. */
void sim_swd_power_on(struct sim_swd_target *t);
/* Before each probe command: a running core executes a slice, and the
 * command's time passes; with the core halted and not realtime, a flash
 * operation under way ends at once. Realtime: the core runs (or, halted,
 * its flash operations go on) until emulated time has caught up with
 * wall_us, and a resume starts no burst. */
void sim_swd_tick(struct sim_swd_target *t);

/* Memory accesses through the AP (1, 2 or 4 bytes, aligned). False: a bus
 * error (the probe reports a fault). */
bool sim_swd_read(struct sim_swd_target *t, uint32_t address, unsigned size, uint32_t *value);
bool sim_swd_write(struct sim_swd_target *t, uint32_t address, unsigned size, uint32_t value);
/* Core registers by DCRSR.REGSEL selector. */
bool sim_swd_get_reg(struct sim_swd_target *t, unsigned selector, uint32_t *value);
bool sim_swd_set_reg(struct sim_swd_target *t, unsigned selector, uint32_t value);

/* The probe entered SWD: a debugger is attached (until power-on). */
void sim_swd_debugger_attached(struct sim_swd_target *t);
/* RDP level 2, in force since the last reset (the option-byte load): the
 * chip's debug port is disabled for good (no SWD transaction is
 * acknowledged, under reset too). */
bool sim_swd_debug_disabled(const struct sim_swd_target *t);
/* A system reset (the probe's RESETSYS, AIRCR.SYSRESETREQ). */
void sim_swd_system_reset(struct sim_swd_target *t, enum sim_reset_cause cause);
/* The NRST line: low holds the chip in reset, the rising edge resets it. */
void sim_swd_set_nrst(struct sim_swd_target *t, bool high);

#endif
