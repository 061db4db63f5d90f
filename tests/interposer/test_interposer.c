/* Runs with libsiminterpose.so in LD_PRELOAD (see CMakeLists.txt): every
 * check below goes through the real preloaded hooks, against a pty and a
 * fake control socket this process owns. The raw syscall is used to see what
 * the pty itself holds, bypassing the hooks. */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_control_server.h"
#include "sim_termios.h"

struct fixture {
    char directory[64];
    char tty_link[128];
    char socket_path[128];
    int master;
    int tty;          /* the emulator's pty, opened through the symlink */
    int other_master;
    int other_tty;    /* an unrelated pty: must be left alone */
    struct fake_control_server *server;
};

static struct fixture fixture;

static int open_pty(int *master, char *slave_name, size_t slave_name_size)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0)
        return -1;
    snprintf(slave_name, slave_name_size, "%s", ptsname(*master));
    return 0;
}

static void point_at_fixture(void)
{
    setenv("STM32BOOT_SIM_TTY", fixture.tty_link, 1);
    setenv("STM32BOOT_SIM_CONTROL", fixture.socket_path, 1);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(fixture.directory, sizeof(fixture.directory), "/tmp/interposer.XXXXXX");
    if (!mkdtemp(fixture.directory))
        return -1;
    snprintf(fixture.tty_link, sizeof(fixture.tty_link), "%s/tty", fixture.directory);
    snprintf(fixture.socket_path, sizeof(fixture.socket_path), "%s/control", fixture.directory);
    char slave[64], other_slave[64];
    if (open_pty(&fixture.master, slave, sizeof(slave)) != 0
        || open_pty(&fixture.other_master, other_slave, sizeof(other_slave)) != 0
        || symlink(slave, fixture.tty_link) != 0)
        return -1;
    fixture.tty = open(fixture.tty_link, O_RDWR | O_NOCTTY);
    fixture.other_tty = open(other_slave, O_RDWR | O_NOCTTY);
    fixture.server = fake_server_start(fixture.socket_path);
    return (fixture.tty < 0 || fixture.other_tty < 0 || !fixture.server) ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_server_stop(fixture.server);
    close(fixture.tty);
    close(fixture.other_tty);
    close(fixture.master);
    close(fixture.other_master);
    unlink(fixture.tty_link);
    rmdir(fixture.directory);
    return 0;
}

/* Each test starts with both lines de-asserted and an empty request log. */
static int test_setup(void **state)
{
    (void)state;
    point_at_fixture();
    fake_server_set_reply(fixture.server, "OK");
    int none = 0;
    if (ioctl(fixture.tty, TIOCMSET, &none) != 0)
        return -1;
    fake_server_forget_requests(fixture.server);
    return 0;
}

static void assert_request(size_t index, const char *expected)
{
    char seen[FAKE_MAX_LINE];
    fake_server_request(fixture.server, index, seen, sizeof(seen));
    assert_string_equal(seen, expected);
}

static int raw_ioctl(int fd, unsigned long request, void *argument)
{
    return (int)syscall(SYS_ioctl, fd, request, argument);
}

/* Must run before any test applies settings: the shim remembers them for
 * the rest of the process, as a UART keeps them for the rest of its life. */
static void tcgetattr_passes_through_until_settings_are_applied(void **state)
{
    (void)state;
    struct kernel_termios on_pty;
    assert_int_equal(raw_ioctl(fixture.tty, TCGETS, &on_pty), 0);
    struct termios seen;
    assert_int_equal(tcgetattr(fixture.tty, &seen), 0);
    assert_int_equal(seen.c_cflag, on_pty.c_cflag);
    assert_int_equal(seen.c_iflag, on_pty.c_iflag);
    struct kernel_termios through_ioctl;
    assert_int_equal(ioctl(fixture.tty, TCGETS, &through_ioctl), 0);
    assert_memory_equal(&through_ioctl, &on_pty, sizeof(on_pty));
    assert_int_equal(fake_server_request_count(fixture.server), 0);
}

