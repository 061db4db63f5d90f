/* Exceptions delivered on the core: SysTick, SVC, the USART1 RX
 * interrupt, the flash EOP interrupt, WFI woken by an interrupt, NMI, faults taken by their own
 * handlers or escalated to HardFault, lockup, and what still stops the
 * core (an unusable vector). Programs are hand-assembled Thumb in RAM on an F103:
 * a vector table at the RAM start (VTOR points there), routines at fixed
 * offsets after it, literals in a pool after each routine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

/* Thumb-1 encodings used below (ARMv7-M A7.7). */
#define T_MOVS(rd, imm) (uint16_t)(0x2000u | (rd) << 8 | (imm))
#define T_ADDS(rd, imm) (uint16_t)(0x3000u | (rd) << 8 | (imm))
#define T_STR(rt, rn, w) (uint16_t)(0x6000u | (w) << 6 | (rn) << 3 | (rt)) /* [rn, #4w] */
#define T_LDR(rt, rn, w) (uint16_t)(0x6800u | (w) << 6 | (rn) << 3 | (rt))
#define T_LDR_SP(rt, w) (uint16_t)(0x9800u | (rt) << 8 | (w))
#define T_STR_SP(rt, w) (uint16_t)(0x9000u | (rt) << 8 | (w))
#define T_MOV(rd, rm) (uint16_t)(0x0000u | (rm) << 3 | (rd)) /* MOVS rd, rm */
#define T_SVC(n) (uint16_t)(0xDF00u | (n))
#define T_BX_LR 0x4770u
#define T_B_SELF 0xE7FEu
#define T_B_BACK2 0xE7FDu /* b to the instruction before: "wfi; b wfi" */
#define T_WFI 0xBF30u
#define T_CPSID_I 0xB672u

#define VTOR_ADDR 0xE000ED08u
#define SYSTICK 0xE000E010u
#define USART1 0x40013800u
#define NVIC_ISER1 0xE000E104u

#define MAIN 0x200u    /* routine offsets from the RAM start */
#define HANDLER 0x300u
#define DATA 0x400u    /* results the handlers leave */

struct rig {
	struct sim_chip chip;
	struct sim_cpu *cpu;
	uint32_t base; /* RAM start: vector table */
	char tx[64];
	size_t tx_len;
	unsigned log_lines;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct rig *r = user;
	(void)usart;
	(void)baud;
	if (r->tx_len + 1 < sizeof(r->tx))
		r->tx[r->tx_len++] = (char)byte;
}

static void on_log(void *user, const char *line)
{
	struct rig *r = user;
	(void)line;
	r->log_lines++;
}

static void rig_up_device(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	struct sim_cpu_callbacks cb = {.usart_tx = on_tx, .log = on_log, .user = r};
	char err[128];
	r->cpu = sim_cpu_new(&r->chip, &cb, err, sizeof(err));
	if (!r->cpu)
		fail_msg("%s", err);
	r->base = dev->ram_start;
}

static void rig_up(struct rig *r)
{
	rig_up_device(r, "stm32f103xb");
}

static void rig_down(struct rig *r)
{
	sim_cpu_free(r->cpu);
	sim_chip_free(&r->chip);
}

