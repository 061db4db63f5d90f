/* Translating between the termios views a program may use (glibc's struct
 * termios via tcsetattr, the kernel's layouts via ioctl) and the emulator's
 * TERMIOS message. */
#ifndef SIM_TERMIOS_H
#define SIM_TERMIOS_H

#include <stddef.h>
#include <termios.h>

/* Kernel layouts for TCGETS/TCSETS* and TCGETS2/TCSETS2* on Linux ports using
 * asm-generic termbits (x86, arm, arm64, riscv). <asm/termbits.h> cannot be
 * included next to <termios.h>, hence the mirror. The tag `termios2` is the
 * one the TCGETS2 macro refers to. */
enum { KERNEL_NCCS = 19 };

struct kernel_termios {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[KERNEL_NCCS];
};

struct termios2 {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[KERNEL_NCCS];
    speed_t c_ispeed, c_ospeed;
};

/* What the program last asked for: its own struct, returned verbatim by
 * tcgetattr, plus the line rate in bits per second. */
struct remembered_termios {
    struct termios settings;
    unsigned long baud;
};

void remember_from_glibc(struct remembered_termios *memory, const struct termios *settings);
void remember_from_kernel(struct remembered_termios *memory, const struct kernel_termios *settings);
void remember_from_kernel2(struct remembered_termios *memory, const struct termios2 *settings);

void recall_as_kernel(const struct remembered_termios *memory, struct kernel_termios *out);
void recall_as_kernel2(const struct remembered_termios *memory, struct termios2 *out);

/* Formats the emulator request "TERMIOS baud=B bits=N parity=n|e|o stop=1|2".
 * Returns 0, or -1 if it does not fit. */
int describe_line_settings(const struct remembered_termios *memory, char *out, size_t out_size);

/* Bits per second for a Bnnn speed code, 0 for B0 or an unknown code. */
unsigned long baud_from_speed_code(speed_t code);

#endif