static void a_refused_tcsetattr_is_not_reported(void **state)
{
    (void)state;
    struct termios settings;
    memset(&settings, 0, sizeof(settings));
    assert_int_equal(tcgetattr(fixture.tty, &settings), 0);
    errno = 0;
    assert_int_equal(tcsetattr(fixture.tty, 12345, &settings), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(fake_server_request_count(fixture.server), 0);
}

static void only_rts_and_dtr_are_kept(void **state)
{
    (void)state;
    int many = TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &many), 0);
    int lines = -1;
    assert_int_equal(ioctl(fixture.tty, TIOCMGET, &lines), 0);
    assert_int_equal(lines, TIOCM_RTS);
    assert_request(0, "LINES rts=1 dtr=0");
}

static void modem_lines_are_kept_and_forwarded(void **state)
{
    (void)state;
    int lines = -1;
    assert_int_equal(ioctl(fixture.tty, TIOCMGET, &lines), 0);
    assert_int_equal(lines, 0);

    int rts = TIOCM_RTS, dtr = TIOCM_DTR;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &rts), 0);
    assert_int_equal(ioctl(fixture.tty, TIOCMBIS, &dtr), 0);
    assert_int_equal(ioctl(fixture.tty, TIOCMBIC, &rts), 0);
    assert_int_equal(ioctl(fixture.tty, TIOCMGET, &lines), 0);
    assert_int_equal(lines, TIOCM_DTR);

    assert_int_equal(fake_server_request_count(fixture.server), 3);
    assert_request(0, "LINES rts=1 dtr=0");
    assert_request(1, "LINES rts=1 dtr=1");
    assert_request(2, "LINES rts=0 dtr=1");
}

static void the_pty_itself_rejects_modem_ioctls(void **state)
{
    (void)state;
    int lines;
    assert_int_not_equal(raw_ioctl(fixture.tty, TIOCMGET, &lines), 0);
}

static struct termios raw_mode(speed_t speed, tcflag_t frame)
{
    struct termios settings;
    memset(&settings, 0, sizeof(settings));
    assert_int_equal(tcgetattr(fixture.tty, &settings), 0);
    cfmakeraw(&settings);
    settings.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB);
    settings.c_cflag |= frame | CLOCAL | CREAD;
    cfsetispeed(&settings, speed);
    cfsetospeed(&settings, speed);
    return settings;
}

static void tcsetattr_reaches_pty_and_emulator_and_reads_back_exactly(void **state)
{
    (void)state;
    struct termios wanted = raw_mode(B57600, CS8 | PARENB);
    assert_int_equal(tcsetattr(fixture.tty, TCSANOW, &wanted), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 1);
    assert_request(0, "TERMIOS baud=57600 bits=8 parity=e stop=1");

    struct termios seen;
    memset(&seen, 0xA5, sizeof(seen));
    assert_int_equal(tcgetattr(fixture.tty, &seen), 0);
    assert_memory_equal(&seen, &wanted, sizeof(seen));
    assert_true(seen.c_cflag & PARENB);

    /* The pty got the call (speed changed) but dropped parity, which is the
     * whole reason the interposer exists. */
    struct kernel_termios on_pty;
    assert_int_equal(raw_ioctl(fixture.tty, TCGETS, &on_pty), 0);
    assert_int_equal(on_pty.c_cflag & (CBAUD | CBAUDEX), B57600);
    assert_false(on_pty.c_cflag & PARENB);
}

static void other_frames_are_described(void **state)
{
    (void)state;
    struct termios odd = raw_mode(B115200, CS7 | PARENB | PARODD | CSTOPB);
    assert_int_equal(tcsetattr(fixture.tty, TCSADRAIN, &odd), 0);
    struct termios plain = raw_mode(B9600, CS8);
    assert_int_equal(tcsetattr(fixture.tty, TCSAFLUSH, &plain), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 2);
    assert_request(0, "TERMIOS baud=115200 bits=7 parity=o stop=2");
    assert_request(1, "TERMIOS baud=9600 bits=8 parity=n stop=1");
}

static void kernel_termios_ioctls_are_handled(void **state)
{
    (void)state;
    struct kernel_termios wanted;
    assert_int_equal(raw_ioctl(fixture.tty, TCGETS, &wanted), 0);
    wanted.c_cflag &= ~(tcflag_t)(CBAUD | CBAUDEX | CSIZE | PARODD | CSTOPB);
    wanted.c_cflag |= B19200 | CS8 | PARENB;
    assert_int_equal(ioctl(fixture.tty, TCSETSW, &wanted), 0);
    assert_request(0, "TERMIOS baud=19200 bits=8 parity=e stop=1");

    struct kernel_termios seen;
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(ioctl(fixture.tty, TCGETS, &seen), 0);
    assert_memory_equal(&seen, &wanted, sizeof(seen));

    struct termios through_libc;
    assert_int_equal(tcgetattr(fixture.tty, &through_libc), 0);
    assert_int_equal(through_libc.c_cflag, wanted.c_cflag);
    assert_int_equal(cfgetospeed(&through_libc), B19200);
}

