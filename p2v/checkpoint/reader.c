/*
 * Reading a checkpoint file. Everything in it is untrusted: every section's
 * header and payload checksum is verified before its payload is looked at,
 * lengths are bounded before anything is allocated, and the VM built from
 * it may run only when END0 has confirmed that nothing is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p2v/checkpoint/header.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/lib/crc32c.h"
#include "vmm/lib/file_kind.h"
#include "vmm/lib/clock.h"

#define SECTION_MAX_MEMORY (MEMORY_BLOCK_HEADER + MEMORY_BLOCK_SIZE)
#define SECTION_MAX_OTHER (1U << 20)

/* Where the bytes come from: a file, or memory (the fuzzer). */
struct byte_source {
	int fd;
	const uint8_t *data;	/* when fd < 0 */
	uint64_t size;
	uint64_t offset;
};

static int source_read(struct byte_source *src, void *buf, size_t len)
{
	if (len > src->size - src->offset)
		return -ENODATA;
	if (src->fd < 0) {
		memcpy(buf, src->data + src->offset, len);
	} else {
		size_t got = 0;

		while (got < len) {
			ssize_t n = pread(src->fd, (uint8_t *)buf + got, len - got, src->offset + got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -ENODATA;
			got += (size_t)n;
		}
	}
	src->offset += len;
	return 0;
}

struct section_reader {
	struct byte_source src;
	uint8_t *buf;
	uint64_t sections;
	const struct checkpoint_progress *progress;
	uint64_t next_progress;
	char *err;
	size_t errlen;
};

static int reader_fail(struct section_reader *rd, int ret, uint64_t at, const char *fmt, const char *what)
{
	char detail[160];

	snprintf(detail, sizeof(detail), fmt, what);
	snprintf(rd->err, rd->errlen, "at byte %llu: %s", (unsigned long long)at, detail);
	return ret;
}

/* The next section, its checksums verified; *payload stays valid until the next call. */
static int reader_next(struct section_reader *rd, struct state_section *s, const uint8_t **payload)
{
	uint8_t header[STATE_HEADER_SIZE];
	uint64_t at = rd->src.offset;
	char name[8];
	int ret = source_read(&rd->src, header, sizeof(header));

	if (ret < 0)
		return reader_fail(rd, -EBADMSG, at, "%s", ret == -ENODATA ? "truncated (no end section)" : strerror(-ret));
	if (state_header_decode(header, s) < 0)
		return reader_fail(rd, -EBADMSG, at, "%s", "corrupted section header");
	state_type_name(s->type, name);
	if (s->length > (s->type == MEMORY_STATE_TYPE ? SECTION_MAX_MEMORY : SECTION_MAX_OTHER))
		return reader_fail(rd, -EBADMSG, at, "section %s is too long", name);
	ret = source_read(&rd->src, rd->buf, s->length);
	if (ret < 0)
		return reader_fail(rd, -EBADMSG, at, "section %s is truncated", name);
	if (crc32c(0, rd->buf, s->length) != s->payload_crc)
		return reader_fail(rd, -EBADMSG, at, "section %s: checksum mismatch (corrupted)", name);
	*payload = rd->buf;
	rd->sections++;
	if (rd->progress && rd->src.offset >= rd->next_progress) {
		rd->progress->update(rd->progress->ctx, rd->src.offset, rd->src.size);
		rd->next_progress = rd->src.offset + CHECKPOINT_PROGRESS_EVERY;
	}
	return 0;
}

static int reader_open(struct section_reader *rd, struct checkpoint_info *info)
{
	struct state_section s;
	const uint8_t *payload;
	char magic[8];
	int ret;

	rd->buf = malloc(SECTION_MAX_MEMORY);
	if (!rd->buf)
		return reader_fail(rd, -ENOMEM, 0, "%s", strerror(ENOMEM));
	if (source_read(&rd->src, magic, sizeof(magic)) < 0)
		return reader_fail(rd, -EBADMSG, 0, "%s", "truncated: shorter than the magic");
	if (memcmp(magic, CHECKPOINT_MAGIC, sizeof(magic)) != 0)
		return reader_fail(rd, -EBADMSG, 0, "%s", "not a sheer checkpoint (no SHEERCKP magic)");
	ret = reader_next(rd, &s, &payload);
	if (ret < 0)
		return ret;
	if (s.type != CHECKPOINT_HEADER_TYPE || s.version != CHECKPOINT_SECTION_VERSION ||
	    checkpoint_header_decode(payload, s.length, info) < 0)
		return reader_fail(rd, -EBADMSG, 8, "%s", "malformed header section");
	if (info->format_version != CHECKPOINT_FORMAT_VERSION) {
		snprintf(rd->err, rd->errlen, "checkpoint format version %u (written by sheer %s); this sheer reads version %u",
			 info->format_version, info->sheer_version, CHECKPOINT_FORMAT_VERSION);
		return -EBADMSG;
	}
	return 0;
}

/* END0 must count every section and byte before it, and be the last thing in the file. */
static int reader_check_end(struct section_reader *rd, const struct state_section *s, const uint8_t *payload)
{
	uint64_t at = rd->src.offset - STATE_HEADER_SIZE - s->length;
	struct checkpoint_end end;

	if (checkpoint_end_decode(payload, s->length, &end) < 0 || end.sections != rd->sections - 1 ||
	    end.bytes != at)
		return reader_fail(rd, -EBADMSG, at, "%s", "end section does not match the file (sections lost)");
	if (rd->src.offset != rd->src.size)
		return reader_fail(rd, -EBADMSG, rd->src.offset, "%s", "data after the end section");
	return 0;
}

typedef int (*section_fn)(void *ctx, const struct state_section *s, const uint8_t *payload);

/* Every section after the header to fn, until a verified END0. */
static int reader_each(struct section_reader *rd, section_fn fn, void *ctx)
{
	for (;;) {
		struct state_section s;
		const uint8_t *payload;
		int ret = reader_next(rd, &s, &payload);

		if (ret < 0)
			return ret;
		if (s.type == CHECKPOINT_END_TYPE)
			return reader_check_end(rd, &s, payload);
		ret = fn(ctx, &s, payload);
		if (ret < 0)
			return ret;
	}
}

static int open_file(const char *path, struct byte_source *src, char *err, size_t errlen)
{
	struct stat st;
	int ret = 0;

	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0 || fstat(src->fd, &st) < 0)
		ret = -errno, snprintf(err, errlen, "%s", strerror(errno));
	else if (file_kind_problem(st.st_mode))
		ret = -EINVAL, snprintf(err, errlen, "%s", file_kind_problem(st.st_mode));
	if (ret < 0) {
		if (src->fd >= 0)
			close(src->fd);
		src->fd = -1;
		return ret;
	}
	src->size = (uint64_t)st.st_size;
	return 0;
}