static uint8_t *at(struct rig *r, uint32_t offset)
{
	return r->chip.ram + (r->base - SIM_RAM_BASE) + offset;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A routine: code with "LDR rt, =literal" pseudo-instructions resolved
 * against a pool after the code. */
struct routine {
	uint16_t code[64];
	size_t n;
	uint32_t lit[16];
	size_t nlit;
	size_t lit_at[16]; /* code index of each LDR (literal) */
};

static void emit(struct routine *t, uint16_t insn)
{
	t->code[t->n++] = insn;
}

static void ldr_lit(struct routine *t, unsigned rt, uint32_t value)
{
	t->lit_at[t->nlit] = t->n;
	t->lit[t->nlit++] = value;
	emit(t, (uint16_t)(0x4800u | rt << 8)); /* imm8 filled in by place() */
}

/* Copy to RAM at offset; each literal LDR gets imm8 = (pool entry -
 * Align(PC + 4, 4)) / 4 (A7.7.43). */
static void place(struct rig *r, struct routine *t, uint32_t offset)
{
	uint32_t addr = r->base + offset;
	uint32_t pool = (addr + 2u * (uint32_t)t->n + 3u) & ~3u;
	for (size_t i = 0; i < t->nlit; i++) {
		uint32_t pc = addr + 2u * (uint32_t)t->lit_at[i];
		uint32_t imm = (pool + 4u * (uint32_t)i - ((pc + 4u) & ~3u)) / 4u;
		t->code[t->lit_at[i]] |= (uint16_t)imm;
		put32(at(r, pool - r->base + 4u * (uint32_t)i), t->lit[i]);
	}
	for (size_t i = 0; i < t->n; i++) {
		at(r, offset)[2 * i] = (uint8_t)t->code[i];
		at(r, offset)[2 * i + 1] = (uint8_t)(t->code[i] >> 8);
	}
}

/* The vector table: MSP, reset = MAIN, and vector num = HANDLER. */
static void vectors(struct rig *r, uint32_t msp, unsigned num, uint32_t handler_offset)
{
	put32(at(r, 0), msp);
	put32(at(r, 4), (r->base + MAIN) | 1u);
	if (num)
		put32(at(r, 4 * num), (r->base + handler_offset) | 1u);
}

/* main's prologue: VTOR = the RAM start (F1: system memory sits at 0). */
static void set_vtor(struct rig *r, struct routine *t)
{
	ldr_lit(t, 0, VTOR_ADDR);
	ldr_lit(t, 1, r->base);
	emit(t, T_STR(1, 0, 0));
}

/* handler: the word at DATA += 1, DATA + 4 = IPSR (MRS r2, IPSR). */
static void counting_handler(struct rig *r, struct routine *h)
{
	ldr_lit(h, 0, r->base + DATA);
	emit(h, T_LDR(1, 0, 0));
	emit(h, T_ADDS(1, 1));
	emit(h, T_STR(1, 0, 0));
	emit(h, 0xF3EFu); /* MRS r2, IPSR */
	emit(h, 0x8205u);
	emit(h, T_STR(2, 0, 1));
	emit(h, T_BX_LR);
}

static void go(struct rig *r)
{
	sim_cpu_memory_changed(r->cpu, r->base, 0x800);
	assert_true(sim_cpu_go(r->cpu, r->base, NULL));
}

/* SysTick: LOAD 999 at HCLK (8 MHz HSI after reset: one instruction per
 * cycle), so the handler runs once every 1000 instructions, in handler
 * mode (IPSR 15), and the program keeps running. */
static void systick_handler_counts_ticks(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 15, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	ldr_lit(&m, 0, SYSTICK);
	ldr_lit(&m, 1, 999);
	emit(&m, T_STR(1, 0, 1));  /* LOAD */
	emit(&m, T_MOVS(1, 0));
	emit(&m, T_STR(1, 0, 2));  /* VAL */
	emit(&m, T_MOVS(1, 7));    /* ENABLE | TICKINT | CLKSOURCE */
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	counting_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 100000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	uint32_t ticks = get32(at(&r, DATA));
	assert_true(ticks >= 99 && ticks <= 100);
	assert_int_equal(get32(at(&r, DATA + 4)), 15);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_SP), r.chip.dev->ram_end & ~7u);
	rig_down(&r);
}

/* WFI: the program sleeps; emulated time passing makes SysTick pending,
 * the next run takes it and the program is back in WFI. With PRIMASK set
 * the interrupt still ends the WFI but is not taken. */
