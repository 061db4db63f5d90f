/* The register-level peripheral models: their state and entry points. Each
 * model lives in its own file (scb.c, systick.c, dbgmcu.c, iwdg.c, crc.c,
 * rcc.c, rcc_h7.c, usart.c, flash_f1.c, flash_f4.c, flash_dword.c, flash_pecr.c,
 * flash_h7.c) and is attached to the bus by soc.c. Models talk to the rest of the system only through sim_soc_env
 * and, for flash, through memory_port.h. */
#ifndef STM32SIM_CPU_PERIPH_H
#define STM32SIM_CPU_PERIPH_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/family.h"
#include "cpu/soc_env.h"

struct sim_chip;

#define SIM_SCB_NEST 8u

/* SCB and NVIC (0xE000E000 .. 0xE000EFFF minus SysTick). */
struct sim_scb {
	struct sim_soc_env *env;
	uint32_t cpuid;
	bool has_vtor; /* ARMv6-M Cortex-M0 has none; M0+ on STM32 has one */
	uint32_t vtor, scr, ccr, shcsr, aircr_prigroup;
	uint32_t shpr[3];
	uint32_t nvic_iser[16], nvic_ispr[16], nvic_ipr[124];
	uint8_t prio_mask;     /* implemented priority bits: 0xC0 on M0/M0+, 0xF0 else */
	bool pendsv, pendst;   /* ICSR PENDSVSET / PENDSTSET */
	bool pendnmi;          /* ICSR NMIPENDSET */
	uint32_t hfsr, cfsr, bfar;
	/* Active exceptions, innermost last (exception.c keeps them). */
	uint16_t active[SIM_SCB_NEST];
	unsigned nest;
	uint16_t vectpending; /* what ICSR reports, kept by exception.c */
};
void sim_scb_reset(struct sim_scb *scb, struct sim_soc_env *env, enum sim_cpu_core core);
uint32_t sim_scb_read(void *ctx, uint32_t offset);
void sim_scb_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);

/* SysTick (0xE000E010): counts emulated time, COUNTFLAG; with TICKINT a
 * count to 0 makes the exception pending (pend). */
struct sim_systick {
	struct sim_soc_env *env;
	uint32_t ctrl, load, val;
	uint64_t epoch_ps; /* time at which val was exact */
	bool pend;         /* the SysTick exception became pending */
};
/* Bring the counter to the present (sets pend on a count to 0). */
void sim_systick_catch_up(struct sim_systick *st);
/* Emulated time of the next count to 0 that pends the exception;
 * UINT64_MAX when TICKINT or ENABLE is clear. */
uint64_t sim_systick_deadline(const struct sim_systick *st);
/* The next count to 0 (COUNTFLAG, and the exception with TICKINT) while
 * enabled; UINT64_MAX when it is not. */
uint64_t sim_systick_next_event(const struct sim_systick *st);
void sim_systick_reset(struct sim_systick *st, struct sim_soc_env *env);
uint32_t sim_systick_read(void *ctx, uint32_t offset);
void sim_systick_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);

/* DBGMCU: IDCODE (DEV_ID = the device's PID) and CR. */
struct sim_dbgmcu {
	uint32_t idcode, cr, apb1fz, apb2fz;
};
void sim_dbgmcu_reset(struct sim_dbgmcu *dbg, uint16_t pid);
uint32_t sim_dbgmcu_read(void *ctx, uint32_t offset);
void sim_dbgmcu_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);

/* IWDG: keys, prescaler/reload/window behind 0x5555, countdown in
 * emulated time, the early-wakeup interrupt where the family has it. */
struct sim_iwdg {
	struct sim_soc_env *env;
	uint32_t lsi_hz;
	struct sim_iwdg_features features;
	bool running, access;
	bool hardware;        /* WDG_SW = 0: started by the reset itself */
	uint32_t pr, rlr, winr;
	uint32_t ewcr, ewit;  /* EWIE; EWIT */
	uint64_t expiry_ps;   /* valid while running */
	uint64_t update_until_ps; /* PVU/RVU/WVU/EWU busy until then */
	uint32_t update_bits;
	bool ewif_latched;         /* EWIF set before the last reload */
	uint64_t ew_acked_expiry;  /* EWIC written for the countdown ending then */
	bool window_reset;         /* reloaded above WINR: the chip resets */
};
void sim_iwdg_reset(struct sim_iwdg *iwdg, struct sim_soc_env *env, uint32_t lsi_hz,
		    struct sim_iwdg_features features);
