/* An in-memory back end: see fake_target.h. */
#include "fake_target.h"

#include <stdlib.h>
#include <string.h>

#include "stm32boot/crc.h"

#define FAKE_RAM_BASE 0x20000000u

static struct fake_target *fake_of(struct stm32_target *t)
{
	return t->backend;
}

/* The failure scripted for this call of op, if any. */
static const struct fake_fault *fault_now(struct fake_target *f, enum fake_op op)
{
	unsigned call = ++f->calls[op];
	f->touched_in_flight += op != FAKE_LAND && f->pending;
	for (size_t i = 0; i < f->fault_count; i++) {
		const struct fake_fault *fault = &f->faults[i];
		if (fault->op == op && call >= fault->nth && call < fault->nth + fault->times)
			return fault;
	}
	return NULL;
}

static enum stm32_status refuse(const struct fake_fault *fault, struct stm32_error *err)
{
	if (fault->failure == FAKE_NACK)
		return stm32_error_set(err, STM32_E_NACK, "fake: refused");
	return stm32_error_set(err, STM32_E_TIMEOUT, "fake: no answer");
}

uint8_t *fake_target_flash_at(struct fake_target *f, uint32_t address)
{
	const struct stm32_device *dev = f->device;
	if (address < dev->flash_start || address - dev->flash_start >= dev->flash_size)
		return NULL;
	return f->flash + (address - dev->flash_start);
}

static uint8_t *memory_at(struct fake_target *f, uint32_t address, size_t length, bool *is_flash)
{
	const struct stm32_device *dev = f->device;
	*is_flash = false;
	if (stm32_device_in_flash(dev, address, length)) {
		*is_flash = true;
		return fake_target_flash_at(f, address);
	}
	if (address >= FAKE_RAM_BASE && address - FAKE_RAM_BASE + length <= sizeof f->ram)
		return f->ram + (address - FAKE_RAM_BASE);
	if (dev->opt_size && address >= dev->opt_start &&
	    address - dev->opt_start + length <= dev->opt_size && dev->opt_size <= sizeof f->option_bytes)
		return f->option_bytes + (address - dev->opt_start);
	return NULL;
}

static enum stm32_status fake_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				   size_t length, struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	const struct fake_fault *fault = fault_now(f, FAKE_READ);
	if (fault)
		return refuse(fault, err);
	bool is_flash;
	const uint8_t *at = memory_at(f, address, length, &is_flash);
	if (!at)
		return stm32_error_set(err, STM32_E_NACK, "fake: nothing at 0x%08X", address);
	memcpy(data, at, length);
	return STM32_OK;
}

/* NOR flash: a programmed bit is a cleared bit. */
static enum stm32_status fake_write(struct stm32_target *t, uint32_t address, const uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	const struct fake_fault *fault = fault_now(f, FAKE_WRITE);
	if (fault && (fault->failure == FAKE_NACK || fault->failure == FAKE_TIMEOUT))
		return refuse(fault, err);
	bool is_flash;
	uint8_t *at = memory_at(f, address, length, &is_flash);
	if (!at)
		return stm32_error_set(err, STM32_E_NACK, "fake: nothing at 0x%08X", address);
	for (size_t i = 0; i < length; i++)
		at[i] = is_flash ? (uint8_t)(at[i] & data[i]) : data[i];
	if (fault && fault->failure == FAKE_FLIP_BIT)
		at[0] &= 0xFEu;
	if (fault && fault->failure == FAKE_REPLY_LOST)
		return stm32_error_set(err, STM32_E_TIMEOUT, "fake: written, answer lost");
	return STM32_OK;
}

static void erase_unit(struct fake_target *f, uint32_t index)
{
	uint32_t address, size;
	if (!stm32_device_sector(f->device, index, &address, &size))
		return;
	memset(fake_target_flash_at(f, address), 0xFF, size);
	f->units_erased++;
}

static enum stm32_status fake_erase(struct stm32_target *t, const struct stm32_erase_request *request,
				    struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	const struct fake_fault *fault = fault_now(f, FAKE_ERASE);
	if (fault && (fault->failure == FAKE_NACK || fault->failure == FAKE_TIMEOUT))
		return refuse(fault, err);
	if (request->kind == STM32_ERASE_REQUEST_MASS) {
		f->mass_erases++;
		for (size_t i = 0; i < stm32_device_sector_count(f->device); i++)
			erase_unit(f, (uint32_t)i);
	} else {
		for (size_t i = 0; i < request->count; i++)
			erase_unit(f, request->units[i]);
	}
	if (fault && fault->failure == FAKE_REPLY_LOST)
		return stm32_error_set(err, STM32_E_TIMEOUT, "fake: erased, answer lost");
	return STM32_OK;
}

static enum stm32_status fake_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				  uint32_t *crc, struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	const struct fake_fault *fault = fault_now(f, FAKE_CRC);
	if (fault)
		return refuse(fault, err);
	bool is_flash;
	const uint8_t *at = memory_at(f, address, length, &is_flash);
	if (!at)
		return stm32_error_set(err, STM32_E_NACK, "fake: no CRC at 0x%08X", address);
	*crc = stm32_crc32(0xFFFFFFFFu, at, length);
	return STM32_OK;
}

static enum stm32_status fake_option_bytes(struct stm32_target *t, uint32_t address,
					   const uint8_t *data, size_t length, struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	const struct fake_fault *fault = fault_now(f, FAKE_OPTION);
	if (fault)
		return refuse(fault, err);
	bool is_flash;
	uint8_t *at = memory_at(f, address, length, &is_flash);
	if (!at || is_flash)
		return stm32_error_set(err, STM32_E_NACK, "fake: 0x%08X holds no option bytes", address);
	memcpy(at, data, length);
	return STM32_OK;
}

