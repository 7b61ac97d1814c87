/*
 * The target's side (protocol.h). The supervisor of `sheer receive` reads
 * the hello to place the server; the VMM builds the empty VM, then takes
 * pages and state until the switch-over. Anything wrong from the source (a
 * section out of turn, a checksum, silence) ends the receive: the VM is
 * discarded and the source, which has not switched over, goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2v/checkpoint/header.h"
#include "p2v/migrate/migrate.h"
#include "p2v/migrate/protocol.h"
#include "p2v/migrate/stream.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/memory_pages.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/le.h"

/* A source that sends nothing for this long is gone (pre-copy sends all the time). */
#define MIGRATE_SOURCE_TIMEOUT_MS 60000

static int expect_section(struct migrate_stream *st, uint32_t type, uint16_t version, const uint8_t **payload,
			  size_t *len, const char *what, char *err, size_t errlen)
{
	struct state_section s;
	char why[160];
	int ret = migrate_stream_receive(st, &s, payload, why, sizeof(why));

	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", what, why);
		return ret;
	}
	if (s.type != type || s.version != version) {
		snprintf(err, errlen, "%s: not what the source should send first", what);
		return -EBADMSG;
	}
	*len = s.length;
	return 0;
}

int migrate_receive_hello(int fd, struct migrate_hello *hello, char *err, size_t errlen)
{
	struct migrate_stream st;
	const uint8_t *payload;
	char magic[8];
	size_t len;
	int ret = migrate_stream_init(&st, fd, MIGRATE_SOURCE_TIMEOUT_MS);

	memset(hello, 0, sizeof(*hello));
	if (ret == 0 && (ret = migrate_stream_receive_raw(&st, magic, sizeof(magic))) < 0)
		snprintf(err, errlen, "nothing came from the source: %s", strerror(-ret));
	if (ret == 0 && memcmp(magic, MIGRATE_MAGIC, sizeof(magic)) != 0) {
		snprintf(err, errlen, "the peer does not speak sheer's migration stream");
		ret = -EPROTO;
	}
	if (ret == 0)
		ret = expect_section(&st, MIGRATE_HELLO, MIGRATE_SECTION_VERSION, &payload, &len, "hello", err, errlen);
	if (ret == 0 && (len != 4 || le_get(payload, 4) != MIGRATE_PROTOCOL_VERSION)) {
		snprintf(err, errlen, "the source speaks migration protocol version %llu; this sheer speaks version %u",
			 len == 4 ? (unsigned long long)le_get(payload, 4) : 0ULL, MIGRATE_PROTOCOL_VERSION);
		ret = -EPROTONOSUPPORT;
	}
	if (ret == 0)
		ret = expect_section(&st, CHECKPOINT_HEADER_TYPE, CHECKPOINT_SECTION_VERSION, &payload, &len, "header",
				     err, errlen);
	if (ret == 0 && checkpoint_header_decode(payload, len, &hello->info) < 0) {
		snprintf(err, errlen, "header: malformed");
		ret = -EBADMSG;
	}
	if (ret == 0 && hello->info.format_version != CHECKPOINT_FORMAT_VERSION) {
		snprintf(err, errlen, "the source's stream version is %u (sheer %.15s); this sheer speaks version %u",
			 hello->info.format_version, hello->info.sheer_version, CHECKPOINT_FORMAT_VERSION);
		ret = -EPROTONOSUPPORT;
	}
	if (ret == 0)
		ret = expect_section(&st, CPUID_STATE_TYPE, CPUID_STATE_VERSION, &payload, &len, "CPUID", err, errlen);
	if (ret == 0 && !(hello->cpuid = malloc(len ? len : 1)))
		ret = -ENOMEM;
	if (ret == 0) {
		memcpy(hello->cpuid, payload, len);
		hello->cpuid_len = len;
	}
	migrate_stream_free(&st);
	return ret;
}

void migrate_hello_free(struct migrate_hello *hello)
{
	free(hello->cpuid);
	hello->cpuid = NULL;
}

static void send_text(int fd, uint32_t type, const char *why)
{
	struct migrate_stream st = { .fd = fd };

	migrate_stream_send(&st, type, why, strnlen(why, MIGRATE_TEXT_MAX));
}

void migrate_refuse(int fd, const char *why)
{
	send_text(fd, MIGRATE_REFUSED, why);
}

