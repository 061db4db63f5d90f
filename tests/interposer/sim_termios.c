#include "sim_termios.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BOTHER
#define BOTHER 0010000 /* asm-generic: the rate is in c_ospeed, not CBAUD */
#endif

struct speed_entry {
    speed_t code;
    unsigned long baud;
};

static const struct speed_entry speed_table[] = {
    {B50, 50}, {B75, 75}, {B110, 110}, {B134, 134}, {B150, 150}, {B200, 200},
    {B300, 300}, {B600, 600}, {B1200, 1200}, {B1800, 1800}, {B2400, 2400},
    {B4800, 4800}, {B9600, 9600}, {B19200, 19200}, {B38400, 38400},
    {B57600, 57600}, {B115200, 115200}, {B230400, 230400}, {B460800, 460800},
    {B500000, 500000}, {B576000, 576000}, {B921600, 921600},
    {B1000000, 1000000}, {B1152000, 1152000}, {B1500000, 1500000},
    {B2000000, 2000000}, {B2500000, 2500000}, {B3000000, 3000000},
    {B3500000, 3500000}, {B4000000, 4000000},
};

unsigned long baud_from_speed_code(speed_t code)
{
    for (size_t i = 0; i < sizeof(speed_table) / sizeof(speed_table[0]); i++)
        if (speed_table[i].code == code)
            return speed_table[i].baud;
    return 0;
}

static speed_t speed_code_of(tcflag_t cflag)
{
    return cflag & (CBAUD | CBAUDEX);
}

void remember_from_glibc(struct remembered_termios *memory, const struct termios *settings)
{
    memcpy(&memory->settings, settings, sizeof(memory->settings)); /* padding too: verbatim */
    memory->baud = baud_from_speed_code(cfgetospeed(settings));
}

/* Mirrors what glibc's tcgetattr would have made of the kernel struct, so a
 * later tcgetattr sees what the program would see on a real UART. */
static void glibc_view_of_kernel(const struct kernel_termios *kernel, struct termios *out)
{
    memset(out, 0, sizeof(*out));
    out->c_iflag = kernel->c_iflag;
    out->c_oflag = kernel->c_oflag;
    out->c_cflag = kernel->c_cflag;
    out->c_lflag = kernel->c_lflag;
    out->c_line = kernel->c_line;
    memset(out->c_cc, _POSIX_VDISABLE, sizeof(out->c_cc));
    memcpy(out->c_cc, kernel->c_cc, KERNEL_NCCS);
#ifdef _HAVE_STRUCT_TERMIOS_C_ISPEED
    out->c_ispeed = speed_code_of(kernel->c_cflag);
    out->c_ospeed = speed_code_of(kernel->c_cflag);
#endif
}

void remember_from_kernel(struct remembered_termios *memory, const struct kernel_termios *settings)
{
    glibc_view_of_kernel(settings, &memory->settings);
    memory->baud = baud_from_speed_code(speed_code_of(settings->c_cflag));
}

void remember_from_kernel2(struct remembered_termios *memory, const struct termios2 *settings)
{
    struct kernel_termios prefix;
    memcpy(&prefix, settings, sizeof(prefix));
    glibc_view_of_kernel(&prefix, &memory->settings);
    if ((settings->c_cflag & CBAUD) == BOTHER)
        memory->baud = settings->c_ospeed;
    else
        memory->baud = baud_from_speed_code(speed_code_of(settings->c_cflag));
}

void recall_as_kernel(const struct remembered_termios *memory, struct kernel_termios *out)
{
    const struct termios *settings = &memory->settings;
    memset(out, 0, sizeof(*out));
    out->c_iflag = settings->c_iflag;
    out->c_oflag = settings->c_oflag;
    out->c_cflag = settings->c_cflag;
    out->c_lflag = settings->c_lflag;
    out->c_line = settings->c_line;
    memcpy(out->c_cc, settings->c_cc, KERNEL_NCCS);
}

void recall_as_kernel2(const struct remembered_termios *memory, struct termios2 *out)
{
    struct kernel_termios prefix;
    recall_as_kernel(memory, &prefix);
    memset(out, 0, sizeof(*out));
    memcpy(out, &prefix, sizeof(prefix));
    out->c_ispeed = (speed_t)memory->baud;
    out->c_ospeed = (speed_t)memory->baud;
}

static unsigned data_bits_of(tcflag_t cflag)
{
    switch (cflag & CSIZE) {
    case CS5: return 5;
    case CS6: return 6;
    case CS7: return 7;
    default: return 8;
    }
}

static char parity_of(tcflag_t cflag)
{
    if (!(cflag & PARENB))
        return 'n';
    return (cflag & PARODD) ? 'o' : 'e';
}

int describe_line_settings(const struct remembered_termios *memory, char *out, size_t out_size)
{
    tcflag_t cflag = memory->settings.c_cflag;
    int length = snprintf(out, out_size, "TERMIOS baud=%lu bits=%u parity=%c stop=%d",
                          memory->baud, data_bits_of(cflag), parity_of(cflag),
                          (cflag & CSTOPB) ? 2 : 1);
    return (length < 0 || (size_t)length >= out_size) ? -1 : 0;
}
