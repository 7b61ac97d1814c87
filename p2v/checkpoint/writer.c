/*
 * Writing a checkpoint file: sections go through a state_sink that writes
 * into the descriptor the VMM was given, counting bytes for the progress
 * line; the file is fsynced. The asker creates it as a temporary file
 * beside the target and renames it into place (checkpoint_file_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "p2v/checkpoint/header.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/clock.h"


struct file_sink {
	int fd;
	uint64_t written;
	uint64_t next_progress;
	uint64_t total;		/* guest memory: what the progress line counts against */
	const struct checkpoint_progress *progress;
};

static int file_sink_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct file_sink *fs = ctx;
	struct iovec local[iovcnt];

	memcpy(local, iov, iovcnt * sizeof(*iov));
	for (int i = 0; i < iovcnt;) {
		ssize_t n = writev(fs->fd, local + i, iovcnt - i > IOV_MAX ? IOV_MAX : iovcnt - i);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		fs->written += (uint64_t)n;
		while (i < iovcnt && (size_t)n >= local[i].iov_len)
			n -= (ssize_t)local[i++].iov_len;
		if (i < iovcnt) {
			local[i].iov_base = (uint8_t *)local[i].iov_base + n;
			local[i].iov_len -= (size_t)n;
		}
	}
	if (fs->progress && fs->written >= fs->next_progress) {
		fs->progress->update(fs->progress->ctx, fs->written, fs->total);
		fs->next_progress = fs->written + CHECKPOINT_PROGRESS_EVERY;
	}
	return 0;
}

void checkpoint_info_fill(struct checkpoint_info *info, const struct server_config *cfg)
{
	unsigned int eax, ebx, ecx, edx;

	memset(info, 0, sizeof(*info));
	info->format_version = CHECKPOINT_FORMAT_VERSION;
	snprintf(info->sheer_version, sizeof(info->sheer_version), "%s", SHEER_VERSION);
	__asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0), "c"(0));
	memcpy(info->cpu_vendor, &ebx, 4);
	memcpy(info->cpu_vendor + 4, &edx, 4);
	memcpy(info->cpu_vendor + 8, &ecx, 4);
	__asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
	info->cpu_features[0] = ecx;
	info->cpu_features[1] = edx;
	__asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
	info->cpu_features[2] = ebx;
	info->cpu_features[3] = ecx;
	info->cpu_features[4] = edx;
	info->created_unix = (uint64_t)time(NULL);
	info->cfg = *cfg;
}

static int write_framed(struct state_sink *sink, uint32_t type, struct state_writer *w)
{
	int ret = state_sink_writer(sink, type, CHECKPOINT_SECTION_VERSION, 0, w);

	state_writer_free(w);
	return ret;
}

/* Count sections on their way to the file, for END0. */
struct counting_sink {
	struct state_sink *inner;
	uint64_t sections;
};

static int counting_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct counting_sink *cs = ctx;
	int ret = cs->inner->write(cs->inner->ctx, iov, iovcnt);

	if (ret == 0)
		cs->sections++;
	return ret;
}

static int checkpoint_write_stream(struct vm *vm, const struct server_config *cfg, struct state_sink *file,
				   struct checkpoint_result *result, char *err, size_t errlen)
{
	struct counting_sink cs = { file, 0 };
	struct state_sink sink = { counting_write, &cs, 0 };
	struct checkpoint_info info;
	struct checkpoint_end end;
	struct vm_save_stats stats;
	struct iovec magic = { CHECKPOINT_MAGIC, 8 };
	struct state_writer w;
	int ret = file->write(file->ctx, &magic, 1);

	checkpoint_info_fill(&info, cfg);
	state_writer_init(&w);
	checkpoint_header_encode(&info, &w);
	if (ret == 0)
		ret = write_framed(&sink, CHECKPOINT_HEADER_TYPE, &w);
	else
		state_writer_free(&w);
	if (ret < 0) {
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	ret = vm_save(vm, &sink, &stats, err, errlen);
	if (ret < 0)
		return ret;
	end = (struct checkpoint_end){ cs.sections, 8 + sink.bytes };
	state_writer_init(&w);
	checkpoint_end_encode(&end, &w);
	ret = write_framed(&sink, CHECKPOINT_END_TYPE, &w);
	if (ret < 0)
		snprintf(err, errlen, "%s", strerror(-ret));
	result->memory_pages = stats.memory_pages;
	result->zero_pages = stats.zero_pages;
	result->file_bytes = 8 + sink.bytes;
	return ret;
}

static int fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int checkpoint_file_create(const char *path, char *temp, size_t temp_len)
{
	int fd;

	if ((size_t)snprintf(temp, temp_len, "%s.tmp-XXXXXX", path) >= temp_len)
		return -ENAMETOOLONG;
	fd = mkostemp(temp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int checkpoint_file_commit(const char *temp, const char *path)
{
	if (rename(temp, path) < 0)
		return -errno;
	return fsync_dir_of(path);
}

/* Only an empty regular file open for writing: the VMM writes nowhere it was not meant to. */
static int check_target(int fd, char *err, size_t errlen)
{
	struct stat st;
	int flags = fcntl(fd, F_GETFL);

	if (fstat(fd, &st) < 0 || flags < 0) {
		snprintf(err, errlen, "the file passed: %s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != 0 || (flags & O_ACCMODE) == O_RDONLY || (flags & O_APPEND)) {
		snprintf(err, errlen, "the file passed is not an empty regular file open for writing");
		return -EINVAL;
	}
	return 0;
}

int checkpoint_write_fd(struct vm *vm, const struct server_config *cfg, int fd,
			const struct checkpoint_progress *progress, struct checkpoint_result *result, char *err,
			size_t errlen)
{
	uint64_t start = clock_monotonic_ns();
	struct file_sink fs = { .fd = fd, .next_progress = CHECKPOINT_PROGRESS_EVERY, .total = cfg->memory_bytes,
				.progress = progress };
	struct state_sink file = { file_sink_write, &fs, 0 };
	int ret;

	memset(result, 0, sizeof(*result));
	ret = check_target(fd, err, errlen);
	if (ret < 0)
		return ret;
	ret = checkpoint_write_stream(vm, cfg, &file, result, err, errlen);
	if (ret == 0 && fsync(fd) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fsync: %s", strerror(errno));
	}
	if (ret < 0)
		return ret;
	if (progress)
		progress->update(progress->ctx, fs.written, fs.written);
	result->elapsed_ns = clock_monotonic_ns() - start;
	return 0;
}
