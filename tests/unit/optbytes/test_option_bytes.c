/* Option bytes by name (src/lib/optbytes): decode and encode round trips
 * against values worked out by hand from the reference manuals' layouts
 * (docs/option-bytes.md says which were confirmed where), the refusals,
 * and the pages write protection covers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stm32boot/option_bytes.h"

static const struct stm32_device *device(const char *name)
{
	const struct stm32_device *dev = stm32_device_find(name);
	if (!dev)
		fail_msg("no device %s", name);
	return dev;
}

/* A device's factory option area in a buffer the tests may change. */
static uint8_t *factory(const struct stm32_device *dev)
{
	static uint8_t bytes[128];
	memset(bytes, 0xFF, sizeof bytes);
	memcpy(bytes, dev->opt_factory, dev->opt_size);
	return bytes;
}

static uint32_t get(const struct stm32_device *dev, const uint8_t *bytes, const char *name)
{
	const struct stm32_option_field *field = stm32_option_field_find(dev, name);
	if (!field)
		fail_msg("%s has no field %s", dev->name, name);
	return stm32_option_field_get(field, bytes, dev->opt_size);
}

static void assign_ok(const struct stm32_device *dev, uint8_t *bytes, const char *list)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	if (stm32_option_bytes_assign(dev, bytes, dev->opt_size, list, false, &err) != STM32_OK)
		fail_msg("%s on %s: %s", list, dev->name, err.message);
}

static void f1_user_byte_and_complement(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f103xb");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "RDP"), 0xA5);
	assert_int_equal(get(dev, bytes, "wdg_sw"), 1);
	assign_ok(dev, bytes, "WDG_SW=0,Data0=0x12");
	/* RM0008 layout: USER at byte 2, nUSER at 3; Data0 at 4, nData0 at 5. */
	assert_int_equal(bytes[2], 0xFE);
	assert_int_equal(bytes[3], 0x01);
	assert_int_equal(bytes[4], 0x12);
	assert_int_equal(bytes[5], 0xED);
	assert_int_equal(get(dev, bytes, "WDG_SW"), 0);
	/* F1 has no level 2: any RDP byte but 0xA5 is allowed and not permanent. */
	assign_ok(dev, bytes, "RDP=0xCC");
	assert_int_equal(bytes[0], 0xCC);
	assert_int_equal(bytes[1], 0x33);
}

static void f0_rdp_level2_is_permanent(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f030x8");
	uint8_t *bytes = factory(dev);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "RDP=0xCC", false, &err),
			 STM32_E_INVALID);
	assert_int_equal(err.reason, STM32_REASON_PERMANENT_LOCK);
	assert_non_null(strstr(err.message, "RDP"));
	assert_int_equal(bytes[0], 0xAA); /* untouched */
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "RDP=0xCC", true, &err),
			 STM32_OK);
	assert_int_equal(bytes[0], 0xCC);
	assert_int_equal(bytes[1], 0x33);
	/* RM0091: USER bit 4 (option bit 20) is nBOOT1. */
	bytes = factory(dev);
	assign_ok(dev, bytes, "nBOOT1=0");
	assert_int_equal(bytes[2], 0xEF);
	assert_int_equal(bytes[3], 0x10);
	/* nBOOT0 and BOOT_SEL exist on F04x and F09x only. */
	assert_null(stm32_option_field_find(dev, "BOOT_SEL"));
	assert_non_null(stm32_option_field_find(device("stm32f04x"), "BOOT_SEL"));
}

static void f4_user_rdp_and_nwrp(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f407xg");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "BOR_LEV"), 3);
	assert_int_equal(get(dev, bytes, "RDP"), 0xAA);
	assert_int_equal(get(dev, bytes, "nWRP"), 0xFFF);
	assign_ok(dev, bytes, "BOR_LEV=0,nWRP=0xFFE");
	assert_int_equal(bytes[0], 0xE0);
	assert_int_equal(bytes[2], 0x1F);
	assert_int_equal(bytes[8], 0xFE);
	assert_int_equal(bytes[9], 0x0F);
	assert_int_equal(bytes[10], 0x01);
	assert_int_equal(bytes[11], 0xF0);
	bool units[16];
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 1);
	assert_true(units[0]);
	assert_false(units[1]);
}

