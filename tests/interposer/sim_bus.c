#include "sim_bus.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Descriptors above this are refused at open rather than tracked: a table
 * indexed by fd keeps the check on every read/write a single load. */
enum { SIM_BUS_MAX_FD = 1024 };

struct tracked_node {
    bool used;
    struct sim_bus_node node;
};

static struct tracked_node tracked[SIM_BUS_MAX_FD];

/* Wire format, docs/architecture.md "The emulator's bus socket". */
enum {
    REQUEST_I2C_WRITE = 'W',
    REQUEST_I2C_READ = 'R',
    REQUEST_SPI_TRANSFER = 'X',
    SPI_WITH_CLOCK = 1, /* byte 1 of 'X': the clock follows the header */
    STATUS_DONE = 0,
    STATUS_NO_ACK = 1,
    MAX_REQUEST_LENGTH = 0xFFFF,
};

/* What spidev keeps for a node until the program changes it. */
enum { DEFAULT_SPI_SPEED_HZ = 1000000, DEFAULT_SPI_BITS = 8 };

static bool nonempty(const char *text)
{
    return text && *text;
}

bool sim_bus_claims_path(const char *path, enum sim_bus_kind *kind)
{
    if (!path || !nonempty(getenv("STM32BOOT_SIM_BUS")))
        return false;
    const char *i2c = getenv("STM32BOOT_SIM_I2C");
    const char *spi = getenv("STM32BOOT_SIM_SPI");
    if (nonempty(i2c) && strcmp(path, i2c) == 0) {
        *kind = SIM_BUS_I2C;
        return true;
    }
    if (nonempty(spi) && strcmp(path, spi) == 0) {
        *kind = SIM_BUS_SPI;
        return true;
    }
    return false;
}

static int connect_to_bus(const char *socket_path, int open_flags)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(address.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, socket_path);
    int type = SOCK_STREAM | ((open_flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0);
    int fd = socket(AF_UNIX, type, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&address, sizeof(address)) != 0) {
        close(fd);
        /* Like opening a node whose driver is not there. */
        errno = ENODEV;
        return -1;
    }
    return fd;
}

int sim_bus_open(enum sim_bus_kind kind, int open_flags)
{
    int fd = connect_to_bus(getenv("STM32BOOT_SIM_BUS"), open_flags);
    if (fd < 0)
        return -1;
    if (fd >= SIM_BUS_MAX_FD) {
        close(fd);
        errno = EMFILE;
        return -1;
    }
    tracked[fd].used = true;
    tracked[fd].node = (struct sim_bus_node){
        .kind = kind,
        .spi_bits_per_word = DEFAULT_SPI_BITS,
        .spi_max_speed_hz = DEFAULT_SPI_SPEED_HZ,
    };
    return fd;
}

struct sim_bus_node *sim_bus_node(int fd)
{
    if (fd < 0 || fd >= SIM_BUS_MAX_FD || !tracked[fd].used)
        return NULL;
    return &tracked[fd].node;
}

void sim_bus_forget(int fd)
{
    if (fd >= 0 && fd < SIM_BUS_MAX_FD)
        tracked[fd].used = false;
}

/* The program may have made the descriptor non-blocking; the emulated node
 * still completes each transaction before returning, as i2c-dev does. */
static int wait_for(int fd, short events)
{
    struct pollfd watched = {.fd = fd, .events = events};
    int ready;
    do
        ready = poll(&watched, 1, -1);
    while (ready < 0 && errno == EINTR);
    return ready < 0 ? -1 : 0;
}

static int send_all(int fd, const uint8_t *data, size_t length)
{
    size_t done = 0;
    while (done < length) {
        ssize_t sent = send(fd, data + done, length - done, MSG_NOSIGNAL);
        if (sent > 0) {
            done += (size_t)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLOUT) == 0)
            continue;
        return -1;
    }
    return 0;
}

static int receive_all(int fd, uint8_t *data, size_t length)
{
    size_t done = 0;
    while (done < length) {
        ssize_t got = recv(fd, data + done, length - done, 0);
        if (got > 0) {
            done += (size_t)got;
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLIN) == 0)
            continue;
        return -1;
    }
    return 0;
}

static int send_zeros(int fd, size_t length)
{
    static const uint8_t zeros[256];
    while (length > 0) {
        size_t piece = length < sizeof(zeros) ? length : sizeof(zeros);
        if (send_all(fd, zeros, piece) != 0)
            return -1;
        length -= piece;
    }
    return 0;
}

static int receive_into(int fd, uint8_t *data, size_t length)
{
    if (data)
        return receive_all(fd, data, length);
    uint8_t sink[256];
    while (length > 0) {
        size_t piece = length < sizeof(sink) ? length : sizeof(sink);
        if (receive_all(fd, sink, piece) != 0)
            return -1;
        length -= piece;
    }
    return 0;
}

/* Sends one request; out NULL with an outgoing payload sends zeros. An SPI
 * transfer with a non-zero clock_hz carries it (flag 1, then 4 bytes little
 * endian). Returns the status byte, or -1 when the emulator cannot be
 * reached. */
static int exchange(int fd, uint8_t request, unsigned address, const uint8_t *out, uint8_t *in,
                    size_t length, uint32_t clock_hz)
{
    bool with_clock = request == REQUEST_SPI_TRANSFER && clock_hz != 0;
    uint8_t header[8] = {request, with_clock ? SPI_WITH_CLOCK : (uint8_t)address,
                         (uint8_t)(length & 0xFF), (uint8_t)(length >> 8),
                         (uint8_t)clock_hz, (uint8_t)(clock_hz >> 8), (uint8_t)(clock_hz >> 16),
                         (uint8_t)(clock_hz >> 24)};
    bool has_payload = request != REQUEST_I2C_READ;
    if (send_all(fd, header, with_clock ? 8 : 4) != 0)
        return -1;
    if (has_payload && (out ? send_all(fd, out, length) : send_zeros(fd, length)) != 0)
        return -1;
    uint8_t status;
    if (receive_all(fd, &status, 1) != 0)
        return -1;
    bool has_answer = request != REQUEST_I2C_WRITE && status == STATUS_DONE;
    if (has_answer && receive_into(fd, in, length) != 0)
        return -1;
    return status;
}

static int transaction(int fd, uint8_t request, unsigned address, const uint8_t *out, uint8_t *in,
                       size_t length, uint32_t clock_hz)
{
    if (length > MAX_REQUEST_LENGTH) {
        errno = EMSGSIZE;
        return -1;
    }
    int saved_errno = errno;
    int status = exchange(fd, request, address, out, in, length, clock_hz);
    if (status == STATUS_DONE) {
        errno = saved_errno;
        return 0;
    }
    /* An emulator that went away is an adapter that was unplugged: the
     * kernel reports ENODEV then, not a bus error. */
    errno = status < 0 ? ENODEV : status == STATUS_NO_ACK ? ENXIO : EIO;
    return -1;
}

int sim_bus_i2c_write(int fd, unsigned address, const uint8_t *data, size_t length)
{
    return transaction(fd, REQUEST_I2C_WRITE, address, data, NULL, length, 0);
}

int sim_bus_i2c_read(int fd, unsigned address, uint8_t *data, size_t length)
{
    return transaction(fd, REQUEST_I2C_READ, address, NULL, data, length, 0);
}

int sim_bus_spi_transfer(int fd, const uint8_t *out, uint8_t *in, size_t length,
                         uint32_t speed_hz)
{
    return transaction(fd, REQUEST_SPI_TRANSFER, 0, out, in, length, speed_hz);
}
