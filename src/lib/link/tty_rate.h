/* The OS seam for serial rates outside the termios speed constants
 * (1000000 is one on Linux, 1234567 or 2000001 are not anywhere): Linux's
 * termios2 with BOTHER, elsewhere (macOS: IOSSIOSPEED) or without it an
 * "unsupported" answer. Kept apart from transport_uart.c because Linux's
 * <asm/termbits.h> cannot be included beside <termios.h>. */
#ifndef STM32_LINK_TTY_RATE_H
#define STM32_LINK_TTY_RATE_H

#include <stdbool.h>

/* Set fd's input and output rate to baud bits per second, the rest of its
 * settings kept. 0, ENOTSUP when this OS has no way, else the errno. */
int tty_rate_set(int fd, unsigned baud);

/* fd's output rate in bits per second as the driver keeps it; 0 when
 * this OS cannot say (the caller then trusts cfgetospeed). */
unsigned tty_rate_get(int fd);

#endif
