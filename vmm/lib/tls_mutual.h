/*
 * Mutual TLS 1.3 between sheer hosts (OpenSSL), for migration streams and
 * the host agent: a directory holds ca.pem, cert.pem and key.pem, and both
 * ends must present a certificate signed by that CA. Any such certificate
 * is accepted: the CA is what defines the hosts that may talk to each
 * other (README, "Live migration", says how to make them).
 */
#ifndef SHEER_VMM_LIB_TLS_MUTUAL_H
#define SHEER_VMM_LIB_TLS_MUTUAL_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The context of one end (the accepting one when accepting), loaded from
 * dir; NULL with err naming the file that could not be used and why.
 */
SSL_CTX *tls_mutual_context(const char *dir, bool accepting, char *err, size_t errlen);
/*
 * The handshake on the connected fd, within timeout_s; NULL with err saying
 * why (the peer's certificate refused, no certificate, a timeout) and errno
 * EACCES (a certificate refused, by either end), ECONNRESET (the peer closed
 * without a TLS word), ETIMEDOUT, or EPROTO (any other TLS failure). fd stays
 * open either way, and has no send or receive timeout left afterwards: the
 * caller bounds its own waits.
 */
SSL *tls_mutual_handshake(SSL_CTX *ctx, int fd, bool accepting, int timeout_s, char *err, size_t errlen);
/* -EPROTO, with err "TLS: what: the library's reason" (the reason only when it gave one). */
int tls_mutual_fail(char *err, size_t errlen, const char *what);

#endif