static void wfi_wakes_on_systick(bool primask)
{
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 15, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	if (primask)
		emit(&m, T_CPSID_I);
	ldr_lit(&m, 0, SYSTICK);
	ldr_lit(&m, 1, 7999); /* 1 ms at 8 MHz */
	emit(&m, T_STR(1, 0, 1));
	emit(&m, T_MOVS(1, 7));
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_WFI);
	emit(&m, T_B_BACK2);
	place(&r, &m, MAIN);
	counting_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 100000);
	assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
	assert_int_equal(get32(at(&r, DATA)), 0);
	sim_cpu_idle(r.cpu, 1500000); /* 1.5 ms: one count to 0 */
	s = sim_cpu_run(r.cpu, 1000);
	if (primask) {
		/* Woken but masked: it cannot sleep while the interrupt pends. */
		assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
		assert_int_equal(get32(at(&r, DATA)), 0);
	} else {
		assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
		assert_int_equal(get32(at(&r, DATA)), 1);
	}
	rig_down(&r);
}

static void wfi_wakes_and_takes_systick(void **state)
{
	(void)state;
	wfi_wakes_on_systick(false);
}

static void wfi_wakes_with_primask_set(void **state)
{
	(void)state;
	wfi_wakes_on_systick(true);
}

/* SVC: the handler adds 10 to the stacked R0, which the return restores;
 * MSP 4 bytes off 8-byte alignment gets a padding word, recorded in bit 9
 * of the stacked xPSR and undone by the return. */
static void svc_handler_runs_and_returns(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	uint32_t msp = (r.chip.dev->ram_end & ~7u) - 4u;
	vectors(&r, msp, 11, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	emit(&m, T_MOVS(0, 5));
	emit(&m, T_SVC(3));
	emit(&m, T_MOV(4, 0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	emit(&h, T_LDR_SP(1, 0)); /* stacked R0 */
	emit(&h, T_ADDS(1, 10));
	emit(&h, T_STR_SP(1, 0));
	emit(&h, T_LDR_SP(2, 7)); /* stacked xPSR */
	ldr_lit(&h, 3, r.base + DATA);
	emit(&h, T_STR(2, 3, 0));
	emit(&h, T_BX_LR);
	place(&r, &h, HANDLER);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 1000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R4), 15);
	uint32_t xpsr = get32(at(&r, DATA));
	assert_true(xpsr & (1u << 9));  /* padded */
	assert_true(xpsr & (1u << 24)); /* Thumb */
	assert_int_equal(xpsr & 0x1FFu, 0); /* from thread mode */
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_SP), msp);
	rig_down(&r);
}

/* USART1 RXNE interrupt (F1: IRQ 37, vector 53): the handler reads DR and
 * sends the byte + 1; the program sleeps in WFI in between. */
static void usart_rx_interrupt_echoes(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 16 + 37, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	ldr_lit(&m, 0, USART1);
	ldr_lit(&m, 1, 0x202Cu); /* CR1: UE | RXNEIE | TE | RE */
	emit(&m, T_STR(1, 0, 3));
	ldr_lit(&m, 0, NVIC_ISER1);
	emit(&m, T_MOVS(1, 1u << 5)); /* 37 - 32 */
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_WFI);
	emit(&m, T_B_BACK2);
	place(&r, &m, MAIN);
	ldr_lit(&h, 0, USART1);
	emit(&h, T_LDR(1, 0, 1)); /* DR: clears RXNE */
	emit(&h, T_ADDS(1, 1));
	emit(&h, T_STR(1, 0, 1));
	emit(&h, T_BX_LR);
	place(&r, &h, HANDLER);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 10000).reason, SIM_CPU_STOP_IDLE);
	sim_cpu_usart_receive(r.cpu, 1, 'a');
	assert_int_equal(sim_cpu_run(r.cpu, 10000).reason, SIM_CPU_STOP_IDLE);
	sim_cpu_usart_receive(r.cpu, 1, 'x');
	assert_int_equal(sim_cpu_run(r.cpu, 10000).reason, SIM_CPU_STOP_IDLE);
	assert_int_equal(r.tx_len, 2);
	assert_memory_equal(r.tx, "by", 2);
	rig_down(&r);
}

