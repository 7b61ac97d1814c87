/*
 * An action carried out by a thread of its own, so that the controller's
 * loop goes on (heartbeats, leadership) while a migration copies memory or
 * a BMC is read back. The loop records the intent before fleet_job_start
 * and the result once fleet_job_done says so; a job never touches the
 * store, so a controller that lost its lease cannot record what its jobs did
 * (the next leader finds the intent unfinished and looks).
 *
 *   migrate     define on the target (devices by model), receive there,
 *               migrate from the source, undefine on the source
 *   restart     define on the target (devices by model), start
 *   fence       BMC hard off, read back off
 *   power_off   the host must run no server; BMC soft off, hard off after a
 *               while, read back off
 *   power_on    BMC on, read back on, then the agent must answer within the
 *               wake deadline (else it is powered off again: wake_failed)
 *   wake_test   power_off, then power_on
 */
#ifndef SHEER_POWER_FLEET_FLEET_JOBS_H
#define SHEER_POWER_FLEET_FLEET_JOBS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_report.h"
#include "power/store/store.h"

/* Seconds a host's OS has to shut down after a soft off before it is switched off. */
#define FLEET_SOFT_OFF_S 20
/* Seconds a BMC has to read back a change it was asked for. */
#define FLEET_POWER_DEADLINE_S 60

struct fleet_job {
	struct fleet_action action;	/* as recorded (its id) */
	const struct fleet_host_config *from, *to;
	const char *tls_dir;
	unsigned int deadline_s;	/* migrate: the migration's; power_on, wake_test: the wake deadline */
	unsigned int port;		/* migrate: where the target receives */
	char *definition;		/* restart: the server's definition as its failed host had it (owned) */
	struct fleet_seen_server server;	/* restart: the server as its failed host last reported it */
	/* What it came to, once done. */
	enum fleet_result result;
	char detail[FLEET_TEXT_MAX];
	bool wake_failed;		/* power_on, wake_test: powered on, and the agent never answered */
	atomic_bool done;
	pthread_t thread;
	bool started;
};

/* Start j's thread; -errno when it could not start (then j is done, failed). */
int fleet_job_start(struct fleet_job *j);
/* Whether j is done (its thread joined then); its result and detail are then final. */
bool fleet_job_done(struct fleet_job *j);
void fleet_job_free(struct fleet_job *j);
/* Whether a definition asks for shared cores (dedicated_cores = no): a receive must ask for them too. */
bool fleet_definition_shared_cores(const char *text);

#endif
