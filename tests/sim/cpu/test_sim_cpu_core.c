/* Programs on the core: the host's reset stubs, the test firmware, faults,
 * and the peripherals a program sees (IWDG, USART baud, AIRCR, IDs). */
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
#include "cpu/soc.h"
#include "stm32boot/rom.h"

struct uart_log {
	char text[256];
	size_t length;
	uint32_t last_baud;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct uart_log *log = user;
	assert_int_equal(usart, 1);
	if (log->length + 1 < sizeof(log->text))
		log->text[log->length++] = (char)byte;
	log->last_baud = baud;
}

struct rig {
	struct sim_chip chip;
	struct uart_log uart;
	struct sim_cpu *cpu;
};

static void rig_up(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	struct sim_cpu_callbacks cb = {.usart_tx = on_tx, .user = &r->uart};
	char err[128];
	r->cpu = sim_cpu_new(&r->chip, &cb, err, sizeof(err));
	if (!r->cpu)
		fail_msg("%s", err);
}

static void rig_down(struct rig *r)
{
	sim_cpu_free(r->cpu);
	sim_chip_free(&r->chip);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* A RAM program: vector (MSP, PC) at ram_start, Thumb code at +8. */
static uint32_t load_program(struct rig *r, const uint16_t *code, size_t halfwords,
			     const uint32_t *literals, size_t count)
{
	uint32_t base = r->chip.dev->ram_start;
	uint8_t *p = r->chip.ram + (base - SIM_RAM_BASE);
	put32(p, r->chip.dev->ram_end & ~7u);
	put32(p + 4, (base + 8) | 1u);
	for (size_t i = 0; i < halfwords; i++)
		put16(p + 8 + 2 * i, code[i]);
	for (size_t i = 0; i < count; i++)
		put32(p + 8 + 2 * halfwords + 4 * i, literals[i]);
	sim_cpu_memory_changed(r->cpu, base, (uint32_t)(8 + 2 * halfwords + 4 * count));
	return base;
}

static void load_firmware(struct rig *r, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", TEST_FIRMWARE_DIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(r->chip.flash, 1, r->chip.dev->flash_size, f);
	fclose(f);
	assert_true(n > 8);
	sim_cpu_memory_changed(r->cpu, r->chip.dev->flash_start, (uint32_t)n);
}

static struct sim_cpu_stop_info run_until_stop(struct rig *r, uint64_t max)
{
	struct sim_cpu_stop_info s;
	uint64_t start = sim_cpu_stats(r->cpu)->instructions;
	do
		s = sim_cpu_run(r->cpu, 10000);
	while (s.reason == SIM_CPU_STOP_BUDGET && sim_cpu_stats(r->cpu)->instructions - start < max);
	return s;
}

static void family_table_gives_the_core(void **state)
{
	(void)state;
	enum sim_cpu_core core;
	assert_true(sim_cpu_core_of_family("F1", &core));
	assert_int_equal(core, SIM_CORE_M3);
	assert_true(sim_cpu_core_of_family("F0", &core));
	assert_int_equal(core, SIM_CORE_M0);
	assert_true(sim_cpu_core_of_family("G0", &core));
	assert_int_equal(core, SIM_CORE_M0PLUS);
	assert_true(sim_cpu_core_of_family("H7", &core));
	assert_int_equal(core, SIM_CORE_M7);
	assert_false(sim_cpu_core_of_family("X9", &core));
}

/* Each device's stub from the library runs and ends in its reset. */
static void reset_stub_runs(const char *device, enum sim_reset_cause expected, bool handoff)
{
	struct rig r;
	rig_up(&r, device);
	uint8_t stub[STM32_RESET_STUB_MAX];
	size_t n = stm32_rom_reset_stub(r.chip.dev, stub);
	assert_true(n > 8);
	memcpy(r.chip.ram + (r.chip.dev->ram_start - SIM_RAM_BASE), stub, n);
	sim_cpu_memory_changed(r.cpu, r.chip.dev->ram_start, (uint32_t)n);
	if (handoff)
		sim_cpu_rom_handoff(r.cpu, 115200);
	bool pempty_before = sim_cpu_pempty(r.cpu);
	assert_true(sim_cpu_go(r.cpu, r.chip.dev->ram_start, NULL));
	struct sim_cpu_stop_info s = run_until_stop(&r, 100000);
	assert_int_equal(s.reason, SIM_CPU_STOP_RESET);
	assert_int_equal(s.reset, expected);
	if (r.chip.dev->flags & STM32_DEV_PEMPTY) {
		assert_true(pempty_before); /* blank flash */
		assert_false(sim_cpu_pempty(r.cpu));
	}
	assert_true(sim_cpu_stats(r.cpu)->instructions < 20);
	rig_down(&r);
}

static void sysresetreq_stub_resets(void **state)
{
	(void)state;
	reset_stub_runs("stm32f103xb", SIM_RESET_SYSRESETREQ, false);
	reset_stub_runs("stm32g071rb", SIM_RESET_SYSRESETREQ, false);
}

static void obl_launch_stub_reloads_options(void **state)
{
	(void)state;
	reset_stub_runs("stm32f030xc", SIM_RESET_OBL_LAUNCH, true);
}

static void pempty_stub_clears_the_flag_and_resets(void **state)
{
	(void)state;
	reset_stub_runs("stm32l45x", SIM_RESET_SYSRESETREQ, false);
}

static void obl_launch_needs_an_unlocked_controller(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f030xc");
	uint8_t stub[STM32_RESET_STUB_MAX];
	size_t n = stm32_rom_reset_stub(r.chip.dev, stub);
	memcpy(r.chip.ram + (r.chip.dev->ram_start - SIM_RAM_BASE), stub, n);
	sim_cpu_memory_changed(r.cpu, r.chip.dev->ram_start, (uint32_t)n);
	assert_true(sim_cpu_go(r.cpu, r.chip.dev->ram_start, NULL));
	/* No handoff: FLASH_CR is locked, the store is ignored, B . spins. */
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 5000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(sim_cpu_stats(r.cpu)->instructions, 5000);
	rig_down(&r);
}

static void unmapped_read_reports_address_and_pc(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	/* movs r0,#0; ldr r1,[pc,#4]; ldr r2,[r1]; b . ; nop ; .word 0x30000010 */
	static const uint16_t code[] = {0x2000, 0x4901, 0x680A, 0xE7FE};
	static const uint32_t lit[] = {0x30000010u};
	uint32_t base = load_program(&r, code, 4, lit, 1);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 1000);
	assert_int_equal(s.reason, SIM_CPU_STOP_UNMAPPED);
	assert_int_equal(s.address, 0x30000010u);
	assert_int_equal(s.pc, base + 8 + 4);
	assert_false(s.write);
	assert_int_equal(sim_cpu_stats(r.cpu)->faults, 1);
	/* The chip can be reset and run again. */
	sim_cpu_reset(r.cpu, SIM_RESET_SYSRESETREQ);
	assert_int_equal(sim_cpu_run(r.cpu, 10).reason, SIM_CPU_STOP_HALTED);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	assert_int_equal(sim_cpu_run(r.cpu, 1000).reason, SIM_CPU_STOP_UNMAPPED);
	rig_down(&r);
}