static void g0_optr_word_and_boot_lock(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32g071rb");
	uint8_t *bytes = factory(dev);
	/* RM0444 factory OPTR 0xFFFFFEAA. */
	assert_int_equal(get(dev, bytes, "BOREN"), 0);
	assert_int_equal(get(dev, bytes, "NRST_MODE"), 3);
	assert_int_equal(get(dev, bytes, "nBOOT_SEL"), 1);
	/* nBOOT_SEL = 1 and nBOOT0 = 1: the pin is ignored, main flash boots. */
	assert_true(stm32_option_bytes_boot_locked(dev, bytes, dev->opt_size));
	assign_ok(dev, bytes, "nBOOT0=0");
	assert_int_equal(bytes[3], 0xFB);
	assert_int_equal(bytes[7], 0x04); /* complement word at +4 */
	assert_false(stm32_option_bytes_boot_locked(dev, bytes, dev->opt_size));
}

static void g4_and_l4_software_boot0(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32g431");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "BOR_LEV"), 0);
	assert_false(stm32_option_bytes_boot_locked(dev, bytes, dev->opt_size));
	assign_ok(dev, bytes, "nSWBOOT0=0");
	assert_int_equal(bytes[3], 0xFB);
	assert_int_equal(bytes[7], 0x04);
	assert_true(stm32_option_bytes_boot_locked(dev, bytes, dev->opt_size));
	/* L47x/L48x have no nSWBOOT0; the other L4 lines do. */
	assert_null(stm32_option_field_find(device("stm32l476rg"), "nSWBOOT0"));
	assert_non_null(stm32_option_field_find(device("stm32l43x"), "nSWBOOT0"));
}

static void l0_l1_halfword_complements(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32l07x");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "BOR_LEV"), 0);
	assert_int_equal(get(dev, bytes, "WDG_SW"), 1);
	assert_int_equal(get(dev, bytes, "nBOOT1"), 1);
	assign_ok(dev, bytes, "BOR_LEV=8");
	assert_int_equal(bytes[4], 0x78);
	assert_int_equal(bytes[6], 0x87);
	const struct stm32_device *l1 = device("stm32l1-cat2");
	bytes = factory(l1);
	assign_ok(l1, bytes, "WRP1=0x01");
	assert_int_equal(bytes[10], 0xFE);
	bool units[512];
	/* 4 KiB per bit: 16 pages of 256 bytes. */
	assert_int_equal(stm32_option_bytes_protected_units(l1, bytes, l1->opt_size, units), 16);
	assert_true(units[15]);
	assert_false(units[16]);
}

/* L0: ST's HAL and CMSIS OB_TypeDef for RM0377 put WRP01 at 0x08 and, on
 * L07x/L08x only, WRP23 at 0x0C and WRP45 at 0x10 (sectors 32-47), each word
 * the bits in its low halfword and their complement in the high one. L1
 * (RM0038's OB_TypeDef): WRP45/WRP67 from cat 3, WRP89/WRP1011 from cat 4;
 * cat 5's WRP1213 at 0x80 lies past the mapped 32 bytes. */
