/* DFU requests (DFU 1.1 §6) with ST's DfuSe command handshake (AN3156):
 * DNLOAD, then GETSTATUS (dfuDNBUSY: the operation starts), wait
 * bwPollTimeout, GETSTATUS again (dfuDNLOAD-IDLE, or dfuERROR). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "dfu/dfu_proto.h"

#define DFU_DNLOAD 1
#define DFU_UPLOAD 2
#define DFU_GETSTATUS 3
#define DFU_CLRSTATUS 4
#define DFU_ABORT 6
#define STATUS_LENGTH 6

const char *dfu_status_text(uint8_t status)
{
	static const char *const texts[] = {
		"OK",
		"errTARGET (the address or command is not supported)",
		"errFILE (the firmware failed the device's checks)",
		"errWRITE (the memory could not be written)",
		"errERASE (the memory could not be erased)",
		"errCHECK_ERASED (the erase check failed)",
		"errPROG (programming failed)",
		"errVERIFY (the programmed memory failed verification)",
		"errADDRESS (the address is out of range)",
		"errNOTDONE (the download was ended before it was complete)",
		"errFIRMWARE (the firmware is corrupt)",
		"errVENDOR (refused: readout protection is active)",
		"errUSBR (unexpected USB reset)",
		"errPOR (unexpected power-on reset)",
		"errUNKNOWN",
		"errSTALLEDPKT (the device stalled an unexpected request)",
	};
	return status < sizeof texts / sizeof texts[0] ? texts[status] : "unknown status";
}

const char *dfu_state_name(uint8_t state)
{
	static const char *const names[] = {
		"appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
		"dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE",
		"dfuERROR"};
	return state < sizeof names / sizeof names[0] ? names[state] : "unknown state";
}

enum stm32_status dfu_get_status(struct dfu_link *l, struct dfu_status *out,
				 struct stm32_error *err)
{
	uint8_t reply[STATUS_LENGTH];
	size_t got;
	l->polls++;
	enum stm32_status s = dfu_usb_control(l->usb, true, DFU_GETSTATUS, 0, reply, sizeof reply,
					      l->timeout_ms, &got, err);
	if (s != STM32_OK)
		return s;
	if (got != STATUS_LENGTH)
		return stm32_error_set(err, STM32_E_PROTOCOL, "GETSTATUS: %zu bytes, not 6", got);
	out->status = reply[0];
	out->poll_ms = (uint32_t)reply[1] | (uint32_t)reply[2] << 8 | (uint32_t)reply[3] << 16;
	out->state = reply[4];
	l->last = *out;
	return STM32_OK;
}

static enum stm32_status simple_request(struct dfu_link *l, uint8_t request,
					struct stm32_error *err)
{
	return dfu_usb_control(l->usb, false, request, 0, NULL, 0, l->timeout_ms, NULL, err);
}

/* The blocks read ahead, finished and dropped: nobody asked for them. */
static void drop_ahead(struct dfu_link *l)
{
	bool whole = true;
	for (unsigned i = 0; i < l->ahead_count; i++) {
		size_t got;
		struct stm32_error ignored;
		whole = dfu_usb_finish_in(l->usb, NULL, &got, &ignored) == STM32_OK &&
			got == l->ahead[i].length && whole;
	}
	if (!l->ahead_count)
		return;
	l->ahead_count = 0;
	l->phase = whole ? DFU_PHASE_UPLOAD : DFU_PHASE_UNKNOWN;
	l->next_block = 0;
}

enum stm32_status dfu_to_idle(struct dfu_link *l, struct stm32_error *err)
{
	drop_ahead(l);
	l->next_block = 0;
	l->phase = DFU_PHASE_UNKNOWN;
	struct dfu_status st;
	enum stm32_status s = dfu_get_status(l, &st, err);
	if (s != STM32_OK)
		return s;
	if (st.state == DFU_STATE_IDLE) {
		l->phase = DFU_PHASE_IDLE;
		return STM32_OK;
	}
	s = simple_request(l, st.state == DFU_STATE_ERROR ? DFU_CLRSTATUS : DFU_ABORT, err);
	if (s == STM32_OK)
		s = dfu_get_status(l, &st, err);
	if (s == STM32_OK && st.state != DFU_STATE_IDLE)
		return stm32_error_set(err, STM32_E_PROTOCOL, "the device stays in %s, not dfuIDLE",
				       dfu_state_name(st.state));
	if (s == STM32_OK)
		l->phase = DFU_PHASE_IDLE;
	return s;
}

