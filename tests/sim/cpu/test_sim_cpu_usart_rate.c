/* The line rate both ways: a receiver samples a frame by its own clock
 * (base/wire.c), so bytes sent at a rate the other side does not run at
 * arrive garbled, host to chip (the USART's BRR, with FE and PE as the RM
 * says) as well as chip to host, in fast mode as in realtime. */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_sim_harness.h"
#include "base/wire.h"
#include "soc_rig.h"

#define RAM_PROGRAM 0x20001000u /* where f103_banner_ram.bin is linked */
#define F103_BANNER "\x79hello from STM32F103-RAM (stm32boot example firmware)\r\n"

static void frames_with_parity_sample_as_the_receiver_clock_says(void **state)
{
	(void)state;
	struct sim_uart_sample s = sim_uart_sample_frame(0x5A, 'e', 115200, 115942); /* 0.6 % */
	assert_int_equal(s.byte, 0x5A);
	assert_false(s.framing_error);
	assert_false(s.parity_error);
	s = sim_uart_sample_frame(0xA5, 'n', 2000000, 2000000);
	assert_int_equal(s.byte, 0xA5);
	/* Four times too slow a receiver sees the start bit, then only ones. */
	s = sim_uart_sample_frame(0x00, 'n', 460800, 115200);
	assert_int_equal(s.byte, 0xFE);
	assert_false(s.framing_error);
	/* Four times too fast: data bits 0-2 sampled in the start bit. */
	s = sim_uart_sample_frame(0xFF, 'e', 115200, 460800);
	assert_int_equal(s.byte, 0xF8);
	/* Four times too slow: everything after data bit 4 is idle line, so
	 * the parity bit reads 1 where 0xFF's even parity is 0. */
	s = sim_uart_sample_frame(0xFF, 'e', 460800, 115200);
	assert_int_equal(s.byte, 0xFF);
	assert_true(s.parity_error);
	assert_false(s.framing_error);
	/* 0x01 at half the rate: bits 4-7 fall in the parity and stop bits. */
	s = sim_uart_sample_frame(0x01, 'e', 57600, 115200);
	assert_true(s.framing_error || s.parity_error || s.byte != 0x01);
}

/* F103 USART1 (old layout, RM0008 §27.6.1): BRR 69 at the 8 MHz HSI is
 * 115942 baud. A byte at 115200 arrives; one at 460800 comes garbled with
 * PE; SR then DR clears the flags. */
static void usart_samples_host_bytes_at_its_brr_rate(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	rig_up(r, "stm32f103xb");
	struct sim_mmio_bus *bus = &r->soc.bus;
	struct sim_usart *u = sim_soc_usart(&r->soc, 1);
	assert_non_null(u);
	sim_mmio_write(bus, 0x40013808u, 4, 69, 0);                       /* BRR */
	sim_mmio_write(bus, 0x4001380Cu, 4, 1u << 13 | 1u << 12 | 1u << 10 | 0xCu, 0); /* 8E1 */
	assert_int_equal(sim_usart_baud(u, sim_usart_kernel_hz(u)), 115942);
	sim_usart_receive_at(u, 0x5A, 115200);
	uint32_t sr = sim_mmio_read(bus, 0x40013800u, 4, 0);
	assert_true(sr & (1u << 5));
	assert_int_equal(sr & 3u, 0); /* no PE, no FE */
	assert_int_equal(sim_mmio_read(bus, 0x40013804u, 4, 0) & 0xFFu, 0x5A);
	assert_int_equal(r->stats.usart_rx_errors, 0);
	/* 0x00 at four times the rate: data bits 0-1 sample the sender's bit 4
	 * and its parity bit (0), the rest and the parity bit idle line (1). */
	sim_usart_receive_at(u, 0x00, 460800);
	sr = sim_mmio_read(bus, 0x40013800u, 4, 0);
	assert_true(sr & (1u << 5));
	assert_int_equal(sr & 3u, 1u); /* PE */
	assert_int_equal(sim_mmio_read(bus, 0x40013804u, 4, 0) & 0xFFu, 0xFC);
	assert_int_equal(sim_mmio_read(bus, 0x40013800u, 4, 0) & 3u, 0); /* cleared by SR, DR */
	assert_int_equal(r->stats.usart_rx_errors, 1);
	rig_down(r);
	free(r);
}

/* G071 USART1 (new layout, RM0444): FE and PE in ISR until ICR clears
 * them; 8N1 at 2 Mbaud from HSI16 with OVER8 (BRR 0x10: 16, 0). */