static void go_without_thumb_bit_faults_and_udf_is_a_fault(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	static const uint16_t code[] = {0xDE00}; /* UDF #0 */
	uint32_t base = load_program(&r, code, 1, NULL, 0);
	struct sim_cpu_stop_info fail;
	put32(r.chip.ram + (base - SIM_RAM_BASE) + 4, base + 8); /* no Thumb bit */
	assert_false(sim_cpu_go(r.cpu, base, &fail));
	assert_int_equal(fail.reason, SIM_CPU_STOP_FAULT);
	put32(r.chip.ram + (base - SIM_RAM_BASE) + 4, (base + 8) | 1);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 100);
	assert_int_equal(s.reason, SIM_CPU_STOP_FAULT);
	assert_int_equal(s.pc, base + 8);
	rig_down(&r);
}

static void go_loads_msp_and_pc_from_the_vector(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	static const uint16_t code[] = {0xBE01}; /* BKPT #1 */
	uint32_t base = load_program(&r, code, 1, NULL, 0);
	put32(r.chip.ram + (base - SIM_RAM_BASE), 0x20001230u);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 100);
	assert_int_equal(s.reason, SIM_CPU_STOP_BREAKPOINT);
	assert_int_equal(s.pc, base + 8);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_SP), 0x20001230u);
	rig_down(&r);
}

