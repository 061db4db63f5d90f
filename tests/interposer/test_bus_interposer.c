/* The i2c-dev/spidev half of libsiminterpose.so, driven with raw system calls
 * as a program would, against fake_bus_server. Runs with the shim preloaded
 * (it re-runs itself with it otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fake_bus_process.h"

/* glibc declares it only for _LARGEFILE64_SOURCE; programs built that way
 * call it, so the shim must answer it too. */
extern int open64(const char *path, int flags, ...);

#define I2C_NODE "/dev/i2c-sim-test"
#define SPI_NODE "/dev/spidev-sim-test.0"
#define DEVICE_ADDRESS 0x39

static struct fake_bus bus;

static int group_setup(void **state)
{
    (void)state;
    return fake_bus_start_with(&bus, DEVICE_ADDRESS, 1); /* SPI lines show the clock */
}

static int group_teardown(void **state)
{
    (void)state;
    fake_bus_stop(&bus);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    setenv("STM32BOOT_SIM_BUS", bus.socket_path, 1);
    setenv("STM32BOOT_SIM_I2C", I2C_NODE, 1);
    setenv("STM32BOOT_SIM_SPI", SPI_NODE, 1);
    fake_bus_mark(&bus);
    return 0;
}

static void assert_log(const char *expected)
{
    char seen[8192];
    fake_bus_log_since_mark(&bus, seen, sizeof(seen));
    assert_string_equal(seen, expected);
}

static int open_i2c_at(unsigned address)
{
    int fd = open(I2C_NODE, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ioctl(fd, I2C_SLAVE, (unsigned long)address), 0);
    return fd;
}

static void i2c_write_and_read_are_transactions(void **state)
{
    (void)state;
    int fd = open_i2c_at(DEVICE_ADDRESS);
    const uint8_t frame[] = {0x00, 0xFF};
    assert_int_equal(write(fd, frame, sizeof(frame)), 2);
    uint8_t answer[3] = {0};
    assert_int_equal(read(fd, answer, sizeof(answer)), 3);
    const uint8_t echoed[] = {0x00, 0xFF, 0x00};
    assert_memory_equal(answer, echoed, sizeof(echoed));
    assert_log("W 0x39 2 00ff\nR 0x39 3\n");
    assert_int_equal(close(fd), 0);
}