static void new_layout_keeps_fe_until_icr(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	rig_up(r, "stm32g071rb");
	struct sim_mmio_bus *bus = &r->soc.bus;
	struct sim_usart *u = sim_soc_usart(&r->soc, 1);
	assert_non_null(u);
	sim_mmio_write(bus, 0x4001380Cu, 4, 0x10u, 0);                      /* BRR */
	sim_mmio_write(bus, 0x40013800u, 4, 1u << 15 | 0xDu, 0);            /* OVER8, TE, RE, UE */
	assert_int_equal(sim_usart_baud(u, sim_usart_kernel_hz(u)), 2000000);
	sim_usart_receive_at(u, 0x00, 2000000);
	assert_int_equal(sim_mmio_read(bus, 0x40013824u, 4, 0), 0x00);
	assert_int_equal(sim_mmio_read(bus, 0x4001381Cu, 4, 0) & 3u, 0);
	sim_usart_receive_at(u, 0x00, 115200); /* a host still at its old rate */
	assert_true(sim_mmio_read(bus, 0x4001381Cu, 4, 0) & 2u);            /* FE */
	sim_mmio_read(bus, 0x40013824u, 4, 0);
	assert_true(sim_mmio_read(bus, 0x4001381Cu, 4, 0) & 2u); /* RDR read does not clear it */
	sim_mmio_write(bus, 0x40013820u, 4, 2u, 0);                         /* ICR.FECF */
	assert_int_equal(sim_mmio_read(bus, 0x4001381Cu, 4, 0) & 2u, 0);
	rig_down(r);
	free(r);
}

struct host_rate {
	unsigned baud;
};

static unsigned host_rate(void *context)
{
	return ((struct host_rate *)context)->baud;
}

static void load_banner(struct harness *h)
{
	uint8_t image[4096];
	memset(image, 0xFF, sizeof(image));
	char path[512];
	snprintf(path, sizeof(path), "%s/f103_banner_ram.bin", TEST_FIRMWARE_DIR);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = (fread(image, 1, sizeof(image), f) + 3) & ~(size_t)3;
	fclose(f);
	for (size_t at = 0; at < n; at += 256) {
		size_t chunk = n - at < 256 ? n - at : 256;
		assert_int_equal(harness_write(h, RAM_PROGRAM + (uint32_t)at, image + at, chunk), 0x79);
	}
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, RAM_PROGRAM);
}

/* The example program echoes what it receives at 115200. In fast mode too,
 * a host at another rate reads its banner garbled, and what the host sends
 * at another rate reaches the program garbled. */
static void fast_mode_garbles_both_ways_at_a_wrong_rate(void **state)
{
	(void)state;
	struct host_rate rate = {115200};
	struct harness *h = harness_new("stm32f103xb", false);
	sim_engine_set_autobaud(&h->engine, 0, host_rate, &rate);
	harness_sync(h);
	load_banner(h);
	h->reply[h->reply_length] = 0;
	assert_string_equal((const char *)h->reply, F103_BANNER);
	h->reply_length = 0;
	SEND(h, 'o');
	assert_int_equal(h->reply_length, 1);
	assert_int_equal(h->reply[0], 'o');
	assert_int_equal(h->stats.core.usart_rx_errors, 0);
	/* Host to chip: 'o' sent at 460800, the echo read back at 115200. */
	h->reply_length = 0;
	rate.baud = 460800;
	sim_engine_receive(&h->engine, 'o', h->clock_us);
	rate.baud = 115200;
	harness_run_program(h);
	harness_collect(h);
	assert_int_equal(h->reply_length, 1);
	assert_int_not_equal(h->reply[0], 'o');
	assert_int_equal(h->stats.core.usart_rx_errors, 1);
	assert_int_equal(h->stats.core.usart_garbled, 0);
	/* Chip to host: 'k' sent at 115200 arrives intact, its echo is read
	 * at 57600. */
	h->reply_length = 0;
	sim_engine_receive(&h->engine, 'k', h->clock_us);
	rate.baud = 57600;
	harness_run_program(h);
	harness_collect(h);
	assert_int_equal(h->reply_length, 1);
	assert_int_not_equal(h->reply[0], 'k');
	assert_int_equal(h->stats.core.usart_rx_errors, 1);
	assert_true(h->stats.core.usart_garbled > 0);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_with_parity_sample_as_the_receiver_clock_says),
		cmocka_unit_test(usart_samples_host_bytes_at_its_brr_rate),
		cmocka_unit_test(new_layout_keeps_fe_until_icr),
		cmocka_unit_test(fast_mode_garbles_both_ways_at_a_wrong_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
