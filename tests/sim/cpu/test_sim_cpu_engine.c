/* The ROM engine with the core under it: Go and boots from flash run the
 * example firmware, its USART1 bytes reach the host and the host's reach
 * it, the watchdog and reset stubs reset the chip, faults are reported. */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_sim_harness.h"
#include "base/wire.h"

#define RAM_PROGRAM 0x20001000u
#define FLASH_START 0x08000000u

struct log_lines {
	char text[2048];
	size_t length;
};

static void on_log(void *context, const char *line)
{
	struct log_lines *log = context;
	int n = snprintf(log->text + log->length, sizeof(log->text) - log->length, "%s\n", line);
	if (n > 0 && log->length + (size_t)n < sizeof(log->text))
		log->length += (size_t)n;
}

static size_t load_file(const char *name, uint8_t *out, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", TEST_FIRMWARE_DIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(out, 1, size, f);
	fclose(f);
	assert_true(n > 8);
	return n;
}

/* Write Memory in 256-byte frames, padded to a multiple of 4 with 0xFF. */
static void write_image(struct harness *h, uint32_t address, const char *name)
{
	uint8_t image[4096];
	memset(image, 0xFF, sizeof(image));
	size_t n = (load_file(name, image, sizeof(image)) + 3) & ~(size_t)3;
	for (size_t at = 0; at < n; at += 256) {
		size_t chunk = n - at < 256 ? n - at : 256;
		assert_int_equal(harness_write(h, address + (uint32_t)at, image + at, chunk), 0x79);
		h->clock_us += 100000; /* timed: past the programming time */
	}
}

static void go(struct harness *h, uint32_t address)
{
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, address);
}

static void reply_is(struct harness *h, const char *text)
{
	h->reply[h->reply_length] = 0;
	assert_string_equal((const char *)h->reply, text);
}

static void pulse_reset(struct harness *h, bool boot0_high)
{
	sim_engine_set_boot0(&h->engine, boot0_high);
	sim_engine_hold_reset(&h->engine);
	sim_engine_release_reset(&h->engine);
	h->reply_length = 0;
	harness_run_program(h);
	harness_collect(h);
}

#define BANNER_F103 "hello from STM32F103 (stm32boot example firmware)\r\n"

static void go_into_ram_runs_the_program_and_echoes_host_bytes(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	write_image(h, RAM_PROGRAM, "f103_banner_ram.bin");
	go(h, RAM_PROGRAM);
	reply_is(h, "\x79hello from STM32F103-RAM (stm32boot example firmware)\r\n");
	SEND(h, 'o'); /* one at a time: USART1 holds one byte, no FIFO */
	reply_is(h, "o");
	SEND(h, 'k');
	reply_is(h, "k");
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	assert_int_equal(h->stats.core.usart_rx_bytes, 2);
	assert_true(h->stats.core.instructions > 0);
	assert_int_equal(h->stats.core.faults, 0);
	harness_free(h);
}

static void go_into_flash_and_boot0_low_reset_run_the_firmware(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	write_image(h, FLASH_START, "f103_banner.bin");
	go(h, FLASH_START);
	reply_is(h, "\x79" BANNER_F103);
	pulse_reset(h, false); /* BOOT0 low: the firmware again, from its reset */
	reply_is(h, BANNER_F103);
	pulse_reset(h, true); /* BOOT0 high: the bootloader */
	assert_int_equal(h->reply_length, 0);
	harness_sync(h);
	harness_free(h);
}

static void f1_v22_refuses_go_below_0x20000200(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	harness_address(h, 0x20000100);
	EXPECT_REPLY(h, 0x1F);
	assert_string_equal(sim_engine_state_name(&h->engine), "bootloader");
	harness_free(h);
}

static void watchdog_resets_to_the_bootloader_or_the_firmware(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	write_image(h, FLASH_START, "f103_iwdg.bin");
	go(h, FLASH_START); /* BOOT0 high: the watchdog's reset ends in the bootloader */
	reply_is(h, "\x79iwdg: power-on, starting the watchdog\r\niwdg: no more refreshes\r\n");
	assert_string_equal(sim_engine_state_name(&h->engine), "bootloader");
	assert_int_equal(h->stats.core.resets[1], 1); /* iwdg */
	assert_int_equal(h->stats.core.iwdg_refreshes, 4);
	harness_sync(h);
	/* BOOT0 low: a pin reset keeps RCC_CSR's IWDGRSTF, so the firmware
	 * reports the watchdog's reset and clears the flags (RMVF)... */
	pulse_reset(h, false);
	reply_is(h, "iwdg: reset by the watchdog\r\n");
	/* ...and after the next one it starts the watchdog, which resets the
	 * chip into the firmware again. */
	pulse_reset(h, false);
	reply_is(h, "iwdg: power-on, starting the watchdog\r\niwdg: no more refreshes\r\n"
		    "iwdg: reset by the watchdog\r\n");
	assert_int_equal(h->stats.core.resets[1], 2);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	harness_free(h);
}

