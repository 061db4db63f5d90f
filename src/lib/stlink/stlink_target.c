/* The ST-LINK back end (stlink_target.h): connect (hot plug), halt,
 * identify the chip (stlink.md §4), and the table: flash through the RAM
 * loader (stlink_loader.h) where the family has one and SRAM holds it,
 * else through the flash controller's registers (stlink_flash.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbytes/option_edit.h"
#include "stm32boot/option_bytes.h"
#include "stlink/stlink_flash.h"
#include "stlink/stlink_loader.h"
#include "stlink/stlink_proto.h"
#include "stlink/stlink_target.h"

#define DEFAULT_TIMEOUT_MS 3000u
#define CPUID 0xE000ED00u
#define CPUID_IMPLEMENTER_ARM 0x41u
#define PART_M0 0xC20u
#define PART_M0PLUS 0xC60u
#define PART_M7 0xC27u
#define PART_M33 0xD21u
#define PART_M4 0xC24u
#define DP_IDCODE_H7 0x6BA02477u
#define DEV_ID_F4_REV_A 0x411u /* early F4s report F2's ID; stlink-tools takes it as 0x413 */
#define SRAM_BASE 0x20000000u
#define ROM_RESERVE_MAX 0x4000u /* the most RAM a ROM bootloader keeps for itself */

struct stlink_backend {
	struct stm32_target target;
	struct stlink_link link;
	struct stlink_flash flash;
	struct stlink_loader loader;
	bool use_loader;            /* else the register-level path */
	struct stm32_device device; /* the table's row, with all of SRAM usable */
	unsigned swd_khz;           /* the clock the probe took, 0 when unknown */
	bool reset_with_nrst;       /* st_reset pulses NRST instead of AIRCR's SYSRESETREQ */
	uint8_t register_factory[STLINK_H7_OPTION_IMAGE]; /* H7: the image's factory bytes */
	uint32_t cpuid, dev_id;
};

void stm32_stlink_options_default(struct stm32_stlink_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->timeout_ms = DEFAULT_TIMEOUT_MS;
}

static struct stlink_backend *backend_of(struct stm32_target *t)
{
	return t->backend;
}

/* H7: the option registers' image stands where the option area would
 * (stlink_flash.h); reads inside it are answered from the registers. */
static bool in_register_image(const struct stlink_backend *b, uint32_t address, size_t length)
{
	return b->device.opt_start == STLINK_H7_OPTION_START && b->flash.kind == STLINK_FLASH_H7 &&
	       address >= STLINK_H7_OPTION_START &&
	       (uint64_t)address + length <= (uint64_t)STLINK_H7_OPTION_START + STLINK_H7_OPTION_IMAGE;
}

/* What write_behind left programming must land before the chip is
 * looked at or told anything else (the executor finishes first; other
 * callers need not know). */
static enum stm32_status settle(struct stlink_backend *b, struct stm32_error *err)
{
	if (!stlink_loader_in_flight(&b->loader))
		return STM32_OK;
	return stlink_loader_finish(&b->link, &b->loader, err);
}

static enum stm32_status st_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				 size_t length, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	enum stm32_status settled = settle(b, err);
	if (settled != STM32_OK)
		return settled;
	if (in_register_image(b, address, length)) {
		uint8_t image[STLINK_H7_OPTION_IMAGE];
		enum stm32_status s = stlink_flash_h7_read_options(&b->link, &b->flash, image, err);
		if (s == STM32_OK)
			memcpy(data, image + (address - STLINK_H7_OPTION_START), length);
		return s;
	}
	enum stm32_status s = stlink_read(&b->link, address, data, length, err);
	if (s == STM32_E_NACK && b->target.chip.read_protected &&
	    stm32_device_in_flash(b->target.desc.device, address, length))
		s = stm32_error_set(err, STM32_E_PROTECTED,
				    "readout protection bars the debugger from flash");
	return s;
}

static enum stm32_status no_flash_driver(const struct stlink_backend *b, struct stm32_error *err)
{
	const struct stm32_device *dev = b->target.desc.device;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s: erasing and programming the %s family's flash over SWD is not "
			       "done yet (reading is)", dev->name, dev->family);
}

