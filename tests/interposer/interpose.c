/* The LD_PRELOAD entry points. Each hook decides whether the call is about
 * the emulator's pty and an operation a pty cannot do faithfully; if not, the
 * call goes to the next definition (libc) untouched. See README.md. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include "sim_bus.h"
#include "sim_device.h"
#include "sim_link.h"
#include "sim_termios.h"

#define EXPORTED __attribute__((visibility("default")))

typedef int ioctl_fn(int, unsigned long, ...);
typedef int tcsetattr_fn(int, int, const struct termios *);
typedef int tcgetattr_fn(int, struct termios *);
typedef int tcsendbreak_fn(int, int);

/* Set while a hook runs: anything called from inside a hook that ends up in
 * another hook (a libc whose tcsetattr calls ioctl via the PLT) passes through. */
static bool inside_hook;

static void *next_definition(const char *name)
{
    void *symbol = dlsym(RTLD_NEXT, name);
    if (!symbol)
        abort(); /* no libc underneath: nothing sensible can be done */
    return symbol;
}

static ioctl_fn *real_ioctl(void)
{
    static ioctl_fn *resolved;
    if (!resolved)
        resolved = (ioctl_fn *)next_definition("ioctl");
    return resolved;
}

static tcsetattr_fn *real_tcsetattr(void)
{
    static tcsetattr_fn *resolved;
    if (!resolved)
        resolved = (tcsetattr_fn *)next_definition("tcsetattr");
    return resolved;
}

static tcgetattr_fn *real_tcgetattr(void)
{
    static tcgetattr_fn *resolved;
    if (!resolved)
        resolved = (tcgetattr_fn *)next_definition("tcgetattr");
    return resolved;
}

static tcsendbreak_fn *real_tcsendbreak(void)
{
    static tcsendbreak_fn *resolved;
    if (!resolved)
        resolved = (tcsendbreak_fn *)next_definition("tcsendbreak");
    return resolved;
}

static bool nonempty(const char *text)
{
    return text && *text;
}

/* The environment is read on every call so a test can point a running
 * process at a new emulator. The tty path may be a symlink (--link), so
 * device numbers are compared, not names. errno is left as it was. */
static bool is_emulator_tty(int fd, struct sim_device *device)
{
    if (inside_hook)
        return false;
    const char *tty_path = getenv("STM32BOOT_SIM_TTY");
    const char *control_path = getenv("STM32BOOT_SIM_CONTROL");
    if (!nonempty(tty_path) || !nonempty(control_path))
        return false;
    int saved_errno = errno;
    struct stat of_fd, of_path;
    bool same = fstat(fd, &of_fd) == 0 && stat(tty_path, &of_path) == 0
             && S_ISCHR(of_fd.st_mode) && S_ISCHR(of_path.st_mode)
             && of_fd.st_rdev == of_path.st_rdev;
    errno = saved_errno;
    device->control_path = control_path;
    return same;
}

/* Runs an emulated operation: success leaves errno untouched, any failure to
 * reach the emulator shows up as EIO. */
static int emulated(int outcome, int errno_on_entry)
{
    if (outcome == 0) {
        errno = errno_on_entry;
        return 0;
    }
    errno = EIO;
    return -1;
}

/* Kernel break lengths: TCSBRK 0 and TCSBRKP 0 mean 250 ms, TCSBRKP n means
 * n deciseconds. */
enum { DEFAULT_BREAK_MS = 250 };

static unsigned long break_ms_for_deciseconds(long deciseconds)
{
    return deciseconds > 0 ? (unsigned long)deciseconds * 100 : DEFAULT_BREAK_MS;
}

static bool is_handled_request(unsigned long request)
{
    switch (request) {
    case TIOCMGET: case TIOCMSET: case TIOCMBIS: case TIOCMBIC:
    case TCSBRK: case TCSBRKP: case TIOCSBRK: case TIOCCBRK:
    case TCGETS: case TCSETS: case TCSETSW: case TCSETSF:
    case TCGETS2: case TCSETS2: case TCSETSW2: case TCSETSF2:
        return true;
    default:
        return false;
    }
}

static bool is_kernel_set(unsigned long request)
{
    return request == TCSETS || request == TCSETSW || request == TCSETSF;
}

static bool is_kernel2_set(unsigned long request)
{
    return request == TCSETS2 || request == TCSETSW2 || request == TCSETSF2;
}

static int set_through_kernel(int fd, unsigned long request, void *argument,
                              const struct sim_device *device)
{
    int result = real_ioctl()(fd, request, argument);
    if (result != 0)
        return result;
    int errno_on_entry = errno;
    struct remembered_termios settings;
    if (is_kernel_set(request))
        remember_from_kernel(&settings, argument);
    else
        remember_from_kernel2(&settings, argument);
    return emulated(sim_settings_applied(device, &settings), errno_on_entry);
}

