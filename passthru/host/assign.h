/*
 * Handing PCI devices to a logical server and taking them back.
 *
 * passthru_claim() checks every device of the server first (IOMMU present,
 * interrupt remapping, not used by the host, not held by another server, a
 * viable IOMMU group) and refuses with nothing changed; only then it records
 * a claim per device and binds each to vfio-pci. passthru_release_all() gives
 * them back to their host drivers when the server stops; claims left behind
 * by a killed VMM are undone by passthru_recover_stale() or `sheer release`.
 */
#ifndef SHEER_PASSTHRU_HOST_ASSIGN_H
#define SHEER_PASSTHRU_HOST_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "passthru/host/claim.h"
#include "vmm/lib/report.h"
#include "vmm/machine/config.h"

/* Where assignment looks (the host's sysfs) and records (the run directory). */
struct passthru_env {
	struct host_fs fs;
	char run_dir[PATH_MAX];		/* "": $SHEER_RUN_DIR or /run/sheer */
	const struct report *report;	/* warnings (host-wide changes); NULL: nowhere */
};

struct passthru_claims {
	struct passthru_env env;
	unsigned int count;
	struct device_claim claims[SERVER_MAX_DEVICES];
};

/* sys_root and run_dir NULL: the real host and the default run directory. */
int passthru_env_init(struct passthru_env *env, const char *sys_root, const char *run_dir);

/*
 * Claim cfg->devices for cfg->name, held by the calling process. 0 on success
 * (out lists the claims); a negative errno and one line in err otherwise, with
 * the host left as it was. passthru_error_is_refusal() tells a refused request
 * (exit status 2) from a failure while binding (exit status 1).
 */
int passthru_claim(const struct server_config *cfg, const struct report *report, struct passthru_claims *out,
		   char *err, size_t errlen);
int passthru_claim_in(const struct passthru_env *env, const struct server_config *cfg, pid_t holder,
		      struct passthru_claims *out, char *err, size_t errlen);
bool passthru_error_is_refusal(int ret);

/* Give every claimed device back to its host driver; the first problem goes to err. */
int passthru_release_all(struct passthru_claims *claims, char *err, size_t errlen);

/*
 * Every device claimed by process holder back to its host driver: what a
 * server's supervisor holds when the server ends, the devices hot-plugged
 * into it since (their claims name it) included.
 */
int passthru_release_held(const struct passthru_env *env, pid_t holder, char *err, size_t errlen);
/* One device claimed by holder (hot-unplugged from its server) back to its host driver. */
int passthru_release_one(const struct passthru_env *env, const char *bdf, pid_t holder, char *err, size_t errlen);
/* `sheer release BDF`: undo a claim whose holder is gone; refused while the holder runs. */
int passthru_release_stale(const struct passthru_env *env, const char *bdf, char *err, size_t errlen);

/* Give one claimed device back to its host driver, then drop the record. */
/* The claim store under env->run_dir, open and locked; -EIO with err naming the directory's problem. */
int passthru_open_claims(const struct passthru_env *env, struct claim_store *store, char *err, size_t errlen);
int passthru_undo_claim(const struct passthru_env *env, const struct claim_store *store,
			const struct device_claim *claim);

/* Undo every claim whose holder is gone; returns how many, or a negative errno. */
int passthru_recover_stale(char *err, size_t errlen);
int passthru_recover_stale_in(const struct passthru_env *env, char *err, size_t errlen);

#endif
