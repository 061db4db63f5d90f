/* CRC calculation unit (RM0008 §4; RM0360/RM0444 for the flexible layout,
 * which RM0433 H7, RM0481 H5, RM0438 L5 and RM0456 U5 share: their CRC
 * chapters have the same DR, IDR, CR, INIT and POL): CRC-32 MSB first,
 * polynomial 0x04C11DB7 (POL programmable on the flexible layout, with
 * CR.POLYSIZE 4:3 choosing a 32, 16, 8 or 7-bit polynomial whose low bits
 * POL holds; the CRC then is that wide, from the low bits of INIT),
 * initial value 0xFFFFFFFF (INIT), DR writes of 8/16/32 bits on the
 * flexible layout, input reversal REV_IN and output reversal REV_OUT (of
 * the CRC's own width). */
#include "cpu/periph.h"

#define CRC_DR   0x00u
#define CRC_IDR  0x04u
#define CRC_CR   0x08u
#define CRC_INIT 0x10u
#define CRC_POL  0x14u
#define CR_RESET  (1u << 0)
#define CR_POLYSIZE_SHIFT 3
#define CR_REV_OUT (1u << 7)
#define DEFAULT_POLY 0x04C11DB7u

void sim_crc_reset(struct sim_crc *crc, enum sim_crc_layout layout)
{
	*crc = (struct sim_crc){.layout = layout, .crc = 0xFFFFFFFFu, .init = 0xFFFFFFFFu,
				.pol = DEFAULT_POLY};
}

static uint32_t reverse_bits(uint32_t v, unsigned width)
{
	uint32_t r = 0;
	for (unsigned i = 0; i < width; i++)
		r |= ((v >> i) & 1u) << (width - 1 - i);
	return r;
}

/* REV_IN: 01 reverses each byte, 10 each half-word, 11 the whole word. */
static uint32_t reverse_input(uint32_t v, unsigned width, unsigned rev_in)
{
	unsigned chunk = rev_in == 1 ? 8 : rev_in == 2 ? 16 : 32;
	if (rev_in == 0)
		return v;
	if (chunk > width)
		chunk = width;
	uint32_t out = 0;
	for (unsigned at = 0; at < width; at += chunk) {
		uint32_t part = (v >> at) & (chunk == 32 ? 0xFFFFFFFFu : (1u << chunk) - 1u);
		out |= reverse_bits(part, chunk) << at;
	}
	return out;
}

/* POLYSIZE: 00 32 bits, 01 16, 10 8, 11 7 (the basic layout: 32). */
static unsigned crc_width(const struct sim_crc *crc)
{
	static const unsigned width[4] = {32, 16, 8, 7};
	return crc->layout == SIM_CRC_FLEXIBLE ? width[(crc->cr >> CR_POLYSIZE_SHIFT) & 3u] : 32;
}

static uint32_t low_bits(uint32_t v, unsigned width)
{
	return width == 32 ? v : v & ((1u << width) - 1u);
}

/* A narrower CRC is the 32-bit long division with the register and the
 * polynomial moved to the top bits: the data bits below them enter one
 * shift at a time, as in the narrow division. */
static void feed(struct sim_crc *crc, uint32_t data, unsigned width)
{
	unsigned size = crc_width(crc), up = 32 - size;
	uint32_t pol = low_bits(crc->pol, size) << up;
	uint32_t c = (crc->crc << up) ^ (width == 32 ? data : data << (32 - width));
	for (unsigned i = 0; i < width; i++)
		c = c & 0x80000000u ? (c << 1) ^ pol : c << 1;
	crc->crc = c >> up;
}

uint32_t sim_crc_read(void *ctx, uint32_t offset)
{
	struct sim_crc *crc = ctx;
	switch (offset) {
	case CRC_DR:
		return crc->layout == SIM_CRC_FLEXIBLE && (crc->cr & CR_REV_OUT) ?
			       reverse_bits(crc->crc, crc_width(crc)) : crc->crc;
	case CRC_IDR: return crc->idr;
	case CRC_CR: return crc->cr;
	case CRC_INIT: return crc->layout == SIM_CRC_FLEXIBLE ? crc->init : 0;
	case CRC_POL: return crc->layout == SIM_CRC_FLEXIBLE ? crc->pol : 0;
	}
	return 0;
}

static unsigned width_of(uint32_t mask)
{
	return mask == 0xFFFFFFFFu ? 32 : (mask & 0xFFFFu) == 0xFFFFu || (mask >> 16) == 0xFFFFu ? 16 : 8;
}

static void write_dr(struct sim_crc *crc, uint32_t value, uint32_t mask)
{
	unsigned width = crc->layout == SIM_CRC_FLEXIBLE ? width_of(mask) : 32;
	unsigned shift = 0;
	while (shift < 32 && !((mask >> shift) & 1u))
		shift++;
	uint32_t data = width == 32 ? value : (value >> shift) & ((1u << width) - 1u);
	if (crc->layout == SIM_CRC_FLEXIBLE)
		data = reverse_input(data, width, (crc->cr >> 5) & 3u);
	feed(crc, data, width);
}

void sim_crc_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_crc *crc = ctx;
	bool flexible = crc->layout == SIM_CRC_FLEXIBLE;
	switch (offset) {
	case CRC_DR: write_dr(crc, value, mask); break;
	case CRC_IDR: crc->idr = sim_merge(crc->idr, value, mask) & (flexible ? 0xFFFFFFFFu : 0xFFu); break;
	case CRC_CR:
		crc->cr = sim_merge(crc->cr, value, mask) & (flexible ? 0xF8u : 0u);
		if (value & mask & CR_RESET)
			crc->crc = flexible ? low_bits(crc->init, crc_width(crc)) : 0xFFFFFFFFu;
		break;
	case CRC_INIT:
		if (flexible) {
			crc->init = sim_merge(crc->init, value, mask);
			/* RM0360: writing INIT also loads DR */
			crc->crc = low_bits(crc->init, crc_width(crc));
		}
		break;
	case CRC_POL:
		if (flexible)
			crc->pol = sim_merge(crc->pol, value, mask);
		break;
	default: break;
	}
}
