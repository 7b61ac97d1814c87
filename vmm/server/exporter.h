/*
 * What `sheer exporter` serves: the Prometheus exposition of every server
 * on this host (vmm/server/metrics.h). Each running server is asked for its
 * status on its control socket; its vCPUs' CPU time is read from
 * /proc/VMM/task/TID/schedstat, which the confined VMM cannot read itself.
 * A defined server that is not running is there too, as sheer_up 0.
 */
#ifndef SHEER_VMM_SERVER_EXPORTER_H
#define SHEER_VMM_SERVER_EXPORTER_H

#include <stddef.h>

#define EXPORTER_DEFAULT_LISTEN "127.0.0.1:9734"

struct server_metrics;

/*
 * Every server of this host: the running ones as they answered (up false
 * for one that did not), with their vCPUs' CPU time, then the defined ones
 * that are stopped (name only). *servers is for free().
 */
int exporter_collect(struct server_metrics **servers, size_t *n, char *err, size_t errlen);
/* The exposition text (free it), or NULL with err set. */
char *exporter_scrape(char *err, size_t errlen);

#endif