static void l0_l1_wrprot_words_past_32_bits(void **state)
{
	(void)state;
	const struct stm32_device *l07 = device("stm32l07x");
	uint8_t *bytes = factory(l07);
	assign_ok(l07, bytes, "WRP5=0x01,WRP6=0x80");
	assert_int_equal(bytes[16], 0x01);
	assert_int_equal(bytes[18], 0xFE);
	assert_int_equal(bytes[17], 0x80);
	assert_int_equal(bytes[19], 0x7F);
	static bool units[2048];
	/* 32 pages of 128 bytes a sector: sectors 32 and 47. */
	assert_int_equal(stm32_option_bytes_protected_units(l07, bytes, l07->opt_size, units), 64);
	assert_true(units[32 * 32] && units[33 * 32 - 1] && units[47 * 32] && units[1535]);
	assert_false(units[33 * 32] || units[32 * 32 - 1]);
	assert_int_equal(stm32_option_wrp_group_count(l07), 48);
	assert_null(stm32_option_field_find(device("stm32l05x"), "WRP3"));
	assert_null(stm32_option_field_find(device("stm32l05x"), "BFB2"));
	assert_non_null(stm32_option_field_find(l07, "BFB2"));
	const struct stm32_device *cat4 = device("stm32l1-cat4");
	bytes = factory(cat4);
	assign_ok(cat4, bytes, "WRP12=0x80");
	assert_int_equal(bytes[29], 0x80);
	assert_int_equal(bytes[31], 0x7F);
	/* 16 pages of 256 bytes a sector: sector 95 is pages 1520-1535. */
	assert_int_equal(stm32_option_bytes_protected_units(cat4, bytes, cat4->opt_size, units), 16);
	assert_true(units[1520] && units[1535]);
	assert_false(units[1519]);
	assert_int_equal(stm32_option_wrp_group_count(cat4), 96);
	assert_int_equal(stm32_option_wrp_group_count(device("stm32l1-cat5")), 96);
	assert_null(stm32_option_field_find(device("stm32l1-cat2"), "WRP5"));
	assert_non_null(stm32_option_field_find(device("stm32l1-cat3"), "WRP8"));
	assert_null(stm32_option_field_find(device("stm32l1-cat3"), "WRP9"));
	assert_null(stm32_option_field_find(device("stm32l1-cat3"), "BFB2"));
	assert_non_null(stm32_option_field_find(cat4, "BFB2"));
}

/* F2 (the F4 layout at 0x1FFFC000: the USER byte 0 with BOR_LEV 2-3, WDG_SW
 * 5, nRST_STOP 6, nRST_STDBY 7; RDP byte 1; nWRP 0-11 in the halfword at 8;
 * each complement 2 bytes on): no SPRMOD, no BFB2. */
static void f2_user_rdp_and_nwrp(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f2xx");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "BOR_LEV"), 3);
	assert_int_equal(get(dev, bytes, "WDG_SW"), 1);
	assert_int_equal(get(dev, bytes, "RDP"), 0xAA);
	assign_ok(dev, bytes, "nRST_STDBY=0,nWRP=0x7FF");
	assert_int_equal(bytes[0], 0x6C);
	assert_int_equal(bytes[2], 0x93);
	assert_int_equal(bytes[8], 0xFF);
	assert_int_equal(bytes[9], 0x07);
	assert_int_equal(bytes[10], 0x00);
	assert_int_equal(bytes[11], 0xF8);
	bool units[16];
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 1);
	assert_true(units[11]);
	assert_null(stm32_option_field_find(dev, "SPRMOD"));
	assert_null(stm32_option_field_find(dev, "BFB2"));
}

static void f7_and_h7(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f74x");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "RDP"), 0xAA);
	assert_int_equal(get(dev, bytes, "IWDG_SW"), 1);
	const struct stm32_device *h7 = device("stm32h743zi");
	const struct stm32_option_field *rdp = stm32_option_field_find(h7, "RDP");
	assert_non_null(rdp);
	assert_false(stm32_option_field_reachable(rdp, h7));
	uint8_t none[4] = {0};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_option_field_set(rdp, h7, none, sizeof none, 0xAA, &err),
			 STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "not reachable"));
}

/* F7 (RM0385/RM0410 option layout, docs/option-bytes.md): one field per
 * 8-byte slot, a 16-bit value and its complement halfword 2 bytes on; the
 * halfword at 0x08 is OPTCR[31:16], BOOT_ADD0 at 0x10, BOOT_ADD1 at 0x18. */
