/* A stand-in for the emulator's control socket, run on a thread of the test
 * process: records every request line and answers it. */
#ifndef FAKE_CONTROL_SERVER_H
#define FAKE_CONTROL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

enum { FAKE_MAX_REQUESTS = 64, FAKE_MAX_LINE = 128 };

struct fake_control_server;

/* Listens on `socket_path` (which must not exist). Returns NULL on failure. */
struct fake_control_server *fake_server_start(const char *socket_path);
/* Stops the thread, closes every socket and removes the socket file. */
void fake_server_stop(struct fake_control_server *server);

/* Requests seen so far, oldest first. Each hooked call waits for its reply
 * and a request is recorded before it is answered, so once the call has
 * returned its request is here. */
size_t fake_server_request_count(struct fake_control_server *server);
void fake_server_request(struct fake_control_server *server, size_t index, char *out, size_t out_size);
void fake_server_forget_requests(struct fake_control_server *server);

/* From now on answer every request with `reply` instead of "OK". */
void fake_server_set_reply(struct fake_control_server *server, const char *reply);

#endif