static void arbitrary_rates_through_termios2(void **state)
{
    (void)state;
    struct termios2 wanted;
    assert_int_equal(raw_ioctl(fixture.tty, TCGETS2, &wanted), 0);
    wanted.c_cflag &= ~(tcflag_t)(CBAUD | CBAUDEX | CSIZE | PARODD | CSTOPB);
    wanted.c_cflag |= 0010000 /* BOTHER */ | CS8 | PARENB;
    wanted.c_ispeed = wanted.c_ospeed = 250000;
    assert_int_equal(ioctl(fixture.tty, TCSETS2, &wanted), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 1);
    assert_request(0, "TERMIOS baud=250000 bits=8 parity=e stop=1");

    struct termios2 seen;
    assert_int_equal(ioctl(fixture.tty, TCGETS2, &seen), 0);
    assert_int_equal(seen.c_cflag, wanted.c_cflag);
    assert_int_equal(seen.c_ospeed, 250000);
}

static void breaks_are_forwarded_with_their_length(void **state)
{
    (void)state;
    assert_int_equal(tcsendbreak(fixture.tty, 0), 0);
    assert_int_equal(tcsendbreak(fixture.tty, 1), 0);
    assert_int_equal(tcsendbreak(fixture.tty, 250), 0);
    assert_int_equal(ioctl(fixture.tty, TCSBRKP, 3), 0);
    assert_int_equal(ioctl(fixture.tty, TCSBRK, 0), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 5);
    assert_request(0, "BREAK 250");
    assert_request(1, "BREAK 100");
    assert_request(2, "BREAK 300");
    assert_request(3, "BREAK 300");
    assert_request(4, "BREAK 250");
}

static void drain_is_not_a_break(void **state)
{
    (void)state;
    assert_int_equal(tcdrain(fixture.tty), 0);
    assert_int_equal(ioctl(fixture.tty, TCSBRK, 1), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 0);
}

static void set_and_clear_break_is_one_break(void **state)
{
    (void)state;
    assert_int_equal(ioctl(fixture.tty, TIOCSBRK), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 0);
    assert_int_equal(ioctl(fixture.tty, TIOCCBRK), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 1);
    char seen[FAKE_MAX_LINE];
    fake_server_request(fixture.server, 0, seen, sizeof(seen));
    unsigned long milliseconds;
    char trailing;
    assert_int_equal(sscanf(seen, "BREAK %lu%c", &milliseconds, &trailing), 1);
}

static void errno_survives_a_hooked_call(void **state)
{
    (void)state;
    int rts = TIOCM_RTS;
    errno = EDOM;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &rts), 0);
    assert_int_equal(errno, EDOM);
    struct termios settings = raw_mode(B57600, CS8 | PARENB);
    errno = ERANGE;
    assert_int_equal(tcsetattr(fixture.tty, TCSANOW, &settings), 0);
    assert_int_equal(errno, ERANGE);
}

/* Same call, same outcome as without the interposer; nothing sent. */
static void assert_passes_through(int fd)
{
    int lines;
    errno = 0;
    int direct = raw_ioctl(fd, TIOCMGET, &lines);
    int direct_errno = errno;
    errno = 0;
    int hooked = ioctl(fd, TIOCMGET, &lines);
    assert_int_equal(hooked, direct);
    assert_int_equal(errno, direct_errno);
    errno = 0;
    int direct_break = raw_ioctl(fd, TCSBRK, 0);
    int direct_break_errno = errno;
    errno = 0;
    assert_int_equal(tcsendbreak(fd, 0), direct_break);
    assert_int_equal(errno, direct_break_errno);
    assert_int_equal(fake_server_request_count(fixture.server), 0);
}