static void faulting_program_is_reported_and_reset_recovers(void **state)
{
	(void)state;
	struct log_lines log = {0};
	struct harness *h = harness_new("stm32f103xb", false);
	sim_engine_set_log(&h->engine, on_log, &log);
	harness_sync(h);
	write_image(h, FLASH_START, "f103_fault.bin");
	go(h, FLASH_START);
	reply_is(h, "\x79" "fault: reading 0x60000000\r\n");
	assert_int_equal(h->stats.core.faults, 1);
	assert_non_null(h->stats.core.fault_what);
	assert_int_equal(h->stats.core.fault_address, 0x60000000u);
	assert_non_null(strstr(log.text, "the program stopped: read from unmapped memory"));
	assert_non_null(strstr(log.text, "(address 0x60000000)"));
	SEND(h, 0x7F); /* stopped, not in the bootloader */
	assert_int_equal(h->reply_length, 0);
	pulse_reset(h, true);
	harness_sync(h);
	harness_free(h);
}

/* A program whose HardFault handler faults again locks the core up
 * (ARMv7-M B1.5.15): reported with its address and PC, the chip answers
 * nothing, and a reset with BOOT0 high brings the bootloader back. */
static void lockup_is_reported_and_reset_recovers(void **state)
{
	(void)state;
	struct log_lines log = {0};
	struct harness *h = harness_new("stm32f103xb", false);
	sim_engine_set_log(&h->engine, on_log, &log);
	harness_sync(h);
	uint8_t image[0x70];
	memset(image, 0xFF, sizeof(image));
	const uint8_t table[16] = {0x00, 0x50, 0x00, 0x20, 0x41, 0x00, 0x00, 0x08, /* MSP, reset */
				   0x00, 0x00, 0x00, 0x00, 0x61, 0x00, 0x00, 0x08}; /* NMI, HardFault */
	/* Go leaves VTOR at 0 (system memory): LDR r0,=VTOR; MOVS r1,#1;
	 * LSLS r1,r1,#27; STR r1,[r0]; then MOVS r0,#0x60; LSLS r0,r0,#24;
	 * LDR r1,[r0]; B . */
	const uint8_t main_code[16] = {0x04, 0x48, 0x01, 0x21, 0xC9, 0x06, 0x01, 0x60,
				       0x60, 0x20, 0x00, 0x06, 0x01, 0x68, 0xFE, 0xE7};
	const uint8_t vtor[4] = {0x08, 0xED, 0x00, 0xE0};
	/* The handler reads 4 bytes further: MOVS; LSLS; ADDS r0,#4; LDR; B . */
	const uint8_t handler[10] = {0x60, 0x20, 0x00, 0x06, 0x04, 0x30, 0x01, 0x68, 0xFE, 0xE7};
	memcpy(image, table, sizeof(table));
	memcpy(image + 0x40, main_code, sizeof(main_code));
	memcpy(image + 0x54, vtor, sizeof(vtor));
	memcpy(image + 0x60, handler, sizeof(handler));
	assert_int_equal(harness_write(h, FLASH_START, image, sizeof(image)), 0x79);
	go(h, FLASH_START);
	assert_int_equal(h->stats.core.lockups, 1);
	assert_non_null(strstr(log.text, "taken by the HardFault handler"));
	assert_non_null(strstr(log.text, "the program stopped: lockup: read from unmapped memory in the "
					 "HardFault handler at pc 0x08000066 (address 0x60000004)"));
	assert_int_equal(h->stats.core.fault_pc, 0x08000066u);
	SEND(h, 0x7F);
	assert_int_equal(h->reply_length, 0);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	pulse_reset(h, true);
	harness_sync(h);
	harness_free(h);
}

/* The constants of a SYSRESETREQ stub in RAM no longer reset the chip by
 * themselves: the code runs, and here it is an undefined instruction. */
static void stub_constants_without_code_do_not_reset(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	const uint8_t blob[16] = {0x00, 0x20, 0x00, 0x20, 0x09, 0x02, 0x00, 0x20,
				  0xFF, 0xDE, 0xFF, 0xDE, /* UDF; UDF */
				  0x0C, 0xED, 0x00, 0xE0};
	const uint8_t key[4] = {0x04, 0x00, 0xFA, 0x05};
	assert_int_equal(harness_write(h, 0x20000200, blob, sizeof(blob)), 0x79);
	assert_int_equal(harness_write(h, 0x20000210, key, sizeof(key)), 0x79);
	go(h, 0x20000200);
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->stats.resets, 0);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	assert_int_equal(h->stats.core.faults, 1);
	harness_free(h);
}

