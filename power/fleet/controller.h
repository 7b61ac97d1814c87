/*
 * The fleet controller, `sheer fleet serve` (README, "Fleet controller"): a
 * loop on a one-second tick that campaigns for leadership every tick; as
 * leader it first finishes or rolls back what an earlier leader left under
 * way, then keeps the hosts' heartbeats, fences a host that went silent and
 * restarts its servers elsewhere, and each interval plans with the policy
 * in force (its schedules) and carries the plan out: migrations within
 * their limits, empty hosts to sleep, sleeping hosts woken ahead of demand,
 * untrusted hosts' wakes tested. A controller that does not lead serves
 * reads. The files beside this one are its parts:
 *
 *   controller.c            opening, the tick, leadership
 *   controller_hosts.c      heartbeats and reports into host records and documents
 *   controller_jobs.c       an action's intent, its thread, its result and what follows
 *   controller_recover.c    unfinished actions after a new term
 *   controller_interval.c   one planning round
 *   controller_ha.c         fencing and restarting a failed host's servers
 *   controller_snapshot.c   what the endpoint and the metrics show
 *   fleet_api.c             the endpoint (HTTP, JSON) and /metrics
 */
#ifndef SHEER_POWER_FLEET_CONTROLLER_H
#define SHEER_POWER_FLEET_CONTROLLER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_jobs.h"
#include "power/fleet/fleet_poller.h"
#include "power/fleet/fleet_report.h"
#include "power/fleet/schedule.h"
#include "power/planner/power.h"
#include "power/store/store.h"

#define CONTROLLER_JOBS_MAX 256
#define CONTROLLER_ALERTS_MAX 32
#define CONTROLLER_HISTORY_SHOWN 200
#define CONTROLLER_LINE_MAX 512
#define CONTROLLER_HELD_MAX 64
#define CONTROLLER_HOLD_MIN_S 300
/* Ports a migration's target receives on: the agent's port plus this and the action id modulo the span. */
#define CONTROLLER_MIGRATION_PORT_OFFSET 100
#define CONTROLLER_MIGRATION_PORT_SPAN 100

struct controller_host {
	const struct fleet_host_config *cfg;
	struct fleet_poller poller;
	struct fleet_host rec;		/* its record as this controller last read or wrote it */
	struct fleet_report now, prev;	/* its two latest reports (empty until it answered) */
	uint64_t report_seq;
	int64_t heard_ms;		/* its last heartbeat (unix ms), 0 before */
	bool answering;			/* as last logged: a change is logged once */
	int bmc_ret;			/* its BMC's last read, as last logged: 0 or -errno */
	int bmc_on;			/* its BMC's last word: 1 on, 0 off, -1 unknown */
	bool failed;			/* silent past failure_timeout: being fenced, or fenced */
	bool fenced;			/* off, read back: its servers may run elsewhere */
	bool restarts_done;		/* fenced, and each of its servers runs elsewhere, is restarting or was alerted */
	int claimed_by;			/* a spare: the failed host it was given to, -1 for none */
	char (*restarted)[SERVER_NAME_MAX];	/* fenced: its servers whose restart was begun (never twice) */
	unsigned int n_restarted;
	int64_t failed_at;		/* order of failures: the spares' order */
	unsigned int busy;		/* actions on it under way */
	bool empty_alerted;		/* the "no room" alert for its servers was raised */
	char wake_test[160];		/* "", "running", "ok", "failed", "refused: why": what test-wake shows */
	uint64_t wake_test_seq;		/* the operator's request it answers (0: the controller's own) */
	int64_t heartbeat_written;	/* unix seconds of the last heartbeat_at written */
	int64_t changed_ms;		/* an action on it ended then: a report taken before shows what was */
};

struct controller_counters {
	uint64_t migrations_planned, migrations_done, migrations_failed;
	uint64_t actions_failed, alerts, power_offs, power_ons, fences, restarts;
};

/* A move that failed: the server is not sent to that host again before until (unix seconds). */
struct controller_held_move {
	char server[SERVER_NAME_MAX];
	int to;
	int64_t until;
};