/* The flash interrupt (F1: IRQ 4, vector 20; RM0008 FLASH_CR.EOPIE): the
 * program stores a half-word with PG and EOPIE set and spins; when the
 * programming time has passed the handler runs once, clears EOP (SR bit 5,
 * write 1) and counts. */
static void flash_eop_interrupt(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 16 + 4, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	ldr_lit(&m, 0, 0x40022004u); /* KEYR */
	ldr_lit(&m, 1, 0x45670123u);
	emit(&m, T_STR(1, 0, 0));
	ldr_lit(&m, 1, 0xCDEF89ABu);
	emit(&m, T_STR(1, 0, 0));
	ldr_lit(&m, 1, 1u | 1u << 12); /* CR (KEYR + 0xC): PG, EOPIE */
	emit(&m, T_STR(1, 0, 3));
	ldr_lit(&m, 0, 0xE000E100u); /* NVIC_ISER0 */
	emit(&m, T_MOVS(1, 1u << 4));
	emit(&m, T_STR(1, 0, 0));
	ldr_lit(&m, 0, 0x08000000u);
	ldr_lit(&m, 1, 0xBEEFu);
	emit(&m, (uint16_t)(0x8000u | 0u << 3 | 1u)); /* STRH r1, [r0] */
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	ldr_lit(&h, 0, 0x4002200Cu); /* SR */
	emit(&h, T_MOVS(1, 1u << 5));
	emit(&h, T_STR(1, 0, 0));
	counting_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 100000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA)), 1);
	assert_int_equal(get32(at(&r, DATA + 4)), 16 + 4);
	assert_int_equal(r.chip.flash[0], 0xEF);
	assert_int_equal(r.chip.flash[1], 0xBE);
	rig_down(&r);
}

/* A read where the F103 has nothing, in thread mode: the HardFault
 * handler counts it and loops; the core keeps running and the fault is
 * reported on the log line. With fault_in_handler the handler itself
 * reads there: that stops the core as before. */
static void fault_taken_by_hardfault(bool fault_in_handler)
{
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 3, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	ldr_lit(&m, 0, 0x60000000u);
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	ldr_lit(&h, 0, r.base + DATA);
	emit(&h, T_LDR(1, 0, 0));
	emit(&h, T_ADDS(1, 1));
	emit(&h, T_STR(1, 0, 0));
	if (fault_in_handler) {
		ldr_lit(&h, 2, 0x60000004u);
		emit(&h, T_LDR(1, 2, 0));
	}
	emit(&h, T_B_SELF);
	place(&r, &h, HANDLER);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 10000);
	assert_int_equal(get32(at(&r, DATA)), 1);
	if (fault_in_handler) {
		/* ARMv7-M B1.5.15: a fault in the HardFault handler is lockup. */
		assert_int_equal(s.reason, SIM_CPU_STOP_LOCKUP);
		assert_int_equal(s.address, 0x60000004u);
		assert_non_null(strstr(s.what, "lockup: read from unmapped memory in the HardFault handler"));
		assert_int_equal(sim_cpu_stats(r.cpu)->lockups, 1);
		assert_int_equal(sim_cpu_run(r.cpu, 100).reason, SIM_CPU_STOP_HALTED);
	} else {
		assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
		assert_int_equal(r.log_lines, 1);
		assert_int_equal(sim_cpu_run(r.cpu, 1000).reason, SIM_CPU_STOP_BUDGET);
		assert_int_equal(get32(at(&r, DATA)), 1);
	}
	rig_down(&r);
}

static void fault_in_thread_mode_is_handled(void **state)
{
	(void)state;
	fault_taken_by_hardfault(false);
}

static void fault_in_hardfault_handler_locks_up(void **state)
{
	(void)state;
	fault_taken_by_hardfault(true);
}

/* SVC whose vector is empty (0: no Thumb bit) stops the core, and the
 * stop says the vector was the problem. */
