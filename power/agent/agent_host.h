/*
 * The agent's `host` op: what a controller needs to plan with this host.
 * Its CPUs and memory; every server, running (as `sheer exporter` reads
 * it: state, vCPUs, memory, the vCPUs' CPU time from schedstat, devices by
 * address and model) or defined and stopped (from its definition); and the
 * host's free assignable PCI devices with their model, as `sheer devices`
 * knows them, so that a server can be given devices by model.
 */
#ifndef SHEER_POWER_AGENT_AGENT_HOST_H
#define SHEER_POWER_AGENT_AGENT_HOST_H

#include <jansson.h>
#include <stddef.h>

/* The response's fields besides ok and op; NULL with err set. */
json_t *agent_host_report(char *err, size_t errlen);
/* This host's name, for ping and host. */
void agent_host_name(char *out, size_t outlen);

#endif
