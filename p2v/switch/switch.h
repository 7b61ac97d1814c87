/*
 * Switching a server between logical and physical: the same disk (a LUN
 * both sides reach) runs either as a logical server on this host (boot =
 * disk) or on a physical server, powered through its BMC. The two sides
 * never run at once: the target starts only once the source is confirmed off
 * (logical: its supervisor has exited, so the VMM is gone and its devices
 * are back on their host drivers; physical: its BMC reads back "off"). If
 * the target does not come up, the source is started again (rollback).
 *
 * Each step is recorded with its start and length, so an operator (and the
 * lab's checks) can see when the source stopped and when the target began.
 */
#ifndef SHEER_P2V_SWITCH_SWITCH_H
#define SHEER_P2V_SWITCH_SWITCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "power/physical/inventory.h"
#include "vmm/server/registry.h"

#define SWITCH_STEPS_MAX 16
#define SWITCH_DEFAULT_TIMEOUT_S 120
#define SWITCH_POWEROFF_WAIT_S 30	/* after a forced power-off, for the BMC or the VMM to settle */

enum switch_direction { SWITCH_TO_PHYSICAL, SWITCH_TO_LOGICAL };

struct switch_request {
	enum switch_direction direction;
	char logical[SERVER_NAME_MAX];	/* the logical server's name */
	char profile[PATH_MAX];		/* what starts it (to logical: given; to physical: its registry entry's) */
	struct physical_server physical;	/* with its BMC password loaded */
	unsigned int timeout_s;		/* for the source's shutdown, and for the target to come up */
	bool dry_run;			/* check and plan only */
	const char *sheer_path;		/* the program that runs `sheer run PROFILE` */
	long long supervisor;		/* to physical: the `sheer run` its registry entry names */
};

struct switch_step {
	char name[32];		/* "guest-shutdown", "bmc-power-on", ... */
	char detail[320];
	double start_s, seconds;	/* from the switch's start */
	bool ok;
};

struct switch_record {
	struct timespec started_at;	/* wall clock, at the start */
	uint64_t started_ns;		/* clock_monotonic_ns() at the start */
	unsigned int n_steps;
	struct switch_step steps[SWITCH_STEPS_MAX];
	double source_off_s;	/* when the source was confirmed off; -1: never */
	double target_on_s;	/* when the target was started; -1: never */
	const char *outcome;	/* "planned", "switched", "rolled back", "failed" */
	pid_t logical_pid;	/* to logical: the `sheer run` started, still running */
	bool changed;		/* a server or BMC was acted on: from then on a failure is not a refusal */
	void (*on_step)(const struct switch_step *step, void *ctx);	/* each step as it ends */
	void *ctx;
};

void switch_record_init(struct switch_record *rec);

/*
 * Run the switch, one at a time per server (NAME.switch in the registry's
 * folder is locked meanwhile). 0: the target runs. Otherwise err says what
 * happened; while rec->changed is false nothing was touched (-EINVAL,
 * -ENOENT, -EBUSY for a target already running or a switch under way,
 * -EACCES from a BMC are refusals), else it says whether the source runs again.
 */
int switch_run(const struct switch_request *req, struct registry *registry, struct switch_record *rec, char *err,
	       size_t errlen);

#endif