static int get_through_kernel(int fd, unsigned long request, void *argument)
{
    struct remembered_termios settings;
    if (!sim_recall_settings(&settings))
        return real_ioctl()(fd, request, argument);
    if (request == TCGETS)
        recall_as_kernel(&settings, argument);
    else
        recall_as_kernel2(&settings, argument);
    return 0;
}

static int modem_request(unsigned long request, int *lines, const struct sim_device *device)
{
    switch (request) {
    case TIOCMGET: return sim_get_modem_lines(device, lines);
    case TIOCMSET: return sim_set_modem_lines(device, *lines);
    case TIOCMBIS: return sim_raise_modem_lines(device, *lines);
    default: return sim_lower_modem_lines(device, *lines);
    }
}

static int emulate_ioctl(int fd, unsigned long request, void *argument,
                         const struct sim_device *device)
{
    int errno_on_entry = errno;
    long number = (long)(intptr_t)argument;
    switch (request) {
    case TIOCMGET: case TIOCMSET: case TIOCMBIS: case TIOCMBIC:
        return emulated(modem_request(request, argument, device), errno_on_entry);
    case TCSBRK:
        if (number != 0) /* not a break: tcdrain() */
            return real_ioctl()(fd, request, argument);
        return emulated(sim_send_break_ms(device, DEFAULT_BREAK_MS), errno_on_entry);
    case TCSBRKP:
        return emulated(sim_send_break_ms(device, break_ms_for_deciseconds(number)), errno_on_entry);
    case TIOCSBRK:
        return emulated(sim_start_break(device), errno_on_entry);
    case TIOCCBRK:
        return emulated(sim_stop_break(device), errno_on_entry);
    case TCGETS: case TCGETS2:
        return get_through_kernel(fd, request, argument);
    default:
        if (is_kernel_set(request) || is_kernel2_set(request))
            return set_through_kernel(fd, request, argument, device);
        return real_ioctl()(fd, request, argument);
    }
}

/* Every ioctl the hooked ones take has at most one pointer-or-integer
 * argument, which is how glibc itself forwards the variadic call. */
EXPORTED int ioctl(int fd, unsigned long request, ...)
{
    va_list arguments;
    va_start(arguments, request);
    void *argument = va_arg(arguments, void *);
    va_end(arguments);

    struct sim_bus_node *bus_node = sim_bus_node(fd);
    if (bus_node)
        return sim_bus_ioctl(fd, bus_node, request, argument);
    struct sim_device device;
    if (!is_handled_request(request) || !is_emulator_tty(fd, &device))
        return real_ioctl()(fd, request, argument);
    inside_hook = true;
    int result = emulate_ioctl(fd, request, argument, &device);
    inside_hook = false;
    return result;
}

EXPORTED int tcsetattr(int fd, int optional_actions, const struct termios *settings)
{
    struct sim_device device;
    if (!is_emulator_tty(fd, &device))
        return real_tcsetattr()(fd, optional_actions, settings);
    inside_hook = true;
    int result = real_tcsetattr()(fd, optional_actions, settings);
    if (result == 0) {
        int errno_on_entry = errno;
        struct remembered_termios memory;
        remember_from_glibc(&memory, settings);
        result = emulated(sim_settings_applied(&device, &memory), errno_on_entry);
    }
    inside_hook = false;
    return result;
}

EXPORTED int tcgetattr(int fd, struct termios *settings)
{
    struct sim_device device;
    struct remembered_termios memory;
    if (!is_emulator_tty(fd, &device) || !sim_recall_settings(&memory))
        return real_tcgetattr()(fd, settings);
    memcpy(settings, &memory.settings, sizeof(*settings));
    return 0;
}

/* glibc's convention: duration <= 0 is the default break, otherwise
 * milliseconds rounded up to whole deciseconds. */
EXPORTED int tcsendbreak(int fd, int duration)
{
    struct sim_device device;
    if (!is_emulator_tty(fd, &device))
        return real_tcsendbreak()(fd, duration);
    int errno_on_entry = errno;
    inside_hook = true;
    long deciseconds = duration > 0 ? (duration + 99) / 100 : 0;
    int result = emulated(sim_send_break_ms(&device, break_ms_for_deciseconds(deciseconds)),
                          errno_on_entry);
    inside_hook = false;
    return result;
}

__attribute__((destructor)) static void close_control_connection(void)
{
    sim_link_close();
}
