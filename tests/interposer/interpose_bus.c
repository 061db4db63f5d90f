/* LD_PRELOAD entry points for the emulated i2c-dev and spidev nodes: opening
 * the node named by STM32BOOT_SIM_I2C / STM32BOOT_SIM_SPI connects to the
 * emulator's bus socket instead, and read/write/close on such a descriptor
 * are translated (sim_bus.h). Everything else goes to libc untouched. The
 * ioctl hook lives in interpose.c, which hands emulated nodes to
 * sim_bus_ioctl. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "sim_bus.h"

#define EXPORTED __attribute__((visibility("default")))

typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t write_fn(int, const void *, size_t);
typedef int close_fn(int);

static void *next(const char *name)
{
    void *symbol = dlsym(RTLD_NEXT, name);
    if (!symbol)
        abort(); /* no libc underneath: nothing sensible can be done */
    return symbol;
}

/* Each libc entry point is resolved once, on first use. */
#define REAL(type, name)                              \
    static type *real_##name(void)                    \
    {                                                 \
        static type *resolved;                        \
        if (!resolved)                                \
            resolved = (type *)next(#name);           \
        return resolved;                              \
    }

REAL(open_fn, open)
REAL(open_fn, open64)
REAL(openat_fn, openat)
REAL(openat_fn, openat64)
REAL(read_fn, read)
REAL(write_fn, write)
REAL(close_fn, close)

static bool takes_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define MODE_ARGUMENT(flags, last, mode)      \
    do {                                      \
        if (takes_mode(flags)) {              \
            va_list arguments;                \
            va_start(arguments, last);        \
            mode = va_arg(arguments, mode_t); \
            va_end(arguments);                \
        }                                     \
    } while (0)

EXPORTED int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARGUMENT(flags, flags, mode);
    enum sim_bus_kind kind;
    if (sim_bus_claims_path(path, &kind))
        return sim_bus_open(kind, flags);
    return real_open()(path, flags, mode);
}

EXPORTED int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARGUMENT(flags, flags, mode);
    enum sim_bus_kind kind;
    if (sim_bus_claims_path(path, &kind))
        return sim_bus_open(kind, flags);
    return real_open64()(path, flags, mode);
}

/* The emulated node is named by its absolute path, so the directory
 * descriptor does not matter when the name matches. */
EXPORTED int openat(int directory, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARGUMENT(flags, flags, mode);
    enum sim_bus_kind kind;
    if (sim_bus_claims_path(path, &kind))
        return sim_bus_open(kind, flags);
    return real_openat()(directory, path, flags, mode);
}

EXPORTED int openat64(int directory, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARGUMENT(flags, flags, mode);
    enum sim_bus_kind kind;
    if (sim_bus_claims_path(path, &kind))
        return sim_bus_open(kind, flags);
    return real_openat64()(directory, path, flags, mode);
}

/* _FORTIFY_SOURCE builds call these instead of open/openat without O_CREAT. */
EXPORTED int __open_2(const char *path, int flags)
{
    return open(path, flags);
}

EXPORTED int __open64_2(const char *path, int flags)
{
    return open64(path, flags);
}

EXPORTED int __openat_2(int directory, const char *path, int flags)
{
    return openat(directory, path, flags);
}

EXPORTED int __openat64_2(int directory, const char *path, int flags)
{
    return openat64(directory, path, flags);
}

EXPORTED ssize_t read(int fd, void *buffer, size_t count)
{
    struct sim_bus_node *node = sim_bus_node(fd);
    if (!node)
        return real_read()(fd, buffer, count);
    return sim_bus_read(fd, node, buffer, count);
}

EXPORTED ssize_t __read_chk(int fd, void *buffer, size_t count, size_t buffer_size)
{
    if (count > buffer_size)
        abort(); /* what glibc's own check does: a buffer overflow */
    return read(fd, buffer, count);
}

EXPORTED ssize_t write(int fd, const void *buffer, size_t count)
{
    struct sim_bus_node *node = sim_bus_node(fd);
    if (!node)
        return real_write()(fd, buffer, count);
    return sim_bus_write(fd, node, buffer, count);
}

EXPORTED int close(int fd)
{
    sim_bus_forget(fd);
    return real_close()(fd);
}