static void f7_wrp_and_boot_addresses(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f74x");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "nWRP"), 0xFF);
	assert_int_equal(get(dev, bytes, "IWDG_STOP"), 1);
	assert_int_equal(get(dev, bytes, "IWDG_STDBY"), 1);
	assert_int_equal(get(dev, bytes, "BOOT_ADD0"), 0x0080);
	assert_int_equal(get(dev, bytes, "BOOT_ADD1"), 0x0040);
	assert_null(stm32_option_field_find(dev, "nDBANK"));
	bool units[16];
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 0);
	/* Protect sectors 1 and 6, freeze the IWDG in Stop, boot from AXIM flash. */
	assign_ok(dev, bytes, "nWRP=0xBD,IWDG_STOP=0,BOOT_ADD0=0x2000");
	assert_int_equal(bytes[8], 0xBD);
	assert_int_equal(bytes[9], 0x7F);
	assert_int_equal(bytes[10], 0x42);
	assert_int_equal(bytes[11], 0x80);
	assert_int_equal(bytes[16], 0x00);
	assert_int_equal(bytes[17], 0x20);
	assert_int_equal(bytes[18], 0xFF);
	assert_int_equal(bytes[19], 0xDF);
	assert_int_equal(bytes[24], 0x40); /* BOOT_ADD1 untouched */
	assert_int_equal(bytes[26], 0xBF);
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 2);
	assert_true(units[1]);
	assert_true(units[6]);
	assert_false(units[0]);
	/* F76x: 12 nWRP bits, nDBOOT bit 12 and nDBANK bit 13 of the same halfword. */
	const struct stm32_device *f76 = device("stm32f76x");
	bytes = factory(f76);
	assert_int_equal(get(f76, bytes, "nWRP"), 0xFFF);
	assert_int_equal(get(f76, bytes, "nDBANK"), 1);
	assign_ok(f76, bytes, "nWRP=0x7FF,nDBOOT=0");
	assert_int_equal(bytes[8], 0xFF);
	assert_int_equal(bytes[9], 0xE7);
	assert_int_equal(bytes[10], 0x00);
	assert_int_equal(bytes[11], 0x18);
	assert_int_equal(stm32_option_bytes_protected_units(f76, bytes, f76->opt_size, units), 1);
	assert_true(units[11]);
}

static void bad_input_changes_nothing(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f103xb");
	uint8_t *bytes = factory(dev);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "WDG_SW=0,NOPE=1", false,
						   &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "NOPE"));
	assert_non_null(strstr(err.message, "nRST_STOP")); /* the valid names are listed */
	assert_int_equal(bytes[2], 0xFF);
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "WDG_SW=2", false, &err),
			 STM32_E_INVALID);
	assert_non_null(strstr(err.message, "software watchdog"));
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "nRDP=0", false, &err),
			 STM32_E_INVALID);
	assert_non_null(strstr(err.message, "derived"));
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "WDG_SW", false, &err),
			 STM32_E_INVALID);
	assert_int_equal(stm32_option_bytes_assign(dev, bytes, dev->opt_size, "Data0=x", false, &err),
			 STM32_E_INVALID);
	assert_memory_equal(bytes, dev->opt_factory, dev->opt_size);
}

static void wrp_groups(void **state)
{
	(void)state;
	size_t first, count;
	const struct stm32_device *md = device("stm32f103xb"); /* 128 pages of 1 KiB */
	assert_int_equal(stm32_option_wrp_group_count(md), 32);
	assert_true(stm32_option_wrp_group_units(md, 0, &first, &count));
	assert_int_equal(first, 0);
	assert_int_equal(count, 4);
	const struct stm32_device *hd = device("stm32f10x-hd"); /* 256 pages of 2 KiB */
	assert_true(stm32_option_wrp_group_units(hd, 31, &first, &count));
	assert_int_equal(first, 62);
	assert_int_equal(count, 256 - 62); /* the last bit: the rest of the flash */
	assert_false(stm32_option_wrp_group_units(hd, 32, &first, &count));
	uint8_t *bytes = factory(md);
	assign_ok(md, bytes, "WRP0=0xFE");
	bool units[128];
	assert_int_equal(stm32_option_bytes_protected_units(md, bytes, md->opt_size, units), 4);
	assert_true(units[3]);
	assert_false(units[4]);
	/* G0 areas: STRT 1, END 3 at WRP1AR; all ones is no area. */
	const struct stm32_device *g0 = device("stm32g071rb");
	bytes = factory(g0);
	assert_int_equal(stm32_option_bytes_protected_units(g0, bytes, g0->opt_size, units), 0);
	assign_ok(g0, bytes, "WRP1A_STRT=1,WRP1A_END=3");
	assert_int_equal(stm32_option_bytes_protected_units(g0, bytes, g0->opt_size, units), 3);
	assert_true(units[1] && units[3]);
	assert_false(units[0] || units[4]);
}

