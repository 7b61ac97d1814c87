#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2v/migrate/tls.h"
#include "vmm/lib/fd_write.h"
#include "vmm/lib/tls_mutual.h"

#define RELAY_CHUNK 65536
/* A peer that completes no handshake within this long is not a sheer host. */
#define TLS_HANDSHAKE_TIMEOUT_S 30

/* What the relay holds: TLS non-blocking, so that a record without data (a session ticket) never stalls the other way. */
struct relay {
	SSL *ssl;
	int tls_fd;
	int plain_fd;
	char in[RELAY_CHUNK];	/* TLS to plaintext */
	char out[RELAY_CHUNK];	/* plaintext to TLS, waiting to be written */
	size_t out_len;
	size_t out_done;
	bool want_write;	/* the last SSL_write needs the socket writable */
	char why[200];		/* why the relay ended early, for the operator */
};

/* -1, with why saying what failed: the TLS library's reason, or errno's. */
static int relay_broke(struct relay *r, const char *what, int ssl_error)
{
	unsigned long code = ERR_get_error();
	char detail[120] = "";

	if (code)
		ERR_error_string_n(code, detail, sizeof(detail));
	else if (ssl_error == SSL_ERROR_SYSCALL && errno)
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
	else if (ssl_error == SSL_ERROR_SYSCALL)
		snprintf(detail, sizeof(detail), "the peer hung up without closing TLS");
	else
		snprintf(detail, sizeof(detail), "TLS error %d", ssl_error);
	snprintf(r->why, sizeof(r->why), "%s: %s", what, detail);
	return -1;
}

/* 1: go on; 0: the peer closed; -1: an error. */
/* What a failed call says is only its own: nothing left from an earlier one. */
static void relay_clear_errors(void)
{
	ERR_clear_error();
	errno = 0;
}

static int relay_from_tls(struct relay *r)
{
	for (;;) {
		int got, why;

		relay_clear_errors();
		got = SSL_read(r->ssl, r->in, sizeof(r->in));

		if (got > 0) {
			if (fd_write_all(r->plain_fd, r->in, (size_t)got) < 0) {
				ERR_clear_error();
				return relay_broke(r, "passing on what the peer sent", SSL_ERROR_SYSCALL);
			}
			continue;
		}
		why = SSL_get_error(r->ssl, got);
		if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE)
			return 1;
		return why == SSL_ERROR_ZERO_RETURN ? 0 : relay_broke(r, "reading from the peer", why);
	}
}

static int relay_to_tls(struct relay *r)
{
	while (r->out_done < r->out_len) {
		int put, why;

		relay_clear_errors();
		put = SSL_write(r->ssl, r->out + r->out_done, (int)(r->out_len - r->out_done));

		if (put > 0) {
			r->out_done += (size_t)put;
			continue;
		}
		why = SSL_get_error(r->ssl, put);
		r->want_write = why == SSL_ERROR_WANT_WRITE;
		return why == SSL_ERROR_WANT_WRITE || why == SSL_ERROR_WANT_READ ? 1 : relay_broke(r, "sending to the peer", why);
	}
	r->out_len = r->out_done = 0;
	r->want_write = false;
	return 1;
}

/* Plaintext both ways until either side closes; then the peer is told (close_notify) and the relay ends. */
static int relay_loop(struct relay *r)
{
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = r->tls_fd, .events = POLLIN | (r->want_write ? POLLOUT : 0) },
			{ .fd = r->plain_fd, .events = r->out_len ? 0 : POLLIN },
		};
		int ret;
		ssize_t n;

		if (!SSL_pending(r->ssl) && poll(fds, 2, -1) < 0 && errno != EINTR)
			return relay_broke(r, "poll", SSL_ERROR_SYSCALL), 1;
		ret = relay_from_tls(r);
		if (ret <= 0)
			return ret < 0;
		if (fds[1].revents && !r->out_len) {
			n = read(r->plain_fd, r->out, sizeof(r->out));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ERR_clear_error();
				return relay_broke(r, "reading what to send", SSL_ERROR_SYSCALL), 1;
			}
			if (n == 0) {
				SSL_shutdown(r->ssl);
				return 0;
			}
			r->out_len = (size_t)n;
		}
		if (r->out_len && relay_to_tls(r) < 0)
			return 1;
	}
}

/* The relay: nothing but the two descriptors, as an unprivileged user under the relay's filter. */
static void relay_main(SSL *ssl, int tls_fd, int plain_fd)
{
	static struct relay r;
	const struct sandbox sandbox = { .confine = true, .forbidden_in = -1 };
	struct sandbox_user user;
	char err[256];

	int low = tls_fd < plain_fd ? tls_fd : plain_fd, high = tls_fd < plain_fd ? plain_fd : tls_fd;

	r = (struct relay){ .ssl = ssl, .tls_fd = tls_fd, .plain_fd = plain_fd };
	fcntl(tls_fd, F_SETFL, fcntl(tls_fd, F_GETFL) | O_NONBLOCK);
	SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	prctl(PR_SET_NAME, "sheer-relay", 0, 0, 0);
	/* Nothing else the forking process held. */
	close_range(3, (unsigned int)low - 1, 0);
	close_range((unsigned int)low + 1, (unsigned int)high - 1, 0);
	close_range((unsigned int)high + 1, ~0u, 0);
	if (sandbox_user_resolve(&user, err, sizeof(err)) < 0 || sandbox_user_enter(&user, err, sizeof(err)) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || sandbox_confine_thread(&sandbox, SANDBOX_RELAY) < 0) {
		fprintf(stderr, "sheer: migration relay: %s\n", err);
		_exit(1);
	}
	if (relay_loop(&r) == 0)
		_exit(0);
	fprintf(stderr, "sheer: migration relay: %s\n", r.why[0] ? r.why : "ended");
	_exit(1);
}

int migrate_tls_wrap(int fd, const char *dir, bool accepting, pid_t *relay, char *err, size_t errlen)
{
	SSL_CTX *ctx = tls_mutual_context(dir, accepting, err, errlen);
	SSL *ssl = ctx ? tls_mutual_handshake(ctx, fd, accepting, TLS_HANDSHAKE_TIMEOUT_S, err, errlen) : NULL;
	int pair[2] = { -1, -1 }, ret = ssl ? 0 : -EPROTO;

	if (ret == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		ret = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
	}
	if (ret == 0 && (*relay = fork()) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
	}
	if (ret == 0 && *relay == 0) {
		close(pair[0]);
		relay_main(ssl, fd, pair[1]);
	}
	/* Freed here without a shutdown: the session lives on in the relay, which alone speaks on fd. */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	if (pair[1] >= 0)
		close(pair[1]);
	if (ret < 0 && pair[0] >= 0)
		close(pair[0]);
	return ret < 0 ? ret : pair[0];
}
