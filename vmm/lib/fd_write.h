/* Writing a whole buffer to a descriptor that may take it in pieces (pipes, sockets, files). */
#ifndef SHEER_VMM_LIB_FD_WRITE_H
#define SHEER_VMM_LIB_FD_WRITE_H

#include <stddef.h>

/* All len bytes, retrying short writes and EINTR: 0, or a negative errno (-EIO for a write of 0). */
int fd_write_all(int fd, const void *data, size_t len);

#endif
