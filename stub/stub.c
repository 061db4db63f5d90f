/* The stub's command core (docs/stub-protocol.md): the entry point, the
 * main loop, sequence numbers, replies and the commands. The flash driver
 * (flash_*.c) and the chip (chip.c) sit below it. All state lives in the
 * RAM the host gave for buffers (params.buf_start): the image has no .data
 * or .bss, and no absolute address of its own, so it runs wherever it was
 * loaded. */
#include <stddef.h>

#include "chip.h"
#include "chip_wb.h"
#include "flash.h"
#include "frame.h"
#ifndef STUB_SMALL
#include "lz4_block.h"
#endif
#include "stub_protocol.h"

#define STUB_BUILD_VERSION 1u
#define READ_WINDOW 4u
#define ACK_TIMEOUT_MS 1000u
#define CONFIRM_TIMEOUT_MS 500u

#ifdef STUB_SMALL
/* The small images (scripts/build-stub.sh, docs/stub-protocol.md "The small
 * image"): one chip kind each, for the parts whose bootloader leaves 6 to
 * 7.5 KiB. No LZ4, no held-back erases (the host sees neither capability),
 * their own frame size (frame.h) and less state: a repeat is at most 127
 * behind, so 128 kept statuses tell every one of them apart. */
#define STATUS_KEPT 128u
#define STATE_BYTES STUB_SMALL_STATE_BYTES
#else
#define STATUS_KEPT 256u
#define STATE_BYTES STUB_STATE_BYTES
#endif

struct stub {
	const uint8_t *params;
	struct chip chip;
	struct rx rx;
	struct flash_ctl flash;
	uint32_t crc_table[16];
	uint32_t ram_top;
	uint32_t start_baud;
	uint32_t silence_ms;
	uint32_t last_activity_ms;
	bool seq_known;
	uint8_t expected_seq;
	bool unlocked;
	bool request_released; /* the frame being run gave its slot back early */
	/* A rate change waiting for the host's first frame at the new rate. */
	bool baud_pending;
	uint32_t baud_deadline_ms, old_baud;
	bool old_parity;
	uint8_t status_of[STATUS_KEPT]; /* what each sequence number got, for duplicates */
	uint32_t deferred_count;
#ifndef STUB_SMALL
	uint8_t deferred[STUB_DEFER_MAX_UNITS / 8]; /* units whose erase is held back */
#endif
	uint8_t *decoded; /* a WRITE_LZ4 frame's data, decoded; NULL: no room for it */
	uint32_t secure_start; /* chip_secure_start: flash from here is not ours; 0: none */
};

_Static_assert(sizeof(struct stub) <= STATE_BYTES, "the host reserves STATE_BYTES");

static uint32_t secure_start(const struct stub *s)
{
#if CHIP_HAS_WB /* WB: chip_wb.h; other images drop the checks */
	return s->secure_start;
#else
	(void)s;
	return 0;
#endif
}

void stub_main(const uint8_t *image) __attribute__((noreturn, used));

/* Header, then the entry at STUB_ENTRY_OFFSET (stub.ld checks both). The
 * host fills words 0-1 (SP, entry) and the parameter block. */
__attribute__((section(".stub_header"), used)) static const uint32_t header[STUB_ENTRY_OFFSET / 4] = {
	[STUB_IMAGE_MAGIC / 4] = STUB_MAGIC,
	[STUB_IMAGE_DRIVER / 4] = STUB_DRIVER | STUB_PROTOCOL_VERSION << 8 | STUB_BUILD_VERSION << 16,
};

/* PC reads as this instruction + 4: the image starts STUB_ENTRY_OFFSET
 * before that instruction. The host's SP may not have been taken (some ROMs
 * do not load MSP on Go), so set it from the parameter block. */