/* F3 (USER byte as in FLASH_OBR bits 8-15: WDG_SW 0, nRST_STOP 1,
 * nRST_STDBY 2, nBOOT1 4, VDDA_MONITOR 5, SRAM_PE 6 but not on
 * F301, SDADC12_VDD_MONITOR 7 on F37x; value/complement byte pairs; a WRP
 * bit covers two 2 KiB pages, the last one the rest of the flash). */
static void f3_user_byte_and_wrp(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f303xc");
	uint8_t *bytes = factory(dev);
	assert_int_equal(get(dev, bytes, "SRAM_PE"), 1);
	assign_ok(dev, bytes, "WDG_SW=0,nBOOT1=0,WRP0=0xFE");
	assert_int_equal(bytes[2], 0xEE);
	assert_int_equal(bytes[3], 0x11);
	assert_int_equal(bytes[8], 0xFE);
	assert_int_equal(bytes[9], 0x01);
	bool units[256];
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 2);
	assert_true(units[0] && units[1]);
	assert_null(stm32_option_field_find(device("stm32f301"), "SRAM_PE"));
	assert_null(stm32_option_field_find(dev, "SDADC12_VDD_MONITOR"));
	assert_non_null(stm32_option_field_find(device("stm32f37x"), "SDADC12_VDD_MONITOR"));
	const struct stm32_device *xe = device("stm32f303xe");
	bytes = factory(xe);
	assign_ok(xe, bytes, "WRP3=0x7F");
	assert_int_equal(stm32_option_bytes_protected_units(xe, bytes, xe->opt_size, units), 256 - 62);
	assert_true(units[62] && units[255]);
	assert_false(units[61]);
}

/* WB and WL OPTR (bit positions of the SVD-derived register tables: RDP
 * 0-7, ESE 8, BOR_LEV 9-11, nRST_* 12-14, IWDG_SW 16 .. WWDG_SW 19, nBOOT1
 * 23, SRAM2_PE 24, SRAM2_RST/SRAM_RST 25, nSWBOOT0 26, nBOOT0 27; WB
 * AGC_TRIM 29-31, WL BOOT_LOCK 30, C2BOOT_LOCK 31), the complement word 4
 * bytes on, WRP areas at 0x18/0x20 (8-bit bounds on WB, 7 on WL). */
static void wb_wl_optr_and_areas(void **state)
{
	(void)state;
	const struct stm32_device *wb = device("stm32wb55");
	uint8_t *bytes = factory(wb);
	assert_int_equal(get(wb, bytes, "AGC_TRIM"), 7);
	assign_ok(wb, bytes, "IWDG_SW=0,BOR_LEV=1,WRP1A_STRT=200,WRP1A_END=255");
	assert_int_equal(bytes[1], 0xF2); /* BOR_LEV 1 in bits 9-11, ESE 0 */
	assert_int_equal(bytes[2], 0xEE);
	assert_int_equal(bytes[5], 0x0D);
	assert_int_equal(bytes[6], 0x11);
	assert_int_equal(bytes[24], 200);
	assert_int_equal(bytes[26], 255);
	bool units[256];
	assert_int_equal(stm32_option_bytes_protected_units(wb, bytes, wb->opt_size, units), 56);
	assert_true(units[200] && units[255]);
	const struct stm32_device *wl = device("stm32wl55");
	bytes = factory(wl);
	assert_int_equal(get(wl, bytes, "BOOT_LOCK"), 0);
	assert_int_equal(get(wl, bytes, "nSWBOOT0"), 1);
	assign_ok(wl, bytes, "nSWBOOT0=0,nBOOT0=0,SRAM_RST=0");
	assert_int_equal(bytes[3], 0x31);
	assert_int_equal(bytes[7], 0xCE);
	/* BOOT_LOCK = 1 shuts the bootloader out for good: refused by name. */
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_option_bytes_assign(wl, bytes, wl->opt_size, "BOOT_LOCK=1", false, &err),
			 STM32_E_INVALID);
	assert_int_equal(err.reason, STM32_REASON_PERMANENT_LOCK);
	assert_null(stm32_option_field_find(wl, "AGC_TRIM"));
}