/* The RAM loader, or the register path where it does not fit (L011/L021's
 * 2 KiB of SRAM). */
static bool can_program(const struct stlink_backend *b)
{
	return b->use_loader || b->flash.kind != STLINK_FLASH_NONE;
}

static bool in_ram(const struct stm32_device *dev, uint32_t address, size_t length)
{
	return address >= dev->ram_start && (uint64_t)address + length <= dev->ram_end;
}

/* behind: hand the data to the loader and return while it programs. */
static enum stm32_status write_to(struct stm32_target *t, uint32_t address, const uint8_t *data,
				  size_t length, bool behind, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	const struct stm32_device *dev = b->target.desc.device;
	if (in_ram(dev, address, length)) {
		/* The loader's code and buffers may be overwritten: stop it. */
		enum stm32_status s = stlink_loader_stop(&b->link, &b->loader, err);
		stlink_loader_forget(&b->loader, false);
		return s == STM32_OK ? stlink_write(&b->link, address, data, length,
						    length % 4 ? 2 : 4, err)
				     : s;
	}
	if (!can_program(b))
		return no_flash_driver(b, err);
	unsigned unit = b->use_loader ? stlink_loader_unit(&b->loader) : stlink_flash_unit(&b->flash);
	if (!stm32_device_in_flash(dev, address, length) || address % unit || length % unit) {
		enum stm32_status s = stm32_error_set(
			err, STM32_E_RANGE, "0x%08X+%zu is not whole %u-byte flash units", address,
			length, unit);
		stm32_error_address(err, address);
		return s;
	}
	if (b->use_loader && behind)
		return stlink_loader_queue(&b->link, &b->loader, address, data, length, err);
	if (b->use_loader)
		return stlink_loader_program(&b->link, &b->loader, address, data, length, err);
	return stlink_flash_program(&b->link, &b->flash, address, data, length, err);
}

static enum stm32_status st_write(struct stm32_target *t, uint32_t address, const uint8_t *data,
				  size_t length, struct stm32_error *err)
{
	return write_to(t, address, data, length, false, err);
}

/* The register-level path and RAM writes have nothing to leave behind:
 * they return done, as write does. */
static enum stm32_status st_write_behind(struct stm32_target *t, uint32_t address,
					 const uint8_t *data, size_t length,
					 struct stm32_error *err)
{
	return write_to(t, address, data, length, true, err);
}

static enum stm32_status st_finish(struct stm32_target *t, struct stm32_error *err)
{
	return settle(backend_of(t), err);
}

static enum stm32_status st_erase(struct stm32_target *t, const struct stm32_erase_request *r,
				  struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	if (!can_program(b))
		return no_flash_driver(b, err);
	if (b->use_loader)
		return stlink_loader_erase(&b->link, &b->loader, r, err);
	if (r->kind == STM32_ERASE_REQUEST_MASS)
		return stlink_flash_mass_erase(&b->link, &b->flash, err);
	if (r->kind != STM32_ERASE_REQUEST_UNITS)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "bank erase over SWD is not done yet (erase the pages)");
	enum stm32_status s = STM32_OK;
	for (size_t i = 0; i < r->count && s == STM32_OK; i++)
		s = stlink_flash_erase_unit(&b->link, &b->flash, r->units[i], err);
	return s;
}

/* On-chip CRC: the RAM loader's (the CRC unit). */
static enum stm32_status st_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				uint32_t *crc, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	if (!b->use_loader)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "no on-chip CRC without the RAM loader");
	if (!stm32_device_in_flash(b->target.desc.device, address, length))
		return stm32_error_set(err, STM32_E_NACK, "the RAM loader's CRC covers flash only");
	return stlink_loader_crc(&b->link, &b->loader, address, length, crc, err);
}

/* The reset that starts the program: AIRCR's, or the NRST pin when asked. */
static enum stm32_status reset_run(struct stlink_backend *b, struct stm32_error *err)
{
	return b->reset_with_nrst ? stlink_nrst_reset_run(&b->link, err)
				  : stlink_reset_run(&b->link, err);
}