struct controller {
	struct fleet_config *cfg;
	struct fleet_store *store;
	bool leading;
	uint64_t term;			/* of this controller's leadership, 0 when it does not lead */
	uint64_t recovered_term;	/* the term whose unfinished actions are settled */
	uint64_t recovering_term;	/* the term whose recovery began at recovery_since_ms */
	int64_t recovery_since_ms;	/* reports older than this do not tell where a server runs now */
	struct fleet_leader leader;	/* who leads, as the last campaign said */
	struct controller_host *hosts;
	unsigned int n_hosts;
	struct fleet_job *jobs[CONTROLLER_JOBS_MAX];
	unsigned int n_jobs;
	struct power_policy *planner;
	struct schedule_now sched;
	uint64_t interval;		/* the planning rounds done */
	int64_t next_interval;		/* unix seconds; 0: the first, once every host was heard */
	struct power_migration *queue;	/* the round's migrations still to start, by host and server name */
	char (*queue_names)[SERVER_NAME_MAX];
	unsigned int n_queue, started_round;
	json_t *plan;			/* the last plan and what became of it */
	struct controller_counters count;
	struct controller_held_move held[CONTROLLER_HELD_MAX];	/* the oldest replaced when full */
	char alerts[CONTROLLER_ALERTS_MAX][CONTROLLER_LINE_MAX];
	unsigned int n_alerts;		/* the newest CONTROLLER_ALERTS_MAX are kept */
	/* What the endpoint serves, rebuilt each tick, and what it asks of the loop. */
	pthread_mutex_t lock;
	json_t *shown;			/* {status, hosts, plan, history} */
	char *metrics;
	int test_wake;			/* a host index the operator asked a wake test of, -1 for none */
	uint64_t test_wake_seq;		/* the number of that request (the endpoint's answer names it) */
	int64_t leading_since;		/* unix seconds: silence is counted from then at the earliest */
	void *api, *metrics_api;	/* struct MHD_Daemon */
};

/* Load nothing: open the store and start the pollers and the endpoint of c (checked already). */
int controller_open(struct controller *ctl, struct fleet_config *c, char *err, size_t errlen);
/* Tick until a stop signal (blocked by the caller in stop); 0, or -errno of a failure that ends it. */
int controller_run(struct controller *ctl, const void *stop);
void controller_close(struct controller *ctl);

/* The parts' functions, each in its file. */
int64_t controller_now(void);
void controller_log(struct controller *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void controller_alert(struct controller *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int controller_host_index(const struct controller *ctl, const char *name);
void controller_hosts_take(struct controller *ctl);
int controller_host_write(struct controller *ctl, struct controller_host *h);
/* A job for an action of kind on server (or NULL) from and to hosts (or NULL), with its reason; NULL: no memory. */
struct fleet_job *controller_job_new(enum fleet_action_kind kind, const char *server,
				     const struct fleet_host_config *from, const struct fleet_host_config *to,
				     const char *reason);
/* The agent must answer within this after a power on, or the host failed to wake. */
unsigned int controller_wake_deadline(const struct controller *ctl);
void controller_power_on(struct controller *ctl, unsigned int host, const char *reason);
/* Record the intent of a (kind, names, reason set) and start j on it; j is the controller's then. */
int controller_job_start(struct controller *ctl, struct fleet_job *j);
void controller_jobs_reap(struct controller *ctl);
unsigned int controller_jobs_running(const struct controller *ctl, enum fleet_action_kind kind);
bool controller_recover(struct controller *ctl);
/* A failed migration of server to host to: held back for six intervals, CONTROLLER_HOLD_MIN_S at least. */
void controller_hold_move(struct controller *ctl, const char *server, int to);
bool controller_move_held(const struct controller *ctl, const char *server, int to);
void controller_interval(struct controller *ctl);
void controller_migrations_start(struct controller *ctl);
void controller_ha(struct controller *ctl);
void controller_test_wake(struct controller *ctl, unsigned int host, const char *reason);
void controller_snapshot(struct controller *ctl);
/* "on", "asleep", "failed" or "unknown". */
const char *controller_host_state(const struct controller_host *h);
char *controller_metrics_render(const struct controller *ctl);

#endif
