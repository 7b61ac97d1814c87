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

void host_report_run(const struct host_fs *fs, struct host_report *report);
bool host_report_ready(const struct host_report *report);
const char *host_check_level_name(enum host_check_level level);

int cmd_host(int argc, char **argv);	/* iommu/host_cmd.c */

#endif
