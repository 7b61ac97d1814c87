#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "p2v/migrate/address.h"
#include "vmm/lib/parse.h"

static int parse_tcp(const char *text, struct migrate_address *addr)
{
	const char *colon = strrchr(text, ':'), *host = text;
	size_t host_len = colon ? (size_t)(colon - text) : 0;
	unsigned long port;
	char *end;

	if (!colon || !host_len)
		return -EINVAL;
	if (host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	port = strtoul(colon + 1, &end, 10);
	if (!host_len || host_len >= sizeof(addr->host) || *end || colon[1] == '\0' || port == 0 || port > 65535)
		return -EINVAL;
	memcpy(addr->host, host, host_len);
	addr->host[host_len] = '\0';
	snprintf(addr->port, sizeof(addr->port), "%lu", port);
	return 0;
}

int migrate_address_parse(const char *text, struct migrate_address *addr, char *err, size_t errlen)
{
	int ret = -EINVAL;

	memset(addr, 0, sizeof(*addr));
	if (strncmp(text, "unix:", 5) == 0 && text[5]) {
		addr->transport = MIGRATE_UNIX;
		ret = copy_string(addr->path, sizeof(addr->path), text + 5);
	} else if (strncmp(text, "tcp:", 4) == 0) {
		addr->transport = MIGRATE_TCP;
		ret = parse_tcp(text + 4, addr);
	}
	if (ret < 0)
		snprintf(err, errlen, "'%.100s' is not an address (unix:PATH or tcp:HOST:PORT)", text);
	return ret < 0 ? -EINVAL : 0;
}

static struct addrinfo *resolve(const struct migrate_address *addr, bool passive, int *gai)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0 }, *list = NULL;

	*gai = getaddrinfo(addr->host, addr->port, &hints, &list);
	return *gai ? NULL : list;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

bool migrate_address_is_local(const struct migrate_address *addr)
{
	struct addrinfo *list, *ai;
	bool local;
	int gai;

	if (addr->transport == MIGRATE_UNIX)
		return true;
	list = resolve(addr, false, &gai);
	local = list != NULL;
	for (ai = list; ai; ai = ai->ai_next)
		local = local && is_loopback(ai->ai_addr);
	if (list)
		freeaddrinfo(list);
	return local;
}

static int unix_address(const struct migrate_address *addr, struct sockaddr_un *sun)
{
	*sun = (struct sockaddr_un){ .sun_family = AF_UNIX };
	return copy_string(sun->sun_path, sizeof(sun->sun_path), addr->path);
}

/* Connect within timeout_ms: a target that is not there must not hang the operator. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t soerr_len = sizeof(soerr);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0)
		return -errno;
	return -soerr;
}

static int connect_one(int family, const struct sockaddr *sa, socklen_t len, int timeout_s)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), ret, one = 1;

	if (fd < 0)
		return -errno;
	ret = connect_bounded(fd, sa, len, timeout_s * 1000);
	if (ret == 0 && family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Blocking from here: the stream bounds its own waits with poll. */
	if (ret == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		ret = -errno;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int migrate_connect(const struct migrate_address *addr, int timeout_s, char *err, size_t errlen)
{
	struct addrinfo *list, *ai;
	struct sockaddr_un sun;
	int fd = -ENOENT, gai;

	if (addr->transport == MIGRATE_UNIX) {
		fd = unix_address(addr, &sun) < 0 ? -ENAMETOOLONG
						  : connect_one(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), timeout_s);
		if (fd < 0)
			snprintf(err, errlen, "unix:%s: %s", addr->path, strerror(-fd));
		return fd;
	}
	list = resolve(addr, false, &gai);
	if (!list) {
		snprintf(err, errlen, "tcp:%s:%s: %s", addr->host, addr->port, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, timeout_s);
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(err, errlen, "tcp:%s:%s: %s", addr->host, addr->port, strerror(-fd));
	return fd;
}

static int listen_on(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret = 0;

	if (fd < 0)
		return -errno;
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 1) < 0)
		ret = -errno;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int migrate_listen(const struct migrate_address *addr, char *err, size_t errlen)
{
	struct addrinfo *list;
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd, gai;

	if (addr->transport == MIGRATE_UNIX) {
		if (unix_address(addr, &sun) < 0) {
			snprintf(err, errlen, "unix:%s: path too long", addr->path);
			return -ENAMETOOLONG;
		}
		/* Only the caller may hand this host a server. */
		old_umask = umask(0177);
		fd = listen_on(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun));
		umask(old_umask);
		if (fd < 0)
			snprintf(err, errlen, "unix:%s: %s", addr->path, strerror(-fd));
		return fd;
	}
	list = resolve(addr, true, &gai);
	if (!list) {
		snprintf(err, errlen, "tcp:%s:%s: %s", addr->host, addr->port, gai_strerror(gai));
		return -EADDRNOTAVAIL;
	}
	fd = listen_on(list->ai_family, list->ai_addr, list->ai_addrlen);
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(err, errlen, "tcp:%s:%s: %s", addr->host, addr->port, strerror(-fd));
	return fd;
}