static enum stm32_status st_reset(struct stm32_target *t, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	enum stm32_status s = settle(b, err);
	stlink_loader_forget(&b->loader, true);
	if (s != STM32_OK)
		return s;
	return reset_run(b, err);
}

#define REG_PC 15u
#define REG_XPSR 16u
#define REG_MSP 17u
#define XPSR_THUMB 0x01000000u

/* Go (as the ROM's): MSP from [address], PC from [address + 4], then run
 * with debug off. */
static enum stm32_status st_go(struct stm32_target *t, uint32_t address, struct stm32_error *err)
{
	struct stlink_link *l = &backend_of(t)->link;
	enum stm32_status s = settle(backend_of(t), err);
	/* The program's choice from here: the loader's SRAM is its. */
	stlink_loader_forget(&backend_of(t)->loader, true);
	uint32_t sp, pc;
	if (s == STM32_OK)
		s = stlink_read_word(l, address, &sp, err);
	if (s == STM32_OK)
		s = stlink_read_word(l, address + 4, &pc, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_MSP, sp, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_PC, pc & ~1u, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_XPSR, XPSR_THUMB, err);
	return s == STM32_OK ? stlink_resume(l, err) : s;
}

static enum stm32_status identify(struct stlink_backend *b, struct stm32_error *err);

/* Option-byte changes end in a reset: the loader stops first and is
 * loaded again afterwards. */
static enum stm32_status park_loader(struct stlink_backend *b, struct stm32_error *err)
{
	enum stm32_status s = stlink_loader_stop(&b->link, &b->loader, err);
	stlink_loader_forget(&b->loader, true);
	return s;
}

/* The new option bytes in force after a write that succeeded (s): the
 * chip reset itself (OBL_LAUNCH), or a system reset loads them (F1,
 * F2/F4/F7). */
static enum stm32_status load_options(struct stlink_backend *b, enum stm32_status s, bool reset,
				      struct stm32_error *err)
{
	return s == STM32_OK && !reset ? reset_run(b, err) : s;
}

static enum stm32_status write_options_and_reset(struct stlink_backend *b, const uint8_t *area,
						 size_t length, struct stm32_error *err)
{
	bool reset = false;
	enum stm32_status s = stlink_flash_write_options(&b->link, &b->flash, area, length, &reset,
							 err);
	return load_options(b, s, reset, err);
}

/* The option area as mapped (debug reads of it work while flash reads
 * fault at level 1 on some families, not all: refuse rather than guess). */
static enum stm32_status read_option_area(struct stlink_backend *b, uint8_t *area,
					  struct stm32_error *err)
{
	const struct stm32_device *dev = &b->device;
	if (!stlink_flash_option_reach(&b->flash))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "writing the option bytes over SWD on the %s family is not "
				       "done yet", dev->family);
	if (b->target.chip.read_protected)
		return stm32_error_set(err, STM32_E_PROTECTED,
				       "the %s is read-protected: its option bytes are changed "
				       "only by -k (which erases the flash) until then", dev->name);
	if (b->flash.kind == STLINK_FLASH_H7)
		return stlink_flash_h7_read_options(&b->link, &b->flash, area, err);
	return stlink_read(&b->link, dev->opt_start, area, dev->opt_size, err);
}

/* What the ROM's protection commands do, as an edit of the option area. */
static enum stm32_status change_options(struct stlink_backend *b, const struct option_edit *edit,
					struct stm32_error *err)
{
	uint8_t area[sizeof b->target.chip.option_bytes];
	enum stm32_status s = park_loader(b, err);
	if (s == STM32_OK)
		s = read_option_area(b, area, err);
	if (s == STM32_OK)
		s = option_edit_apply(&b->device, area, b->device.opt_size, edit, err);
	return s == STM32_OK ? write_options_and_reset(b, area, b->device.opt_size, err) : s;
}

/* Level 1 to 0: the option area as the factory left it, RDP level 0 (the
 * chip mass-erases its flash first). F0/F1/F3 as before. */
