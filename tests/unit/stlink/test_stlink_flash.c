/* The ST-LINK back end's register-level flash programming and its probe
 * commands (src/lib/stlink/stlink_flash.c, stlink_proto.c) against a fake
 * USB seam: a probe that decodes each 16-byte command and a register file
 * playing the flash controller. What is checked is the sequence of
 * register writes the reference manuals ask for, and how refusals come
 * back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stlink/stlink_flash.h"
#include "stlink/stlink_proto.h"
#include "stlink/stlink_usb.h"

#define LOG_MAX 64
#define F1_BASE 0x40022000u
#define F4_BASE 0x40023C00u

struct access {
	char kind; /* 'w' register write, 'm' memory write, 'r' memory read */
	uint32_t address, value; /* value: the register value, or the memory length */
	unsigned width;
};

/* The fake probe and chip. */
static struct fake {
	struct access log[LOG_MAX];
	size_t count;
	uint32_t base;         /* the flash controller's */
	uint32_t cr, keys_seen;
	uint32_t sr_after;     /* SR once an operation ran (EOP, or an error) */
	uint32_t sr;
	uint8_t memory_status; /* GETLASTRWSTATUS2's status */
	uint32_t cr_offset, sr_offset, keyr_offset, lock_bit;
} fake;

static void fake_reset(uint32_t base, uint32_t keyr, uint32_t sr, uint32_t cr, uint32_t lock)
{
	memset(&fake, 0, sizeof fake);
	fake.base = base;
	fake.keyr_offset = keyr;
	fake.sr_offset = sr;
	fake.cr_offset = cr;
	fake.lock_bit = lock;
	fake.cr = lock;
	fake.memory_status = 0x80;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void record(char kind, uint32_t address, uint32_t value, unsigned width)
{
	assert_true(fake.count < LOG_MAX);
	fake.log[fake.count++] = (struct access){kind, address, value, width};
}

static void register_write(uint32_t address, uint32_t value)
{
	record('w', address, value, 4);
	if (address == fake.base + fake.keyr_offset) {
		fake.keys_seen = fake.keys_seen == 0 && value == 0x45670123u ? 1 :
				 fake.keys_seen == 1 && value == 0xCDEF89ABu ? 2 : 0;
		if (fake.keys_seen == 2)
			fake.cr &= ~fake.lock_bit;
	} else if (address == fake.base + fake.cr_offset) {
		fake.cr = value;
		if (value & ((1u << 6) | (1u << 16)) || (value & 1u)) /* STRT, or PG */
			fake.sr = fake.sr_after;
	} else if (address == fake.base + fake.sr_offset) {
		fake.sr &= ~value; /* write 1 to clear */
	}
}

static uint32_t register_read(uint32_t address)
{
	if (address == fake.base + fake.cr_offset)
		return fake.cr;
	if (address == fake.base + fake.sr_offset)
		return fake.sr;
	return 0;
}

enum stm32_status stlink_usb_command(struct stlink_usb *usb, const uint8_t *cmd,
				     const uint8_t *out, size_t out_length, uint8_t *in,
				     size_t in_length, size_t *got, unsigned timeout_ms,
				     struct stm32_error *err)
{
	(void)usb, (void)out, (void)timeout_ms, (void)err;
	if (in)
		memset(in, 0, in_length);
	*got = in_length;
	uint32_t address = le32(cmd + 2);
	unsigned length = (unsigned)(cmd[6] | cmd[7] << 8);
	assert_int_equal(cmd[0], 0xF2);
	switch (cmd[1]) {
	case 0x35: register_write(address, le32(cmd + 6)); in[0] = 0x80; break;
	case 0x36: in[0] = 0x80; put32(in + 4, register_read(address)); break;
	case 0x08: record('m', address, length, 4); assert_int_equal(out_length, length); break;
	case 0x48: record('m', address, length, 2); assert_int_equal(out_length, length); break;
	case 0x07: record('r', address, length, 4); break;
	case 0x0C: record('r', address, length, 1); break;
	case 0x3E:
		in[0] = fake.memory_status;
		if (fake.memory_status != 0x80)
			put32(in + 4, 0x20001234u);
		break;
	default: fail_msg("unexpected command F2 %02X", cmd[1]);
	}
	return STM32_OK;
}

/* Not called by the code under test (stlink_target.c opens the probe). */
enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err)
{
	(void)serial, (void)info;
	*out = NULL;
	return stm32_error_set(err, STM32_E_IO, "not in this test");
}

void stlink_usb_close(struct stlink_usb *usb)
{
	(void)usb;
}

static struct stlink_link link_v2 = {.version = 2, .jtag = 37, .swim = 7, .has_16bit = true,
				     .timeout_ms = 100};