static void other_ttys_are_left_alone(void **state)
{
    (void)state;
    assert_passes_through(fixture.other_tty);
    struct termios parity = raw_mode(B57600, CS8 | PARENB);
    assert_int_equal(tcsetattr(fixture.other_tty, TCSANOW, &parity), 0);
    struct termios seen;
    assert_int_equal(tcgetattr(fixture.other_tty, &seen), 0);
    assert_false(seen.c_cflag & PARENB); /* the real pty's answer */
    assert_int_equal(fake_server_request_count(fixture.server), 0);
}

static void other_kinds_of_fd_are_left_alone(void **state)
{
    (void)state;
    int pipe_ends[2];
    assert_int_equal(pipe(pipe_ends), 0);
    assert_passes_through(pipe_ends[0]);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    int lines;
    errno = 0;
    assert_int_equal(ioctl(-1, TIOCMGET, &lines), -1);
    assert_int_equal(errno, EBADF);
}

static void nothing_happens_without_the_environment(void **state)
{
    (void)state;
    unsetenv("STM32BOOT_SIM_CONTROL");
    assert_passes_through(fixture.tty);
    point_at_fixture();
    unsetenv("STM32BOOT_SIM_TTY");
    assert_passes_through(fixture.tty);
    setenv("STM32BOOT_SIM_TTY", "", 1);
    assert_passes_through(fixture.tty);
}

static void unreachable_emulator_is_an_io_error(void **state)
{
    (void)state;
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/nobody-listens", fixture.directory);
    setenv("STM32BOOT_SIM_CONTROL", missing, 1);
    int rts = TIOCM_RTS;
    errno = 0;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &rts), -1);
    assert_int_equal(errno, EIO);
    errno = 0;
    assert_int_equal(tcsendbreak(fixture.tty, 0), -1);
    assert_int_equal(errno, EIO);
}

static void refusal_is_an_io_error(void **state)
{
    (void)state;
    fake_server_set_reply(fixture.server, "ERR no such thing");
    int rts = TIOCM_RTS;
    errno = 0;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &rts), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(fake_server_request_count(fixture.server), 1);
}

/* The kept connection goes stale when the emulator restarts; the next call
 * must reach the new one. */
static void a_restarted_emulator_is_reached(void **state)
{
    (void)state;
    int rts = TIOCM_RTS;
    assert_int_equal(ioctl(fixture.tty, TIOCMSET, &rts), 0);
    fake_server_stop(fixture.server);
    fixture.server = fake_server_start(fixture.socket_path);
    assert_non_null(fixture.server);
    int dtr = TIOCM_DTR;
    assert_int_equal(ioctl(fixture.tty, TIOCMBIS, &dtr), 0);
    assert_int_equal(fake_server_request_count(fixture.server), 1);
    assert_request(0, "LINES rts=1 dtr=1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(tcgetattr_passes_through_until_settings_are_applied, test_setup),
        cmocka_unit_test_setup(a_refused_tcsetattr_is_not_reported, test_setup),
        cmocka_unit_test_setup(only_rts_and_dtr_are_kept, test_setup),
        cmocka_unit_test_setup(modem_lines_are_kept_and_forwarded, test_setup),
        cmocka_unit_test_setup(the_pty_itself_rejects_modem_ioctls, test_setup),
        cmocka_unit_test_setup(tcsetattr_reaches_pty_and_emulator_and_reads_back_exactly, test_setup),
        cmocka_unit_test_setup(other_frames_are_described, test_setup),
        cmocka_unit_test_setup(kernel_termios_ioctls_are_handled, test_setup),
        cmocka_unit_test_setup(arbitrary_rates_through_termios2, test_setup),
        cmocka_unit_test_setup(breaks_are_forwarded_with_their_length, test_setup),
        cmocka_unit_test_setup(drain_is_not_a_break, test_setup),
        cmocka_unit_test_setup(set_and_clear_break_is_one_break, test_setup),
        cmocka_unit_test_setup(errno_survives_a_hooked_call, test_setup),
        cmocka_unit_test_setup(other_ttys_are_left_alone, test_setup),
        cmocka_unit_test_setup(other_kinds_of_fd_are_left_alone, test_setup),
        cmocka_unit_test_setup(nothing_happens_without_the_environment, test_setup),
        cmocka_unit_test_setup(unreachable_emulator_is_an_io_error, test_setup),
        cmocka_unit_test_setup(refusal_is_an_io_error, test_setup),
        cmocka_unit_test_setup(a_restarted_emulator_is_reached, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