uint32_t sim_iwdg_read(void *ctx, uint32_t offset);
void sim_iwdg_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);
/* The hardware watchdog: running from reset (call after sim_iwdg_reset). */
void sim_iwdg_start_hardware(struct sim_iwdg *iwdg);
/* What the ROM leaves at Go: a hardware watchdog just refreshed, PR at its largest divider. */
void sim_iwdg_rom_handoff(struct sim_iwdg *iwdg);
/* When the watchdog resets the chip (now after a reload in the window's
 * closed part), UINT64_MAX when it is not running. */
uint64_t sim_iwdg_deadline(const struct sim_iwdg *iwdg);
/* The early-wakeup interrupt line (EWIE with EWIF), and when EWIF sets. */
bool sim_iwdg_irq(const struct sim_iwdg *iwdg);
uint64_t sim_iwdg_irq_deadline(const struct sim_iwdg *iwdg);
/* The next change of what the IWDG shows: SR's update bits clearing, and
 * the reset unless the caller keeps refreshing it. */
uint64_t sim_iwdg_next_event(const struct sim_iwdg *iwdg, bool refreshed);
/* When SR's update bits clear (the watchdog's own work, not its timing),
 * UINT64_MAX when none is under way. */
uint64_t sim_iwdg_update_end(const struct sim_iwdg *iwdg);

/* CRC unit. */
struct sim_crc {
	enum sim_crc_layout layout;
	uint32_t crc, idr, cr, init, pol;
};
void sim_crc_reset(struct sim_crc *crc, enum sim_crc_layout layout);
uint32_t sim_crc_read(void *ctx, uint32_t offset);
void sim_crc_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);

/* RCC: oscillators are ready as soon as they are switched on (no HSE
 * crystal: HSE never becomes ready), the switch follows SW at once; on
 * H7/H5/U5 PLL1 takes its lock time. */
#define SIM_RCC_PLLS 3u  /* H7/H5/U5 PLL1..PLL3 */
#define SIM_RCC_WORDS 256u /* the whole 1 KiB window: no register aliases another */
struct sim_rcc {
	struct sim_soc_env *env;
	enum sim_rcc_layout layout;
	bool single_apb; /* F0: one APB prescaler */
	bool no_msi;     /* G4: HSI16 at reset */
	bool pllr_wb;    /* WB/WL: PLLR at 31:29 divides by R + 1, PLLREN bit 28 */
	bool pllm_wide;  /* G4/L5: PLLM is 7:4 (RM0440, RM0438), L4 6:4 (RM0351) */
	bool f7_dckcfgr2; /* F7: the USART kernel clocks in DCKCFGR2 (RM0385) */
	uint64_t pll_lock_ps[SIM_RCC_PLLS]; /* H7/H5/U5: PLLk locks then; UINT64_MAX while off */
	uint32_t rom_sysclk_hz; /* the device's ROM clock when it is not the family's (soc.c) */
	bool pll_stuck;         /* --faults pll-stuck=1: PLLRDY never follows PLLON (F1-L1 layouts) */
	uint32_t regs[SIM_RCC_WORDS];
};
void sim_rcc_power_on(struct sim_rcc *rcc, struct sim_soc_env *env, const struct sim_family_info *info);
/* System reset: registers to reset values, reset flags kept and cause added. */
void sim_rcc_reset(struct sim_rcc *rcc, enum sim_reset_cause cause);
/* The ROM's clock tree: the PLL from HSI at sysclk_hz (the device's own
 * rom_sysclk_hz instead when soc.c gave one). */
void sim_rcc_rom_handoff(struct sim_rcc *rcc, uint32_t sysclk_hz);
uint32_t sim_rcc_read(void *ctx, uint32_t offset);
void sim_rcc_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);
/* Bring ready flags and the clock switch to the present (a PLL locked). */
void sim_rcc_catch_up(struct sim_rcc *rcc);
/* When a PLL being started locks, UINT64_MAX when none is. */
uint64_t sim_rcc_deadline(const struct sim_rcc *rcc);
/* The H7/H5/U5 layouts (rcc_h7.c), used by rcc.c. */
bool sim_rcc_is_modern(const struct sim_rcc *rcc);
void sim_rcc_modern_load_reset(struct sim_rcc *rcc);
void sim_rcc_modern_power_on_flags(struct sim_rcc *rcc);
void sim_rcc_modern_reset_flag(struct sim_rcc *rcc, enum sim_reset_cause cause);
void sim_rcc_modern_settle(struct sim_rcc *rcc);
void sim_rcc_modern_rom_handoff(struct sim_rcc *rcc, uint32_t sysclk_hz);
uint32_t sim_rcc_modern_read(struct sim_rcc *rcc, uint32_t offset);
void sim_rcc_modern_write(struct sim_rcc *rcc, uint32_t offset, uint32_t value, uint32_t mask);