static void expect_write(size_t at, uint32_t address, uint32_t value)
{
	assert_true(at < fake.count);
	assert_int_equal(fake.log[at].kind, 'w');
	assert_int_equal(fake.log[at].address, address);
	assert_int_equal(fake.log[at].value, value);
}

static const struct stm32_device *device(const char *name)
{
	const struct stm32_device *d = stm32_device_find(name);
	assert_non_null(d);
	return d;
}

/* RM0008 page erase: keys (the controller starts locked), PER, AR, PER|STRT,
 * the status cleared, and locked again. */
static void test_f1_page_erase_sequence(void **state)
{
	(void)state;
	struct stlink_flash f;
	assert_true(stlink_flash_init(&f, device("stm32f103x8")));
	fake_reset(F1_BASE, 0x04, 0x0C, 0x10, 1u << 7);
	fake.sr_after = 1u << 5; /* EOP */
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_flash_erase_unit(&link_v2, &f, 3, &err), STM32_OK);
	expect_write(0, F1_BASE + 0x04, 0x45670123u);
	expect_write(1, F1_BASE + 0x04, 0xCDEF89ABu);
	expect_write(2, F1_BASE + 0x10, 1u << 1);
	expect_write(3, F1_BASE + 0x14, 0x08000C00u);
	expect_write(4, F1_BASE + 0x10, (1u << 1) | (1u << 6));
	expect_write(5, F1_BASE + 0x0C, 1u << 5);
	expect_write(6, F1_BASE + 0x10, 1u << 7);
	assert_int_equal(fake.count, 7);
}

/* Programming: PG, then the data as half-words in one command; a PGERR
 * afterwards is a refusal naming the address, and the controller is
 * locked all the same. */
static void test_f1_program_refusal_locks_again(void **state)
{
	(void)state;
	struct stlink_flash f;
	assert_true(stlink_flash_init(&f, device("stm32f103x8")));
	assert_int_equal(stlink_flash_unit(&f), 2);
	fake_reset(F1_BASE, 0x04, 0x0C, 0x10, 1u << 7);
	fake.cr = 0; /* already unlocked: no keys */
	fake.sr_after = 1u << 2; /* PGERR */
	uint8_t data[64];
	memset(data, 0x5A, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_flash_program(&link_v2, &f, 0x08000100u, data, sizeof data, &err),
			 STM32_E_NACK);
	assert_true(err.has_address);
	assert_int_equal(err.address, 0x08000100u);
	expect_write(0, F1_BASE + 0x10, 1u << 0);
	assert_int_equal(fake.log[1].kind, 'm');
	assert_int_equal(fake.log[1].width, 2);
	assert_int_equal(fake.log[1].value, 64);
	expect_write(fake.count - 1, F1_BASE + 0x10, 1u << 7);
}

/* RM0090: sectors by number in SNB; on a 2 MiB part bank 2's first sector
 * (unit 12) is SNB 16. Words with PSIZE x32 when programming. */
static void test_f4_sector_numbers_and_psize(void **state)
{
	(void)state;
	struct stlink_flash f;
	assert_true(stlink_flash_init(&f, device("stm32f429zi")));
	fake_reset(F4_BASE, 0x04, 0x0C, 0x10, 1u << 31);
	fake.cr = 0;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_flash_erase_unit(&link_v2, &f, 12, &err), STM32_OK);
	expect_write(0, F4_BASE + 0x10, (1u << 1) | (16u << 3));
	expect_write(1, F4_BASE + 0x10, (1u << 1) | (16u << 3) | (1u << 16));
	fake_reset(F4_BASE, 0x04, 0x0C, 0x10, 1u << 31);
	fake.cr = 0;
	uint8_t data[8] = {0};
	assert_int_equal(stlink_flash_program(&link_v2, &f, 0x08000000u, data, sizeof data, &err),
			 STM32_OK);
	expect_write(0, F4_BASE + 0x10, (1u << 0) | (2u << 8));
	assert_int_equal(fake.log[1].width, 4);
}

/* A bus error after a memory command is a refusal at the address the
 * probe reports; an unaligned read is split into byte and word commands. */