__attribute__((section(".stub_entry"), naked, used)) void stub_entry(void)
{
	__asm__ volatile("cpsid i\n\t"
			 "mov r0, pc\n\t"
			 "subs r0, #70\n\t"       /* 4 + the cpsid + 0x40 */
			 "ldr r1, [r0, #28]\n\t" /* params.stack_top */
			 "mov sp, r1\n\t"
			 "bl stub_main\n\t"
			 "b .\n");
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t param(const struct stub *s, uint32_t offset)
{
	return get32(s->params + STUB_IMAGE_PARAMS + offset);
}

static void drain(struct stub *s)
{
	do
		rx_byte(&s->rx, chip_uart_rx(&s->chip));
	while (chip_uart_rx_ready(&s->chip));
}

/* What the stub must keep doing whatever else it waits for, without a
 * call or a store while nothing happens (chip.h): refresh the IWDG, count
 * the milliseconds; nonzero when a byte is there to be drained. A wait
 * loop made of it and its condition is a pure poll to an emulator. */
int flash_wait_hook(void *context)
{
	struct stub *s = context;
	chip_iwdg_refresh();
	chip_tick(&s->chip);
	return chip_uart_rx_ready(&s->chip);
}

void flash_wait_work(void *context)
{
	drain(context);
}

#ifdef STUB_SMALL
/* Smaller, and still a pure poll, only a longer one: the small image must
 * leave its parts two frame slots. */
void flash_wait_while(struct flash_ctl *ctl, uint32_t sr, uint32_t busy)
{
	while (*(const volatile uint32_t *)sr & busy)
		flash_wait(ctl);
}
#else
void flash_wait_while(struct flash_ctl *ctl, uint32_t sr, uint32_t busy)
{
	struct stub *s = ctl->hook_context;
	const volatile uint32_t *flash_sr = (const volatile uint32_t *)sr;
	const volatile uint32_t *usart = (const volatile uint32_t *)s->chip.status;
	const volatile uint32_t *systick = (const volatile uint32_t *)CHIP_SYST_CSR;
	chip_iwdg_refresh();
	for (;;) {
		uint32_t tick;
		/* Reading COUNTFLAG clears it: its value is kept in tick. */
		while (!(tick = *systick & CHIP_SYST_COUNTFLAG) && (*flash_sr & busy) &&
		       !(*usart & CHIP_ST_RXNE))
			;
		if (tick) {
			s->chip.ms++;
			chip_iwdg_refresh();
		} else if (chip_uart_rx_ready(&s->chip)) {
			drain(s);
		} else if (!(*flash_sr & busy)) {
			return;
		}
	}
}
#endif

static void poll(struct stub *s)
{
	if (flash_wait_hook(s))
		drain(s);
}

/* The main loop's wait when no frame is complete: only a byte or a
 * millisecond (for the timeouts) can change that. */
static void wait_for_byte_or_tick(struct stub *s)
{
	const volatile uint32_t *usart = (const volatile uint32_t *)s->chip.status;
	const volatile uint32_t *systick = (const volatile uint32_t *)CHIP_SYST_CSR;
	chip_iwdg_refresh();
	uint32_t tick;
	while (!(tick = *systick & CHIP_SYST_COUNTFLAG) && !(*usart & CHIP_ST_RXNE))
		;
	if (tick)
		s->chip.ms++;
}

#ifndef STUB_SMALL
void lz4_poll_hook(void *context)
{
	poll(context);
}
#endif

/* A reply's bytes, each as soon as the transmit register takes it. The
 * host's next frame may be arriving meanwhile: the wait reads the status
 * register alone, for TXE or a byte to take, a pure poll of three
 * instructions (most of a byte time at 2 Mbaud is spent in it). */
static void send_bytes(struct stub *s, const volatile uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t st;
		while (!((st = chip_uart_status(&s->chip)) & CHIP_ST_TXE))
			if (st & CHIP_ST_RXNE)
				drain(s);
		chip_uart_put(&s->chip, p[i]);
		poll(s);
	}
}

/* One reply frame: status, then head and tail (either may be empty): a
 * read's data go out straight from memory behind their offset. The CRC
 * first, over whole blocks: a byte at a time it would cost more than the
 * wire's time at 2 Mbaud. */
static void reply2(struct stub *s, uint8_t code, uint8_t seq, uint8_t status, const uint8_t *head,
		   uint32_t head_length, const volatile uint8_t *tail, uint32_t tail_length)
{
	uint32_t length = head_length + tail_length;
	uint8_t header[STUB_HEADER_BYTES + 1] = {STUB_SOF_REPLY, code, seq, (uint8_t)(length + 1u),
						 (uint8_t)((length + 1u) >> 8), 0, status};
	header[5] = frame_header_check(header);
	uint32_t crc = crc32_update(s->crc_table, 0, header + 1, STUB_HEADER_BYTES);
	crc = crc32_update(s->crc_table, crc, head, head_length);
	crc = crc32_update(s->crc_table, crc, (const uint8_t *)tail, tail_length);
	uint8_t t[4];
	put32(t, crc);
	poll(s); /* the CRC took a while: the host's next bytes may be there */
	send_bytes(s, header, sizeof(header));
	send_bytes(s, head, head_length);
	send_bytes(s, tail, tail_length);
	send_bytes(s, t, 4);
}