static void budget_is_exact_in_instructions(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	static const uint16_t code[] = {0x3001, 0xE7FD}; /* adds r0,#1; b .-2 */
	uint32_t base = load_program(&r, code, 2, NULL, 0);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	assert_int_equal(sim_cpu_run(r.cpu, 1001).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R0), 501);
	assert_int_equal(sim_cpu_run(r.cpu, 999).reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R0), 1000);
	assert_int_equal(sim_cpu_stats(r.cpu)->instructions, 2000);
	rig_down(&r);
}

static void ids_read_from_the_device_row(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	/* ldr r1,[pc,#8]; ldr r0,[r1]; ldr r1,[pc,#8]; ldrh r2,[r1]; bkpt; nop */
	static const uint16_t code[] = {0x4902, 0x6808, 0x4902, 0x880A, 0xBE00, 0xBF00};
	static const uint32_t lit[] = {0xE0042000u, 0x1FFFF7E0u};
	uint32_t base = load_program(&r, code, 6, lit, 2);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	assert_int_equal(sim_cpu_run(r.cpu, 100).reason, SIM_CPU_STOP_BREAKPOINT);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R0) & 0xFFF, 0x410);
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R2), 128); /* KiB */
	rig_down(&r);
}

static void aircr_needs_vectkey(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	/* ldr r0,[pc,#8]; ldr r1,[pc,#8]; str r1,[r0]; ldr r1,[pc,#8]; str r1,[r0]; b . */
	static const uint16_t code[] = {0x4802, 0x4903, 0x6001, 0x4903, 0x6001, 0xE7FE};
	static const uint32_t lit[] = {0xE000ED0Cu, 0x00000004u, 0x05FA0004u};
	uint32_t base = load_program(&r, code, 6, lit, 3);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 1000);
	assert_int_equal(s.reason, SIM_CPU_STOP_RESET);
	assert_int_equal(s.reset, SIM_RESET_SYSRESETREQ);
	assert_int_equal(s.pc, base + 8 + 8); /* the store with the key, not the one before */
	rig_down(&r);
}

static void banner_firmware(const char *device, const char *image, const char *expected)
{
	struct rig r;
	rig_up(&r, device);
	load_firmware(&r, image);
	assert_true(sim_cpu_boot_flash(r.cpu, NULL));
	struct sim_cpu_stop_info s = run_until_stop(&r, 1000000);
	assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
	r.uart.text[r.uart.length] = '\0';
	assert_string_equal(r.uart.text, expected);
	/* 8 MHz / BRR 69 */
	assert_int_equal(r.uart.last_baud, 115942);
	assert_int_equal(sim_cpu_stats(r.cpu)->usart_tx_bytes, strlen(expected));
	assert_true(sim_cpu_stats(r.cpu)->unmodelled_accesses > 0); /* GPIO */
	rig_down(&r);
}

static void f103_banner_firmware_prints_its_banner(void **state)
{
	(void)state;
	banner_firmware("stm32f103xb", "f103_banner.bin",
			"hello from STM32F103 (stm32boot example firmware)\r\n");
}

static void f030_banner_firmware_prints_its_banner(void **state)
{
	(void)state;
	banner_firmware("stm32f030x8", "f030_banner.bin",
			"hello from STM32F030 (stm32boot example firmware)\r\n");
}

static void iwdg_firmware_is_reset_by_the_watchdog(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	load_firmware(&r, "f103_iwdg.bin");
	assert_true(sim_cpu_boot_flash(r.cpu, NULL));
	struct sim_cpu_stop_info s = run_until_stop(&r, 5000000);
	assert_int_equal(s.reason, SIM_CPU_STOP_RESET);
	assert_int_equal(s.reset, SIM_RESET_IWDG);
	assert_int_equal(sim_cpu_stats(r.cpu)->iwdg_refreshes, 4);
	/* 101 periods of 4 LSI cycles at 40 kHz after the last refresh. */
	assert_true(sim_cpu_time_ns(r.cpu) > 10100000u);
	sim_cpu_reset(r.cpu, s.reset);
	assert_true(sim_cpu_boot_flash(r.cpu, NULL));
	s = run_until_stop(&r, 1000000);
	assert_int_equal(s.reason, SIM_CPU_STOP_IDLE);
	r.uart.text[r.uart.length] = '\0';
	assert_string_equal(r.uart.text, "iwdg: power-on, starting the watchdog\r\n"
					 "iwdg: no more refreshes\r\n"
					 "iwdg: reset by the watchdog\r\n");
	assert_int_equal(sim_cpu_stats(r.cpu)->resets[SIM_RESET_IWDG], 1);
	rig_down(&r);
}

