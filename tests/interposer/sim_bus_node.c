/* read(2), write(2) and ioctl(2) on an emulated i2c-dev or spidev node, with
 * the limits and error codes of the kernel drivers (drivers/i2c/i2c-dev.c,
 * drivers/spi/spidev.c). */
#include <errno.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sim_bus.h"

/* i2c-dev quietly shortens a read or write to this; I2C_RDWR refuses longer
 * messages and more than 42 of them. */
enum { I2C_DEV_MAX_TRANSFER = 8192, I2C_DEV_MAX_MESSAGES = 42 };
/* spidev's default bufsiz: longer reads, writes and messages are refused. */
enum { SPIDEV_BUFFER_SIZE = 4096 };
enum { HIGHEST_7BIT_ADDRESS = 0x7F };

static ssize_t i2c_read(int fd, struct sim_bus_node *node, void *buffer, size_t count)
{
    if (count > I2C_DEV_MAX_TRANSFER)
        count = I2C_DEV_MAX_TRANSFER;
    if (sim_bus_i2c_read(fd, node->i2c_address, buffer, count) != 0)
        return -1;
    return (ssize_t)count;
}

static ssize_t i2c_write(int fd, struct sim_bus_node *node, const void *buffer, size_t count)
{
    if (count > I2C_DEV_MAX_TRANSFER)
        count = I2C_DEV_MAX_TRANSFER;
    if (sim_bus_i2c_write(fd, node->i2c_address, buffer, count) != 0)
        return -1;
    return (ssize_t)count;
}

ssize_t sim_bus_read(int fd, struct sim_bus_node *node, void *buffer, size_t count)
{
    if (node->kind == SIM_BUS_I2C)
        return i2c_read(fd, node, buffer, count);
    if (count > SPIDEV_BUFFER_SIZE) {
        errno = EMSGSIZE;
        return -1;
    }
    if (sim_bus_spi_transfer(fd, NULL, buffer, count, node->spi_max_speed_hz) != 0)
        return -1;
    return (ssize_t)count;
}

ssize_t sim_bus_write(int fd, struct sim_bus_node *node, const void *buffer, size_t count)
{
    if (node->kind == SIM_BUS_I2C)
        return i2c_write(fd, node, buffer, count);
    if (count > SPIDEV_BUFFER_SIZE) {
        errno = EMSGSIZE;
        return -1;
    }
    if (sim_bus_spi_transfer(fd, buffer, NULL, count, node->spi_max_speed_hz) != 0)
        return -1;
    return (ssize_t)count;
}

static int fail(int errnum)
{
    errno = errnum;
    return -1;
}

static int i2c_combined(int fd, const struct i2c_rdwr_ioctl_data *combined)
{
    if (combined->nmsgs > I2C_DEV_MAX_MESSAGES)
        return fail(EINVAL);
    for (unsigned i = 0; i < combined->nmsgs; i++)
        if (combined->msgs[i].len > I2C_DEV_MAX_TRANSFER)
            return fail(EINVAL);
    for (unsigned i = 0; i < combined->nmsgs; i++) {
        const struct i2c_msg *message = &combined->msgs[i];
        int outcome = (message->flags & I2C_M_RD)
                    ? sim_bus_i2c_read(fd, message->addr, message->buf, message->len)
                    : sim_bus_i2c_write(fd, message->addr, message->buf, message->len);
        if (outcome != 0)
            return -1;
    }
    return (int)combined->nmsgs;
}

static int i2c_ioctl(int fd, struct sim_bus_node *node, unsigned long request, void *argument)
{
    unsigned long value = (unsigned long)argument;
    switch (request) {
    case I2C_SLAVE:
    case I2C_SLAVE_FORCE:
        if (value > HIGHEST_7BIT_ADDRESS)
            return fail(EINVAL);
        node->i2c_address = (unsigned)value;
        return 0;
    case I2C_TENBIT:
        return value ? fail(EINVAL) : 0;
    case I2C_FUNCS:
        *(unsigned long *)argument = I2C_FUNC_I2C;
        return 0;
    case I2C_RDWR:
        return i2c_combined(fd, argument);
    case I2C_TIMEOUT:
    case I2C_RETRIES:
        return 0;
    case I2C_PEC:
    case I2C_SMBUS:
        return fail(EOPNOTSUPP); /* not in the reported functionality */
    default:
        return fail(ENOTTY);
    }
}