static void reply(struct stub *s, uint8_t code, uint8_t seq, uint8_t status, const uint8_t *body,
		  uint32_t length)
{
	reply2(s, code, seq, status, body, length, NULL, 0);
}

static void reply_flash_error(struct stub *s, uint8_t code, uint8_t seq)
{
	uint8_t body[8];
	put32(body, s->flash.error_sr);
	put32(body + 4, s->flash.error_address);
	reply(s, code, seq, STUB_E_FLASH, body, 8);
}

static void send_hello(struct stub *s, uint8_t seq)
{
	uint8_t b[STUB_HELLO_BYTES] = {0};
	put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_DRIVER] = STUB_DRIVER;
	b[STUB_HELLO_WINDOW] = (uint8_t)s->rx.count;
	b[STUB_HELLO_UNIT] = (uint8_t)flash_program_unit(&s->flash);
	b[STUB_HELLO_PAYLOAD] = (uint8_t)FRAME_MAX_PAYLOAD;
	b[STUB_HELLO_PAYLOAD + 1] = (uint8_t)(FRAME_MAX_PAYLOAD >> 8);
	b[STUB_HELLO_VERSION] = STUB_BUILD_VERSION;
	uint32_t caps = STUB_CAP_ERASE | STUB_CAP_MASS_ERASE | STUB_CAP_SET_BAUD | STUB_CAP_GO |
			STUB_CAP_RESET | STUB_CAP_DEFER_ERASE;
#ifdef STUB_SMALL
	caps &= ~STUB_CAP_DEFER_ERASE;
#endif
	if (s->flash.bank2_start || (s->flash.flags & STUB_PARAM_DUAL_BANK))
		caps |= STUB_CAP_BANK_ERASE;
	if (chip_has_crc_unit(&s->chip))
		caps |= STUB_CAP_CRC_UNIT;
	if (s->decoded)
		caps |= STUB_CAP_LZ4;
	put32(b + STUB_HELLO_CAPS, caps);
	put32(b + STUB_HELLO_CLOCK, s->chip.clock_hz);
	put32(b + STUB_HELLO_BAUD, s->chip.baud);
	if (secure_start(s)) /* b is zeroed: nothing to store in the other images */
		put32(b + STUB_HELLO_SECURE, secure_start(s));
	reply(s, STUB_CMD_HELLO, seq, STUB_OK, b, sizeof(b));
}

static bool in_flash(const struct stub *s, uint32_t address, uint32_t length)
{
	uint32_t start = s->flash.flash_start, size = s->flash.flash_size;
	return address >= start && length <= size && address - start <= size - length;
}

/* The secure area is refused like a range outside flash: the host has the
 * address from HELLO and plans nothing there. */
static bool touches_secure(const struct stub *s, uint32_t address, uint32_t length)
{
	return secure_start(s) && address + length > secure_start(s);
}

static bool in_readable(const struct stub *s, uint32_t address, uint32_t length)
{
	if (in_flash(s, address, length))
		return true;
	return address >= 0x20000000u && length <= s->ram_top - 0x20000000u &&
	       address - 0x20000000u <= s->ram_top - 0x20000000u - length;
}

static bool unlock(struct stub *s)
{
	if (!s->unlocked && flash_unlock(&s->flash) == 0)
		s->unlocked = true;
	return s->unlocked;
}

static uint8_t program(struct stub *s, uint32_t address, const uint8_t *data, uint32_t count)
{
	uint32_t unit = flash_program_unit(&s->flash);
	if (!in_flash(s, address, count) || touches_secure(s, address, count))
		return STUB_E_RANGE;
	if ((address | count) & (unit - 1u)) /* a power of two; Cortex-M0 divides slowly, in software */
		return STUB_E_ALIGN;
	/* From a frame's last byte to the driver's first wait is longer than
	 * two bytes at 2 Mbaud: the next frame's bytes are taken half way. */
	poll(s);
	if (!unlock(s) || flash_program(&s->flash, address, data, count) != 0)
		return STUB_E_FLASH;
	return STUB_OK;
}