static enum stm32_status st_readout_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	const struct stm32_device *dev = &b->device;
	enum stm32_status s = park_loader(b, err);
	if (s != STM32_OK)
		return s;
	if (b->flash.kind == STLINK_FLASH_F1) {
		bool reset = false;
		s = stlink_flash_readout_unprotect(&b->link, &b->flash, &reset, err);
		return load_options(b, s, reset, err);
	}
	if (!stlink_flash_option_reach(&b->flash) || !dev->opt_factory)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "changing readout protection over SWD on the %s family is "
				       "not done yet", dev->family);
	return write_options_and_reset(b, dev->opt_factory, dev->opt_size, err);
}

/* Level 1 set through the debug port, then a system reset: the chip saw
 * a debugger since power-on and runs nothing from flash until a power-on
 * reset (RM0090 §3.6.3 and RM0351 §3.5.1 say so for F4 and L4; the other
 * families are taken to be alike, not checked). H7 takes its options at
 * OPTSTART without a reset, and is not claimed here. */
static void note_power_cycle(struct stlink_backend *b, enum stm32_status s)
{
	if (s == STM32_OK && b->flash.kind != STLINK_FLASH_H7)
		b->target.chip.power_cycle_needed = true;
}

static enum stm32_status st_readout_protect(struct stm32_target *t, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	enum stm32_status s;
	if (b->flash.kind == STLINK_FLASH_F1) {
		bool reset = false;
		s = park_loader(b, err);
		if (s == STM32_OK)
			s = stlink_flash_readout_protect(&b->link, &b->flash, &reset, err);
		s = load_options(b, s, reset, err);
	} else {
		struct option_edit edit = {OPTION_EDIT_READOUT_PROTECT, NULL, 0};
		s = change_options(b, &edit, err);
	}
	note_power_cycle(b, s);
	return s;
}

static enum stm32_status st_write_protect(struct stm32_target *t, const uint32_t *groups,
					  size_t count, struct stm32_error *err)
{
	struct option_edit edit = {OPTION_EDIT_WRITE_PROTECT, groups, count};
	return change_options(backend_of(t), &edit, err);
}

static enum stm32_status st_write_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	struct option_edit edit = {OPTION_EDIT_WRITE_UNPROTECT, NULL, 0};
	return change_options(backend_of(t), &edit, err);
}

static enum stm32_status st_reconnect(struct stm32_target *t, struct stm32_error *err);

/* A block of the option area (the plan's, from --set-option or a file):
 * laid over what the chip holds, written whole, and the chip talked to
 * again after its reset. Bytes the option registers do not reach must
 * stay as they are. */
static enum stm32_status st_write_option_bytes(struct stm32_target *t, uint32_t address,
					       const uint8_t *data, size_t length,
					       struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	const struct stm32_device *dev = &b->device;
	if (address < dev->opt_start || length > dev->opt_size ||
	    address - dev->opt_start > dev->opt_size - length)
		return stm32_error_set(err, STM32_E_RANGE,
				       "0x%08X+%zu is outside the option bytes (0x%08X, %u bytes)",
				       address, length, dev->opt_start, (unsigned)dev->opt_size);
	uint8_t area[sizeof b->target.chip.option_bytes];
	enum stm32_status s = park_loader(b, err);
	if (s == STM32_OK)
		s = read_option_area(b, area, err);
	if (s != STM32_OK)
		return s;
	bool was_level0 = dev->rdp_offset >= 0 && area[dev->rdp_offset] == dev->rdp_level0;
	size_t offset = address - dev->opt_start, reach = stlink_flash_option_reach(&b->flash);
	for (size_t i = 0; i < length; i++)
		if (offset + i >= reach && area[offset + i] != data[i])
			return stm32_error_set(err, STM32_E_UNSUPPORTED,
					       "option byte 0x%08zX is beyond what the %s's option "
					       "registers reach over SWD (the first %zu bytes)",
					       dev->opt_start + offset + i, dev->name, reach);
	memcpy(area + offset, data, length);
	bool permanent = option_edit_permanent(dev, area, dev->opt_size, dev->opt_start);
	s = write_options_and_reset(b, area, dev->opt_size, err);
	/* Level 2 is in force from the reset that loads it: the reset's own
	 * answer may be lost, and nothing answers after it. */
	uint32_t cpuid;
	struct stm32_error probe;
	if (permanent && (s == STM32_OK || stlink_read_word(&b->link, CPUID, &cpuid, &probe) != STM32_OK))
		return stm32_error_set(err, STM32_E_IO,
				       "the %s took option bytes that lock it for good (RDP level "
				       "2): its debug port no longer answers", dev->name);
	if (s == STM32_OK)
		s = st_reconnect(t, err);
	if (was_level0 && area[dev->rdp_offset] != dev->rdp_level0)
		note_power_cycle(b, s);
	return s;
}