static void test_memory_fault_and_unaligned_read(void **state)
{
	(void)state;
	fake_reset(F1_BASE, 0x04, 0x0C, 0x10, 1u << 7);
	uint8_t buffer[16];
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_read(&link_v2, 0x20000002u, buffer, 11, &err), STM32_OK);
	assert_int_equal(fake.count, 3);
	assert_int_equal(fake.log[0].width, 1); /* 2 bytes up to the word boundary */
	assert_int_equal(fake.log[0].value, 2);
	assert_int_equal(fake.log[1].width, 4); /* 8 bytes of words */
	assert_int_equal(fake.log[1].value, 8);
	assert_int_equal(fake.log[2].width, 1); /* the last byte */
	assert_int_equal(fake.log[2].value, 1);
	fake.memory_status = 0x19;
	assert_int_equal(stlink_read(&link_v2, 0x20001230u, buffer, 8, &err), STM32_E_NACK);
	assert_true(err.has_address);
	assert_int_equal(err.address, 0x20001234u);
	fake.memory_status = 0x14; /* DP WAIT */
	assert_int_equal(stlink_read(&link_v2, 0x20000000u, buffer, 4, &err), STM32_E_TIMEOUT);
}

#define H7_BASE 0x52002000u

/* The backend's row for an H743: its option registers mapped as the
 * register image (stlink_flash.h). */
static struct stm32_device h743_with_image(void)
{
	struct stm32_device d = *device("stm32h743zi");
	d.opt_start = STLINK_H7_OPTION_START;
	d.opt_size = STLINK_H7_OPTION_IMAGE;
	d.rdp_offset = 1;
	return d;
}

/* RM0433: OPTCHANGEERR cleared, OPTSR_PRG, WPSN_PRG1, WPSN_PRG2 (bank 2's,
 * +0x100), BOOT_PRGR from the image's words, OPTSTART, then OPTLOCK; read
 * back, the image's OPTSR word leaves out OPT_BUSY and OPTCHANGEERR. */
static void test_h7_option_image_write_and_read(void **state)
{
	(void)state;
	struct stm32_device d = h743_with_image();
	struct stlink_flash f;
	assert_true(stlink_flash_init(&f, &d));
	assert_int_equal(stlink_flash_option_reach(&f), STLINK_H7_OPTION_IMAGE);
	fake_reset(H7_BASE, 0x08, 0x1C, 0x18, 1u << 0);
	fake.cr = 0; /* OPTLOCK already clear: no keys */
	uint8_t image[STLINK_H7_OPTION_IMAGE] = {0xB1, 0xAA, 0x06, 0x40, 0xFD, 0, 0, 0,
						 0xFF, 0, 0, 0, 0x10, 0x08, 0xF0, 0x1F};
	bool reset = false;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_flash_write_options(&link_v2, &f, image, sizeof image, &reset, &err),
			 STM32_OK);
	assert_true(reset); /* in force without a reset */
	expect_write(0, H7_BASE + 0x24, 1u << 30);
	expect_write(1, H7_BASE + 0x20, 0x0006AAB0u); /* OPT_BUSY, OPTCHANGEERR dropped */
	expect_write(2, H7_BASE + 0x3C, 0xFDu);
	expect_write(3, H7_BASE + 0x13C, 0xFFu);
	expect_write(4, H7_BASE + 0x44, 0x1FF00810u);
	expect_write(5, H7_BASE + 0x18, 1u << 1);
	expect_write(6, H7_BASE + 0x18, 1u << 0);
	assert_int_equal(fake.count, 7);
	fake.sr = 0x4006AAF1u; /* OPTSR_CUR with OPT_BUSY and OPTCHANGEERR set */
	uint8_t back[STLINK_H7_OPTION_IMAGE];
	assert_int_equal(stlink_flash_h7_read_options(&link_v2, &f, back, &err), STM32_OK);
	assert_int_equal(le32(back), 0x0006AAF0u);
}

/* OPTCHANGEERR after OPTSTART: a refusal, and the options locked again. */
static void test_h7_option_change_refused(void **state)
{
	(void)state;
	struct stm32_device d = h743_with_image();
	struct stlink_flash f;
	assert_true(stlink_flash_init(&f, &d));
	fake_reset(H7_BASE, 0x08, 0x1C, 0x18, 1u << 0);
	fake.cr = 0;
	fake.sr = 1u << 30; /* OPTSR_CUR.OPTCHANGEERR (the fake's CCR does not clear it) */
	uint8_t image[STLINK_H7_OPTION_IMAGE] = {0};
	bool reset = false;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_flash_write_options(&link_v2, &f, image, sizeof image, &reset, &err),
			 STM32_E_NACK);
	assert_non_null(strstr(err.message, "OPTCHANGEERR"));
	expect_write(fake.count - 1, H7_BASE + 0x18, 1u << 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f1_page_erase_sequence),
		cmocka_unit_test(test_f1_program_refusal_locks_again),
		cmocka_unit_test(test_f4_sector_numbers_and_psize),
		cmocka_unit_test(test_memory_fault_and_unaligned_read),
		cmocka_unit_test(test_h7_option_image_write_and_read),
		cmocka_unit_test(test_h7_option_change_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
