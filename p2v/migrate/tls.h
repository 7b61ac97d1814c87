/*
 * TLS for migration streams over a network: the mutual TLS 1.3 of
 * vmm/lib/tls_mutual.h with the --tls directory (ca.pem, cert.pem,
 * key.pem); the CA is what defines the hosts allowed to exchange servers.
 *
 * The VMM never holds TLS: after the handshake a relay process (forked
 * here, unprivileged and confined like the VMM) carries plaintext between
 * the TLS connection and one end of a socketpair, and the caller hands the
 * other end on as if it were the connection itself.
 */
#ifndef SHEER_P2V_MIGRATE_TLS_H
#define SHEER_P2V_MIGRATE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmm/sandbox/sandbox.h"

/*
 * Handshake on the connected fd (as the server when accepting), then fork
 * the relay. Returns the plaintext end, or a negative errno with err naming
 * the problem (a missing file, a certificate the peer or this end refused).
 * fd is closed either way.
 */
int migrate_tls_wrap(int fd, const char *dir, bool accepting, pid_t *relay, char *err, size_t errlen);

#endif