static bool is_spi_message(unsigned long request)
{
    return _IOC_TYPE(request) == SPI_IOC_MAGIC && _IOC_NR(request) == 0
        && _IOC_DIR(request) == _IOC_WRITE;
}

/* As spidev: a transfer's own speed_hz, else the node's. */
static int spi_message(int fd, const struct sim_bus_node *node, unsigned long request,
                       const struct spi_ioc_transfer *transfers)
{
    size_t size = _IOC_SIZE(request);
    if (size % sizeof(struct spi_ioc_transfer) != 0)
        return fail(EINVAL);
    size_t count = size / sizeof(struct spi_ioc_transfer);
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += transfers[i].len;
    if (total > SPIDEV_BUFFER_SIZE)
        return fail(EMSGSIZE);
    for (size_t i = 0; i < count; i++) {
        const struct spi_ioc_transfer *transfer = &transfers[i];
        const uint8_t *out = (const uint8_t *)(uintptr_t)transfer->tx_buf;
        uint8_t *in = (uint8_t *)(uintptr_t)transfer->rx_buf;
        uint32_t speed = transfer->speed_hz ? transfer->speed_hz : node->spi_max_speed_hz;
        if (sim_bus_spi_transfer(fd, out, in, transfer->len, speed) != 0)
            return -1;
    }
    return (int)total;
}

static int spi_set_bits(struct sim_bus_node *node, uint8_t bits)
{
    /* The bus socket carries bytes; other word sizes cannot be emulated. */
    if (bits != 0 && bits != 8)
        return fail(EINVAL);
    node->spi_bits_per_word = 8;
    return 0;
}

static void spi_set_lsb_first(struct sim_bus_node *node, uint8_t lsb_first)
{
    if (lsb_first)
        node->spi_mode |= SPI_LSB_FIRST;
    else
        node->spi_mode &= ~(uint32_t)SPI_LSB_FIRST;
}

static int spi_ioctl(int fd, struct sim_bus_node *node, unsigned long request, void *argument)
{
    if (is_spi_message(request))
        return spi_message(fd, node, request, argument);
    switch (request) {
    case SPI_IOC_RD_MODE: *(uint8_t *)argument = (uint8_t)node->spi_mode; return 0;
    case SPI_IOC_RD_MODE32: *(uint32_t *)argument = node->spi_mode; return 0;
    case SPI_IOC_WR_MODE: node->spi_mode = *(const uint8_t *)argument; return 0;
    case SPI_IOC_WR_MODE32: node->spi_mode = *(const uint32_t *)argument; return 0;
    case SPI_IOC_RD_LSB_FIRST:
        *(uint8_t *)argument = (node->spi_mode & SPI_LSB_FIRST) ? 1 : 0;
        return 0;
    case SPI_IOC_WR_LSB_FIRST: spi_set_lsb_first(node, *(const uint8_t *)argument); return 0;
    case SPI_IOC_RD_BITS_PER_WORD: *(uint8_t *)argument = node->spi_bits_per_word; return 0;
    case SPI_IOC_WR_BITS_PER_WORD: return spi_set_bits(node, *(const uint8_t *)argument);
    case SPI_IOC_RD_MAX_SPEED_HZ: *(uint32_t *)argument = node->spi_max_speed_hz; return 0;
    case SPI_IOC_WR_MAX_SPEED_HZ: node->spi_max_speed_hz = *(const uint32_t *)argument; return 0;
    default: return fail(ENOTTY);
    }
}

int sim_bus_ioctl(int fd, struct sim_bus_node *node, unsigned long request, void *argument)
{
    int saved_errno = errno;
    int result = node->kind == SIM_BUS_I2C ? i2c_ioctl(fd, node, request, argument)
                                           : spi_ioctl(fd, node, request, argument);
    if (result >= 0)
        errno = saved_errno;
    return result;
}
