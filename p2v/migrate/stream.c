#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "p2v/migrate/protocol.h"
#include "p2v/migrate/stream.h"
#include "vmm/lib/crc32c.h"

int migrate_stream_init(struct migrate_stream *st, int fd, int timeout_ms)
{
	*st = (struct migrate_stream){ .fd = fd, .timeout_ms = timeout_ms };
	st->buf = malloc(MIGRATE_SECTION_MAX);
	return st->buf ? 0 : -ENOMEM;
}

void migrate_stream_free(struct migrate_stream *st)
{
	free(st->buf);
	st->buf = NULL;
}

static int stream_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct migrate_stream *st = ctx;
	struct iovec local[iovcnt];
	struct msghdr msg = { 0 };

	memcpy(local, iov, iovcnt * sizeof(*iov));
	for (int i = 0; i < iovcnt;) {
		ssize_t n;

		msg.msg_iov = local + i;
		msg.msg_iovlen = iovcnt - i > IOV_MAX ? IOV_MAX : iovcnt - i;
		n = sendmsg(st->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		st->bytes_sent += (uint64_t)n;
		while (i < iovcnt && (size_t)n >= local[i].iov_len)
			n -= (ssize_t)local[i++].iov_len;
		if (i < iovcnt) {
			local[i].iov_base = (uint8_t *)local[i].iov_base + n;
			local[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

struct state_sink migrate_stream_sink(struct migrate_stream *st)
{
	return (struct state_sink){ stream_writev, st, 0 };
}

int migrate_stream_send_raw(struct migrate_stream *st, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	return stream_writev(st, &iov, 1);
}

int migrate_stream_send(struct migrate_stream *st, uint32_t type, const void *payload, size_t len)
{
	struct state_sink sink = migrate_stream_sink(st);
	struct iovec iov = { (void *)payload, len };

	return state_sink_section(&sink, type, MIGRATE_SECTION_VERSION, 0, &iov, len ? 1 : 0);
}

int migrate_stream_receive_raw(struct migrate_stream *st, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
		int ready = poll(&pfd, 1, st->timeout_ms);
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready < 0 ? -errno : -ETIMEDOUT;
		n = read(st->fd, (uint8_t *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
		st->bytes_received += (uint64_t)n;
	}
	return 0;
}

static int stream_fail(char *err, size_t errlen, int ret, const char *what, const struct state_section *s)
{
	char name[8] = "";

	if (s)
		state_type_name(s->type, name);
	snprintf(err, errlen, "%s%s%s", s ? name : "", s ? ": " : "", what);
	return ret;
}

/* Why a read from the peer failed, as an operator reads it. */
static const char *peer_failure(int ret)
{
	return ret == -ETIMEDOUT ? "the peer went quiet" : ret == -ECONNRESET ? "the peer closed the connection"
										: strerror(-ret);
}

int migrate_stream_receive(struct migrate_stream *st, struct state_section *s, const uint8_t **payload, char *err,
			   size_t errlen)
{
	uint8_t header[STATE_HEADER_SIZE];
	int ret = migrate_stream_receive_raw(st, header, sizeof(header));

	if (ret < 0)
		return stream_fail(err, errlen, ret, peer_failure(ret), NULL);
	if (state_header_decode(header, s) < 0)
		return stream_fail(err, errlen, -EBADMSG, "corrupted section header", NULL);
	if (s->length > MIGRATE_SECTION_MAX)
		return stream_fail(err, errlen, -EBADMSG, "section too long", s);
	ret = migrate_stream_receive_raw(st, st->buf, s->length);
	if (ret < 0) {
		char why[96];

		snprintf(why, sizeof(why), "truncated (%s)", peer_failure(ret));
		return stream_fail(err, errlen, ret, why, s);
	}
	if (crc32c(0, st->buf, s->length) != s->payload_crc)
		return stream_fail(err, errlen, -EBADMSG, "checksum mismatch (corrupted)", s);
	*payload = st->buf;
	return 0;
}
