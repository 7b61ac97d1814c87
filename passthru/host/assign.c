#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommu/groups.h"
#include "iommu/host_use.h"
#include "iommu/platform.h"
#include "passthru/host/assign.h"
#include "passthru/host/pci_driver.h"
#include "vmm/lib/parse.h"

/* What the checks learned about one device, for the binding that follows. */
struct assign_plan {
	unsigned int count;
	char bdfs[SERVER_MAX_DEVICES][PCI_BDF_LEN];
	const char *bdf_refs[SERVER_MAX_DEVICES];
	char host_driver[SERVER_MAX_DEVICES][PCI_DRIVER_LEN];
};

/* Describe the problem in err, once, and return ret: the caller reports it at the edge. */
static int fail_with(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_with(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int passthru_env_init(struct passthru_env *env, const char *sys_root, const char *run_dir)
{
	int ret = host_fs_init(&env->fs, sys_root);

	env->report = NULL;
	return ret < 0 ? ret : copy_string(env->run_dir, sizeof(env->run_dir), run_dir ? run_dir : "");
}

bool passthru_error_is_refusal(int ret)
{
	return ret == -EINVAL || ret == -ENODEV || ret == -EPERM || ret == -EBUSY || ret == -ENOENT;
}

static int check_platform(const struct passthru_env *env, const struct server_config *cfg, const char *first,
			  char *err, size_t errlen)
{
	struct iommu_platform platform;

	iommu_platform_probe(&env->fs, &platform);
	if (platform.vendor == IOMMU_VENDOR_NONE && !iommu_platform_enabled(&platform))
		return fail_with(err, errlen, -EPERM, "device %s: the host has no IOMMU (no ACPI DMAR or IVRS table)",
			      first);
	if (!iommu_platform_enabled(&platform))
		return fail_with(err, errlen, -EPERM, "device %s: the host's IOMMU is off (boot with %s)", first,
			      iommu_platform_enable_parameter(&platform));
	if (!platform.irq_remapping && !cfg->allow_unsafe_interrupts)
		return fail_with(err, errlen, -EPERM,
			      "device %s: the host has no interrupt remapping (%s); allow_unsafe_interrupts = yes "
			      "assigns anyway", first, platform.irq_remapping_evidence);
	return 0;
}

static int plan_addresses(const struct server_config *cfg, struct assign_plan *plan, char *err, size_t errlen)
{
	plan->count = 0;
	for (unsigned int i = 0; i < cfg->n_devices && i < SERVER_MAX_DEVICES; i++) {
		char *bdf = plan->bdfs[plan->count];

		if (parse_pci_address(cfg->devices[i].pci, bdf, PCI_BDF_LEN) < 0)
			return fail_with(err, errlen, -EINVAL, "device %.32s: not a PCI address", cfg->devices[i].pci);
		for (unsigned int j = 0; j < plan->count; j++)
			if (strcmp(plan->bdfs[j], bdf) == 0)
				return fail_with(err, errlen, -EINVAL, "device %s: given twice", bdf);
		plan->bdf_refs[plan->count++] = bdf;
	}
	return 0;
}

/* A live claim by anyone is a refusal; a stale one still knows the device's real host driver. */
static int check_claim(const struct passthru_env *env, const struct claim_store *store, const struct pci_function *fn,
		       char *host_driver, char *err, size_t errlen)
{
	struct device_claim claim;
	int ret = claim_read(store, fn->bdf, &claim);

	if (ret == -ENOENT)
		return copy_string(host_driver, PCI_DRIVER_LEN, fn->driver);
	if (ret < 0)
		return fail_with(err, errlen, -EIO, "device %s: unreadable claim record in %s: %s", fn->bdf, store->dir,
			      strerror(-ret));
	if (claim_is_live(&env->fs, &claim))
		return fail_with(err, errlen, -EBUSY, "device %s: held by server %s (pid %d)", fn->bdf, claim.holder,
			      (int)claim.pid);
	return copy_string(host_driver, PCI_DRIVER_LEN, claim.host_driver);
}

static int check_host_use(const struct passthru_env *env, const struct pci_function *fn, bool force, char *err,
			  size_t errlen)
{
	char reason[512];
	int used = force ? 0 : host_use_of_device(&env->fs, fn->bdf, reason, sizeof(reason));

	if (used < 0)
		return fail_with(err, errlen, used, "device %s: cannot tell whether the host uses it: %s", fn->bdf,
			      strerror(-used));
	if (used)
		return fail_with(err, errlen, -EPERM, "device %s: the host uses it: %s (force = yes assigns anyway)",
			      fn->bdf, reason);
	return 0;
}

/* Another server's device in the same group: VFIO opens a group for one container only. */
static int check_group_claims(const struct passthru_env *env, const struct claim_store *store,
			      const struct iommu_group *group, const struct assign_plan *plan, const char *bdf,
			      char *err, size_t errlen)
{
	struct bdf_set handing_over = { plan->count, plan->bdf_refs };

	for (unsigned int i = 0; i < group->count; i++) {
		const struct pci_function *member = &group->members[i];
		struct device_claim claim;

		if (bdf_set_contains(&handing_over, member->bdf) || claim_read(store, member->bdf, &claim) < 0)
			continue;
		if (claim_is_live(&env->fs, &claim))
			return fail_with(err, errlen, -EBUSY, "device %s: IOMMU group %d is held by server %s (through %s)",
				      bdf, group->number, claim.holder, member->bdf);
	}
	return 0;
}

static int check_group(const struct passthru_env *env, const struct claim_store *store, const struct pci_function *fn,
		       const struct assign_plan *plan, char *err, size_t errlen)
{
	struct bdf_set handing_over = { plan->count, plan->bdf_refs };
	struct iommu_group group;
	char blockers[512];
	int ret, count;

	if (fn->iommu_group < 0)
		return fail_with(err, errlen, -EPERM, "device %s: not behind the IOMMU (no IOMMU group)", fn->bdf);
	ret = iommu_group_read(&env->fs, fn->iommu_group, &group);
	if (ret < 0)
		return fail_with(err, errlen, ret == -E2BIG ? -EPERM : ret, "device %s: IOMMU group %d: %s", fn->bdf,
			      fn->iommu_group, strerror(-ret));
	count = iommu_group_blockers(&group, &handing_over, blockers, sizeof(blockers));
	if (count)
		return fail_with(err, errlen, -EBUSY, "device %s: IOMMU group %d is not viable: %s %s in use by the host",
			      fn->bdf, group.number, blockers, count == 1 ? "is" : "are");
	return check_group_claims(env, store, &group, plan, fn->bdf, err, errlen);
}

/* Every check, for every device, before anything on the host changes. */
static int check_devices(const struct passthru_env *env, const struct claim_store *store,
			 const struct server_config *cfg, struct assign_plan *plan, char *err, size_t errlen)
{
	int ret = plan_addresses(cfg, plan, err, errlen);

	if (ret == 0 && plan->count)
		ret = check_platform(env, cfg, plan->bdfs[0], err, errlen);
	for (unsigned int i = 0; ret == 0 && i < plan->count; i++) {
		struct pci_function fn;

		ret = pci_function_read(&env->fs, plan->bdfs[i], &fn);
		if (ret < 0)
			return fail_with(err, errlen, ret == -ENODEV ? -ENODEV : -EIO, "device %s: %s", plan->bdfs[i],
				      ret == -ENODEV ? "no such PCI device on this host" : strerror(-ret));
		ret = check_claim(env, store, &fn, plan->host_driver[i], err, errlen);
		if (ret == 0)
			ret = check_host_use(env, &fn, cfg->devices[i].force, err, errlen);
		if (ret == 0)
			ret = check_group(env, store, &fn, plan, err, errlen);
	}
	return ret;
}

static void roll_back(const struct passthru_env *env, const struct claim_store *store, struct passthru_claims *out)
{
	while (out->count > 0)
		passthru_undo_claim(env, store, &out->claims[--out->count]);
}

/*
 * allow_unsafe_interrupts = yes on a host without interrupt remapping must
 * reach VFIO too, and what it changes is host-wide: say so.
 */
static int allow_unsafe_interrupts(const struct passthru_env *env, const struct server_config *cfg,
				   const char *first, char *err, size_t errlen)
{
	struct iommu_platform platform;
	int ret;

	if (!cfg->allow_unsafe_interrupts)
		return 0;
	iommu_platform_probe(&env->fs, &platform);
	if (platform.irq_remapping)
		return 0;
	report_warn(env->report, "%s: no interrupt remapping on this host: allowing unsafe interrupts "
		    "for VFIO host-wide (vfio_iommu_type1 allow_unsafe_interrupts)", cfg->name);
	ret = pci_driver_allow_unsafe_interrupts(&env->fs);
	if (ret < 0)
		return fail_with(err, errlen, -EIO, "device %s: cannot allow unsafe interrupts in vfio_iommu_type1: %s",
				 first, strerror(-ret));
	return 0;
}

/* The record goes first: a VMM killed between the two steps leaves a claim to undo. */
static int bind_devices(const struct passthru_env *env, const struct claim_store *store,
			const struct server_config *cfg, pid_t holder, const struct assign_plan *plan,
			struct passthru_claims *out, char *err, size_t errlen)
{
	int ret = pci_driver_load_vfio_pci(&env->fs);

	if (ret < 0)
		return fail_with(err, errlen, -EIO, "device %s: cannot load vfio-pci (modprobe vfio-pci): %s",
			      plan->bdfs[0], strerror(-ret));
	ret = allow_unsafe_interrupts(env, cfg, plan->bdfs[0], err, errlen);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < plan->count; i++) {
		struct device_claim *claim = &out->claims[out->count];

		memset(claim, 0, sizeof(*claim));
		strcpy(claim->bdf, plan->bdfs[i]);
		strcpy(claim->host_driver, plan->host_driver[i]);
		ret = claim_set_holder(&env->fs, claim, cfg->name, holder);
		if (ret == 0)
			ret = claim_write(store, claim);
		if (ret < 0) {
			roll_back(env, store, out);
			return fail_with(err, errlen, -EIO, "device %s: cannot record the claim in %s: %s", claim->bdf,
				      store->dir, strerror(-ret));
		}
		out->count++;
		ret = pci_driver_bind_vfio(&env->fs, claim->bdf);
		if (ret < 0) {
			roll_back(env, store, out);
			return fail_with(err, errlen, -EIO, "device %s: cannot bind it to vfio-pci: %s", plan->bdfs[i],
				      strerror(-ret));
		}
	}
	return 0;
}

int passthru_claim_in(const struct passthru_env *env, const struct server_config *cfg, pid_t holder,
		      struct passthru_claims *out, char *err, size_t errlen)
{
	struct assign_plan plan;
	struct claim_store store;
	int ret;

	out->env = *env;
	out->count = 0;
	if (cfg->n_devices == 0)
		return 0;
	ret = passthru_open_claims(env, &store, err, errlen);
	if (ret < 0)
		return ret;
	ret = check_devices(env, &store, cfg, &plan, err, errlen);
	if (ret == 0)
		ret = bind_devices(env, &store, cfg, holder, &plan, out, err, errlen);
	claim_store_close(&store);
	return ret;
}

int passthru_claim(const struct server_config *cfg, const struct report *report, struct passthru_claims *out,
		   char *err, size_t errlen)
{
	struct passthru_env env;

	passthru_env_init(&env, NULL, NULL);
	env.report = report;
	return passthru_claim_in(&env, cfg, getpid(), out, err, errlen);
}