/* L5, U5 and H5 keep their option bytes in FLASH registers only: the fields
 * are known by name (the SVD-derived bit positions) but not reachable. */
static void l5_u5_h5_fields_are_named_not_reachable(void **state)
{
	(void)state;
	static const char *const devices[] = {"stm32l552", "stm32u575"};
	for (size_t i = 0; i < 2; i++) {
		const struct stm32_device *dev = device(devices[i]);
		const struct stm32_option_field *tzen = stm32_option_field_find(dev, "TZEN");
		assert_non_null(tzen);
		assert_int_equal(tzen->shift, 31);
		assert_false(stm32_option_field_reachable(tzen, dev));
		assert_non_null(stm32_option_field_find(dev, "nSWBOOT0"));
	}
	assert_non_null(stm32_option_field_find(device("stm32l552"), "DBANK"));
	assert_null(stm32_option_field_find(device("stm32l552"), "DUALBANK"));
	assert_non_null(stm32_option_field_find(device("stm32u575"), "SRAM1345_RST"));
	/* H5: FLASH_OPTSR with PRODUCT_STATE in place of RDP. */
	const struct stm32_device *h5 = device("stm32h563zi");
	const struct stm32_option_field *product = stm32_option_field_find(h5, "PRODUCT_STATE");
	assert_non_null(product);
	assert_int_equal(product->factory, 0xED);
	assert_false(stm32_option_field_reachable(product, h5));
	assert_null(stm32_option_field_find(h5, "RDP"));
}

/* L47x/L49x (RM0351), L41x-L46x (RM0394): bank 1's option bytes to WRP1BR, a word and its
 * complement word each: PCROP1ER at 0x10 (PCROP_RDP bit 31), WRP1AR at 0x18
 * (STRT bits 0-7, END bits 16-23), WRP1BR at 0x20. */
static void l4_dual_bank_wrp_areas(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32l476rg");
	assert_int_equal(dev->opt_size, 40);
	uint8_t *bytes = factory(dev);
	bool units[512];
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 0);
	assign_ok(dev, bytes, "WRP1A_STRT=10,WRP1A_END=12,PCROP_RDP=0");
	assert_int_equal(bytes[24], 0x0A);
	assert_int_equal(bytes[26], 0x0C);
	assert_int_equal(bytes[28], 0xF5);
	assert_int_equal(bytes[30], 0xF3);
	assert_int_equal(bytes[19], 0x7F);
	assert_int_equal(bytes[23], 0x80);
	assert_int_equal(stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units), 3);
	assert_true(units[10] && units[11] && units[12]);
	assert_false(units[9] || units[13] || units[266]);
	/* The single-bank L41x-L46x rows (RM0394) map the same words; L4R5 and
	 * L4P5 (RM0432, other bound widths) still map only OPTR. */
	const struct stm32_device *l43 = device("stm32l43x");
	assert_int_equal(l43->opt_size, 40);
	assert_non_null(stm32_option_field_find(l43, "WRP1B_END"));
	assert_null(stm32_option_field_find(device("stm32l4r5"), "WRP1A_STRT"));
}

/* PCROP areas as erase units: G0 bounds count 512-byte blocks (RM0444),
 * L4 bounds double words (RM0351), both included, from the flash start; a
 * bound word still all ones (the factory bytes) is no area. */
