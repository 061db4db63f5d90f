/* The emulated i2c-dev and spidev nodes as seen through the interposer: which
 * descriptors are connected to the emulator's bus socket, the per-open state
 * a kernel driver would keep (I2C address, SPI settings), and the requests of
 * docs/architecture.md ("The emulator's bus socket") that carry the
 * transactions. Every function returning int gives 0 (or a count), or -1
 * with errno set as the kernel driver would. */
#ifndef SIM_BUS_H
#define SIM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sim_bus_kind { SIM_BUS_I2C, SIM_BUS_SPI };

struct sim_bus_node {
    enum sim_bus_kind kind;
    unsigned i2c_address;     /* 7-bit; 0 until I2C_SLAVE, as in i2c-dev */
    uint32_t spi_mode;        /* SPI_MODE_* and SPI_LSB_FIRST bits */
    uint8_t spi_bits_per_word;
    uint32_t spi_max_speed_hz;
};

/* True when `path` is the node named by STM32BOOT_SIM_I2C or
 * STM32BOOT_SIM_SPI and STM32BOOT_SIM_BUS is set; *kind says which. */
bool sim_bus_claims_path(const char *path, enum sim_bus_kind *kind);

/* Connects a new descriptor to the bus socket (O_CLOEXEC honoured). */
int sim_bus_open(enum sim_bus_kind kind, int open_flags);

/* The node behind fd, or NULL when fd is not an emulated node. Cheap: called
 * on every read/write/ioctl/close of the process. */
struct sim_bus_node *sim_bus_node(int fd);
void sim_bus_forget(int fd);

/* One transaction each. Status 1 (nobody acknowledged) is ENXIO, like the
 * kernel's fault code for an unacknowledged address phase. */
int sim_bus_i2c_write(int fd, unsigned address, const uint8_t *data, size_t length);
int sim_bus_i2c_read(int fd, unsigned address, uint8_t *data, size_t length);
/* out NULL sends zeros, in NULL discards (spidev's NULL tx_buf/rx_buf).
 * speed_hz is the transfer's clock, sent along so that a realtime emulator
 * takes the wire time the host's controller would (0: none sent). */
int sim_bus_spi_transfer(int fd, const uint8_t *out, uint8_t *in, size_t length,
                         uint32_t speed_hz);

/* read(2)/write(2)/ioctl(2) on an emulated node. */
ssize_t sim_bus_read(int fd, struct sim_bus_node *node, void *buffer, size_t count);
ssize_t sim_bus_write(int fd, struct sim_bus_node *node, const void *buffer, size_t count);
int sim_bus_ioctl(int fd, struct sim_bus_node *node, unsigned long request, void *argument);

#endif