static uint8_t do_write(struct stub *s, const uint8_t *p, uint32_t length)
{
	if (length < 4)
		return STUB_E_LENGTH;
	return program(s, get32(p), p + 4, length - 4);
}

/* Decoded into its own buffer first: nothing is programmed from a block
 * that turns out malformed or of another size than it says. */
static uint8_t do_write_lz4(struct stub *s, const uint8_t *p, uint32_t length)
{
#ifdef STUB_SMALL
	(void)s, (void)p, (void)length;
	return STUB_E_UNSUPPORTED; /* the small image has no decoder, nor RAM for its buffer */
#else
	if (!s->decoded)
		return STUB_E_UNSUPPORTED;
	if (length < 7)
		return STUB_E_LENGTH;
	uint32_t size = (uint32_t)p[4] | (uint32_t)p[5] << 8;
	if (size > STUB_WRITE_CHUNK)
		return STUB_E_LENGTH;
	int32_t got = lz4_decode(p + 6, length - 6, s->decoded, size, s);
	if (got < 0 || (uint32_t)got != size)
		return STUB_E_DECODE;
	return program(s, get32(p), s->decoded, size);
#endif
}

static uint32_t unit_at(const uint8_t *list, uint32_t i)
{
	return (uint32_t)list[2 * i] | (uint32_t)list[2 * i + 1] << 8;
}

static bool is_deferred(const struct stub *s, uint32_t unit)
{
#ifdef STUB_SMALL
	(void)s, (void)unit;
	return false;
#else
	return unit < STUB_DEFER_MAX_UNITS && (s->deferred[unit / 8] >> (unit % 8) & 1u);
#endif
}

/* Erase a held-back unit now (nothing if it is not held back). */
static int erase_deferred(struct stub *s, uint32_t unit)
{
	if (!is_deferred(s, unit))
		return 0;
#ifndef STUB_SMALL
	s->deferred[unit / 8] &= (uint8_t)~(1u << (unit % 8));
#endif
	s->deferred_count--;
	return flash_erase_unit(&s->flash, unit);
}

static int erase_all_deferred(struct stub *s)
{
	for (uint32_t unit = 0; s->deferred_count && unit < STUB_DEFER_MAX_UNITS; unit++)
		if (erase_deferred(s, unit) != 0)
			return -1;
	return 0;
}

static void defer(struct stub *s, uint32_t unit)
{
	if (is_deferred(s, unit))
		return;
#ifndef STUB_SMALL
	s->deferred[unit / 8] |= (uint8_t)(1u << (unit % 8));
#endif
	s->deferred_count++;
}

/* kind 0 erases now, 3 holds back, 4 erases what was held back. */
static uint8_t erase_units(struct stub *s, uint32_t kind, const uint8_t *list, uint32_t count)
{
	uint32_t limit = kind == STUB_ERASE_UNITS ? s->flash.unit_count : STUB_DEFER_MAX_UNITS;
	for (uint32_t i = 0; i < count; i++)
		if (unit_at(list, i) >= limit || unit_at(list, i) >= s->flash.unit_count ||
		    touches_secure(s, s->flash.flash_start + unit_at(list, i) * s->flash.page_size, 1u))
			return STUB_E_RANGE; /* checked before anything is erased */
	if (!unlock(s))
		return STUB_E_FLASH;
	if (kind == STUB_ERASE_DEFERRED && count == 0)
		return erase_all_deferred(s) != 0 ? STUB_E_FLASH : STUB_OK;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t unit = unit_at(list, i);
		if (kind == STUB_ERASE_DEFER) {
			defer(s, unit);
			continue;
		}
		if (kind == STUB_ERASE_UNITS && is_deferred(s, unit))
			(void)erase_deferred(s, unit); /* erased below either way */
		else if (kind == STUB_ERASE_DEFERRED) {
			if (erase_deferred(s, unit) != 0)
				return STUB_E_FLASH;
			continue;
		}
		if (flash_erase_unit(&s->flash, unit) != 0)
			return STUB_E_FLASH;
	}
	return STUB_OK;
}

