#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "power/agent/agent_tls_io.h"
#include "vmm/lib/clock.h"

#define NS_PER_S 1000000000ull

static void socket_timeout(int fd, int option, uint64_t ns)
{
	struct timeval tv = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_usec = (suseconds_t)(ns % NS_PER_S / 1000) };

	/* Zero would mean no timeout at all. */
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

int agent_tls_read(SSL *ssl, int fd, char *dst, size_t room, uint64_t deadline_ns, char *why, size_t whylen)
{
	for (;;) {
		uint64_t now = clock_monotonic_ns();
		unsigned long code;
		int n, error;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		/* Each read() inside SSL_read gives up at the deadline; the record layer keeps what came. */
		socket_timeout(fd, SO_RCVTIMEO, deadline_ns - now);
		ERR_clear_error();
		errno = 0;
		n = SSL_read(ssl, dst, room > (size_t)INT32_MAX ? INT32_MAX : (int)room);
		if (n > 0)
			return n;
		error = SSL_get_error(ssl, n);
		if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0))
			return 0;
		if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ||
		    (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR)))
			continue;
		code = ERR_get_error();
		if (why && code)
			ERR_error_string_n(code, why, whylen);
		else if (why)
			snprintf(why, whylen, "%s", errno ? strerror(errno) : "TLS error");
		ERR_clear_error();
		return -EPROTO;
	}
}

int agent_tls_write(SSL *ssl, int fd, const char *data, size_t len, unsigned int timeout_s)
{
	int n;

	socket_timeout(fd, SO_SNDTIMEO, (uint64_t)timeout_s * NS_PER_S);
	ERR_clear_error();
	n = SSL_write(ssl, data, (int)len);
	ERR_clear_error();
	return n == (int)len ? 0 : -EIO;
}

void agent_tls_close(SSL *ssl, int fd)
{
	socket_timeout(fd, SO_SNDTIMEO, NS_PER_S);
	SSL_shutdown(ssl);
	ERR_clear_error();
}
