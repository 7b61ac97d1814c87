/*
 * One thread per host that keeps what the controller knows of it fresh
 * without holding up the controller's loop (an agent that does not answer
 * costs its own thread the wait): a heartbeat (`ping`) every ping_s, a
 * `host` report every report_s or when asked, the definition of each
 * server that appears on the host, and its BMC's power state every
 * FLEET_BMC_POLL_S (so a host that is off is told from one that failed, and
 * refused credentials show before they are needed). The controller takes
 * copies.
 */
#ifndef SHEER_POWER_FLEET_FLEET_POLLER_H
#define SHEER_POWER_FLEET_FLEET_POLLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_report.h"

#define FLEET_POLL_ERROR_MAX 1024
#define FLEET_BMC_POLL_S 10

struct fleet_definition {
	char name[SERVER_NAME_MAX];
	char *text;
};

struct fleet_poll_status {
	int64_t heard_ms;		/* the last heartbeat answered, unix ms; 0 never */
	bool answering;			/* the last attempt was answered */
	char error[FLEET_POLL_ERROR_MAX];	/* why the last one was not */
	uint64_t report_seq;		/* grows with each new report */
	int bmc_on;			/* the BMC's last word: 1 on, 0 off, -1 not asked or no answer */
	int bmc_ret;			/* the last BMC read: 0 or -errno (-EACCES: credentials refused) */
	char bmc_error[FLEET_POLL_ERROR_MAX];
};

struct fleet_poller {
	const struct fleet_host_config *host;
	const char *tls_dir;
	unsigned int ping_s, report_s;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_bool want_report;
	pthread_mutex_t lock;		/* guards what follows */
	struct fleet_poll_status status;
	struct fleet_report now, prev;
	char *now_text;			/* the report as the store keeps it */
	struct fleet_definition *defs;	/* fetched, not yet taken */
	unsigned int n_defs;
};

int fleet_poller_start(struct fleet_poller *p, const struct fleet_host_config *host, const char *tls_dir,
		       unsigned int ping_s, unsigned int report_s);
void fleet_poller_stop(struct fleet_poller *p);
void fleet_poller_status(struct fleet_poller *p, struct fleet_poll_status *out);
/* Ask for a report now (a round starts). */
void fleet_poller_want_report(struct fleet_poller *p);
/*
 * When a report newer than *seq was taken: copies of it and the one before
 * (prev may be empty), its stored text (malloc'd, or NULL), *seq moved on;
 * false when there is none newer.
 */
bool fleet_poller_report(struct fleet_poller *p, uint64_t *seq, struct fleet_report *now, struct fleet_report *prev,
			 char **text);
/* The definitions fetched since the last call (the caller frees each text and the array); how many. */
unsigned int fleet_poller_definitions(struct fleet_poller *p, struct fleet_definition **out);

#endif
