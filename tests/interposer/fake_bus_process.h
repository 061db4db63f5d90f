/* Test-side helpers for programs that exercise the emulated i2c-dev/spidev
 * nodes: run themselves again with libsiminterpose.so preloaded, start
 * fake_bus_server in a fresh directory, and read what it logged. Header-only
 * so unit tests under tests/unit can use it without a library.
 * Layout relied on: the test program and fake_bus_server in BUILD/bin, the
 * shim in BUILD/lib (CMAKE_RUNTIME_OUTPUT_DIRECTORY and the shim's
 * LIBRARY_OUTPUT_DIRECTORY). */
#ifndef FAKE_BUS_PROCESS_H
#define FAKE_BUS_PROCESS_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fake_bus {
    pid_t pid;
    char directory[64];
    char socket_path[128];
    char log_path[128];
    long mark; /* log offset where fake_bus_log_since_mark starts */
};

/* BUILD/bin of the running test program, without a trailing slash. */
static inline int fake_bus_bin_directory(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (length <= 0)
        return -1;
    self[length] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return snprintf(out, size, "%s", self) < (int)size ? 0 : -1;
}

/* Call first in main(): unless the shim is already preloaded, runs this
 * program again with it (returns only when that is impossible). */
static inline void fake_bus_preload_self(char **argv)
{
    const char *preloaded = getenv("LD_PRELOAD");
    if (preloaded && strstr(preloaded, "libsiminterpose.so"))
        return;
    char bin[PATH_MAX], shim[PATH_MAX + 32];
    if (fake_bus_bin_directory(bin, sizeof(bin)) != 0)
        return;
    snprintf(shim, sizeof(shim), "%s/../lib/libsiminterpose.so", bin);
    if (access(shim, R_OK) != 0) {
        fprintf(stderr, "cannot find the interposer at %s\n", shim);
        exit(1);
    }
    setenv("LD_PRELOAD", shim, 1);
    /* The shim is built without sanitizers and precedes the ASan runtime. */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[512];
    snprintf(options, sizeof(options), "%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    execv("/proc/self/exe", argv);
    perror("re-running with the interposer");
    exit(1);
}

static inline void fake_bus_pause_briefly(void)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

/* Starts fake_bus_server (from BUILD/bin) in a new temporary directory and
 * waits until its socket is in place. 0 on success. With log_clocks, SPI
 * log lines show the clock each transfer carried (X 2 hz=1000000 out=...). */
static inline int fake_bus_start_with(struct fake_bus *bus, unsigned i2c_address, int log_clocks)
{
    memset(bus, 0, sizeof(*bus));
    char bin[PATH_MAX], server[PATH_MAX + 32], address[16];
    if (fake_bus_bin_directory(bin, sizeof(bin)) != 0)
        return -1;
    snprintf(server, sizeof(server), "%s/fake_bus_server", bin);
    snprintf(address, sizeof(address), "0x%02x", i2c_address);
    snprintf(bus->directory, sizeof(bus->directory), "/tmp/fakebus.XXXXXX");
    if (!mkdtemp(bus->directory))
        return -1;
    snprintf(bus->socket_path, sizeof(bus->socket_path), "%s/bus", bus->directory);
    snprintf(bus->log_path, sizeof(bus->log_path), "%s/log", bus->directory);
    bus->pid = fork();
    if (bus->pid < 0)
        return -1;
    if (bus->pid == 0) {
        unsetenv("LD_PRELOAD"); /* the server is plain; keep the shim out of it */
        execl(server, server, bus->socket_path, bus->log_path, address,
              log_clocks ? "clocks" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    /* Bounded by attempts, not time: about 10 s before giving up. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        struct stat seen;
        if (stat(bus->socket_path, &seen) == 0)
            return 0;
        if (waitpid(bus->pid, NULL, WNOHANG) == bus->pid) {
            bus->pid = 0;
            return -1;
        }
        fake_bus_pause_briefly();
    }
    return -1;
}

static inline int fake_bus_start(struct fake_bus *bus, unsigned i2c_address)
{
    return fake_bus_start_with(bus, i2c_address, 0);
}

static inline void fake_bus_stop(struct fake_bus *bus)
{
    if (bus->pid > 0) {
        kill(bus->pid, SIGTERM);
        waitpid(bus->pid, NULL, 0);
        bus->pid = 0;
    }
    unlink(bus->socket_path);
    unlink(bus->log_path);
    rmdir(bus->directory);
}

static inline long fake_bus_log_size(const struct fake_bus *bus)
{
    struct stat seen;
    return stat(bus->log_path, &seen) == 0 ? (long)seen.st_size : 0;
}

/* From now on fake_bus_log_since_mark reports only newer lines. */
static inline void fake_bus_mark(struct fake_bus *bus)
{
    bus->mark = fake_bus_log_size(bus);
}

/* The log lines written since the mark, as one string. The server logs a
 * request before answering it, so once a call has returned its line is
 * there. */
static inline void fake_bus_log_since_mark(const struct fake_bus *bus, char *out, size_t size)
{
    out[0] = '\0';
    FILE *log = fopen(bus->log_path, "r");
    if (!log)
        return;
    if (fseek(log, bus->mark, SEEK_SET) == 0) {
        size_t got = fread(out, 1, size - 1, log);
        out[got] = '\0';
    }
    fclose(log);
}

#endif
