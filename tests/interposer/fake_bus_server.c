/* A stand-in for the emulator's bus socket (docs/architecture.md, "The
 * emulator's bus socket") playing two trivial devices, so the interposer and
 * the host transports can be tested without the emulator:
 *   - an I2C device at one address (default 0x39) that acknowledges writes
 *     and answers reads with the last frame written to it, repeated (0x79
 *     bytes before any write); other addresses are not acknowledged;
 *   - an SPI device that shifts out, during each transfer, the bytes it
 *     received in the previous one (zeros first).
 * Every request is logged, one line each, before it is answered:
 *   W 0x39 3 00ff00      R 0x39 2      W 0x42 1 nack      X 2 out=5a00
 * With the word "clocks" after the address, SPI lines also show the clock
 * the transfer carried (hz=none when it carried none):
 *   X 2 hz=8000000 out=5a00
 * Usage: fake_bus_server SOCKET LOG [I2C-ADDRESS [clocks]]
 * The socket appears (renamed into place) only once it accepts connections. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { MAX_CLIENTS = 8, MAX_FRAME = 0xFFFF };

struct device {
    unsigned i2c_address;
    uint8_t i2c_frame[MAX_FRAME];
    size_t i2c_frame_length;
    uint8_t spi_previous[MAX_FRAME];
    size_t spi_previous_length;
    bool log_clocks;
    FILE *log;
};

static volatile sig_atomic_t stop_requested;

static void request_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static int receive_all(int fd, uint8_t *data, size_t length)
{
    size_t done = 0;
    while (done < length) {
        ssize_t got = recv(fd, data + done, length - done, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

static int send_all(int fd, const uint8_t *data, size_t length)
{
    size_t done = 0;
    while (done < length) {
        ssize_t sent = send(fd, data + done, length - done, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        done += (size_t)sent;
    }
    return 0;
}

static void log_bytes(FILE *log, const uint8_t *data, size_t length)
{
    for (size_t i = 0; i < length; i++)
        fprintf(log, "%02x", data[i]);
}

static int answer_status(int fd, uint8_t status)
{
    return send_all(fd, &status, 1);
}

static int i2c_write(struct device *device, int fd, unsigned address, size_t length)
{
    uint8_t *frame = malloc(length ? length : 1);
    if (!frame || receive_all(fd, frame, length) != 0) {
        free(frame);
        return -1;
    }
    fprintf(device->log, "W 0x%02x %zu ", address, length);
    bool acknowledged = address == device->i2c_address;
    if (acknowledged) {
        log_bytes(device->log, frame, length);
        memcpy(device->i2c_frame, frame, length);
        device->i2c_frame_length = length;
    } else {
        fputs("nack", device->log);
    }
    fputc('\n', device->log);
    fflush(device->log);
    free(frame);
    return answer_status(fd, acknowledged ? 0 : 1);
}

static int i2c_read(struct device *device, int fd, unsigned address, size_t length)
{
    bool acknowledged = address == device->i2c_address;
    fprintf(device->log, "R 0x%02x %zu%s\n", address, length, acknowledged ? "" : " nack");
    fflush(device->log);
    if (!acknowledged)
        return answer_status(fd, 1);
    uint8_t *answer = malloc(length + 1);
    if (!answer)
        return -1;
    answer[0] = 0;
    for (size_t i = 0; i < length; i++)
        answer[1 + i] = device->i2c_frame_length
                      ? device->i2c_frame[i % device->i2c_frame_length] : 0x79;
    int outcome = send_all(fd, answer, length + 1);
    free(answer);
    return outcome;
}

/* flags 1: a 4-byte little-endian clock precedes the data. */
static int spi_transfer(struct device *device, int fd, uint8_t flags, size_t length)
{
    uint8_t clock[4] = {0};
    if (flags > 1 || (flags == 1 && receive_all(fd, clock, sizeof(clock)) != 0))
        return -1;
    uint8_t *out = malloc(length ? length : 1);
    uint8_t *answer = malloc(length + 1);
    if (!out || !answer || receive_all(fd, out, length) != 0) {
        free(out);
        free(answer);
        return -1;
    }
    answer[0] = 0;
    for (size_t i = 0; i < length; i++)
        answer[1 + i] = i < device->spi_previous_length ? device->spi_previous[i] : 0;
    memcpy(device->spi_previous, out, length);
    device->spi_previous_length = length;
    fprintf(device->log, "X %zu ", length);
    if (device->log_clocks && flags == 1)
        fprintf(device->log, "hz=%lu ", (unsigned long)clock[0] | (unsigned long)clock[1] << 8
                                            | (unsigned long)clock[2] << 16
                                            | (unsigned long)clock[3] << 24);
    else if (device->log_clocks)
        fputs("hz=none ", device->log);
    fputs("out=", device->log);
    log_bytes(device->log, out, length);
    fputc('\n', device->log);
    fflush(device->log);
    int outcome = send_all(fd, answer, length + 1);
    free(out);
    free(answer);
    return outcome;
}

