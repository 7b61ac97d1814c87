#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "vmm/lib/tls_mutual.h"

int tls_mutual_fail(char *err, size_t errlen, const char *what)
{
	char detail[256];
	unsigned long code = ERR_get_error();

	ERR_error_string_n(code, detail, sizeof(detail));
	snprintf(err, errlen, "TLS: %s%s%s", what, code ? ": " : "", code ? detail : "");
	ERR_clear_error();
	return -EPROTO;
}

SSL_CTX *tls_mutual_context(const char *dir, bool accepting, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(accepting ? TLS_server_method() : TLS_client_method());
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	if (!ctx) {
		tls_mutual_fail(err, errlen, "no context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* Both ends prove themselves: a host without a certificate from the CA is refused, and sends none. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		tls_mutual_fail(err, errlen, "cannot load the CA (ca.pem)");
	else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		tls_mutual_fail(err, errlen, "cannot load this host's certificate (cert.pem)");
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		tls_mutual_fail(err, errlen, "cannot load the key (key.pem) or it does not match cert.pem");
	else
		return ctx;
	SSL_CTX_free(ctx);
	return NULL;
}

static void socket_timeouts(int fd, int seconds)
{
	struct timeval timeout = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

/* The peer's alerts that say it refused this end's certificate (or sent none it could accept). */
static bool certificate_alert(int reason)
{
	return reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED || reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
	       reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE || reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN ||
	       reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED || reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR;
}

/*
 * Why a handshake failed: EACCES when a certificate was refused (by either
 * end), ECONNRESET when the peer went away without a TLS word (a port
 * forwarded to a host still booting accepts, then closes), ETIMEDOUT when
 * it said nothing in time, EPROTO for any other TLS failure.
 */
static int handshake_failure(SSL *ssl, int ok)
{
	bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
	unsigned long code = ERR_peek_error();

	if (SSL_get_verify_result(ssl) != X509_V_OK || certificate_alert(ERR_GET_REASON(code)))
		return EACCES;
	switch (SSL_get_error(ssl, ok)) {
	case SSL_ERROR_SYSCALL:
		if (code)
			return EPROTO;
		return timed_out ? ETIMEDOUT : ECONNRESET;
	case SSL_ERROR_ZERO_RETURN:
		return ECONNRESET;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		/* The socket's timeout ran out: OpenSSL takes its EAGAIN for "try again" (EINTR too, which is not). */
		return timed_out ? ETIMEDOUT : EPROTO;
	case SSL_ERROR_SSL:
		return ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING ? ECONNRESET : EPROTO;
	default:
		return EPROTO;
	}
}

SSL *tls_mutual_handshake(SSL_CTX *ctx, int fd, bool accepting, int timeout_s, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(ctx);
	int ok;

	socket_timeouts(fd, timeout_s);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		tls_mutual_fail(err, errlen, "no session");
		SSL_free(ssl);
		return NULL;
	}
	ok = accepting ? SSL_accept(ssl) : SSL_connect(ssl);
	if (ok != 1) {
		int why = handshake_failure(ssl, ok);

		tls_mutual_fail(err, errlen, why == ECONNRESET ? "the peer closed the connection during the handshake"
					     : why == ETIMEDOUT ? "no answer to the handshake in time"
					     : SSL_get_verify_result(ssl) != X509_V_OK
						     ? X509_verify_cert_error_string(SSL_get_verify_result(ssl))
						     : "handshake failed");
		SSL_free(ssl);
		errno = why;
		return NULL;
	}
	socket_timeouts(fd, 0);
	return ssl;
}