void dfu_end_upload(struct dfu_link *l)
{
	struct stm32_error ignored;
	drop_ahead(l);
	l->next_block = 0;
	if (l->phase == DFU_PHASE_UPLOAD && simple_request(l, DFU_ABORT, &ignored) == STM32_OK)
		l->phase = DFU_PHASE_IDLE;
}

/* Where a DNLOAD may be sent: dfuIDLE or dfuDNLOAD-IDLE. */
static enum stm32_status ready_to_download(struct dfu_link *l, struct stm32_error *err)
{
	drop_ahead(l);
	if (l->phase == DFU_PHASE_UNKNOWN)
		return dfu_to_idle(l, err);
	if (l->phase == DFU_PHASE_UPLOAD) {
		enum stm32_status s = simple_request(l, DFU_ABORT, err);
		l->phase = s == STM32_OK ? DFU_PHASE_IDLE : DFU_PHASE_UNKNOWN;
		return s;
	}
	return STM32_OK;
}

/* A dfuERROR: cleared so the next request starts clean, reported worded. */
static enum stm32_status device_error(struct dfu_link *l, const struct dfu_status *st,
				      struct stm32_error *err)
{
	struct stm32_error ignored;
	l->phase = simple_request(l, DFU_CLRSTATUS, &ignored) == STM32_OK ? DFU_PHASE_IDLE
									   : DFU_PHASE_UNKNOWN;
	l->next_block = 0;
	enum stm32_status status = STM32_E_PROTOCOL;
	if (st->status == DFU_STATUS_ERR_VENDOR)
		status = STM32_E_PROTECTED;
	else if (st->status == DFU_STATUS_ERR_TARGET || st->status == DFU_STATUS_ERR_ADDRESS)
		status = STM32_E_RANGE;
	else if (st->status >= 0x03 && st->status <= 0x07)
		status = STM32_E_NACK; /* write, erase, program, verify: worth a retry */
	return stm32_error_set(err, status, "the device reported %s", dfu_status_text(st->status));
}