/* USART, either register layout. */
#define SIM_USART_FIFO 8u /* the FIFO depth of the USARTs that have one (RM0433) */
struct sim_usart_instance; /* usart_map.h */
struct sim_usart {
	struct sim_soc_env *env;
	enum sim_usart_layout layout;
	unsigned index; /* 1 = USART1 */
	bool kernel_mux; /* the part has the RCC's kernel-clock field for it */
	bool fifo;       /* PRESC and the FIFOs (CR1.FIFOEN) exist on this USART */
	uint32_t cr1, cr2, cr3, brr, gtpr, presc;
	/* TX: when each of the last bytes written enters the shift register
	 * (a ring), when the last frame ends, TC cleared since, and a byte
	 * held for want of a kernel clock. */
	uint64_t tx_start_ps[SIM_USART_FIFO];
	unsigned tx_next;
	uint64_t tx_end_ps;
	bool tc_cleared;
	bool tx_unclocked;
	uint8_t tx_held;
	/* RX: RDR, or the RX FIFO in FIFO mode. */
	uint8_t rx[SIM_USART_FIFO];
	unsigned rx_head, rx_count;
	bool ore;
	bool fe, pe; /* the last byte received came with a framing / parity error */
};
void sim_usart_reset(struct sim_usart *u, struct sim_soc_env *env, enum sim_usart_layout layout,
		     const struct sim_usart_instance *instance);
uint32_t sim_usart_read(void *ctx, uint32_t offset);
void sim_usart_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);
void sim_usart_receive(struct sim_usart *u, uint8_t byte);
/* A byte the host sent at host_baud (0: unknown, taken as the USART's own),
 * as the USART's receiver samples it at the rate its BRR gives: garbled
 * beyond about 5 %, with FE and PE as the frame's stop and parity bits
 * were sampled. */
void sim_usart_receive_at(struct sim_usart *u, uint8_t byte, uint32_t host_baud);
/* The clock the USART's BRR divides: the RCC's selection where the part
 * has the mux, else its bus clock (USART1 PCLK2, USART2/3 PCLK1). */
uint32_t sim_usart_kernel_hz(const struct sim_usart *u);
/* The baud BRR gives at the kernel clock; 0 when BRR is too small. */
uint32_t sim_usart_baud(const struct sim_usart *u, uint32_t kernel_hz);
/* Program 8E1 at baud, TX and RX enabled: what the ROM leaves. */
void sim_usart_rom_handoff(struct sim_usart *u, uint32_t kernel_hz, uint32_t baud);
/* The USART's interrupt request line (RXNE/ORE, TXE, TC, TXFE, RXFF with
 * their enables). */
bool sim_usart_irq(const struct sim_usart *u);
/* When TXE or TC next change by themselves (UINT64_MAX: nothing on its
 * way): a polling program sees nothing new before then (received bytes
 * come from the caller between slices). */
uint64_t sim_usart_next_change(const struct sim_usart *u);
/* The same while their interrupt is enabled (the line may rise then). */
uint64_t sim_usart_deadline(const struct sim_usart *u);

#define SIM_FLASH_OPT_REGS 8u
#define SIM_FLASH_LATCH_BYTES 128u /* the largest write buffer: L1's half page */

/* A bank's own registers: H7 (control, status, key sequence and write
 * buffer: flash_h7.c) and the F1 XL-density bank 2 (flash_f1.c, with AR). */
struct sim_flash_bank {
	uint32_t cr, sr, ar, key_step;
	bool locked, locked_until_reset;
	uint64_t busy_until_ps;
	uint32_t buf_address; /* the flash word the buffer collects */
	uint32_t buf_filled;  /* one bit per byte of it written */
	uint8_t buf[32];
};

struct sim_dword_variant; /* flash_dword.c: what differs between G0, L4/G4, WB, WL */

/* Flash controllers. One struct for every kind: the fields a kind does not
 * use stay 0. */