static void usart_baud_follows_brr_and_the_clock_tree(void **state)
{
	(void)state;
	struct sim_usart u;
	struct sim_soc_env env = {0};
	sim_usart_reset(&u, &env, SIM_USART_SR_DR, &(struct sim_usart_instance){.index = 1});
	sim_usart_write(&u, 0x08, 0x1D4C, 0xFFFFFFFFu); /* RM0008 example: 72 MHz, 9600 */
	assert_int_equal(sim_usart_baud(&u, 72000000u), 9600);
	sim_usart_reset(&u, &env, SIM_USART_ISR_TDR,
			&(struct sim_usart_instance){.index = 1, .kernel_mux = true});
	sim_usart_write(&u, 0x0C, 0x1A1, 0xFFFFFFFFu); /* 48 MHz / 417 */
	assert_int_equal(sim_usart_baud(&u, 48000000u), 115108);
	sim_usart_write(&u, 0x00, 1u << 15, 0xFFFFFFFFu); /* OVER8 */
	sim_usart_write(&u, 0x0C, 0x341, 0xFFFFFFFFu);     /* USARTDIV 0x342 */
	assert_int_equal(sim_usart_baud(&u, 48000000u), 115108); /* 2 x 48 MHz / 834 */
}

static void rom_handoff_leaves_pll_and_8e1(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	sim_cpu_rom_handoff(r.cpu, 57600);
	/* ldr r1,[pc,#8]; ldr r0,[r1,#4] (CFGR); ldr r1,[pc,#8]; ldr r2,[r1,#0xC] (CR1); bkpt */
	static const uint16_t code[] = {0x4902, 0x6848, 0x4902, 0x68CA, 0xBE00, 0xBF00};
	static const uint32_t lit[] = {0x40021000u, 0x40013800u};
	uint32_t base = load_program(&r, code, 6, lit, 2);
	assert_true(sim_cpu_go(r.cpu, base, NULL));
	assert_int_equal(sim_cpu_run(r.cpu, 100).reason, SIM_CPU_STOP_BREAKPOINT);
	assert_int_equal((sim_cpu_reg(r.cpu, UC_ARM_REG_R0) >> 2) & 3, 2); /* SWS = PLL */
	assert_int_equal(sim_cpu_reg(r.cpu, UC_ARM_REG_R2) & 0x3600, 0x3400); /* UE, M, PCE, even */
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(family_table_gives_the_core),
		cmocka_unit_test(sysresetreq_stub_resets),
		cmocka_unit_test(obl_launch_stub_reloads_options),
		cmocka_unit_test(pempty_stub_clears_the_flag_and_resets),
		cmocka_unit_test(obl_launch_needs_an_unlocked_controller),
		cmocka_unit_test(unmapped_read_reports_address_and_pc),
		cmocka_unit_test(go_without_thumb_bit_faults_and_udf_is_a_fault),
		cmocka_unit_test(go_loads_msp_and_pc_from_the_vector),
		cmocka_unit_test(budget_is_exact_in_instructions),
		cmocka_unit_test(ids_read_from_the_device_row),
		cmocka_unit_test(aircr_needs_vectkey),
		cmocka_unit_test(f103_banner_firmware_prints_its_banner),
		cmocka_unit_test(f030_banner_firmware_prints_its_banner),
		cmocka_unit_test(iwdg_firmware_is_reset_by_the_watchdog),
		cmocka_unit_test(usart_baud_follows_brr_and_the_clock_tree),
		cmocka_unit_test(rom_handoff_leaves_pll_and_8e1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
