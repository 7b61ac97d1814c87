/*
 * `sheer host check`: is this host ready to run logical servers with
 * assigned devices, for the user asking? Each check gives ok/warn/fail, what
 * it saw, and for a problem the remedy an operator can apply.
 */
#ifndef SHEER_IOMMU_HOST_CHECK_H
#define SHEER_IOMMU_HOST_CHECK_H

#include <stdbool.h>

#include "iommu/host_fs.h"

enum host_check_level {
	HOST_CHECK_OK,
	HOST_CHECK_WARN,	/* works, but worse than it could */
	HOST_CHECK_FAIL,	/* device assignment cannot work */
};

struct host_check {
	const char *name;
	enum host_check_level level;
	char detail[192];
	char remedy[192];	/* "" when there is nothing to do */
};

#define HOST_CHECK_MAX 12

struct host_report {
	unsigned int count;
	struct host_check checks[HOST_CHECK_MAX];
};

/*
 * What the kernel answered when asked about seccomp filters, which sheer run puts every VMM
 * thread under (vmm/sandbox): 0, or the errno of the probe that failed. Kept apart from the
 * verdict so that tests can give any answer.
 */
struct seccomp_probe {
	int mode;		/* prctl(PR_GET_SECCOMP): 2 when this process is already filtered */
	int mode_errno;		/* EINVAL: a kernel without CONFIG_SECCOMP */
	int filter_errno;	/* installing a NULL filter: EFAULT is the answer of a kernel that filters */
	int trap_errno;		/* SECCOMP_GET_ACTION_AVAIL for SECCOMP_RET_TRAP, the action sheer's filters take */
};

void seccomp_probe_run(struct seccomp_probe *probe);
/* The "seccomp" check from a probe's answers. */
void host_check_seccomp(struct host_report *report, const struct seccomp_probe *probe);

/* Every check, /dev/kvm and the rest read under fs's root, seccomp from this kernel. */
void host_report_run(const struct host_fs *fs, struct host_report *report);
bool host_report_ready(const struct host_report *report);
const char *host_check_level_name(enum host_check_level level);

int cmd_host(int argc, char **argv);	/* iommu/host_cmd.c */

#endif