static void svc_without_vector_stops(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 0, 0);
	struct routine m = {0};
	set_vtor(&r, &m);
	emit(&m, T_SVC(0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 1000);
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_non_null(strstr(s.what, "vector unusable"));
	rig_down(&r);
}

#define HANDLER2 0x380u /* a second handler */
#define ICSR 0xE000ED04u
#define SHCSR 0xE000ED24u
#define CFSR 0xE000ED28u
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define SHCSR_MEMFAULTENA (1u << 16)
#define T_UDF 0xDE00u
#define T_CPSID_F 0xB671u
#define T_BX(rm) (uint16_t)(0x4700u | (rm) << 3)

/* A fault handler that records what it finds, then loops (the faulting
 * instruction would run again on return): DATA + 4 = IPSR, + 8 = CFSR,
 * + 12 = HFSR, + 16 = BFAR. */
static void recording_handler(struct rig *r, struct routine *h)
{
	ldr_lit(h, 0, r->base + DATA);
	emit(h, 0xF3EFu); /* MRS r2, IPSR */
	emit(h, 0x8205u);
	emit(h, T_STR(2, 0, 1));
	ldr_lit(h, 1, CFSR);
	emit(h, T_LDR(2, 1, 0));
	emit(h, T_STR(2, 0, 2));
	emit(h, T_LDR(2, 1, 1)); /* HFSR */
	emit(h, T_STR(2, 0, 3));
	emit(h, T_LDR(2, 1, 4)); /* BFAR */
	emit(h, T_STR(2, 0, 4));
	emit(h, T_B_SELF);
}

static void store_word(struct routine *m, uint32_t address, uint32_t value)
{
	ldr_lit(m, 0, address);
	ldr_lit(m, 1, value);
	emit(m, T_STR(1, 0, 0));
}

/* main: optional SHCSR enables, then a read where the F103 has nothing.
 * HANDLER is vector fault_vector, HANDLER2 the HardFault vector; both record. */
static struct sim_cpu_stop_info run_bus_fault(struct rig *r, uint32_t shcsr, unsigned fault_vector,
					      bool primask)
{
	vectors(r, r->chip.dev->ram_end & ~7u, fault_vector, HANDLER);
	put32(at(r, 4 * 3), (r->base + HANDLER2) | 1u);
	struct routine m = {0}, h = {0}, h2 = {0};
	set_vtor(r, &m);
	if (shcsr)
		store_word(&m, SHCSR, shcsr);
	if (primask)
		emit(&m, T_CPSID_I);
	ldr_lit(&m, 0, 0x60000000u);
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_B_SELF);
	place(r, &m, MAIN);
	recording_handler(r, &h);
	place(r, &h, HANDLER);
	recording_handler(r, &h2);
	place(r, &h2, HANDLER2);
	go(r);
	return sim_cpu_run(r->cpu, 2000);
}

/* ARMv7-M B1.5.6, B3.2.15: BUSFAULTENA sends a precise bus error to the
 * BusFault handler (exception 5) with PRECISERR, BFARVALID and BFAR;
 * HFSR stays clear. */
static void busfault_taken_by_its_handler_when_enabled(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	assert_int_equal(run_bus_fault(&r, SHCSR_BUSFAULTENA, 5, false).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 5);
	assert_int_equal(get32(at(&r, DATA + 8)), (1u << 9) | (1u << 15));
	assert_int_equal(get32(at(&r, DATA + 12)), 0);
	assert_int_equal(get32(at(&r, DATA + 16)), 0x60000000u);
	assert_int_equal(sim_cpu_stats(r.cpu)->fault_handlers, 1);
	assert_int_equal(sim_cpu_stats(r.cpu)->hardfaults, 0);
	rig_down(&r);
}