static enum stm32_status fake_recover(struct stm32_target *t, struct stm32_error *err)
{
	(void)err;
	fake_of(t)->recovers++;
	return STM32_OK;
}

/* The oldest pending block reaches the flash, or fails as scripted;
 * after a failure nothing is pending (the back end's promise). */
static enum stm32_status land(struct fake_target *f, struct stm32_error *err)
{
	if (!f->pending)
		return STM32_OK;
	const struct fake_fault *fault = fault_now(f, FAKE_LAND);
	uint32_t address = f->queued[0].address;
	size_t length = f->queued[0].length;
	uint8_t *at = fake_target_flash_at(f, address);
	enum stm32_status s = STM32_OK;
	if (fault && fault->failure == FAKE_FLASH_ERROR)
		s = stm32_error_set(err, STM32_E_VERIFY, "fake: the controller refused 0x%08X", address);
	else if (fault && (fault->failure == FAKE_NACK || fault->failure == FAKE_TIMEOUT))
		s = refuse(fault, err);
	for (size_t i = 0; s == STM32_OK && i < length; i++)
		at[i] &= f->queued[0].data[i];
	if (s == STM32_OK && fault && fault->failure == FAKE_FLIP_BIT)
		at[0] &= 0xFEu;
	if (s == STM32_OK && fault && fault->failure == FAKE_REPLY_LOST)
		s = stm32_error_set(err, STM32_E_TIMEOUT, "fake: landed, answer lost");
	f->queued[0] = f->queued[1];
	f->pending--;
	if (s != STM32_OK) {
		stm32_error_address(err, address);
		f->pending = 0;
	}
	return s;
}

static enum stm32_status fake_write_behind(struct stm32_target *t, uint32_t address,
					   const uint8_t *data, size_t length,
					   struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	f->behind_calls++;
	enum stm32_status s = f->pending == 2 ? land(f, err) : STM32_OK;
	if (s != STM32_OK)
		return s; /* this block is dropped: nothing stays in flight */
	if (!fake_target_flash_at(f, address) || length > sizeof f->queued[0].data) {
		while (f->pending && (s = land(f, err)) == STM32_OK)
			;
		return s == STM32_OK ? fake_write(t, address, data, length, err) : s;
	}
	f->queued[f->pending].address = address;
	f->queued[f->pending].length = length;
	memcpy(f->queued[f->pending].data, data, length);
	f->pending++;
	return STM32_OK;
}

static enum stm32_status fake_finish(struct stm32_target *t, struct stm32_error *err)
{
	struct fake_target *f = fake_of(t);
	f->finishes++;
	enum stm32_status s = STM32_OK;
	while (f->pending && (s = land(f, err)) == STM32_OK)
		;
	return s;
}

static void fake_close(struct stm32_target *t)
{
	(void)t; /* owned by the test */
}

void fake_target_init(struct fake_target *f, const char *device, unsigned caps, bool with_recover)
{
	static const struct stm32_target_ops with = {
		.read = fake_read, .write = fake_write, .erase = fake_erase, .crc = fake_crc,
		.write_option_bytes = fake_option_bytes, .recover = fake_recover, .close = fake_close,
	};
	static const struct stm32_target_ops without = {
		.read = fake_read, .write = fake_write, .erase = fake_erase, .crc = fake_crc,
		.write_option_bytes = fake_option_bytes, .close = fake_close,
	};
	memset(f, 0, sizeof(*f));
	f->device = stm32_device_find(device);
	f->flash = malloc(f->device->flash_size);
	memset(f->flash, 0xFF, f->device->flash_size);
	if (f->device->opt_factory && f->device->opt_size <= sizeof f->option_bytes)
		memcpy(f->option_bytes, f->device->opt_factory, f->device->opt_size);
	f->target.ops = with_recover ? &with : &without;
	f->target.backend = f;
	f->target.desc = (struct stm32_target_desc){
		.name = "fake",
		.device = f->device,
		.caps = caps | STM32_CAP_READ | STM32_CAP_WRITE | STM32_CAP_ERASE,
		.max_read = 256,
		.max_write = 256,
		.erase_units_per_request = 16,
		.max_erase_unit = 0xFFFF,
		.cost = { .bits_per_byte = 8, .bits_per_second = 1000000 },
	};
	/* As a chip whose flash-size register was read. */
	f->target.chip.flash_size_known = true;
	f->target.chip.flash_kib = f->device->flash_size / 1024u;
}

void fake_target_behind(struct fake_target *f)
{
	static const struct stm32_target_ops behind = {
		.read = fake_read, .write = fake_write, .erase = fake_erase, .crc = fake_crc,
		.write_option_bytes = fake_option_bytes, .recover = fake_recover,
		.write_behind = fake_write_behind, .finish = fake_finish, .close = fake_close,
	};
	f->target.ops = &behind;
}

void fake_target_free(struct fake_target *f)
{
	free(f->flash);
	f->flash = NULL;
}

void fake_target_fault(struct fake_target *f, enum fake_op op, unsigned nth, unsigned times,
		       enum fake_failure failure)
{
	if (f->fault_count < sizeof f->faults / sizeof f->faults[0])
		f->faults[f->fault_count++] = (struct fake_fault){ op, nth, times, failure };
}

void fake_image_add_pattern(struct stm32_image *image, uint32_t address, size_t length,
			    uint8_t step, uint8_t seed)
{
	uint8_t *data = malloc(length ? length : 1);
	if (!data)
		abort();
	for (size_t i = 0; i < length; i++)
		data[i] = (uint8_t)(i * step + seed);
	enum stm32_status added = stm32_image_add(image, address, data, length, NULL);
	free(data);
	if (added != STM32_OK)
		abort(); /* a test's own mistake: cmocka reports the crash */
}
