/* The fixture of the unit tests that run a bus transport's real code (i2c-dev,
 * spidev) against fake_bus_server: libsiminterpose.so, preloaded by ctest,
 * turns the node named in FAKE_BUS_NODE_VARIABLE into the fake's bus socket,
 * whose log shows each transaction.
 *
 * Define FAKE_BUS_NODE_VARIABLE ("STM32BOOT_SIM_I2C" or "STM32BOOT_SIM_SPI"),
 * FAKE_BUS_NODE and FAKE_BUS_ADDRESS (the 7-bit address the fake answers
 * at), then include after <cmocka.h>. */
#ifndef FAKE_BUS_FIXTURE_H
#define FAKE_BUS_FIXTURE_H

#include <stdlib.h>

#include "../interposer/fake_bus_process.h"

static struct fake_bus bus;

static int group_setup(void **state)
{
    (void)state;
    if (fake_bus_start(&bus, FAKE_BUS_ADDRESS) != 0)
        return -1;
    setenv("STM32BOOT_SIM_BUS", bus.socket_path, 1);
    setenv(FAKE_BUS_NODE_VARIABLE, FAKE_BUS_NODE, 1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_bus_stop(&bus);
    return 0;
}

/* Each test reads only the log its own transactions wrote. */
static int test_setup(void **state)
{
    (void)state;
    fake_bus_mark(&bus);
    return 0;
}

static void assert_log(const char *expected)
{
    char seen[16384];
    fake_bus_log_since_mark(&bus, seen, sizeof(seen));
    assert_string_equal(seen, expected);
}

#endif