/* Without the enable the same fault escalates: HardFault, HFSR.FORCED. */
static void busfault_escalates_when_disabled(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	assert_int_equal(run_bus_fault(&r, 0, 5, false).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 3);
	assert_int_equal(get32(at(&r, DATA + 8)) & (1u << 9), 1u << 9);
	assert_int_equal(get32(at(&r, DATA + 12)), 1u << 30);
	assert_int_equal(sim_cpu_stats(r.cpu)->hardfaults, 1);
	rig_down(&r);
}

/* Enabled but masked (PRIMASK raises the execution priority to 0, the
 * BusFault's own priority): HardFault takes it. */
static void busfault_escalates_when_masked(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	assert_int_equal(run_bus_fault(&r, SHCSR_BUSFAULTENA, 5, true).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 3);
	assert_int_equal(get32(at(&r, DATA + 12)), 1u << 30);
	rig_down(&r);
}

static void usagefault_for_an_undefined_instruction(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 6, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	store_word(&m, SHCSR, SHCSR_USGFAULTENA);
	emit(&m, T_UDF);
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	recording_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 2000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 6);
	assert_int_equal(get32(at(&r, DATA + 8)), 1u << 16); /* UNDEFINSTR */
	rig_down(&r);
}

/* The default memory map makes the peripheral region execute-never: a
 * branch there is a MemManage fault, IACCVIOL (B3.1, B3.2.15). */
static void fetch_from_peripherals_is_memmanage(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 4, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	store_word(&m, SHCSR, SHCSR_MEMFAULTENA);
	ldr_lit(&m, 2, 0x40013801u); /* USART1, Thumb bit set */
	emit(&m, T_BX(2));
	place(&r, &m, MAIN);
	recording_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 2000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 4);
	assert_int_equal(get32(at(&r, DATA + 8)), 1u << 0); /* IACCVIOL */
	rig_down(&r);
}

/* ARMv6-M (a G0's Cortex-M0+): no fault enables in SHCSR, no CFSR; every
 * fault is a HardFault. */
static void armv6m_has_hardfault_only(void **state)
{
	(void)state;
	struct rig r;
	rig_up_device(&r, "stm32g071rb");
	struct routine m = {0}, h = {0};
	vectors(&r, r.chip.dev->ram_end & ~7u, 5, HANDLER);
	put32(at(&r, 4 * 3), (r.base + HANDLER2) | 1u);
	set_vtor(&r, &m);
	store_word(&m, SHCSR, 0x70000u);
	ldr_lit(&m, 0, SHCSR);
	emit(&m, T_LDR(1, 0, 0));
	ldr_lit(&m, 0, r.base + DATA);
	emit(&m, T_STR(1, 0, 6)); /* DATA + 24: SHCSR as read back */
	ldr_lit(&m, 0, 0x60000000u);
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	recording_handler(&r, &h);
	place(&r, &h, HANDLER);
	struct routine h2 = {0};
	recording_handler(&r, &h2);
	place(&r, &h2, HANDLER2);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 2000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 24)), 0);
	assert_int_equal(get32(at(&r, DATA + 4)), 3);
	assert_int_equal(get32(at(&r, DATA + 8)), 0);
	rig_down(&r);
}

/* ICSR.NMIPENDSET (B3.2.4): the NMI runs at once, PRIMASK or not, and
 * returns to the program. */
static void nmi_pended_through_icsr_beats_primask(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 2, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	emit(&m, T_CPSID_I);
	store_word(&m, ICSR, 1u << 31);
	ldr_lit(&m, 0, r.base + DATA);
	emit(&m, T_MOVS(1, 7));
	emit(&m, T_STR(1, 0, 5)); /* DATA + 20: the program went on */
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	counting_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 2000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA)), 1);
	assert_int_equal(get32(at(&r, DATA + 4)), 2);
	assert_int_equal(get32(at(&r, DATA + 20)), 7);
	assert_int_equal(sim_cpu_stats(r.cpu)->nmis, 1);
	rig_down(&r);
}

