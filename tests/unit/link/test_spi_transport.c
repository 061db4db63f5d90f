/* The spidev transport's real code path (open, flock, mode/bits/speed
 * ioctls, SPI_IOC_MESSAGE) against an emulated node: libsiminterpose.so
 * turns the node into fake_bus_server's bus socket, whose SPI device shifts
 * out what it received in the previous transfer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "stm32boot/transport.h"

#define SPI_NODE "/dev/spidev-sim-unit.0"

#define FAKE_BUS_NODE_VARIABLE "STM32BOOT_SIM_SPI"
#define FAKE_BUS_NODE SPI_NODE
#define FAKE_BUS_ADDRESS 0x39
#include "fake_bus_fixture.h"

static struct stm32_transport *open_at(unsigned speed_hz)
{
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    stm32_error_clear(&err);
    assert_int_equal(stm32_spi_open(SPI_NODE, speed_hz, &t, &err), STM32_OK);
    assert_non_null(t);
    return t;
}

static void write_then_read_clocks_dummy_zeros(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(0);
    assert_int_equal(t->kind, STM32_LINK_SPI);
    struct stm32_error err;
    const uint8_t sync = 0x5A;
    assert_int_equal(stm32_transport_write(t, &sync, 1, &err), STM32_OK);
    uint8_t answer = 0;
    size_t got = 0;
    assert_int_equal(stm32_transport_read(t, &answer, 1, 100, &got, &err), STM32_OK);
    assert_int_equal(got, 1);
    assert_int_equal(answer, 0x5A); /* shifted out during the dummy byte */
    assert_log("X 1 out=5a\nX 1 out=00\n");
    stm32_transport_close(t);
}

static void transfer_is_full_duplex(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(0);
    assert_non_null(t->ops->transfer);
    struct stm32_error err;
    const uint8_t first[] = {0x00, 0xFF, 0x79};
    const uint8_t second[] = {0x11, 0xEE, 0x01};
    uint8_t in[3];
    assert_int_equal(t->ops->transfer(t, first, NULL, 3, &err), STM32_OK);
    assert_int_equal(t->ops->transfer(t, second, in, 3, &err), STM32_OK);
    assert_memory_equal(in, first, 3);
    assert_int_equal(t->ops->transfer(t, NULL, in, 3, &err), STM32_OK);
    assert_memory_equal(in, second, 3);
    assert_log("X 3 out=00ff79\nX 3 out=11ee01\nX 3 out=000000\n");
    stm32_transport_close(t);
}

static void long_exchanges_fit_the_spidev_buffer(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(0);
    static uint8_t out[5000];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7);
    struct stm32_error err;
    assert_int_equal(t->ops->transfer(t, out, NULL, sizeof(out), &err), STM32_OK);
    char seen[16384];
    fake_bus_log_since_mark(&bus, seen, sizeof(seen));
    assert_memory_equal(seen, "X 4096 out=", 11);
    assert_non_null(strstr(seen, "\nX 904 out="));
    stm32_transport_close(t);
}

static void describe_gives_speed_and_mode(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(0);
    char text[64];
    t->ops->describe(t, text, sizeof(text));
    assert_string_equal(text, "spi 1000000 Hz mode 0");
    assert_int_equal(t->baud, 1000000);
    stm32_transport_close(t);
    t = open_at(4000000);
    t->ops->describe(t, text, sizeof(text));
    assert_string_equal(text, "spi 4000000 Hz mode 0");
    struct stm32_error err;
    assert_int_equal(t->ops->set_line(t, STM32_LINE_DTR, false, &err), STM32_E_UNSUPPORTED);
    assert_int_equal(t->ops->send_break(t, &err), STM32_E_UNSUPPORTED);
    assert_int_equal(t->ops->drain(t, &err), STM32_OK);
    stm32_transport_close(t);
    assert_log("");
}

static void a_node_that_is_not_spidev_is_refused(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof(path), "%s/plain", bus.directory);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    assert_int_equal(stm32_spi_open(path, 0, &t, &err), STM32_E_INVALID);
    assert_non_null(strstr(err.message, "is not a spidev device"));
    assert_null(t);
    unlink(path);
    assert_int_equal(stm32_spi_open("/dev/spidev-sim-absent.0", 0, &t, &err), STM32_E_IO);
    assert_int_equal(err.sys_errno, ENOENT);
}

int main(int argc, char **argv)
{
    (void)argc;
    fake_bus_preload_self(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(write_then_read_clocks_dummy_zeros, test_setup),
        cmocka_unit_test_setup(transfer_is_full_duplex, test_setup),
        cmocka_unit_test_setup(long_exchanges_fit_the_spidev_buffer, test_setup),
        cmocka_unit_test_setup(describe_gives_speed_and_mode, test_setup),
        cmocka_unit_test_setup(a_node_that_is_not_spidev_is_refused, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
