/* The bootloader's USARTs other than USART1 (AN2606, as stub.md §1 lists
 * them): which instances each device has, their registers at their own
 * bases with the kernel clock of their bus, and the engine wiring the one
 * chosen with --usart to the host while the others only count bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_sim_harness.h"
#include "cpu/soc.h"

static void expect_usarts(const char *device, const char *want)
{
	char names[64];
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	sim_cpu_usart_listed(dev, 1, names, sizeof(names));
	assert_string_equal(names, want);
}

static void each_device_lists_its_bootloader_usarts(void **state)
{
	(void)state;
	expect_usarts("stm32f103xb", "USART1");
	expect_usarts("stm32f10x-cl", "USART1, USART2");
	expect_usarts("stm32f407xg", "USART1, USART3");
	expect_usarts("stm32f411xe", "USART1, USART2");
	expect_usarts("stm32f74x", "USART1, USART3");
	expect_usarts("stm32g071rb", "USART1, USART2, USART3");
	expect_usarts("stm32g03x", "USART1, USART2");
	expect_usarts("stm32l031", "USART2");
	expect_usarts("stm32wb55", "USART1");
	expect_usarts("stm32h743zi", "USART1, USART2, USART3");
	expect_usarts("stm32u575", "USART1, USART2, USART3");
	assert_int_equal(sim_cpu_default_usart(stm32_device_find("stm32l031")), 2);
	assert_int_equal(sim_cpu_default_usart(stm32_device_find("stm32f407xg")), 1);
	assert_false(sim_cpu_usart_listed(stm32_device_find("stm32f407xg"), 2, NULL, 0));
	assert_true(sim_cpu_usart_listed(stm32_device_find("stm32f407xg"), 3, NULL, 0));
}

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_soc soc;
	unsigned last_usart;
	uint32_t last_baud;
	uint8_t last_byte;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct rig *r = user;
	r->last_usart = usart;
	r->last_byte = byte;
	r->last_baud = baud;
}

/* F4 (RM0090 memory map): USART3 at 0x40004800 in the SR/DR layout, on
 * APB1: its BRR divides PCLK1 (16 MHz HSI at reset, no prescaler). */
static void usart3_registers_at_its_base_on_apb1(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	const struct stm32_device *dev = stm32_device_find("stm32f407xg");
	assert_true(sim_chip_init(&r->chip, dev));
	struct sim_cpu_callbacks cb = {.usart_tx = on_tx, .user = r};
	sim_soc_init(&r->soc, sim_family_info(dev->family), &r->chip, &r->stats, &cb);
	struct sim_mmio_bus *bus = &r->soc.bus;
	sim_mmio_write(bus, 0x40004808u, 4, 139, 0);            /* BRR: 16 MHz / 139 */
	sim_mmio_write(bus, 0x4000480Cu, 4, 0x200Cu, 0);        /* CR1: UE | TE | RE */
	assert_int_equal(sim_mmio_read(bus, 0x4000480Cu, 4, 0), 0x200Cu);
	sim_mmio_write(bus, 0x40004804u, 4, 'z', 0);            /* DR */
	assert_int_equal(r->last_usart, 3);
	assert_int_equal(r->last_byte, 'z');
	assert_int_equal(r->last_baud, 115108u);
	assert_int_equal(r->stats.usart_tx[3], 1);
	assert_int_equal(r->stats.usart_tx[1], 0);
	/* A byte in: RXNE in SR, the byte in DR. */
	sim_usart_receive(sim_soc_usart(&r->soc, 3), 'q');
	assert_true(sim_mmio_read(bus, 0x40004800u, 4, 0) & (1u << 5));
	assert_int_equal(sim_mmio_read(bus, 0x40004804u, 4, 0), 'q');
	assert_int_equal(r->stats.usart_rx[3], 1);
	/* USART2 is not the F40x bootloader's: not modelled, not attached. */
	assert_null(sim_soc_usart(&r->soc, 2));
	sim_chip_free(&r->chip);
	free(r);
}

/* A program started by Go on a G071 writes 'A' to USART1 (which it enables
 * itself) and 'B' to USART2 (which the ROM left configured): with --usart 2
 * only 'B' reaches the host, and the host's byte lands in USART2's RDR. */
static void engine_wires_the_chosen_usart_only(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32g071rb", false);
	char why[160];
	assert_false(sim_engine_set_usart(&h->engine, 4, why, sizeof(why)));
	assert_non_null(strstr(why, "only USART1, USART2, USART3"));
	assert_true(sim_engine_set_usart(&h->engine, 2, why, sizeof(why)));
	harness_sync(h);
	const uint8_t program[36] = {
		0x00, 0x40, 0x00, 0x20, 0x09, 0x30, 0x00, 0x20, /* MSP, reset = 0x20003008 */
		0x04, 0x48, /* LDR r0, =USART1 */
		0x09, 0x21, /* MOVS r1, #9: UE | TE */
		0x01, 0x60, /* STR r1, [r0]: CR1 */
		0x41, 0x21, /* MOVS r1, #'A' */
		0x81, 0x62, /* STR r1, [r0, #0x28]: TDR */
		0x03, 0x48, /* LDR r0, =USART2 */
		0x42, 0x21, /* MOVS r1, #'B' */
		0x81, 0x62, /* STR r1, [r0, #0x28] */
		0xFE, 0xE7, /* B . */
		0xFF, 0xFF, /* pad */
		0x00, 0x38, 0x01, 0x40, 0x00, 0x44, 0x00, 0x40, /* 0x40013800, 0x40004400 */
	};
	assert_int_equal(harness_write(h, 0x20003000u, program, sizeof(program)), 0x79);
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, 0x20003000u);
	h->reply[h->reply_length] = 0;
	assert_string_equal((const char *)h->reply, "\x79" "B");
	assert_int_equal(h->stats.core.usart_wired, 2);
	assert_int_equal(h->stats.core.usart_tx[1], 1);
	assert_int_equal(h->stats.core.usart_tx[2], 1);
	assert_int_equal(h->stats.core.usart_tx_bytes, 1); /* the wired one's */
	SEND(h, 'x');
	assert_int_equal(h->stats.core.usart_rx[2], 1);
	assert_int_equal(h->stats.core.usart_rx[1], 0);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_device_lists_its_bootloader_usarts),
		cmocka_unit_test(usart3_registers_at_its_base_on_apb1),
		cmocka_unit_test(engine_wires_the_chosen_usart_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