/* After the chip reset itself: SWD survives a system reset; halt and look again. */
static enum stm32_status st_reconnect(struct stm32_target *t, struct stm32_error *err)
{
	struct stlink_backend *b = backend_of(t);
	stlink_loader_forget(&b->loader, true);
	enum stm32_status s = stlink_halt(&b->link, err);
	if (s == STM32_OK) {
		bool power_cycle = b->target.chip.power_cycle_needed; /* until a power-on */
		memset(&b->target.chip, 0, sizeof b->target.chip);
		b->target.chip.power_cycle_needed = power_cycle;
		s = identify(b, err);
	}
	return s;
}

static void st_close(struct stm32_target *t)
{
	struct stlink_backend *b = backend_of(t);
	if (b->link.usb && b->link.dp_idcode) {
		/* The core was halted at connect: let it go on, debug off; unless
		 * the RAM loader ran since the last reset: the core's registers
		 * and the start of SRAM are the loader's then, and the core
		 * stays halted in it (-R or -g runs the program). */
		struct stm32_error ignored;
		(void)stlink_loader_stop(&b->link, &b->loader, &ignored);
		if (!b->loader.clobbered)
			(void)stlink_resume(&b->link, &ignored);
		stlink_leave(&b->link);
	}
	stlink_usb_close(b->link.usb);
	free(b);
}

static const struct stm32_target_ops stlink_ops = {
	.read = st_read,
	.write = st_write,
	.write_behind = st_write_behind,
	.finish = st_finish,
	.erase = st_erase,
	.crc = st_crc,
	.go = st_go,
	.reset = st_reset,
	.write_option_bytes = st_write_option_bytes,
	.readout_protect = st_readout_protect,
	.readout_unprotect = st_readout_unprotect,
	.write_protect = st_write_protect,
	.write_unprotect = st_write_unprotect,
	.reconnect = st_reconnect,
	.close = st_close,
};

/* Where DBGMCU_IDCODE sits for this core (stlink.md §4). */
static uint32_t dbgmcu_idcode_address(uint32_t part, uint32_t dp_idcode)
{
	if (part == PART_M0 || part == PART_M0PLUS)
		return 0x40015800u;
	if (part == PART_M33)
		return 0xE0044000u;
	if (part == PART_M7 && dp_idcode == DP_IDCODE_H7)
		return 0x5C001000u;
	return 0xE0042000u;
}

/* H7 keeps its option bytes in flash-controller registers: the backend's
 * row maps their image (stlink_flash.h) so the option-byte table's H7
 * fields (their offsets are in the image) are reachable over SWD, and
 * only here. */
static void map_register_image(struct stlink_backend *b, const struct stm32_device *dev)
{
	if (strcmp(dev->family, "H7") != 0 || dev->opt_size ||
	    stm32_option_register_image(dev, b->register_factory, sizeof b->register_factory) !=
		    STLINK_H7_OPTION_IMAGE)
		return;
	b->device.opt_start = STLINK_H7_OPTION_START;
	b->device.opt_size = STLINK_H7_OPTION_IMAGE;
	b->device.opt_factory = b->register_factory;
	b->device.rdp_offset = 1; /* OPTSR_CUR bits 15:8 */
	b->device.rdp_level0 = 0xAA;
}

