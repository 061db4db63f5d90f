/* The i2c-dev transport's real code path (open, flock, I2C_FUNCS, I2C_SLAVE,
 * read, write) against an emulated node: libsiminterpose.so turns the node
 * into fake_bus_server's bus socket, whose log shows the transactions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include "stm32boot/transport.h"

#define I2C_NODE "/dev/i2c-sim-unit"
#define DEVICE_ADDRESS 0x39

#define FAKE_BUS_NODE_VARIABLE "STM32BOOT_SIM_I2C"
#define FAKE_BUS_NODE I2C_NODE
#define FAKE_BUS_ADDRESS DEVICE_ADDRESS
#include "fake_bus_fixture.h"

static struct stm32_transport *open_at(unsigned address)
{
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    stm32_error_clear(&err);
    assert_int_equal(stm32_i2c_open(I2C_NODE, address, &t, &err), STM32_OK);
    assert_non_null(t);
    return t;
}

static void a_frame_is_one_write_transaction_and_a_read_one_read(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(DEVICE_ADDRESS);
    assert_int_equal(t->kind, STM32_LINK_I2C);
    assert_null(t->ops->transfer);
    const uint8_t get[] = {0x00, 0xFF};
    struct stm32_error err;
    assert_int_equal(stm32_transport_write(t, get, sizeof(get), &err), STM32_OK);
    uint8_t answer[2] = {0xAA, 0xAA};
    size_t got = 0;
    assert_int_equal(stm32_transport_read(t, answer, sizeof(answer), 100, &got, &err), STM32_OK);
    assert_int_equal(got, 2);
    assert_memory_equal(answer, get, sizeof(get)); /* the fake echoes */
    assert_log("W 0x39 2 00ff\nR 0x39 2\n");
    stm32_transport_close(t);
}

static void a_device_that_does_not_acknowledge_is_a_timeout(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(0x42);
    struct stm32_error err;
    const uint8_t byte = 0x7F;
    assert_int_equal(stm32_transport_write(t, &byte, 1, &err), STM32_E_TIMEOUT);
    assert_non_null(strstr(err.message, "no answer from I2C address 0x42"));
    assert_int_equal(err.sys_errno, ENXIO);
    uint8_t answer = 0;
    size_t got = 99;
    assert_int_equal(stm32_transport_read(t, &answer, 1, 100, &got, &err), STM32_E_TIMEOUT);
    assert_int_equal(got, 0);
    assert_log("W 0x42 1 nack\nR 0x42 1 nack\n");
    stm32_transport_close(t);
}

static void describe_names_the_address_and_lines_are_unsupported(void **state)
{
    (void)state;
    struct stm32_transport *t = open_at(DEVICE_ADDRESS);
    char text[64];
    t->ops->describe(t, text, sizeof(text));
    assert_string_equal(text, "i2c addr 0x39");
    struct stm32_error err;
    assert_int_equal(t->ops->set_line(t, STM32_LINE_RTS, true, &err), STM32_E_UNSUPPORTED);
    assert_int_equal(t->ops->send_break(t, &err), STM32_E_UNSUPPORTED);
    assert_int_equal(t->ops->drain(t, &err), STM32_OK);
    assert_log("");
    stm32_transport_close(t);
}

static void addresses_outside_the_device_range_are_refused(void **state)
{
    (void)state;
    const unsigned refused[] = {0x00, 0x02, 0x78, 0x7F, 0x80, 0x139};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct stm32_transport *t = (struct stm32_transport *)&bus; /* must be reset */
        struct stm32_error err;
        stm32_error_clear(&err);
        assert_int_equal(stm32_i2c_open(I2C_NODE, refused[i], &t, &err), STM32_E_INVALID);
        assert_null(t);
        assert_non_null(strstr(err.message, "0x03..0x77"));
    }
    struct stm32_transport *lowest = open_at(0x03), *highest = open_at(0x77);
    stm32_transport_close(lowest);
    stm32_transport_close(highest);
    assert_log("");
}

static void a_missing_node_is_an_io_error(void **state)
{
    (void)state;
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    assert_int_equal(stm32_i2c_open("/dev/i2c-sim-absent", DEVICE_ADDRESS, &t, &err), STM32_E_IO);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_null(t);
}

static int make_plain_file(char *path, size_t size)
{
    snprintf(path, size, "%s/plain", bus.directory);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    return fd;
}

static void a_node_that_is_not_an_adapter_is_refused(void **state)
{
    (void)state;
    char path[200];
    close(make_plain_file(path, sizeof(path)));
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    assert_int_equal(stm32_i2c_open(path, DEVICE_ADDRESS, &t, &err), STM32_E_INVALID);
    assert_non_null(strstr(err.message, "is not an I2C adapter"));
    assert_null(t);
    unlink(path);
}

static void a_node_another_program_holds_is_busy(void **state)
{
    (void)state;
    char path[200];
    int holder = make_plain_file(path, sizeof(path));
    assert_int_equal(flock(holder, LOCK_EX), 0);
    struct stm32_transport *t = NULL;
    struct stm32_error err;
    assert_int_equal(stm32_i2c_open(path, DEVICE_ADDRESS, &t, &err), STM32_E_BUSY);
    assert_null(t);
    close(holder);
    unlink(path);
}

int main(int argc, char **argv)
{
    (void)argc;
    fake_bus_preload_self(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_frame_is_one_write_transaction_and_a_read_one_read, test_setup),
        cmocka_unit_test_setup(a_device_that_does_not_acknowledge_is_a_timeout, test_setup),
        cmocka_unit_test_setup(describe_names_the_address_and_lines_are_unsupported, test_setup),
        cmocka_unit_test_setup(addresses_outside_the_device_range_are_refused, test_setup),
        cmocka_unit_test_setup(a_missing_node_is_an_io_error, test_setup),
        cmocka_unit_test_setup(a_node_that_is_not_an_adapter_is_refused, test_setup),
        cmocka_unit_test_setup(a_node_another_program_holds_is_busy, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
