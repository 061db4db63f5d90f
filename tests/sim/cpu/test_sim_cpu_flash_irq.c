/* The flash interrupt request of each controller (EOPIE/ERRIE and the H7
 * per-flag enables, raised at the end of the operation, as each RM's
 * FLASH_CR description says) and the bus stall of a store into flash while
 * the controller is busy (F1 PM0075/RM0008, F4 RM0090 §3.5, the 64-bit
 * controller RM0351/RM0444), in emulated time; FLASH_ACR.EMPTY (G0, WB,
 * WL), the empty-check latch as a register bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/memory_port.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define US 1000000ull /* picoseconds */

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void store(struct rig *r, uint32_t a, unsigned size, uint32_t v)
{
	sim_flashctl_memory_write(&r->soc.flash, a, size, v);
}
static bool line(struct rig *r) { return sim_flashctl_irq(&r->soc.flash); }
static uint64_t prog_ps(struct rig *r) { return sim_port_program_us(&r->chip) * US; }

/* F103 (RM0008): KEYR 4, SR 0xC (PGERR 2, WRPRTERR 4, EOP 5), CR 0x10
 * (PG 0, ERRIE 10, EOPIE 12). */
#define F1 0x40022000u
static void f1_eopie_and_errie(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	assert_int_equal(r.soc.flash_irq, 4);
	wr(&r, F1 + 4, KEY1);
	wr(&r, F1 + 4, KEY2);
	wr(&r, F1 + 0x10, 1u); /* PG alone: EOP, no interrupt */
	store(&r, 0x08000000u, 2, 0x1234);
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(rd(&r, F1 + 0xC) & (1u << 5));
	assert_false(line(&r));
	wr(&r, F1 + 0xC, 1u << 5);
	wr(&r, F1 + 0x10, 1u | 1u << 12); /* PG, EOPIE */
	store(&r, 0x08000002u, 2, 0x5678);
	assert_false(line(&r)); /* busy */
	assert_int_equal(sim_flashctl_deadline(&r.soc.flash), r.soc.env.now_ps + prog_ps(&r));
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(line(&r));
	assert_int_equal(sim_flashctl_deadline(&r.soc.flash), UINT64_MAX);
	wr(&r, F1 + 0xC, 1u << 5); /* EOP cleared: the line drops */
	assert_false(line(&r));
	store(&r, 0x08000000u, 2, 0x0001); /* over a programmed half-word: PGERR */
	assert_true(rd(&r, F1 + 0xC) & (1u << 2));
	assert_false(line(&r)); /* no ERRIE */
	wr(&r, F1 + 0x10, 1u | 1u << 10);
	assert_true(line(&r));
	rig_down(&r);
}

/* F4 (RM0090): SR 0xC (EOP 0, OPERR 1, PGSERR 7), CR 0x10 (PG 0, PSIZE
 * 9:8, EOPIE 24, ERRIE 25: OPERR only). */
#define F4 0x40023C00u
static void f4_eopie(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f407xg");
	wr(&r, F4 + 4, KEY1);
	wr(&r, F4 + 4, KEY2);
	wr(&r, F4 + 0x10, 1u | 2u << 8 | 1u << 24 | 1u << 25);
	store(&r, 0x08000000u, 4, 0xA5A5A5A5u);
	assert_false(line(&r));
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(line(&r));
	wr(&r, F4 + 0xC, 1u); /* EOP */
	assert_false(line(&r));
	store(&r, 0x08000004u, 2, 0x1); /* wrong size: PGPERR, which ERRIE ignores */
	assert_true(rd(&r, F4 + 0xC) & (1u << 6));
	assert_false(line(&r));
	rig_down(&r);
}

/* G071 (RM0444): SR 0x10 (EOP 0), CR 0x14 (PG 0, EOPIE 24); L0 (RM0377):
 * PECR 0x04 (PROG 3, EOPIE 16, ERRIE 17), SR 0x18 (EOP 1, SIZERR 10). */
static void dword_and_pecr_lines(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	assert_int_equal(r.soc.flash_irq, 3);
	wr(&r, 0x40022008u, KEY1);
	wr(&r, 0x40022008u, KEY2);
	wr(&r, 0x40022014u, 1u | 1u << 24);
	store(&r, 0x08000000u, 4, 0x11111111u);
	store(&r, 0x08000004u, 4, 0x22222222u);
	assert_false(line(&r));
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(line(&r));
	wr(&r, 0x40022014u, 1u); /* EOPIE off: the line drops with EOP still set */
	assert_true(rd(&r, 0x40022010u) & 1u);
	assert_false(line(&r));
	rig_down(&r);

	rig_up(&r, "stm32l07x");
	wr(&r, 0x4002200Cu, 0x89ABCDEFu); /* PEKEYR */
	wr(&r, 0x4002200Cu, 0x02030405u);
	wr(&r, 0x40022010u, 0x8C9DAEBFu); /* PRGKEYR */
	wr(&r, 0x40022010u, 0x13141516u);
	wr(&r, 0x40022004u, 1u << 16 | 1u << 17);
	store(&r, 0x08000000u, 4, 0x12345678u);
	assert_false(line(&r));
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(line(&r));
	wr(&r, 0x40022018u, 1u << 1); /* EOP */
	assert_false(line(&r));
	store(&r, 0x08000011u, 1, 0x12); /* a byte: SIZERR, with ERRIE */
	assert_true(rd(&r, 0x40022018u) & (1u << 10));
	assert_true(line(&r));
	rig_down(&r);
}