static enum stm32_status identify(struct stlink_backend *b, struct stm32_error *err)
{
	struct stlink_link *l = &b->link;
	enum stm32_status s = stlink_read_word(l, CPUID, &b->cpuid, err);
	if (s != STM32_OK)
		return s;
	uint32_t part = b->cpuid >> 4 & 0xFFFu;
	if (b->cpuid >> 24 != CPUID_IMPLEMENTER_ARM)
		return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
				       "the SWD target is not an ARM Cortex-M (CPUID 0x%08X)", b->cpuid);
	uint32_t idcode;
	if ((s = stlink_read_word(l, dbgmcu_idcode_address(part, l->dp_idcode), &idcode, err)) !=
	    STM32_OK)
		return s;
	b->dev_id = idcode & 0xFFFu;
	if (b->dev_id == DEV_ID_F4_REV_A && part == PART_M4)
		b->dev_id = 0x413u;
	const struct stm32_device *dev = stm32_device_by_pid((uint16_t)b->dev_id);
	if (!dev)
		return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
				       "unknown chip: DBGMCU device ID 0x%03X (CPUID 0x%08X) is not in "
				       "the device table", b->dev_id, b->cpuid);
	struct stm32_chip_facts *chip = &b->target.chip;
	if (dev->flash_size_reg) {
		uint8_t size[2];
		if (stlink_read(l, dev->flash_size_reg, size, sizeof size, err) == STM32_OK) {
			chip->flash_size_known = true;
			chip->flash_kib = (uint32_t)size[0] | (uint32_t)size[1] << 8;
			const struct stm32_device *sized =
				stm32_device_by_pid_and_size((uint16_t)b->dev_id, chip->flash_kib);
			dev = sized ? sized : dev;
		}
	}
	if (dev->uid_reg && stlink_read(l, dev->uid_reg, chip->uid, sizeof chip->uid, err) == STM32_OK)
		chip->uid_known = true;
	stm32_error_clear(err);
	/* The row's RAM starts after what the ROM bootloader keeps; a debugger
	 * halts the core instead, and all of SRAM is the host's. */
	b->device = *dev;
	if (dev->ram_start > SRAM_BASE && dev->ram_start - SRAM_BASE <= ROM_RESERVE_MAX)
		b->device.ram_start = SRAM_BASE;
	dev = &b->device;
	b->target.desc.device = dev;
	map_register_image(b, dev);
	/* A family without a flash driver here can still be read. */
	char why[160];
	(void)stlink_flash_init(&b->flash, dev);
	b->use_loader = stlink_loader_init(&b->loader, dev, l->timeout_ms, why, sizeof why);
	b->loader.crc_ahead_allowed = chip->flash_size_known;
	/* Readout protection: the debugger's reads of flash fault. */
	uint8_t probe[4];
	struct stm32_error probe_err;
	stm32_error_clear(&probe_err);
	chip->read_protected = stlink_read(l, dev->flash_start, probe, sizeof probe, &probe_err) ==
			       STM32_E_NACK;
	/* H7's option registers read at any level; a mapped area not at 1. */
	bool registers = b->flash.kind == STLINK_FLASH_H7 && dev->opt_start == STLINK_H7_OPTION_START;
	enum stm32_status got = STM32_E_UNSUPPORTED;
	if (registers)
		got = stlink_flash_h7_read_options(l, &b->flash, chip->option_bytes, &probe_err);
	else if (!chip->read_protected && dev->opt_start && dev->opt_size &&
		 dev->opt_size <= sizeof chip->option_bytes)
		got = stlink_read(l, dev->opt_start, chip->option_bytes, dev->opt_size, &probe_err);
	if (got == STM32_OK) {
		chip->option_bytes_known = true;
		chip->option_bytes_size = dev->opt_size;
	}
	return STM32_OK;
}

#define DEMCR 0xE000EDFCu
#define DEMCR_VC_CORERESET 1u
#define DHCSR 0xE000EDF0u
#define DHCSR_S_HALT (1u << 17)
#define HALT_POLLS 100u

/* Hot plug: enter SWD and halt the core where it is. Under reset: NRST
 * low first, halt with the reset vector catch set, release NRST: the core
 * stops before its first instruction. */