static void i2c_functionality_is_plain_i2c(void **state)
{
    (void)state;
    int fd = open(I2C_NODE, O_RDWR);
    assert_true(fd >= 0);
    unsigned long functions = 0;
    assert_int_equal(ioctl(fd, I2C_FUNCS, &functions), 0);
    assert_true(functions & I2C_FUNC_I2C);
    assert_int_equal(ioctl(fd, I2C_TIMEOUT, 10UL), 0);
    assert_int_equal(ioctl(fd, I2C_RETRIES, 2UL), 0);
    assert_int_equal(ioctl(fd, I2C_SLAVE_FORCE, 0x39UL), 0);
    errno = 0;
    assert_int_equal(ioctl(fd, I2C_SLAVE, 0x80UL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(ioctl(fd, 0x5401 /* TCGETS */, &functions), -1);
    assert_int_equal(errno, ENOTTY);
    assert_log("");
    close(fd);
}

static void an_unacknowledged_address_is_enxio(void **state)
{
    (void)state;
    int fd = open_i2c_at(0x42);
    uint8_t byte = 0x7F;
    errno = 0;
    assert_int_equal(write(fd, &byte, 1), -1);
    assert_int_equal(errno, ENXIO);
    errno = 0;
    assert_int_equal(read(fd, &byte, 1), -1);
    assert_int_equal(errno, ENXIO);
    assert_log("W 0x42 1 nack\nR 0x42 1 nack\n");
    close(fd);
}

static void i2c_rdwr_is_one_transaction_per_message(void **state)
{
    (void)state;
    int fd = open(I2C_NODE, O_RDWR);
    uint8_t command[] = {0x11, 0xEE};
    uint8_t answer[4] = {0};
    struct i2c_msg messages[] = {
        {.addr = DEVICE_ADDRESS, .flags = 0, .len = sizeof(command), .buf = command},
        {.addr = DEVICE_ADDRESS, .flags = I2C_M_RD, .len = sizeof(answer), .buf = answer},
    };
    struct i2c_rdwr_ioctl_data combined = {.msgs = messages, .nmsgs = 2};
    assert_int_equal(ioctl(fd, I2C_RDWR, &combined), 2);
    const uint8_t expected[] = {0x11, 0xEE, 0x11, 0xEE};
    assert_memory_equal(answer, expected, sizeof(expected));
    assert_log("W 0x39 2 11ee\nR 0x39 4\n");

    fake_bus_mark(&bus);
    messages[0].addr = 0x50;
    errno = 0;
    assert_int_equal(ioctl(fd, I2C_RDWR, &combined), -1);
    assert_int_equal(errno, ENXIO);
    assert_log("W 0x50 2 nack\n"); /* the read after it never happens */
    close(fd);
}

static void spi_message_honours_missing_buffers(void **state)
{
    (void)state;
    int fd = open(SPI_NODE, O_RDWR);
    assert_true(fd >= 0);
    const uint8_t first[] = {0x5A, 0x01};
    uint8_t in[2] = {0xAA, 0xAA};
    struct spi_ioc_transfer transfers[2];
    memset(transfers, 0, sizeof(transfers));
    transfers[0].tx_buf = (uintptr_t)first;
    transfers[0].len = 2;
    transfers[1].rx_buf = (uintptr_t)in; /* no tx_buf: zeros go out */
    transfers[1].len = 2;
    assert_int_equal(ioctl(fd, SPI_IOC_MESSAGE(2), transfers), 4);
    assert_memory_equal(in, first, sizeof(first));
    /* no speed_hz in either transfer: the node's (1 MHz at open) */
    assert_log("X 2 hz=1000000 out=5a01\nX 2 hz=1000000 out=0000\n");
    close(fd);
}

static void spi_read_and_write_are_half_duplex(void **state)
{
    (void)state;
    int fd = open(SPI_NODE, O_RDWR);
    const uint8_t frame[] = {0x31, 0xCE};
    assert_int_equal(write(fd, frame, 2), 2);
    uint8_t in[2] = {0};
    assert_int_equal(read(fd, in, 2), 2);
    assert_memory_equal(in, frame, 2);
    assert_log("X 2 hz=1000000 out=31ce\nX 2 hz=1000000 out=0000\n");
    static uint8_t too_long[4097];
    errno = 0;
    assert_int_equal(write(fd, too_long, sizeof(too_long)), -1);
    assert_int_equal(errno, EMSGSIZE);
    close(fd);
}

/* The clock reaches the bus with every transfer, as spidev picks it: a
 * transfer's own speed_hz, else the node's SPI_IOC_WR_MAX_SPEED_HZ. */
static void spi_transfers_carry_their_clock(void **state)
{
    (void)state;
    int fd = open(SPI_NODE, O_RDWR);
    assert_true(fd >= 0);
    uint32_t node_speed = 8000000;
    assert_int_equal(ioctl(fd, SPI_IOC_WR_MAX_SPEED_HZ, &node_speed), 0);
    const uint8_t sync = 0x5A;
    assert_int_equal(write(fd, &sync, 1), 1);
    uint8_t in = 0;
    assert_int_equal(read(fd, &in, 1), 1);
    struct spi_ioc_transfer transfers[2];
    memset(transfers, 0, sizeof(transfers));
    transfers[0].tx_buf = (uintptr_t)&sync;
    transfers[0].len = 1;
    transfers[0].speed_hz = 250000;
    transfers[1].tx_buf = (uintptr_t)&sync;
    transfers[1].len = 1; /* speed_hz 0: the node's */
    assert_int_equal(ioctl(fd, SPI_IOC_MESSAGE(2), transfers), 2);
    assert_log("X 1 hz=8000000 out=5a\nX 1 hz=8000000 out=00\n"
               "X 1 hz=250000 out=5a\nX 1 hz=8000000 out=5a\n");
    close(fd);
}

static void spi_settings_are_kept_per_open(void **state)
{
    (void)state;
    int fd = open(SPI_NODE, O_RDWR);
    uint8_t mode = 0xFF, bits = 0, lsb = 0xFF;
    uint32_t speed = 0, mode32 = 0xFF;
    assert_int_equal(ioctl(fd, SPI_IOC_RD_MODE, &mode), 0);
    assert_int_equal(mode, SPI_MODE_0);
    assert_int_equal(ioctl(fd, SPI_IOC_RD_BITS_PER_WORD, &bits), 0);
    assert_int_equal(bits, 8);
    uint8_t mode3 = SPI_MODE_3;
    assert_int_equal(ioctl(fd, SPI_IOC_WR_MODE, &mode3), 0);
    uint8_t one = 1;
    assert_int_equal(ioctl(fd, SPI_IOC_WR_LSB_FIRST, &one), 0);
    uint32_t fast = 8000000;
    assert_int_equal(ioctl(fd, SPI_IOC_WR_MAX_SPEED_HZ, &fast), 0);
    assert_int_equal(ioctl(fd, SPI_IOC_RD_MODE32, &mode32), 0);
    assert_int_equal(mode32, SPI_MODE_3 | SPI_LSB_FIRST);
    assert_int_equal(ioctl(fd, SPI_IOC_RD_LSB_FIRST, &lsb), 0);
    assert_int_equal(lsb, 1);
    assert_int_equal(ioctl(fd, SPI_IOC_RD_MAX_SPEED_HZ, &speed), 0);
    assert_int_equal(speed, 8000000);
    uint8_t nine = 9;
    errno = 0;
    assert_int_equal(ioctl(fd, SPI_IOC_WR_BITS_PER_WORD, &nine), -1);
    assert_int_equal(errno, EINVAL);

    int other = open(SPI_NODE, O_RDWR);
    assert_int_equal(ioctl(other, SPI_IOC_RD_MODE, &mode), 0);
    assert_int_equal(mode, SPI_MODE_0);
    assert_log("");
    close(other);
    close(fd);
}

static void every_open_variant_reaches_the_bus(void **state)
{
    (void)state;
    int fds[] = {
        openat(AT_FDCWD, I2C_NODE, O_RDWR),
        open64(I2C_NODE, O_RDWR | O_NONBLOCK),
    };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        assert_true(fds[i] >= 0);
        assert_int_equal(ioctl(fds[i], I2C_SLAVE, 0x39UL), 0);
        uint8_t byte = (uint8_t)i;
        assert_int_equal(write(fds[i], &byte, 1), 1);
        close(fds[i]);
    }
    assert_log("W 0x39 1 00\nW 0x39 1 01\n");
}

static void a_closed_descriptor_is_forgotten(void **state)
{
    (void)state;
    int fd = open(I2C_NODE, O_RDWR);
    close(fd);
    int pipe_ends[2];
    assert_int_equal(pipe(pipe_ends), 0); /* likely reuses fd */
    assert_int_equal(write(pipe_ends[1], "z", 1), 1);
    char byte = 0;
    assert_int_equal(read(pipe_ends[0], &byte, 1), 1);
    assert_int_equal(byte, 'z');
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    assert_log("");
}

static void other_paths_and_unset_variables_pass_through(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(open("/dev/i2c-sim-other", O_RDWR), -1);
    assert_int_equal(errno, ENOENT);
    unsetenv("STM32BOOT_SIM_BUS");
    errno = 0;
    assert_int_equal(open(I2C_NODE, O_RDWR), -1);
    assert_int_equal(errno, ENOENT);
    assert_log("");
}

static void a_missing_emulator_is_enodev(void **state)
{
    (void)state;
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/nobody", bus.directory);
    setenv("STM32BOOT_SIM_BUS", missing, 1);
    errno = 0;
    assert_int_equal(open(SPI_NODE, O_RDWR), -1);
    assert_int_equal(errno, ENODEV);
}

int main(int argc, char **argv)
{
    (void)argc;
    fake_bus_preload_self(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(i2c_write_and_read_are_transactions, test_setup),
        cmocka_unit_test_setup(i2c_functionality_is_plain_i2c, test_setup),
        cmocka_unit_test_setup(an_unacknowledged_address_is_enxio, test_setup),
        cmocka_unit_test_setup(i2c_rdwr_is_one_transaction_per_message, test_setup),
        cmocka_unit_test_setup(spi_message_honours_missing_buffers, test_setup),
        cmocka_unit_test_setup(spi_read_and_write_are_half_duplex, test_setup),
        cmocka_unit_test_setup(spi_transfers_carry_their_clock, test_setup),
        cmocka_unit_test_setup(spi_settings_are_kept_per_open, test_setup),
        cmocka_unit_test_setup(every_open_variant_reaches_the_bus, test_setup),
        cmocka_unit_test_setup(a_closed_descriptor_is_forgotten, test_setup),
        cmocka_unit_test_setup(other_paths_and_unset_variables_pass_through, test_setup),
        cmocka_unit_test_setup(a_missing_emulator_is_enodev, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