static uint8_t do_erase(struct stub *s, const uint8_t *p, uint32_t length)
{
	if (length < 4)
		return STUB_E_LENGTH;
	uint32_t kind = p[0], bank = p[1], count = (uint32_t)p[2] | (uint32_t)p[3] << 8;
	if ((kind == STUB_ERASE_MASS || kind == STUB_ERASE_BANK) && secure_start(s))
		return STUB_E_RANGE; /* one bank on WB: it would reach the secure area */
	if (kind == STUB_ERASE_MASS || kind == STUB_ERASE_BANK) {
		/* What is held back goes first: a bank erase need not cover it. */
		if (!unlock(s) || erase_all_deferred(s) != 0)
			return STUB_E_FLASH;
	}
	if (kind == STUB_ERASE_MASS)
		return flash_erase_mass(&s->flash) != 0 ? STUB_E_FLASH : STUB_OK;
	if (kind == STUB_ERASE_BANK) {
		if (bank != 1 && bank != 2)
			return STUB_E_RANGE;
		return flash_erase_bank(&s->flash, bank) != 0 ? STUB_E_FLASH : STUB_OK;
	}
#ifdef STUB_SMALL
	if (kind == STUB_ERASE_DEFER || kind == STUB_ERASE_DEFERRED)
		return STUB_E_UNSUPPORTED;
#endif
	if (kind > STUB_ERASE_DEFERRED || length != 4 + 2 * count)
		return STUB_E_LENGTH;
	return erase_units(s, kind, p + 4, count);
}

static void do_crc(struct stub *s, uint8_t seq, const uint8_t *p, uint32_t length)
{
	if (length != 8) {
		reply(s, STUB_CMD_CRC, seq, STUB_E_LENGTH, NULL, 0);
		return;
	}
	uint32_t address = get32(p), count = get32(p + 4);
	if (!in_flash(s, address, count)) {
		reply(s, STUB_CMD_CRC, seq, STUB_E_RANGE, NULL, 0);
		return;
	}
	if (address % 4 || count % 4) {
		reply(s, STUB_CMD_CRC, seq, STUB_E_ALIGN, NULL, 0);
		return;
	}
	uint8_t body[4];
	put32(body, chip_crc(&s->chip, address, count, s));
	reply(s, STUB_CMD_CRC, seq, STUB_OK, body, 4);
}

/* Acknowledged bytes from READ_ACK frames that arrived; other frames are
 * answered "out of sequence" (the host must wait for the end of a read). */
static void take_acks(struct stub *s, uint32_t *acked)
{
	uint8_t *f;
	bool good;
	while ((f = rx_next(&s->rx, &good)) != NULL) {
		if (good && f[1] == STUB_CMD_READ_ACK && frame_length(f) == 4) {
			uint32_t total = get32(f + STUB_HEADER_BYTES);
			if (total > *acked)
				*acked = total;
		}
		rx_release(&s->rx);
	}
}

/* Streamed: frames of STUB_WRITE_CHUNK bytes (status, offset u32, data),
 * at most READ_WINDOW of them ahead of the host's acknowledgements. */
static uint8_t do_read(struct stub *s, uint8_t seq, const uint8_t *p, uint32_t length)
{
	if (length != 8)
		return STUB_E_LENGTH;
	uint32_t address = get32(p), count = get32(p + 4);
	if (!in_readable(s, address, count))
		return STUB_E_RANGE;
	/* The acknowledgements arrive behind this request: its slot must be
	 * free, and not taken for one of them. */
	rx_release(&s->rx);
	s->request_released = true;
	uint32_t sent = 0, acked = 0, waited_from = chip_ms(&s->chip);
	uint8_t offset[4];
	while (sent < count) {
		take_acks(s, &acked);
		if (sent - acked >= READ_WINDOW * STUB_WRITE_CHUNK) {
			wait_for_byte_or_tick(s);
			poll(s);
			if (chip_ms(&s->chip) - waited_from > ACK_TIMEOUT_MS)
				return STUB_E_TIMEOUT;
			continue;
		}
		uint32_t n = count - sent < STUB_WRITE_CHUNK ? count - sent : STUB_WRITE_CHUNK;
		put32(offset, sent);
		reply2(s, STUB_CMD_READ, seq, STUB_OK, offset, 4,
		       (const volatile uint8_t *)(address + sent), n);
		sent += n;
		waited_from = chip_ms(&s->chip);
	}
	return STUB_OK;
}

