/*
 * Checkpoint files: a paused logical server's whole state in one file, and
 * a new VM built from it. The format is in p2v/README.md: the magic
 * "SHEERCKP", then state sections (vmm/machine/state.h): a header "HDR0",
 * the machine's sections as vm_save() writes them, and "END0", which counts
 * what came before it so that a truncated file is never taken for whole.
 *
 * A file is written under a temporary name in the target directory,
 * fsynced and renamed, so FILE is either the old file, or the whole new one.
 */
#ifndef SHEER_P2V_CHECKPOINT_CHECKPOINT_H
#define SHEER_P2V_CHECKPOINT_CHECKPOINT_H

#include <stdint.h>

#include "vmm/vm/vm.h"

#define CHECKPOINT_MAGIC "SHEERCKP"
#define CHECKPOINT_FORMAT_VERSION 2	/* 2: the header lists the NICs */

/* What the header says: enough to place the server before its VM is built. */
struct checkpoint_info {
	uint32_t format_version;
	char sheer_version[16];
	char cpu_vendor[13];
	uint32_t cpu_features[5];	/* leaf 1 ecx, edx; leaf 7 ebx, ecx, edx */
	uint64_t created_unix;
	struct server_config cfg;	/* name, cpus, memory, kernel, initrd, cmdline as the server ran */
};

/*
 * A saved CPID section checked against what this host's KVM can give the
 * guest (-EBADMSG malformed, -ENOTSUP a missing feature; err says which);
 * then an empty VM built with it.
 */
int checkpoint_cpuid_check(const void *payload, size_t len, struct kvm_cpuid2 **guest, char *err, size_t errlen);
int checkpoint_vm_from_cpuid(const void *payload, size_t len, const struct server_config *cfg, struct vm **out,
			     char *err, size_t errlen);

/* This sheer, this host's CPU and cfg: the header of a checkpoint or of a migration stream. */
void checkpoint_info_fill(struct checkpoint_info *info, const struct server_config *cfg);

/* Called now and then while a file is written or read; done and total in bytes. */
struct checkpoint_progress {
	void (*update)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

struct checkpoint_result {
	uint64_t file_bytes;
	uint64_t memory_pages;	/* written */
	uint64_t zero_pages;	/* skipped */
	uint64_t elapsed_ns;
};

/*
 * Write paused vm (running as cfg) into fd, an empty regular file the VMM
 * was given (it opens nothing itself), and fsync it. On failure (err says
 * why; -ENOSPC, -EIO, ...) the VM is still paused and whole. progress may
 * be NULL.
 */
int checkpoint_write_fd(struct vm *vm, const struct server_config *cfg, int fd,
			const struct checkpoint_progress *progress, struct checkpoint_result *result, char *err,
			size_t errlen);

/*
 * The file's life on the side of whoever asks for a checkpoint, with its own
 * rights: an empty temporary file beside path (its name in temp) for the
 * VMM to fill; once written, renamed over path and the directory synced,
 * so a crash or a full disk never leaves half a checkpoint under path's name.
 */
int checkpoint_file_create(const char *path, char *temp, size_t temp_len);
int checkpoint_file_commit(const char *temp, const char *path);

/* Read and check path's magic and header. -EBADMSG (err says what is wrong) for anything but a good header. */
int checkpoint_read_info(const char *path, struct checkpoint_info *info, char *err, size_t errlen);

/*
 * Build a VM for cfg (the header's, renamed and placed by the caller) from
 * path. Every section is checked before the VM may run: a bad file is
 * -EBADMSG, a CPU this host cannot give the guest -ENOTSUP, with err naming
 * the section or feature; nothing is left behind then.
 */
int checkpoint_restore(const char *path, const struct server_config *cfg, const struct checkpoint_progress *progress,
		       struct vm **out, struct checkpoint_result *result, char *err, size_t errlen);

/* Parse a whole checkpoint image held in memory without building a VM (for the fuzzer): 0 or -EBADMSG. */
int checkpoint_parse(const uint8_t *data, size_t len, struct checkpoint_info *info, char *err, size_t errlen);

#endif