static void fault_in_nmi_handler_locks_up(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 2, HANDLER);
	put32(at(&r, 4 * 3), (r.base + HANDLER2) | 1u);
	struct routine m = {0}, h = {0}, h2 = {0};
	set_vtor(&r, &m);
	store_word(&m, ICSR, 1u << 31);
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	ldr_lit(&h, 0, 0x60000000u);
	emit(&h, T_LDR(1, 0, 0));
	emit(&h, T_B_SELF);
	place(&r, &h, HANDLER);
	recording_handler(&r, &h2);
	place(&r, &h2, HANDLER2);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 2000);
	assert_int_equal(s.reason, SIM_CPU_STOP_LOCKUP);
	assert_non_null(strstr(s.what, "in the NMI handler"));
	assert_int_equal(s.address, 0x60000000u);
	assert_int_equal(s.pc, r.base + HANDLER + 2);
	assert_int_equal(get32(at(&r, DATA + 4)), 0); /* HardFault never ran */
	rig_down(&r);
}

/* FAULTMASK (CPSID f) raises the execution priority to -1: a fault can
 * go nowhere. */
static void fault_with_faultmask_locks_up(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 3, HANDLER);
	struct routine m = {0}, h = {0};
	set_vtor(&r, &m);
	emit(&m, T_CPSID_F);
	ldr_lit(&m, 0, 0x60000000u);
	emit(&m, T_LDR(1, 0, 0));
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	recording_handler(&r, &h);
	place(&r, &h, HANDLER);
	go(&r);
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 2000);
	assert_int_equal(s.reason, SIM_CPU_STOP_LOCKUP);
	assert_non_null(strstr(s.what, "with FAULTMASK set"));
	rig_down(&r);
}

/* A fault in a handler whose priority is not negative is taken by the
 * HardFault handler, nested (it used to stop the core). */
static void fault_in_systick_handler_goes_to_hardfault(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	vectors(&r, r.chip.dev->ram_end & ~7u, 15, HANDLER);
	put32(at(&r, 4 * 3), (r.base + HANDLER2) | 1u);
	struct routine m = {0}, h = {0}, h2 = {0};
	set_vtor(&r, &m);
	store_word(&m, ICSR, 1u << 26); /* PENDSTSET */
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	ldr_lit(&h, 0, 0x60000000u);
	emit(&h, T_LDR(1, 0, 0));
	emit(&h, T_B_SELF);
	place(&r, &h, HANDLER);
	recording_handler(&r, &h2);
	place(&r, &h2, HANDLER2);
	go(&r);
	assert_int_equal(sim_cpu_run(r.cpu, 2000).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA + 4)), 3);
	assert_int_equal(get32(at(&r, DATA + 12)), 1u << 30);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(systick_handler_counts_ticks),
		cmocka_unit_test(wfi_wakes_and_takes_systick),
		cmocka_unit_test(wfi_wakes_with_primask_set),
		cmocka_unit_test(svc_handler_runs_and_returns),
		cmocka_unit_test(usart_rx_interrupt_echoes),
		cmocka_unit_test(flash_eop_interrupt),
		cmocka_unit_test(fault_in_thread_mode_is_handled),
		cmocka_unit_test(fault_in_hardfault_handler_locks_up),
		cmocka_unit_test(busfault_taken_by_its_handler_when_enabled),
		cmocka_unit_test(busfault_escalates_when_disabled),
		cmocka_unit_test(busfault_escalates_when_masked),
		cmocka_unit_test(usagefault_for_an_undefined_instruction),
		cmocka_unit_test(fetch_from_peripherals_is_memmanage),
		cmocka_unit_test(armv6m_has_hardfault_only),
		cmocka_unit_test(nmi_pended_through_icsr_beats_primask),
		cmocka_unit_test(fault_in_nmi_handler_locks_up),
		cmocka_unit_test(fault_with_faultmask_locks_up),
		cmocka_unit_test(fault_in_systick_handler_goes_to_hardfault),
		cmocka_unit_test(svc_without_vector_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
