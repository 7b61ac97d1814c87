#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "passthru/host/assign.h"
#include "passthru/host/pci_driver.h"
#include "vmm/lib/parse.h"
#include "vmm/lib/private_dir.h"

int passthru_undo_claim(const struct passthru_env *env, const struct claim_store *store,
			const struct device_claim *claim)
{
	int ret;

	/* A device that is gone (a VF disabled since) has nothing to give back: only its record is left. */
	if (!host_fs_exists(&env->fs, PCI_SYSFS "/%s", claim->bdf))
		return claim_remove(store, claim->bdf);
	ret = pci_driver_restore(&env->fs, claim->bdf, claim->host_driver);

	/* A claim stays recorded until its device is really back, so the next attempt knows the driver. */
	return ret < 0 ? ret : claim_remove(store, claim->bdf);
}

int passthru_open_claims(const struct passthru_env *env, struct claim_store *store, char *err, size_t errlen)
{
	int ret = claim_store_open(store, env->run_dir);

	if (ret == 0)
		ret = claim_store_lock(store);
	if (ret < 0)
		snprintf(err, errlen, "run directory %.200s: %s", env->run_dir[0] ? env->run_dir : "(default)",
			 private_dir_problem(ret) ? private_dir_problem(ret) : strerror(-ret));
	return ret < 0 ? -EIO : 0;
}

static void report_undo_failure(const struct device_claim *claim, int ret, char *err, size_t errlen)
{
	snprintf(err, errlen, "device %s: cannot give it back to %s: %s", claim->bdf,
		 claim->host_driver[0] ? claim->host_driver : "the host", strerror(-ret));
}

int passthru_release_all(struct passthru_claims *claims, char *err, size_t errlen)
{
	struct claim_store store;
	int first = 0;

	if (claims->count == 0)
		return 0;
	if (passthru_open_claims(&claims->env, &store, err, errlen) < 0)
		return -EIO;
	while (claims->count > 0) {
		const struct device_claim *claim = &claims->claims[--claims->count];
		int ret = passthru_undo_claim(&claims->env, &store, claim);

		if (ret < 0 && first == 0) {
			report_undo_failure(claim, ret, err, errlen);
			first = -EIO;
		}
	}
	claim_store_close(&store);
	return first;
}

/* Does this claim go back now? (a predicate over the claim store's records) */
typedef bool (*claim_filter)(const struct passthru_env *env, const struct device_claim *claim, const void *ctx);

/*
 * Undo every claim the filter picks; the first failure goes to err and the
 * rest are still tried. Returns how many were undone, or -EIO.
 */
static int passthru_undo_where(const struct passthru_env *env, claim_filter pick, const void *ctx, char *err,
			       size_t errlen)
{
	struct claim_store store;
	struct name_list bdfs;
	int undone = 0, failed = 0, ret;

	if (passthru_open_claims(env, &store, err, errlen) < 0)
		return -EIO;
	ret = claim_list(&store, &bdfs);
	if (ret < 0)
		snprintf(err, errlen, "run directory %s: %s", store.dir, strerror(-ret));
	for (unsigned int i = 0; ret == 0 && i < bdfs.count; i++) {
		struct device_claim claim;
		int r;

		if (claim_read(&store, bdfs.names[i], &claim) < 0 || !pick(env, &claim, ctx))
			continue;
		r = passthru_undo_claim(env, &store, &claim);
		if (r < 0 && !failed++)
			report_undo_failure(&claim, r, err, errlen);
		else if (r == 0)
			undone++;
	}
	if (ret == 0)
		name_list_free(&bdfs);
	claim_store_close(&store);
	return ret < 0 || failed ? -EIO : undone;
}

static bool held_by(const struct passthru_env *env, const struct device_claim *claim, const void *ctx)
{
	(void)env;
	return claim->pid == *(const pid_t *)ctx;
}

int passthru_release_held(const struct passthru_env *env, pid_t holder, char *err, size_t errlen)
{
	int ret = passthru_undo_where(env, held_by, &holder, err, errlen);

	return ret < 0 ? ret : 0;
}

int passthru_release_one(const struct passthru_env *env, const char *bdf, pid_t holder, char *err, size_t errlen)
{
	struct device_claim claim;
	struct claim_store store;
	int ret;

	if (passthru_open_claims(env, &store, err, errlen) < 0)
		return -EIO;
	ret = claim_read(&store, bdf, &claim);
	if (ret < 0 || claim.pid != holder) {
		snprintf(err, errlen, "device %s: no claim of this server's on it", bdf);
		ret = -ENOENT;
	} else if ((ret = passthru_undo_claim(env, &store, &claim)) < 0) {
		report_undo_failure(&claim, ret, err, errlen);
		ret = -EIO;
	}
	claim_store_close(&store);
	return ret;
}

/* Which claim may `sheer release` undo? Only one whose holder is gone. */
static int releasable_claim(const struct passthru_env *env, const struct claim_store *store, const char *bdf,
			    struct device_claim *claim, char *err, size_t errlen)
{
	int ret = claim_read(store, bdf, claim);

	if (ret == -ENOENT) {
		snprintf(err, errlen, "device %s: no server claims it (nothing to release)", bdf);
		return -ENOENT;
	}
	if (ret < 0) {
		snprintf(err, errlen, "device %s: unreadable claim record in %s: %s", bdf, store->dir, strerror(-ret));
		return -EIO;
	}
	if (claim_is_live(&env->fs, claim)) {
		snprintf(err, errlen, "device %s: held by running server %s (pid %d); stop the server instead", bdf,
			 claim->holder, (int)claim->pid);
		return -EBUSY;
	}
	return 0;
}

int passthru_release_stale(const struct passthru_env *env, const char *bdf, char *err, size_t errlen)
{
	char canonical[PCI_BDF_LEN];
	struct device_claim claim;
	struct claim_store store;
	int ret;

	if (parse_pci_address(bdf, canonical, sizeof(canonical)) < 0) {
		snprintf(err, errlen, "device %.32s: not a PCI address", bdf);
		return -EINVAL;
	}
	if (passthru_open_claims(env, &store, err, errlen) < 0)
		return -EIO;
	ret = releasable_claim(env, &store, canonical, &claim, err, errlen);
	if (ret == 0 && (ret = passthru_undo_claim(env, &store, &claim)) < 0) {
		report_undo_failure(&claim, ret, err, errlen);
		ret = -EIO;
	}
	claim_store_close(&store);
	return ret;
}

static bool holder_gone(const struct passthru_env *env, const struct device_claim *claim, const void *ctx)
{
	(void)ctx;
	return !claim_is_live(&env->fs, claim);
}

int passthru_recover_stale_in(const struct passthru_env *env, char *err, size_t errlen)
{
	return passthru_undo_where(env, holder_gone, NULL, err, errlen);
}

int passthru_recover_stale(char *err, size_t errlen)
{
	struct passthru_env env;

	passthru_env_init(&env, NULL, NULL);
	return passthru_recover_stale_in(&env, err, errlen);
}
