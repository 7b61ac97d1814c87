/*
 * Where a migration goes: "unix:PATH" or "tcp:HOST:PORT" (HOST may be a
 * name, an IPv4 address or an [IPv6] address). Plain TCP is for loopback
 * only; anything else needs TLS (README, "Live migration").
 */
#ifndef SHEER_P2V_MIGRATE_ADDRESS_H
#define SHEER_P2V_MIGRATE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

enum migrate_transport { MIGRATE_UNIX, MIGRATE_TCP };

struct migrate_address {
	enum migrate_transport transport;
	char path[108];		/* unix */
	char host[256];		/* tcp */
	char port[8];
};

/* -EINVAL with err for anything but the two forms. */
int migrate_address_parse(const char *text, struct migrate_address *addr, char *err, size_t errlen);
/* A unix socket, or a TCP host every address of which is a loopback address. */
bool migrate_address_is_local(const struct migrate_address *addr);
/* A connected stream socket, within timeout_s; err names the address. */
int migrate_connect(const struct migrate_address *addr, int timeout_s, char *err, size_t errlen);
int migrate_listen(const struct migrate_address *addr, char *err, size_t errlen);

#endif
