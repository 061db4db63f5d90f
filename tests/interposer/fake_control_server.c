#include "fake_control_server.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fake_control_server {
    pthread_t thread;
    pthread_mutex_t lock;
    int listener;
    int client;
    int stop_pipe[2];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char requests[FAKE_MAX_REQUESTS][FAKE_MAX_LINE];
    size_t request_count;
    char reply[FAKE_MAX_LINE];
};

static void record(struct fake_control_server *server, const char *line)
{
    pthread_mutex_lock(&server->lock);
    if (server->request_count < FAKE_MAX_REQUESTS)
        snprintf(server->requests[server->request_count++], FAKE_MAX_LINE, "%s", line);
    pthread_mutex_unlock(&server->lock);
}

static void answer(struct fake_control_server *server, const char *line)
{
    char reply[FAKE_MAX_LINE + 2];
    pthread_mutex_lock(&server->lock);
    if (strcmp(line, "STATE") == 0 && strcmp(server->reply, "OK") == 0)
        snprintf(reply, sizeof(reply), "STATE bootloader\n");
    else
        snprintf(reply, sizeof(reply), "%s\n", server->reply);
    pthread_mutex_unlock(&server->lock);
    if (send(server->client, reply, strlen(reply), MSG_NOSIGNAL) < 0) {
        close(server->client);
        server->client = -1;
    }
}

/* Reads what the client sent; handles every complete line. */
static void serve_client(struct fake_control_server *server, char *pending, size_t *pending_used)
{
    ssize_t got = recv(server->client, pending + *pending_used, FAKE_MAX_LINE - 1 - *pending_used, 0);
    if (got <= 0) {
        close(server->client);
        server->client = -1;
        *pending_used = 0;
        return;
    }
    *pending_used += (size_t)got;
    char *newline;
    while (server->client >= 0 && (newline = memchr(pending, '\n', *pending_used)) != NULL) {
        *newline = '\0';
        record(server, pending);
        answer(server, pending);
        size_t consumed = (size_t)(newline - pending) + 1;
        memmove(pending, newline + 1, *pending_used - consumed);
        *pending_used -= consumed;
    }
    if (*pending_used == FAKE_MAX_LINE - 1)
        *pending_used = 0; /* overlong line: drop it rather than stall */
}

static void *serve(void *context)
{
    struct fake_control_server *server = context;
    char pending[FAKE_MAX_LINE];
    size_t pending_used = 0;
    for (;;) {
        struct pollfd watched[2] = {
            {.fd = server->stop_pipe[0], .events = POLLIN},
            {.fd = server->client >= 0 ? server->client : server->listener, .events = POLLIN},
        };
        if (poll(watched, 2, -1) < 0)
            continue;
        if (watched[0].revents)
            return NULL;
        if (!watched[1].revents)
            continue;
        if (server->client < 0)
            server->client = accept(server->listener, NULL, NULL);
        else
            serve_client(server, pending, &pending_used);
    }
}

static int listen_on(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path))
        return -1;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (const struct sockaddr *)&address, sizeof(address)) != 0 || listen(fd, 4) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct fake_control_server *fake_server_start(const char *socket_path)
{
    struct fake_control_server *server = calloc(1, sizeof(*server));
    if (!server)
        return NULL;
    snprintf(server->path, sizeof(server->path), "%s", socket_path);
    snprintf(server->reply, sizeof(server->reply), "OK");
    server->client = -1;
    server->listener = listen_on(socket_path);
    if (server->listener < 0 || pipe(server->stop_pipe) != 0) {
        if (server->listener >= 0)
            close(server->listener);
        unlink(socket_path);
        free(server);
        return NULL;
    }
    pthread_mutex_init(&server->lock, NULL);
    pthread_create(&server->thread, NULL, serve, server);
    return server;
}

void fake_server_stop(struct fake_control_server *server)
{
    if (!server)
        return;
    if (write(server->stop_pipe[1], "x", 1) != 1)
        abort();
    pthread_join(server->thread, NULL);
    if (server->client >= 0)
        close(server->client);
    close(server->listener);
    close(server->stop_pipe[0]);
    close(server->stop_pipe[1]);
    unlink(server->path);
    pthread_mutex_destroy(&server->lock);
    free(server);
}

size_t fake_server_request_count(struct fake_control_server *server)
{
    pthread_mutex_lock(&server->lock);
    size_t count = server->request_count;
    pthread_mutex_unlock(&server->lock);
    return count;
}

void fake_server_request(struct fake_control_server *server, size_t index, char *out, size_t out_size)
{
    pthread_mutex_lock(&server->lock);
    snprintf(out, out_size, "%s", index < server->request_count ? server->requests[index] : "");
    pthread_mutex_unlock(&server->lock);
}

void fake_server_forget_requests(struct fake_control_server *server)
{
    pthread_mutex_lock(&server->lock);
    server->request_count = 0;
    pthread_mutex_unlock(&server->lock);
}

void fake_server_set_reply(struct fake_control_server *server, const char *reply)
{
    pthread_mutex_lock(&server->lock);
    snprintf(server->reply, sizeof(server->reply), "%s", reply);
    pthread_mutex_unlock(&server->lock);
}
