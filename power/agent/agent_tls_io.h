/*
 * Reading and writing an agent connection's TLS within a deadline, on both
 * ends: a peer that sends half a record and stops, or never reads, must not
 * hold a thread past the time the protocol allows (agent_server.h).
 */
#ifndef SHEER_POWER_AGENT_AGENT_TLS_IO_H
#define SHEER_POWER_AGENT_AGENT_TLS_IO_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes from ssl (over fd) until deadline_ns (CLOCK_MONOTONIC): how many, 0
 * when the peer closed, -ETIMEDOUT, or -EPROTO with why saying what TLS
 * reported (an alert: the peer refused this end's certificate).
 */
int agent_tls_read(SSL *ssl, int fd, char *dst, size_t room, uint64_t deadline_ns, char *why, size_t whylen);
/* All of data within timeout_s: 0, or -EIO. */
int agent_tls_write(SSL *ssl, int fd, const char *data, size_t len, unsigned int timeout_s);
/* Tell the peer the connection ends (close_notify), without waiting long for it to listen. */
void agent_tls_close(SSL *ssl, int fd);

#endif