static void reader_close(struct section_reader *rd)
{
	if (rd->src.fd >= 0)
		close(rd->src.fd);
	free(rd->buf);
}

int checkpoint_read_info(const char *path, struct checkpoint_info *info, char *err, size_t errlen)
{
	struct section_reader rd = { .err = err, .errlen = errlen };
	int ret = open_file(path, &rd.src, err, errlen);

	if (ret == 0)
		ret = reader_open(&rd, info);
	reader_close(&rd);
	return ret;
}

/* ---- restore ---- */

struct restore_ctx {
	const struct server_config *cfg;
	struct vm *vm;
	char *err;
	size_t errlen;
};

int checkpoint_cpuid_check(const void *payload, size_t len, struct kvm_cpuid2 **guest, char *err, size_t errlen)
{
	struct kvm_cpuid2 *host;
	char why[200];
	int ret = 0, kvm_fd;

	*guest = cpuid_load(payload, len, &ret);
	if (!*guest) {
		snprintf(err, errlen, "malformed CPUID section");
		return ret;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	host = kvm_fd >= 0 ? cpuid_supported(kvm_fd, &ret) : NULL;
	if (kvm_fd < 0)
		ret = -errno;
	if (kvm_fd >= 0)
		close(kvm_fd);
	if (!host)
		snprintf(err, errlen, "/dev/kvm: %s", strerror(-ret));
	else if ((ret = cpuid_check_host(*guest, host, why, sizeof(why))) < 0)
		snprintf(err, errlen, "wrong CPU: %s", why);
	free(host);
	if (ret < 0) {
		free(*guest);
		*guest = NULL;
	}
	return ret;
}

int checkpoint_vm_from_cpuid(const void *payload, size_t len, const struct server_config *cfg, struct vm **out,
			     char *err, size_t errlen)
{
	struct kvm_cpuid2 *guest;
	int ret = checkpoint_cpuid_check(payload, len, &guest, err, errlen);

	if (ret == 0)
		ret = vm_create_empty(cfg, guest, out, err, errlen);
	free(guest);
	return ret;
}

/* The guest's CPUID, checked against what this host's KVM can give it, then the empty VM. */
static int restore_build_vm(struct restore_ctx *rc, const struct state_section *s, const uint8_t *payload)
{
	if (s->type != CPUID_STATE_TYPE || s->version != CPUID_STATE_VERSION) {
		snprintf(rc->err, rc->errlen, "the CPUID section does not follow the header");
		return -EBADMSG;
	}
	return checkpoint_vm_from_cpuid(payload, s->length, rc->cfg, &rc->vm, rc->err, rc->errlen);
}

static int restore_section(void *ctx, const struct state_section *s, const uint8_t *payload)
{
	struct restore_ctx *rc = ctx;

	if (!rc->vm)
		return restore_build_vm(rc, s, payload);
	return vm_restore_section(rc->vm, s, payload, rc->err, rc->errlen);
}

int checkpoint_restore(const char *path, const struct server_config *cfg, const struct checkpoint_progress *progress,
		       struct vm **out, struct checkpoint_result *result, char *err, size_t errlen)
{
	struct section_reader rd = { .err = err, .errlen = errlen, .progress = progress,
				     .next_progress = CHECKPOINT_PROGRESS_EVERY };
	struct restore_ctx rc = { cfg, NULL, err, errlen };
	struct checkpoint_info info;
	uint64_t start = clock_monotonic_ns();
	int ret = open_file(path, &rd.src, err, errlen);

	*out = NULL;
	memset(result, 0, sizeof(*result));
	if (ret == 0)
		ret = reader_open(&rd, &info);
	if (ret == 0 && (info.cfg.cpus != cfg->cpus || info.cfg.memory_bytes != cfg->memory_bytes)) {
		snprintf(err, errlen, "the server was saved with %u vCPUs and %llu bytes of memory", info.cfg.cpus,
			 (unsigned long long)info.cfg.memory_bytes);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = reader_each(&rd, restore_section, &rc);
	if (ret == 0 && !rc.vm) {
		snprintf(err, errlen, "no machine state in the file");
		ret = -EBADMSG;
	}
	if (ret == 0)
		ret = vm_restore_finish(rc.vm, err, errlen);
	if (ret == 0 && progress)
		progress->update(progress->ctx, rd.src.size, rd.src.size);
	result->file_bytes = rd.src.size;
	reader_close(&rd);
	if (ret < 0) {
		vm_destroy(rc.vm);
		return ret;
	}
	result->elapsed_ns = clock_monotonic_ns() - start;
	*out = rc.vm;
	return 0;
}

/* ---- parsing only (fuzzing) ---- */

static int parse_section(void *ctx, const struct state_section *s, const uint8_t *payload)
{
	struct section_reader *rd = ctx;
	int ret = 0;

	if (s->type == CPUID_STATE_TYPE) {
		free(cpuid_load(payload, s->length, &ret));
		if (ret < 0)
			return reader_fail(rd, ret, rd->src.offset - STATE_HEADER_SIZE - s->length, "%s",
					   "malformed CPUID section");
	}
	return 0;
}

int checkpoint_parse(const uint8_t *data, size_t len, struct checkpoint_info *info, char *err, size_t errlen)
{
	struct section_reader rd = { .src = { -1, data, len, 0 }, .err = err, .errlen = errlen };
	int ret = reader_open(&rd, info);

	if (ret == 0)
		ret = reader_each(&rd, parse_section, &rd);
	reader_close(&rd);
	return ret;
}