static uint8_t do_set_baud(struct stub *s, uint8_t seq, const uint8_t *p, uint32_t length)
{
	if (length != 4)
		return STUB_E_LENGTH;
	uint32_t baud = get32(p);
	if (!chip_uart_raise_for(&s->chip, baud))
		return STUB_E_BAUD;
	uint8_t body[4];
	put32(body, baud);
	s->old_baud = s->chip.baud;
	s->old_parity = s->chip.parity;
	reply(s, STUB_CMD_SET_BAUD, seq, STUB_OK, body, 4);
	chip_uart_flush(&s->chip);
	chip_uart_set(&s->chip, baud, false);
	rx_reset(&s->rx);
	s->request_released = true; /* the reset emptied the slots, this one too */
	s->baud_pending = true;
	s->baud_deadline_ms = chip_ms(&s->chip) + CONFIRM_TIMEOUT_MS;
	return STUB_OK;
}

/* Back to the settings the stub started with, as if just started. */
static void fall_back(struct stub *s)
{
	if (s->unlocked)
		flash_lock(&s->flash);
	s->unlocked = false;
	/* The host that held erases back is gone: it defers them again. */
	s->deferred_count = 0;
#ifndef STUB_SMALL
	for (uint32_t i = 0; i < sizeof(s->deferred); i++)
		s->deferred[i] = 0;
#endif
	chip_uart_flush(&s->chip);
	chip_uart_set(&s->chip, s->start_baud, true);
	rx_reset(&s->rx);
	s->seq_known = false;
	s->baud_pending = false;
	send_hello(s, 0);
	s->last_activity_ms = chip_ms(&s->chip);
}

static uint8_t execute(struct stub *s, uint8_t code, uint8_t seq, const uint8_t *p, uint32_t length)
{
	poll(s); /* the next frame's bytes, as in program() */
	/* Held-back erases are done before anything that reads or leaves the
	 * flash: whatever the host does next, the plan's units end up erased. */
	if (s->deferred_count && code != STUB_CMD_WRITE && code != STUB_CMD_WRITE_LZ4 &&
	    code != STUB_CMD_ERASE && code != STUB_CMD_CONFIRM && erase_all_deferred(s) != 0)
		return STUB_E_FLASH;
	switch (code) {
	case STUB_CMD_CONFIRM: /* any payload: the host confirms with a full-size frame */
		return STUB_OK;
	case STUB_CMD_SET_BAUD: {
		uint8_t st = do_set_baud(s, seq, p, length);
		return st == STUB_OK ? 0xFFu : st; /* 0xFF: replied already */
	}
	case STUB_CMD_ERASE:
		return do_erase(s, p, length);
	case STUB_CMD_WRITE:
		return do_write(s, p, length);
	case STUB_CMD_WRITE_LZ4:
		return do_write_lz4(s, p, length);
	case STUB_CMD_READ: {
		uint8_t st = do_read(s, seq, p, length);
		return st == STUB_OK ? 0xFFu : st;
	}
	case STUB_CMD_CRC:
		do_crc(s, seq, p, length);
		return 0xFFu;
	case STUB_CMD_GO:
		if (length != 4 || !in_readable(s, get32(p), 8))
			return length != 4 ? STUB_E_LENGTH : STUB_E_RANGE;
		if (s->unlocked)
			flash_lock(&s->flash);
		reply(s, code, seq, STUB_OK, NULL, 0);
		chip_uart_flush(&s->chip);
		chip_go(get32(p));
	case STUB_CMD_RESET:
		if (s->unlocked)
			flash_lock(&s->flash);
		reply(s, code, seq, STUB_OK, NULL, 0);
		chip_uart_flush(&s->chip);
		chip_reset();
	case STUB_CMD_OPTION:
		return STUB_E_UNSUPPORTED;
	default:
		return STUB_E_UNKNOWN;
	}
}

