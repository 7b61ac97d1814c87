/*
 * The migration stream on a connected socket: state sections (24-byte
 * header with CRC-32C, vmm/machine/state.h) both ways. Everything received
 * is untrusted: a section's length is bounded before anything is read into
 * the buffer, its checksums are verified before it is handed on, and a peer
 * that goes quiet for longer than the stream's timeout ends the migration.
 */
#ifndef SHEER_P2V_MIGRATE_STREAM_H
#define SHEER_P2V_MIGRATE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/state.h"

struct migrate_stream {
	int fd;
	int timeout_ms;		/* the longest a read may wait for the peer */
	uint8_t *buf;		/* the last section received */
	uint64_t bytes_sent;
	uint64_t bytes_received;
};

int migrate_stream_init(struct migrate_stream *st, int fd, int timeout_ms);
void migrate_stream_free(struct migrate_stream *st);
/* A sink writing sections to the peer (state_sink_section and friends). */
struct state_sink migrate_stream_sink(struct migrate_stream *st);
int migrate_stream_send_raw(struct migrate_stream *st, const void *data, size_t len);
/* One small section (a control message); text payloads are at most MIGRATE_TEXT_MAX bytes. */
int migrate_stream_send(struct migrate_stream *st, uint32_t type, const void *payload, size_t len);
int migrate_stream_receive_raw(struct migrate_stream *st, void *buf, size_t len);
/* The next section, verified; *payload is valid until the next receive. -EBADMSG with err for a bad one. */
int migrate_stream_receive(struct migrate_stream *st, struct state_section *s, const uint8_t **payload, char *err,
			   size_t errlen);

#endif
