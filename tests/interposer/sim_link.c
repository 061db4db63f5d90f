/* Only plain libc socket calls are used here, none of which the interposer
 * hooks, so talking to the emulator can never re-enter the hooks. */
#include "sim_link.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Generous: a BREAK is only answered once it has ended. This bounds a hang
 * when the emulator dies; it is not a performance expectation. */
enum { REPLY_TIMEOUT_MS = 30000 };

struct link_state {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static struct link_state link_state = {.fd = -1};

void sim_link_close(void)
{
    if (link_state.fd >= 0)
        close(link_state.fd);
    link_state.fd = -1;
    link_state.path[0] = '\0';
}

static int connect_to(const char *socket_path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(address.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&address, sizeof(address)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int ensure_connected(const char *socket_path)
{
    if (link_state.fd >= 0 && strcmp(link_state.path, socket_path) == 0)
        return 0;
    sim_link_close();
    int fd = connect_to(socket_path);
    if (fd < 0)
        return -1;
    link_state.fd = fd;
    snprintf(link_state.path, sizeof(link_state.path), "%s", socket_path);
    return 0;
}

static int send_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += sent;
        length -= (size_t)sent;
    }
    return 0;
}

static int wait_readable(int fd)
{
    struct pollfd waiter = {.fd = fd, .events = POLLIN};
    for (;;) {
        int ready = poll(&waiter, 1, REPLY_TIMEOUT_MS);
        if (ready > 0)
            return 0;
        if (ready == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
}

/* Byte at a time, so nothing after the newline is consumed: the protocol is
 * strictly one reply per request and the volume is tiny. */
static int receive_line(int fd, char *line, size_t line_size)
{
    size_t used = 0;
    for (;;) {
        if (wait_readable(fd) != 0)
            return -1;
        char byte;
        ssize_t got = recv(fd, &byte, 1, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (byte == '\n')
            break;
        if (used + 1 < line_size)
            line[used++] = byte;
    }
    if (used > 0 && line[used - 1] == '\r')
        used--;
    line[used] = '\0';
    return 0;
}

static int exchange(const char *request, char *reply, size_t reply_size)
{
    char line[256];
    int length = snprintf(line, sizeof(line), "%s\n", request);
    if (length < 0 || (size_t)length >= sizeof(line)) {
        errno = EINVAL;
        return -1;
    }
    if (send_all(link_state.fd, line, (size_t)length) != 0)
        return -1;
    return receive_line(link_state.fd, reply, reply_size);
}

int sim_link_request(const char *socket_path, const char *request, char *reply, size_t reply_size)
{
    /* A kept connection may have gone stale (the emulator was restarted while
     * this process lived); only then is a fresh connection tried once more. */
    bool may_retry = link_state.fd >= 0 && strcmp(link_state.path, socket_path) == 0;
    for (;;) {
        if (ensure_connected(socket_path) != 0)
            return -1;
        if (exchange(request, reply, reply_size) == 0)
            return 0;
        int saved = errno;
        sim_link_close();
        errno = saved;
        if (!may_retry)
            return -1;
        may_retry = false;
    }
}

int sim_link_command(const char *socket_path, const char *request)
{
    char reply[64];
    if (sim_link_request(socket_path, request, reply, sizeof(reply)) != 0)
        return -1;
    if (strcmp(reply, "OK") != 0) {
        errno = EIO;
        return -1;
    }
    return 0;
}
