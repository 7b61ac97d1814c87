#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/agent/agent_connection.h"
#include "power/agent/agent_server.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/net_address.h"
#include "vmm/lib/stop_signals.h"
#include "vmm/lib/tls_mutual.h"

#define AGENT_BACKLOG 16

/* The numeric host of addr, as a tcp: address wants it: an IPv6 one in brackets. */
static void listen_host(const struct sockaddr_storage *addr, socklen_t len, char *out, size_t outlen)
{
	char host[NI_MAXHOST] = "";

	getnameinfo((const struct sockaddr *)addr, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	snprintf(out, outlen, addr->ss_family == AF_INET6 ? "[%s]" : "%s", host);
}

static int listen_on(const struct sockaddr_storage *addr, socklen_t len)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret = 0;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, AGENT_BACKLOG) < 0)
		ret = -errno;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int agent_server_open(struct agent_server *server, const char *listen, const char *tls_dir, char *err,
		      size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len;
	char why[512];

	memset(server, 0, sizeof(*server));
	server->listen_fd = -1;
	if (net_address_parse(listen, &addr, &len, why, sizeof(why)) < 0)
		return snprintf(err, errlen, "--listen '%.64s': %s, like 10.0.0.5:9735 or [::]:9735", listen, why),
		       -EINVAL;
	server->ctx = tls_mutual_context(tls_dir, true, why, sizeof(why));
	if (!server->ctx)
		return snprintf(err, errlen, "--tls %.200s: %s", tls_dir, why), -EINVAL;
	server->listen_fd = listen_on(&addr, len);
	if (server->listen_fd < 0) {
		int ret = server->listen_fd;

		SSL_CTX_free(server->ctx);
		return snprintf(err, errlen, "cannot listen on %.64s: %s", listen, strerror(-ret)), ret;
	}
	listen_host(&addr, len, server->listen_host, sizeof(server->listen_host));
	snprintf(server->listen, sizeof(server->listen), "%s", listen);
	agent_ops_init(&server->ops, tls_dir, server->listen_host);
	return 0;
}

/* One thread per connection, at most AGENT_MAX_CONNECTIONS; the one over is closed and said so. */
static void serve_one(struct agent_server *server, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct agent_connection *conn;
	pthread_attr_t attr;
	pthread_t thread;
	char who[AGENT_PEER_MAX];

	agent_peer_name(peer, len, who, sizeof(who));
	if (atomic_fetch_add(&server->connections, 1) >= AGENT_MAX_CONNECTIONS) {
		agent_log("%s: refused: %d connections are open already", who, AGENT_MAX_CONNECTIONS);
		close(fd);
		atomic_fetch_sub(&server->connections, 1);
		return;
	}
	conn = agent_connection_new(fd, who, server->ctx, &server->ops, &server->connections);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!conn || pthread_create(&thread, &attr, agent_connection_main, conn) != 0) {
		agent_log("%s: refused: cannot serve it (%s)", who, conn ? "no thread" : "out of memory");
		agent_connection_free(conn);
		if (!conn) {
			close(fd);
			atomic_fetch_sub(&server->connections, 1);
		}
	}
	pthread_attr_destroy(&attr);
}

static void *accept_loop(void *arg)
{
	struct agent_server *server = arg;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(server->listen_fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);

		if (fd >= 0) {
			serve_one(server, fd, &peer, len);
		} else if (errno != EINTR && errno != ECONNABORTED) {
			/* Out of descriptors or memory: say so, and give the connections a moment to end. */
			agent_log("accepting: %s", strerror(errno));
			clock_sleep_ms(100);
		}
	}
	return NULL;
}

int agent_server_run(struct agent_server *server)
{
	pthread_t thread;
	sigset_t stop;

	/* A peer that hangs up while it is answered must not end the agent. */
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before any thread starts, so that only the wait below takes them. */
	stop_signals_block(&stop);
	if (pthread_create(&thread, NULL, accept_loop, server) != 0) {
		agent_log("cannot start: no thread");
		return -EAGAIN;
	}
	agent_log("serving on %s with the certificates of %s", server->listen, server->ops.env.tls_dir);
	agent_log("stopping (%s)", strsignal(stop_signals_wait(&stop)));
	return 0;
}