static void handle(struct stub *s, const uint8_t *f, bool good)
{
	uint8_t code = f[1], seq = f[2];
	uint32_t length = frame_length(f);
	const uint8_t *p = f + STUB_HEADER_BYTES;
	if (!good) {
		reply(s, code, seq, STUB_E_CRC, NULL, 0);
		return;
	}
	s->baud_pending = false; /* a good frame at the new rate confirms it */
	if (code == STUB_CMD_READ_ACK)
		return; /* late acknowledgements of a read that has ended */
	if (code == STUB_CMD_HELLO) {
		s->seq_known = true;
		s->expected_seq = (uint8_t)(seq + 1u);
		send_hello(s, seq);
		return;
	}
	uint8_t behind = (uint8_t)(s->expected_seq - 1u - seq);
	if (s->seq_known && seq != s->expected_seq && behind < 128u &&
	    (code == STUB_CMD_WRITE || code == STUB_CMD_WRITE_LZ4 || code == STUB_CMD_ERASE)) {
		/* A repeat whose reply was lost: answered, not done twice. */
		reply(s, code, seq, s->status_of[seq % STATUS_KEPT], NULL, 0);
		return;
	}
	if (!s->seq_known || seq != s->expected_seq) {
		uint8_t want = s->expected_seq;
		reply(s, code, seq, STUB_E_SEQUENCE, &want, 1);
		return;
	}
	s->expected_seq++;
	uint8_t status = execute(s, code, seq, p, length);
	if (status == 0xFFu) {
		s->status_of[seq % STATUS_KEPT] = STUB_OK;
		return;
	}
	s->status_of[seq % STATUS_KEPT] = status;
	if (status == STUB_E_FLASH)
		reply_flash_error(s, code, seq);
	else
		reply(s, code, seq, status, NULL, 0);
}

static void setup(struct stub *s, const uint8_t *image)
{
	s->params = image;
	/* The flags only matter to the H7 image's chip code (which RM). */
	chip_clock_init(&s->chip, param(s, STUB_PARAM_CHIP),
			STUB_DRIVER == STUB_DRIVER_H7 ? param(s, STUB_PARAM_FLAGS) : 0u);
	crc32_init_table(s->crc_table);
	s->flash = (struct flash_ctl){
		.flash_start = param(s, STUB_PARAM_FLASH_START),
		.flash_size = param(s, STUB_PARAM_FLASH_SIZE),
		.page_size = param(s, STUB_PARAM_PAGE_SIZE),
		.unit_count = param(s, STUB_PARAM_UNIT_COUNT),
		.bank2_start = param(s, STUB_PARAM_BANK2_START),
		.flags = param(s, STUB_PARAM_FLAGS),
		.hook_context = s,
	};
	if (s->flash.flags & STUB_PARAM_HSI_ONLY) {
		/* As if the PLL had not locked: HSI, and only its rates. */
		s->chip.raised = true;
		s->chip.pll_failed = true;
	}
	if (CHIP_HAS_WB) /* the only image whose chips have one */
		s->secure_start = chip_secure_start(s->chip.kind, s->flash.flash_start,
						    s->flash.flash_size, s->flash.page_size);
	s->ram_top = param(s, STUB_PARAM_STACK_TOP);
	s->start_baud = param(s, STUB_PARAM_BAUD);
	s->silence_ms = param(s, STUB_PARAM_SILENCE_MS);
	uint32_t slots = param(s, STUB_PARAM_BUF_START) + STATE_BYTES;
	uint32_t end = param(s, STUB_PARAM_BUF_END);
#ifndef STUB_SMALL
	/* A decoded frame's buffer at the end, where it leaves two slots. */
	if (end - slots >= STUB_WRITE_CHUNK + 2u * STUB_SLOT_BYTES) {
		end -= STUB_WRITE_CHUNK;
		s->decoded = (uint8_t *)end;
	}
#endif
	rx_init(&s->rx, s->crc_table, (uint8_t *)slots, end - slots);
	chip_uart_set(&s->chip, s->start_baud, true);
}

void stub_main(const uint8_t *image)
{
	const uint8_t *params = image + STUB_IMAGE_PARAMS;
	struct stub *s = (struct stub *)get32(params + STUB_PARAM_BUF_START);
	for (uint32_t i = 0; i < sizeof(*s); i++)
		((volatile uint8_t *)s)[i] = 0;
	setup(s, image);
	send_hello(s, 0);
	s->last_activity_ms = chip_ms(&s->chip);
	for (;;) {
		poll(s);
		bool good;
		const uint8_t *f = rx_next(&s->rx, &good);
		uint32_t now = chip_ms(&s->chip);
		if (f) {
			s->request_released = false;
			handle(s, f, good);
			if (!s->request_released)
				rx_release(&s->rx);
			s->last_activity_ms = chip_ms(&s->chip);
		} else if (s->baud_pending && (int32_t)(now - s->baud_deadline_ms) > 0) {
			chip_uart_set(&s->chip, s->old_baud, s->old_parity);
			rx_reset(&s->rx);
			s->baud_pending = false;
		} else if (s->silence_ms && now - s->last_activity_ms > s->silence_ms) {
			fall_back(s);
		} else {
			wait_for_byte_or_tick(s);
		}
	}
}