/* Handles one request; -1 when the client is gone or broke the protocol. */
static int serve_request(struct device *device, int fd)
{
    uint8_t header[4];
    if (receive_all(fd, header, sizeof(header)) != 0)
        return -1;
    size_t length = header[2] | (size_t)header[3] << 8;
    switch (header[0]) {
    case 'W': return i2c_write(device, fd, header[1], length);
    case 'R': return i2c_read(device, fd, header[1], length);
    case 'X': return spi_transfer(device, fd, header[1], length);
    default:
        fprintf(device->log, "? 0x%02x\n", header[0]);
        fflush(device->log);
        answer_status(fd, 2);
        return -1;
    }
}

static int listen_on(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) + 5 >= sizeof(address.sun_path))
        return -1;
    snprintf(address.sun_path, sizeof(address.sun_path), "%s.new", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(address.sun_path);
    if (bind(fd, (const struct sockaddr *)&address, sizeof(address)) != 0 || listen(fd, 4) != 0
        || rename(address.sun_path, path) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void serve(struct device *device, int listener)
{
    struct pollfd watched[1 + MAX_CLIENTS];
    size_t clients = 0;
    watched[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    while (!stop_requested) {
        if (poll(watched, 1 + clients, -1) < 0)
            continue;
        for (size_t i = clients; i >= 1; i--) {
            if (!watched[i].revents)
                continue;
            if (serve_request(device, watched[i].fd) != 0) {
                close(watched[i].fd);
                watched[i] = watched[clients--];
            }
        }
        if ((watched[0].revents & POLLIN) && clients < MAX_CLIENTS) {
            int client = accept(listener, NULL, NULL);
            if (client >= 0)
                watched[++clients] = (struct pollfd){.fd = client, .events = POLLIN};
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5 || (argc == 5 && strcmp(argv[4], "clocks") != 0)) {
        fprintf(stderr, "usage: %s SOCKET LOG [I2C-ADDRESS [clocks]]\n", argv[0]);
        return 2;
    }
    static struct device device;
    device.i2c_address = argc >= 4 ? (unsigned)strtoul(argv[3], NULL, 0) : 0x39;
    device.log_clocks = argc == 5;
    device.log = fopen(argv[2], "w");
    if (!device.log) {
        perror(argv[2]);
        return 1;
    }
    struct sigaction on_stop = {.sa_handler = request_stop};
    sigaction(SIGTERM, &on_stop, NULL);
    sigaction(SIGINT, &on_stop, NULL);
    int listener = listen_on(argv[1]);
    if (listener < 0) {
        perror(argv[1]);
        return 1;
    }
    serve(&device, listener);
    close(listener);
    unlink(argv[1]);
    fclose(device.log);
    return 0;
}