static enum stm32_status attach(struct stlink_backend *b, const struct stm32_stlink_options *opts,
				struct stm32_error *err)
{
	struct stlink_link *l = &b->link;
	bool under_reset = opts && opts->connect_under_reset;
	enum stm32_status s = under_reset ? stlink_drive_nrst(l, false, err) : STM32_OK;
	if (s == STM32_OK)
		s = stlink_enter_swd(l, opts ? opts->swd_khz : 0, &b->swd_khz, err);
	if (s == STM32_OK)
		s = stlink_halt(l, err);
	if (s != STM32_OK || !under_reset)
		return s;
	if ((s = stlink_write_word(l, DEMCR, DEMCR_VC_CORERESET, err)) == STM32_OK)
		s = stlink_drive_nrst(l, true, err);
	uint32_t dhcsr = 0;
	for (unsigned i = 0; s == STM32_OK && i < HALT_POLLS && !(dhcsr & DHCSR_S_HALT); i++)
		s = stlink_read_word(l, DHCSR, &dhcsr, err);
	if (s == STM32_OK && !(dhcsr & DHCSR_S_HALT))
		s = stm32_error_set(err, STM32_E_TIMEOUT,
				    "the core did not halt after NRST was released (DHCSR 0x%08X): is "
				    "NRST wired to the probe?", dhcsr);
	return s == STM32_OK ? stlink_write_word(l, DEMCR, 0, err) : s;
}

static void fill_desc(struct stlink_backend *b)
{
	struct stm32_target_desc *d = &b->target.desc;
	d->name = "ST-LINK (SWD)";
	d->caps = STM32_CAP_READ | STM32_CAP_RESET | STM32_CAP_GO;
	if (can_program(b))
		d->caps |= STM32_CAP_WRITE | STM32_CAP_ERASE | STM32_CAP_MASS_ERASE;
	if (stlink_flash_option_reach(&b->flash))
		d->caps |= STM32_CAP_READOUT_PROTECT | STM32_CAP_READOUT_UNPROTECT |
			   STM32_CAP_OPTION_BYTES | STM32_CAP_WRITE_PROTECT | STM32_CAP_WRITE_UNPROTECT;
	d->max_read = d->max_write = STLINK_MAX_TRANSFER;
	d->erase_units_per_request = 1;
	if (b->use_loader) {
		d->caps |= STM32_CAP_CRC;
		/* Four buffers' worth per request: the chip programs one while
		 * the next goes over SWD, and waits only at the request's end. */
		d->max_write = 4u * b->loader.buffer_size;
		d->erase_units_per_request = stlink_loader_max_erase_units(&b->loader);
	}
	d->max_erase_unit = (uint32_t)stm32_device_sector_count(d->device) - 1u;
	/* Full-speed bulk transfers, ~1 MB/s; a write is CR, the data, the
	 * status, BSY polls and the lock: about 8 commands, each a frame. */
	d->cost = (struct stm32_target_cost){
		.bits_per_byte = 8, .bits_per_second = 8000000,
		.read_overhead = 44, .read_round_trips = 2,
		.write_overhead = 150, .write_round_trips = 9,
		.erase_overhead = 150, .erase_round_trips = 9,
		.round_trip_us = 1000,
	};
}

enum stm32_status stlink_target_open(const char *serial, const struct stm32_stlink_options *opts,
				     struct stm32_target **out, struct stm32_error *err)
{
	*out = NULL;
	struct stlink_backend *b = calloc(1, sizeof *b);
	if (!b)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	b->link.timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	b->reset_with_nrst = opts && opts->reset_with_nrst;
	b->target.ops = &stlink_ops;
	b->target.backend = b;
	enum stm32_status s = stlink_usb_open(serial, &b->link.usb, &b->link.info, err);
	if (s == STM32_OK)
		s = stlink_identify_probe(&b->link, err);
	if (s == STM32_OK)
		s = attach(b, opts, err);
	if (s == STM32_OK)
		s = identify(b, err);
	if (s != STM32_OK) {
		stm32_error_op(err, STM32_OP_CONNECT);
		st_close(&b->target);
		return s;
	}
	fill_desc(b);
	*out = &b->target;
	return STM32_OK;
}

void stlink_target_describe(struct stm32_target *t, char *out, size_t size)
{
	const struct stlink_backend *b = backend_of(t);
	const struct stlink_link *l = &b->link;
	snprintf(out, size, "stlink:%s V%uJ%uS%u %.2f V %u kHz", *l->info.serial ? l->info.serial : "",
		 l->version, l->jtag, l->swim, l->voltage, b->swd_khz);
}