/* Now on the monotonic clock, in microseconds. */
static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Until `at` on the monotonic clock (at once when it has passed). */
static void sleep_until_us(uint64_t at)
{
	struct timespec t = {(time_t)(at / 1000000u), (long)(at % 1000000u * 1000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

enum stm32_status dfu_download(struct dfu_link *l, uint16_t block, const uint8_t *data,
			       uint16_t length, struct stm32_error *err)
{
	enum stm32_status s = ready_to_download(l, err);
	if (s != STM32_OK)
		return s;
	l->phase = DFU_PHASE_UNKNOWN; /* until the operation is seen to end */
	s = dfu_usb_control(l->usb, false, DFU_DNLOAD, block, (uint8_t *)data, length,
			    l->timeout_ms, NULL, err);
	if (s != STM32_OK)
		return s;
	uint64_t waited_ms = 0;
	for (;;) {
		struct dfu_status st;
		/* The device starts the operation as this request reaches it:
		 * bwPollTimeout counts from here, not from when the reply came. */
		uint64_t asked = now_us();
		if ((s = dfu_get_status(l, &st, err)) != STM32_OK)
			return s;
		if (st.state == DFU_STATE_ERROR)
			return device_error(l, &st, err);
		if (st.state != DFU_STATE_DNBUSY) {
			l->phase = st.state == DFU_STATE_DNLOAD_IDLE ? DFU_PHASE_DOWNLOAD
								     : DFU_PHASE_UNKNOWN;
			return STM32_OK;
		}
		if (waited_ms > l->busy_limit_ms)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "the device stayed busy for over %u ms",
					       l->busy_limit_ms);
		/* bwPollTimeout: the device does not want to be asked sooner. */
		sleep_until_us(asked + (uint64_t)st.poll_ms * 1000u);
		waited_ms += st.poll_ms ? st.poll_ms : 1;
	}
}

enum stm32_status dfuse_command(struct dfu_link *l, uint8_t command, bool with_address,
				uint32_t address, struct stm32_error *err)
{
	uint8_t c[5] = {command, (uint8_t)address, (uint8_t)(address >> 8),
			(uint8_t)(address >> 16), (uint8_t)(address >> 24)};
	l->next_block = 0;
	enum stm32_status s = dfu_download(l, 0, c, with_address ? 5 : 1, err);
	stm32_error_command(err, command);
	if (s == STM32_OK && command == DFUSE_SET_ADDRESS)
		l->pointer = address;
	return s;
}

/* The block that carries address after the last full-size one, or 0. */
static uint16_t continuing_block(const struct dfu_link *l, enum dfu_phase phase,
				 uint32_t address)
{
	if (l->phase != phase || l->next_block < 2 || !l->transfer_size)
		return 0;
	uint64_t at = (uint64_t)(l->next_block - 2u) * l->transfer_size + l->pointer;
	return at == address ? l->next_block : 0;
}

/* After block `block` of length bytes: can a next one follow it? */
static void note_block(struct dfu_link *l, uint16_t block, uint16_t length)
{
	l->next_block = length == l->transfer_size && block < UINT16_MAX ? (uint16_t)(block + 1u)
									   : 0;
}

enum stm32_status dfuse_write(struct dfu_link *l, uint32_t address, const uint8_t *data,
			      uint16_t length, struct stm32_error *err)
{
	uint16_t block = continuing_block(l, DFU_PHASE_DOWNLOAD, address);
	enum stm32_status s = STM32_OK;
	if (!block) {
		s = dfuse_command(l, DFUSE_SET_ADDRESS, true, address, err);
		block = 2;
	}
	if (s == STM32_OK)
		s = dfu_download(l, block, data, length, err);
	if (s == STM32_OK)
		note_block(l, block, length);
	return s;
}

/* UPLOADs of the blocks from `block` at address on, started to wait on
 * endpoint 0, as many as may wait and while they lie in the memory. A
 * failure to start one is not an error: that block is asked for when it is
 * wanted. */
static void read_ahead(struct dfu_link *l, uint32_t address, uint32_t block, uint16_t length,
		       uint32_t memory_end)
{
	while (l->ahead_count < DFU_USB_MAX_STARTED) {
		struct stm32_error ignored;
		if (!memory_end || (uint64_t)address + length > memory_end || block > UINT16_MAX ||
		    dfu_usb_start_in(l->usb, DFU_UPLOAD, (uint16_t)block, length, l->timeout_ms,
				     &ignored) != STM32_OK)
			return;
		l->ahead[l->ahead_count++] = (struct dfu_ahead){address, (uint16_t)block, length};
		address += length;
		block++;
	}
}

/* The end of an UPLOAD: a stall's reason from GETSTATUS, the length checked. */
static enum stm32_status finish_upload(struct dfu_link *l, enum stm32_status s, uint32_t address,
				       uint16_t block, uint16_t length, size_t got,
				       struct stm32_error *err)
{
	if (s == STM32_E_NACK) {
		/* A stalled UPLOAD: the status says why (readout protection). */
		struct stm32_error status_err;
		struct dfu_status st;
		if (dfu_get_status(l, &st, &status_err) == STM32_OK && st.state == DFU_STATE_ERROR)
			return device_error(l, &st, err);
		return s;
	}
	if (s != STM32_OK)
		return s;
	if (got != length)
		return stm32_error_set(err, STM32_E_RANGE, "UPLOAD at 0x%08X: %zu of %u bytes", address,
				       got, length);
	/* A full answer leaves the device in dfuUPLOAD-IDLE, ready for the next. */
	l->phase = DFU_PHASE_UPLOAD;
	note_block(l, block, length);
	return STM32_OK;
}

enum stm32_status dfuse_read(struct dfu_link *l, uint32_t address, uint8_t *data,
			     uint16_t length, uint32_t memory_end, struct stm32_error *err)
{
	size_t got = 0;
	enum stm32_status s;
	if (l->ahead_count && l->ahead[0].address == address && l->ahead[0].length == length) {
		/* The next one queues behind it before it is waited for. */
		const struct dfu_ahead *newest = &l->ahead[l->ahead_count - 1];
		read_ahead(l, newest->address + length, newest->block + 1u, length, memory_end);
		uint16_t block = l->ahead[0].block;
		s = dfu_usb_finish_in(l->usb, data, &got, err);
		l->ahead_count--;
		memmove(&l->ahead[0], &l->ahead[1], l->ahead_count * sizeof l->ahead[0]);
		if (s != STM32_OK || got != length) {
			drop_ahead(l);
			return finish_upload(l, s, address, block, length, got, err);
		}
		l->phase = DFU_PHASE_UPLOAD;
		note_block(l, block, length);
		return STM32_OK;
	}
	drop_ahead(l);
	uint16_t block = continuing_block(l, DFU_PHASE_UPLOAD, address);
	s = STM32_OK;
	if (!block) {
		s = dfuse_command(l, DFUSE_SET_ADDRESS, true, address, err);
		/* UPLOAD is refused in dfuDNLOAD-IDLE: ABORT to dfuIDLE first. */
		if (s == STM32_OK)
			s = simple_request(l, DFU_ABORT, err);
		block = 2;
	}
	l->phase = DFU_PHASE_UNKNOWN;
	l->next_block = 0;
	if (s == STM32_OK)
		s = dfu_usb_control(l->usb, true, DFU_UPLOAD, block, data, length, l->timeout_ms, &got,
				    err);
	s = finish_upload(l, s, address, block, length, got, err);
	if (s == STM32_OK && l->next_block)
		read_ahead(l, address + length, l->next_block, length, memory_end);
	return s;
}

enum stm32_status dfuse_write_and_reset(struct dfu_link *l, uint32_t address, const uint8_t *data,
					uint16_t length, struct stm32_error *err)
{
	enum stm32_status s = dfuse_command(l, DFUSE_SET_ADDRESS, true, address, err);
	if (s == STM32_OK)
		s = dfu_usb_control(l->usb, false, DFU_DNLOAD, 2, (uint8_t *)data, length,
				    l->timeout_ms, NULL, err);
	l->phase = DFU_PHASE_UNKNOWN;
	l->next_block = 0;
	if (s != STM32_OK)
		return s;
	/* The first GETSTATUS starts the write, the second sees how it ended;
	 * either may find the device already resetting. */
	for (unsigned polls = 0; polls < 2; polls++) {
		struct dfu_status st;
		struct stm32_error gone;
		stm32_error_clear(&gone);
		s = dfu_get_status(l, &st, &gone);
		if (s == STM32_E_IO || s == STM32_E_TIMEOUT)
			return STM32_OK;
		if (s != STM32_OK) {
			*err = gone;
			return s;
		}
		if (st.state == DFU_STATE_ERROR)
			return device_error(l, &st, err);
		if (st.state != DFU_STATE_DNBUSY)
			return STM32_OK;
		core_sleep_ms(st.poll_ms);
	}
	return STM32_OK;
}

enum stm32_status dfuse_leave(struct dfu_link *l, uint32_t address, struct stm32_error *err)
{
	enum stm32_status s = dfuse_command(l, DFUSE_SET_ADDRESS, true, address, err);
	if (s != STM32_OK)
		return s;
	s = dfu_usb_control(l->usb, false, DFU_DNLOAD, 2, NULL, 0, l->timeout_ms, NULL, err);
	if (s != STM32_OK)
		return s;
	/* The GETSTATUS that starts the manifestation; the device may already
	 * be gone when it is answered, which is what was asked for. */
	struct dfu_status st;
	struct stm32_error gone;
	(void)dfu_get_status(l, &st, &gone);
	return STM32_OK;
}
