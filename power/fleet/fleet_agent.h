/*
 * One request to a host's agent on a connection of its own (so that a
 * worker thread and the host's poller never share one), its answer checked
 * by the client. A failure is one line naming the host and the agent.
 */
#ifndef SHEER_POWER_FLEET_FLEET_AGENT_H
#define SHEER_POWER_FLEET_FLEET_AGENT_H

#include <jansson.h>
#include <stddef.h>

#include "power/agent/agent_request.h"
#include "power/fleet/fleet_config.h"

/* HOST:PORT of an endpoint as the client takes it ([v6]:PORT). */
void fleet_endpoint_format(const struct fleet_endpoint *e, char *out, size_t len);
/*
 * req to host's agent, waiting timeout_s at most (0: the op's bound and the
 * client's margin): 0 and *answer (the caller's to json_decref) when the
 * agent did it; -EINVAL when it refused (nothing changed), -EIO when the op
 * failed there, or the client's error (unreachable, no answer, bad answer);
 * err says which, naming the host.
 */
int fleet_agent_call(const struct fleet_host_config *host, const char *tls_dir, const struct agent_request *req,
		     unsigned int timeout_s, json_t **answer, char *err, size_t errlen);
/* The same for an op about one server: name (and the request's other fields zero). */
int fleet_agent_call_named(const struct fleet_host_config *host, const char *tls_dir, enum agent_op op,
			   const char *name, json_t **answer, char *err, size_t errlen);

#endif
