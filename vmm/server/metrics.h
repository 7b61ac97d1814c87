/*
 * Servers' counters in the Prometheus text exposition format, version 0.0.4
 * (GET /v1/metrics on a control socket; a host-wide exporter renders every
 * server of the host at once): each family's # HELP and # TYPE once, then
 * the samples of every server under it, labelled server="NAME" (and vcpu=,
 * kind=, state=, result= where they apply). Names follow Prometheus'
 * conventions: the sheer_ prefix, base units (seconds, bytes), _total on
 * counters.
 */
#ifndef SHEER_VMM_SERVER_METRICS_H
#define SHEER_VMM_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/server/control.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct server_metrics {
	char name[SERVER_NAME_MAX];
	bool up;	/* its VMM answered; false: only sheer_up (0) is rendered for it */
	bool running;	/* registered on this host (up or not); false: defined and stopped */
	struct control_status status;
	/* CPU time of each vCPU thread, read by the host (the VMM cannot read /proc); false: not known. */
	bool has_vcpu_seconds;
	double vcpu_seconds[SERVER_MAX_CPUS];
};

/* A server that answered with status. */
void server_metrics_from_status(struct server_metrics *m, const struct control_status *status);
/* The exposition of n servers, NUL-terminated, for free(); NULL when out of memory. */
char *metrics_render(const struct server_metrics *servers, size_t n);

#endif
