/* One client connection of the control socket (control_connection.c); internal to vmm/server. */
#ifndef SHEER_VMM_SERVER_CONTROL_CONNECTION_H
#define SHEER_VMM_SERVER_CONTROL_CONNECTION_H

#include <sys/types.h>

#include "vmm/server/control.h"

void control_conn_set_timeouts(int fd);
/* The first byte the client sent, left unread, waiting up to 2 s: -ETIMEDOUT; -ENODATA at once on end of file. */
int control_conn_peek(int fd);
/* The request up to its newline, whole within 2 s; a passed descriptor lands in *file_fd. -E2BIG past size. */
ssize_t control_conn_read_request(int fd, char *buf, size_t size, int *file_fd);
void control_conn_write_all(int fd, const char *data, size_t len);
/* The channel of a long request on this connection; fd must outlive it. */
struct control_channel control_conn_channel(int *fd);
/* The reply line (reply freed; NULL: nothing to say). */
void control_conn_reply(int fd, char *reply);

#endif
