/* Where a daemon of sheer listens: HOST:PORT, numeric, [HOST]:PORT for IPv6 (no name lookup at start-up). */
#ifndef SHEER_VMM_LIB_NET_ADDRESS_H
#define SHEER_VMM_LIB_NET_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NET_HOST_MAX 254	/* the longest host name taken, without the NUL */

/* text into addr and len; -EINVAL with err saying what is wrong with it. */
int net_address_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err, size_t errlen);
/* A host name's labels (letters, digits, '-' inside), or a numeric IPv4 or IPv6 address. */
bool net_host_is_valid(const char *host);

#endif