struct sim_flashctl {
	struct sim_soc_env *env;
	struct sim_chip *chip;
	enum sim_flash_kind kind;
	bool obl_launch; /* F0/F3 CR bit 13 */
	bool pempty_device;
	/* The empty-check latch: FLASH_SR.PEMPTY on pempty devices, FLASH_ACR.EMPTY
	 * on G0/WB/WL; kept across resets (the option loader's). */
	bool pempty;
	uint32_t acr; /* the 64-bit controller's ACR but EMPTY */
	unsigned bker_bit;
	uint32_t key_step, optkey_step; /* 0: locked, 1: first key seen */
	bool locked_until_reset;
	bool locked, optlocked;
	uint32_t cr, sr, ar;
	uint64_t busy_until_ps;
	bool dword_half;  /* F4 x64: first word of a double word latched */
	uint32_t dword_address, dword_low;
	bool optlocked_until_reset; /* F4: a wrong option key */
	int rdp_at_reset; /* the level the option loader read at the last reset */
	/* Option registers the program wrote, not yet loaded from the option
	 * bytes (F4: OPTCR, OPTCR1; DWORD: 0x20 + 4k); bit k of opt_written
	 * says opt_regs[k] holds the program's value, else the register reads
	 * what the option bytes hold. */
	uint32_t opt_regs[SIM_FLASH_OPT_REGS];
	uint32_t opt_written;
	/* PECR (L0/L1): PRGLOCK, its key sequence, and the half page being
	 * collected (the 64-bit controller collects its unit there too). */
	bool prglocked;
	uint32_t prgkey_step;
	unsigned half_page;   /* bytes: L0 64, L1 128 */
	bool notzero_check;   /* L0: NOTZEROERR for a store over a programmed word */
	uint32_t latch_address, latch_count;
	uint8_t latch[SIM_FLASH_LATCH_BYTES];
	/* H7 (flash_h7.c): the two banks; the option registers use opt_regs. */
	struct sim_flash_bank bank[2];
	uint32_t reg_options; /* H7 OPTSR, L5/U5 OPTR of rows without an option area */
	bool reg_options_set;
	const struct sim_dword_variant *dword;
	/* Readout protection on the flash: level 1 at the last reset and the
	 * code not booted from flash (or a debugger attached); programming and
	 * erasing are refused as the family's RM says (the core makes reads
	 * fault). */
	bool rdp_blocked;
	unsigned stalls; /* stores that waited for the end of an operation */
	/* Called after the controller changed flash contents. */
	void (*flash_changed)(void *owner, uint32_t address, uint32_t length);
	void *owner;
};
void sim_flashctl_reset(struct sim_flashctl *fc, struct sim_soc_env *env, struct sim_chip *chip,
			const struct sim_family_info *info);
void sim_flashctl_unlock(struct sim_flashctl *fc); /* the ROM's state after programming */
uint32_t sim_flashctl_read(void *ctx, uint32_t offset);
void sim_flashctl_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask);
/* A store by the program into flash (address in the flash area). */
void sim_flashctl_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);

/* The flash interrupt request: an operation ended (EOP) or failed with its
 * enable set (EOPIE, ERRIE...), as the family's RM says; never while busy. */
bool sim_flashctl_irq(const struct sim_flashctl *fc);
/* The empty-check latch is a register bit (PEMPTY, ACR.EMPTY) here. */
bool sim_flashctl_latch_visible(const struct sim_flashctl *fc);
bool sim_flash_dword_acr_empty(const struct sim_flashctl *fc);
/* When the operation under way ends, UINT64_MAX when none is. */
uint64_t sim_flashctl_deadline(const struct sim_flashctl *fc);

/* A store by the program into the option-byte area (F1 OPTPG). */
void sim_flashctl_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);

/* Family-specific halves, used by the generic entry points above. */
bool sim_flash_f1_irq(const struct sim_flashctl *fc);
bool sim_flash_f4_irq(const struct sim_flashctl *fc);
bool sim_flash_dword_irq(const struct sim_flashctl *fc);
bool sim_flash_pecr_irq(const struct sim_flashctl *fc);
bool sim_flash_h7_irq(const struct sim_flashctl *fc);
uint64_t sim_flash_f1_busy_until(const struct sim_flashctl *fc, uint32_t address);
uint32_t sim_flash_f1_read(struct sim_flashctl *fc, uint32_t offset);
void sim_flash_f1_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value);
void sim_flash_f1_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
void sim_flash_f1_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
uint32_t sim_flash_f4_read(struct sim_flashctl *fc, uint32_t offset);
void sim_flash_f4_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value);
void sim_flash_f4_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
uint32_t sim_flash_dword_read(struct sim_flashctl *fc, uint32_t offset);
void sim_flash_dword_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value);
void sim_flash_dword_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size,
				  uint32_t value);
void sim_flash_dword_reset(struct sim_flashctl *fc, const char *family);
void sim_flash_pecr_reset(struct sim_flashctl *fc, const char *family);
uint32_t sim_flash_pecr_read(struct sim_flashctl *fc, uint32_t offset);
void sim_flash_pecr_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value);
void sim_flash_pecr_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
void sim_flash_pecr_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
uint32_t sim_flash_h7_read(struct sim_flashctl *fc, uint32_t offset);
void sim_flash_h7_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value);
void sim_flash_h7_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value);
void sim_flash_h7_reset(struct sim_flashctl *fc, const char *family);

/* Shared register helper: keep the bits outside mask. */
static inline uint32_t sim_merge(uint32_t old, uint32_t value, uint32_t mask)
{
	return (old & ~mask) | (value & mask);
}

#endif