static void pcrop_areas_as_pages(void **state)
{
	(void)state;
	bool units[256];
	const struct stm32_device *g0 = device("stm32g071rb");
	uint8_t *bytes = factory(g0);
	assert_int_equal(stm32_option_bytes_pcrop_units(g0, bytes, g0->opt_size, units), 0);
	assign_ok(g0, bytes, "PCROP1A_STRT=4");
	assert_int_equal(stm32_option_bytes_pcrop_units(g0, bytes, g0->opt_size, units), 0);
	assign_ok(g0, bytes, "PCROP1A_END=7");
	assert_int_equal(bytes[8], 0x04);
	assert_int_equal(bytes[12], 0xFB);
	assert_int_equal(bytes[16], 0x07);
	/* Blocks 4-7 are bytes 0x800-0xFFF: page 1 of 2 KiB. */
	assert_int_equal(stm32_option_bytes_pcrop_units(g0, bytes, g0->opt_size, units), 1);
	assert_true(units[1]);
	assert_false(units[0] || units[2]);
	assign_ok(g0, bytes, "PCROP1A_STRT=8");
	assert_int_equal(stm32_option_bytes_pcrop_units(g0, bytes, g0->opt_size, units), 0);
	const struct stm32_device *l43 = device("stm32l43x");
	bytes = factory(l43);
	assign_ok(l43, bytes, "PCROP1_STRT=0x100,PCROP1_END=0x2FF");
	/* Double words 0x100-0x2FF are bytes 0x800-0x17FF: pages 1 and 2. */
	assert_int_equal(stm32_option_bytes_pcrop_units(l43, bytes, l43->opt_size, units), 2);
	assert_true(units[1] && units[2]);
	assert_false(units[0] || units[3]);
	/* L4R5 maps PCROP1SR but not PCROP1ER: no area can be read. */
	const struct stm32_device *l4r5 = device("stm32l4r5");
	bytes = factory(l4r5);
	static bool many[512];
	assert_int_equal(stm32_option_bytes_pcrop_units(l4r5, bytes, l4r5->opt_size, many), 0);
}

/* Every reachable field of every device: the factory bytes decode to the
 * table's factory value, and setting each listed value reads back the same
 * and leaves the other fields as they were. */
static void every_field_round_trips(void **state)
{
	(void)state;
	size_t checked = 0;
	for (size_t d = 0; d < stm32_device_count(); d++) {
		const struct stm32_device *dev = stm32_device_at(d);
		for (size_t i = 0; i < stm32_option_field_count(); i++) {
			const struct stm32_option_field *field = stm32_option_field_at(i);
			if (!stm32_option_field_applies(field, dev) || !stm32_option_field_reachable(field, dev))
				continue;
			uint8_t *bytes = factory(dev);
			assert_int_equal(stm32_option_field_get(field, bytes, dev->opt_size), field->factory);
			for (size_t v = 0; v < field->value_count; v++) {
				uint32_t value = field->values[v].any_other ? field->factory : field->values[v].value;
				struct stm32_error err;
				stm32_error_clear(&err);
				assert_int_equal(stm32_option_field_set(field, dev, bytes, dev->opt_size, value, &err),
						 STM32_OK);
				assert_int_equal(stm32_option_field_get(field, bytes, dev->opt_size), value);
			}
			assert_int_equal(stm32_option_field_set(field, dev, bytes, dev->opt_size, field->factory,
								NULL), STM32_OK);
			assert_memory_equal(bytes, dev->opt_factory, dev->opt_size);
			checked++;
		}
	}
	assert_true(checked > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_user_byte_and_complement),
		cmocka_unit_test(f0_rdp_level2_is_permanent),
		cmocka_unit_test(f4_user_rdp_and_nwrp),
		cmocka_unit_test(g0_optr_word_and_boot_lock),
		cmocka_unit_test(g4_and_l4_software_boot0),
		cmocka_unit_test(l4_dual_bank_wrp_areas),
		cmocka_unit_test(f3_user_byte_and_wrp),
		cmocka_unit_test(wb_wl_optr_and_areas),
		cmocka_unit_test(l5_u5_h5_fields_are_named_not_reachable),
		cmocka_unit_test(l0_l1_halfword_complements),
		cmocka_unit_test(l0_l1_wrprot_words_past_32_bits),
		cmocka_unit_test(f2_user_rdp_and_nwrp),
		cmocka_unit_test(f7_and_h7),
		cmocka_unit_test(f7_wrp_and_boot_addresses),
		cmocka_unit_test(bad_input_changes_nothing),
		cmocka_unit_test(wrp_groups),
		cmocka_unit_test(pcrop_areas_as_pages),
		cmocka_unit_test(every_field_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
