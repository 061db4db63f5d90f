/* Unsigned division for the small image (scripts/build-stub.sh): libgcc's
 * Cortex-M0 routine is unrolled for speed into some 270 bytes; the stub
 * divides a few times per rate change and once per frame (the slot ring),
 * so one bit a step in a few dozen bytes is enough. Linked ahead of
 * libgcc, so its own is not pulled in. */
#include <stdint.h>

uint32_t __aeabi_uidiv(uint32_t n, uint32_t d);
uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d);

/* Quotient in the low word, remainder in the high one: r0 and r1, as the
 * ARM run-time ABI returns them. Division by 0 gives 0 rem n (never asked). */
uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d)
{
	uint32_t q = 0, r = 0;
	for (int bit = 31; d && bit >= 0; bit--) {
		r = r << 1 | (n >> bit & 1u);
		if (r >= d) {
			r -= d;
			q |= 1u << bit;
		}
	}
	return d ? (uint64_t)r << 32 | q : n;
}

uint32_t __aeabi_uidiv(uint32_t n, uint32_t d)
{
	return (uint32_t)__aeabi_uidivmod(n, d);
}