/* Pages and state until MEND; then the whole machine is checked and applied. */
static bool cancelled(const struct migrate_receiver *hooks, char *err, size_t errlen)
{
	if (!hooks || !hooks->stop_requested(hooks->ctx))
		return false;
	snprintf(err, errlen, "stopped on the target before the switch-over");
	return true;
}

/* One of the target's answers. A source gone by then ends the receive too, and err must say so. */
static int send_answer(struct migrate_stream *st, uint32_t type, const void *payload, size_t len, const char *what,
		       char *err, size_t errlen)
{
	int ret = migrate_stream_send(st, type, payload, len);

	if (ret < 0)
		snprintf(err, errlen, "telling the source %s: %s", what, strerror(-ret));
	return ret;
}

/* *load_ns: from MEND to the machine applied, which the source counts into its downtime. */
static int receive_state(struct migrate_stream *st, struct vm *vm, const struct migrate_receiver *hooks,
			 uint64_t *load_ns, char *err, size_t errlen)
{
	for (;;) {
		struct state_section s;
		const uint8_t *payload;
		int ret = migrate_stream_receive(st, &s, &payload, err, errlen);

		if (ret == 0 && cancelled(hooks, err, errlen))
			ret = -ECANCELED;
		if (ret < 0)
			return ret;
		if (s.type == MIGRATE_END) {
			uint64_t start = clock_monotonic_ns();

			ret = vm_restore_finish(vm, err, errlen);
			*load_ns = clock_monotonic_ns() - start;
			return ret;
		}
		if (s.type == MIGRATE_ROUND)
			ret = send_answer(st, MIGRATE_ROUND_DONE, NULL, 0, "the round is in", err, errlen);
		else
			ret = vm_restore_section(vm, &s, payload, err, errlen);
		if (ret < 0)
			return ret;
	}
}

/* After MLOD only the switch-over may come; then the guest is this host's. */
static int await_go(struct migrate_stream *st, char *err, size_t errlen)
{
	struct state_section s;
	const uint8_t *payload;
	int ret = migrate_stream_receive(st, &s, &payload, err, errlen);

	if (ret == 0 && s.type != MIGRATE_GO) {
		snprintf(err, errlen, "the source did not switch over");
		ret = -EPROTO;
	}
	return ret;
}

int migrate_receive_build(int fd, const struct migrate_hello *hello, const struct server_config *cfg,
			  struct vm **out, char *err, size_t errlen)
{
	int ret = checkpoint_vm_from_cpuid(hello->cpuid, hello->cpuid_len, cfg, out, err, errlen);

	if (ret < 0)
		send_text(fd, MIGRATE_REFUSED, err);
	return ret;
}

int migrate_receive(int fd, struct vm *vm, const struct migrate_receiver *hooks, uint64_t *bytes, char *err,
		    size_t errlen)
{
	struct migrate_stream st;
	uint64_t load_ns = 0;
	uint8_t loaded[8];
	int ret = migrate_stream_init(&st, fd, MIGRATE_SOURCE_TIMEOUT_MS);

	if (ret == 0)
		ret = send_answer(&st, MIGRATE_READY, NULL, 0, "this end is ready", err, errlen);
	if (ret == 0 && (ret = receive_state(&st, vm, hooks, &load_ns, err, errlen)) == 0 &&
	    cancelled(hooks, err, errlen))
		ret = -ECANCELED;
	/* The last moment this end may back out: after MLOD the source may switch over at once. */
	if (ret < 0)
		send_text(fd, MIGRATE_FAILED, err);
	le_put(loaded, load_ns, sizeof(loaded));
	if (ret == 0)
		ret = send_answer(&st, MIGRATE_LOADED, loaded, sizeof(loaded), "the machine is loaded", err, errlen);
	if (ret == 0)
		ret = await_go(&st, err, errlen);
	/* The guest is this host's now, whatever happens to the connection: the source never resumes it. */
	if (ret == 0 && hooks)
		hooks->start_guest(hooks->ctx);
	if (ret == 0 && send_answer(&st, MIGRATE_RUNNING, NULL, 0, "that the guest runs here", err, errlen) < 0)
		ret = 1;
	*bytes = st.bytes_received;
	migrate_stream_free(&st);
	return ret;
}