/* Go without running the program yet; the ACK is taken off the queue. */
static void go_only(struct harness *h, uint32_t address)
{
	SEND(h, 0x21, 0xDE);
	EXPECT_REPLY(h, 0x79);
	uint8_t b[5] = {(uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8),
			(uint8_t)address, 0};
	b[4] = b[0] ^ b[1] ^ b[2] ^ b[3];
	for (size_t i = 0; i < 5; i++)
		sim_engine_receive(&h->engine, b[i], h->clock_us);
	struct sim_output ack;
	assert_true(sim_engine_peek_output(&h->engine, &ack));
	assert_int_equal(ack.byte, 0x79);
	sim_engine_drop_output(&h->engine);
	h->reply_length = 0;
}

struct host_rate {
	unsigned baud;
};

static unsigned host_rate(void *context)
{
	return ((struct host_rate *)context)->baud;
}

/* Realtime: run the program with the wall clock following the core. */
static void run_timed(struct harness *h)
{
	uint64_t wake;
	for (int slice = 0; slice < 1000; slice++) {
		if (!sim_engine_run_program(&h->engine, 10000, h->clock_us, &wake))
			break;
		if (wake > h->clock_us)
			h->clock_us = wake;
	}
	harness_collect(h);
}

static void realtime_program_bytes_follow_brr_and_the_host_rate(void **state)
{
	(void)state;
	const unsigned rates[] = {115200, 57600};
	for (size_t i = 0; i < 2; i++) {
		struct host_rate rate = {rates[i]};
		struct harness *h = harness_new("stm32f103xb", true);
		sim_engine_set_autobaud(&h->engine, 0, host_rate, &rate);
		harness_sync(h);
		write_image(h, FLASH_START, "f103_banner.bin");
		go_only(h, FLASH_START);
		run_timed(h);
		assert_int_equal(h->reply_length, strlen(BANNER_F103));
		if (i == 0) {
			reply_is(h, BANNER_F103);
			assert_int_equal(h->stats.core.usart_garbled, 0);
		} else {
			assert_memory_not_equal(h->reply, BANNER_F103, strlen(BANNER_F103));
			assert_true(h->stats.core.usart_garbled > 0);
		}
		harness_free(h);
	}
}

static void realtime_bytes_leave_at_the_brr_rate(void **state)
{
	(void)state;
	struct host_rate rate = {115200};
	struct harness *h = harness_new("stm32f103xb", true);
	sim_engine_set_autobaud(&h->engine, 0, host_rate, &rate);
	harness_sync(h);
	write_image(h, FLASH_START, "f103_banner.bin");
	go_only(h, FLASH_START);
	uint64_t wake;
	assert_true(sim_engine_run_program(&h->engine, 100000, h->clock_us, &wake));
	/* 8 MHz / BRR 69 = 115942 baud: 10 bits take 86.25 us a byte. */
	uint64_t first = 0, last = 0;
	size_t count = 0;
	struct sim_output out;
	while (sim_engine_peek_output(&h->engine, &out)) {
		if (!count++)
			first = out.ready_us;
		last = out.ready_us;
		sim_engine_drop_output(&h->engine);
	}
	assert_int_equal(count, strlen(BANNER_F103));
	uint64_t expected = (uint64_t)(count - 1) * 10u * 1000000000u / 115942u / 1000u;
	assert_true(last - first >= expected - 1 && last - first <= expected + 1);
	harness_free(h);
}

static void resample_keeps_close_rates_and_garbles_far_ones(void **state)
{
	(void)state;
	bool framing;
	assert_int_equal(sim_uart_resample(0x55, 115942, 115200, &framing), 0x55);
	assert_false(framing);
	assert_int_equal(sim_uart_resample('h', 110000, 115200, &framing), 'h'); /* 4.5% */
	assert_int_not_equal(sim_uart_resample('h', 115200, 57600, &framing), 'h');
	/* Half the rate: bits 3-7 are sampled in the stop bit and idle line. */
	assert_int_equal(sim_uart_resample(0x00, 115200, 57600, &framing), 0xF8);
	assert_false(framing);
	/* Twice the rate: the stop bit is sampled in the data bits. */
	assert_int_equal(sim_uart_resample(0x00, 57600, 115200, &framing), 0x00);
	assert_true(framing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(go_into_ram_runs_the_program_and_echoes_host_bytes),
		cmocka_unit_test(go_into_flash_and_boot0_low_reset_run_the_firmware),
		cmocka_unit_test(f1_v22_refuses_go_below_0x20000200),
		cmocka_unit_test(watchdog_resets_to_the_bootloader_or_the_firmware),
		cmocka_unit_test(faulting_program_is_reported_and_reset_recovers),
		cmocka_unit_test(lockup_is_reported_and_reset_recovers),
		cmocka_unit_test(stub_constants_without_code_do_not_reset),
		cmocka_unit_test(realtime_program_bytes_follow_brr_and_the_host_rate),
		cmocka_unit_test(realtime_bytes_leave_at_the_brr_rate),
		cmocka_unit_test(resample_keeps_close_rates_and_garbles_far_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