/* H743 (RM0433): CR1 0x0C (PG 1, EOPIE 16, PGSERRIE 18), SR1 0x10 (EOP
 * 16, PGSERR 18), CCR1 0x14; a flash word is 32 bytes. */
#define H7 0x52002000u
static void h7_per_flag_enables(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	assert_int_equal(r.soc.flash_irq, 4);
	wr(&r, H7 + 4, KEY1);
	wr(&r, H7 + 4, KEY2);
	wr(&r, H7 + 0xC, 1u << 1 | 1u << 16);
	for (uint32_t a = 0; a < 32; a += 4)
		store(&r, 0x08000000u + a, 4, 0xC3C3C3C3u);
	assert_false(line(&r));
	r.soc.env.now_ps += prog_ps(&r);
	assert_true(line(&r));
	wr(&r, H7 + 0x14, 1u << 16); /* CLR_EOP */
	assert_false(line(&r));
	wr(&r, H7 + 0xC, 1u << 18); /* PGSERRIE, no PG */
	store(&r, 0x08000020u, 4, 0);  /* a store without PG: PGSERR */
	assert_true(rd(&r, H7 + 0x10) & (1u << 18));
	assert_true(line(&r));
	rig_down(&r);
}

/* A store while the controller is busy waits for its end, then is taken:
 * the time moves on by what remained of the operation. */
static void store_while_busy_stalls(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	wr(&r, F1 + 4, KEY1);
	wr(&r, F1 + 4, KEY2);
	wr(&r, F1 + 0x10, 1u);
	store(&r, 0x08000000u, 2, 0x1111);
	r.soc.env.now_ps += prog_ps(&r) / 4;
	store(&r, 0x08000002u, 2, 0x2222); /* a quarter of the way: stalls */
	assert_int_equal(r.soc.env.now_ps, prog_ps(&r));
	assert_int_equal(r.soc.flash.stalls, 1);
	assert_false(rd(&r, F1 + 0xC) & (1u << 2)); /* taken: no PGERR */
	assert_int_equal(r.chip.flash[2], 0x22);
	assert_true(rd(&r, F1 + 0xC) & 1u);        /* and busy with it */
	r.soc.env.now_ps += prog_ps(&r);
	store(&r, 0x08000004u, 2, 0x3333); /* idle: no stall */
	assert_int_equal(r.soc.env.now_ps, 2 * prog_ps(&r));
	assert_int_equal(r.soc.flash.stalls, 1);
	rig_down(&r);

	rig_up(&r, "stm32g071rb");
	wr(&r, 0x40022008u, KEY1);
	wr(&r, 0x40022008u, KEY2);
	wr(&r, 0x40022014u, 1u);
	store(&r, 0x08000000u, 4, 0x11111111u);
	store(&r, 0x08000004u, 4, 0x22222222u);
	store(&r, 0x08000008u, 4, 0x33333333u); /* the next unit, while busy */
	assert_int_equal(r.soc.env.now_ps, prog_ps(&r));
	store(&r, 0x0800000Cu, 4, 0x44444444u);
	assert_int_equal(rd(&r, 0x40022010u) & 0xFFu, 0); /* no error */
	assert_int_equal(r.chip.flash[8], 0x33);
	assert_int_equal(r.chip.flash[12], 0x44);
	rig_down(&r);
}

/* ACR.EMPTY (bit 16): the latch, readable and writable, kept across a
 * system reset; L4 has no such bit (its latch is SR.PEMPTY on L45x). */
static void acr_empty_is_the_latch(void **state)
{
	(void)state;
	static const struct { const char *device; uint32_t acr; bool empty_bit; } parts[] = {
		{"stm32g071rb", 0x40022000u, true}, {"stm32wb55", 0x58004000u, true},
		{"stm32wl55", 0x58004000u, true},   {"stm32l476rg", 0x40022000u, false},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct rig r;
		rig_up(&r, parts[i].device);
		assert_int_equal(sim_flashctl_latch_visible(&r.soc.flash), parts[i].empty_bit);
		r.soc.flash.pempty = true; /* blank at the last option load */
		uint32_t acr = parts[i].acr;
		assert_int_equal(rd(&r, acr), parts[i].empty_bit ? 1u << 16 : 0);
		wr(&r, acr, 2u); /* LATENCY 2, EMPTY cleared */
		assert_int_equal(rd(&r, acr), 2u);
		assert_int_equal(r.soc.flash.pempty, !parts[i].empty_bit);
		sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
		assert_int_equal(rd(&r, acr), 0); /* LATENCY resets, the latch stays clear */
		wr(&r, acr, 1u << 16);
		assert_int_equal(r.soc.flash.pempty, true);
		sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
		assert_int_equal(rd(&r, acr), parts[i].empty_bit ? 1u << 16 : 0);
		rig_down(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_eopie_and_errie),
		cmocka_unit_test(f4_eopie),
		cmocka_unit_test(dword_and_pecr_lines),
		cmocka_unit_test(h7_per_flag_enables),
		cmocka_unit_test(store_while_busy_stalls),
		cmocka_unit_test(acr_empty_is_the_latch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
