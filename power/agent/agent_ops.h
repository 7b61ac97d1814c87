/* What the agent answers to each op (README, "Host agent", has the protocol). */
#ifndef SHEER_POWER_AGENT_AGENT_OPS_H
#define SHEER_POWER_AGENT_AGENT_OPS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "power/agent/agent_command.h"
#include "power/agent/agent_request.h"

struct agent_ops {
	struct agent_command_env env;
	uint64_t started_ns;		/* the agent's start, for ping's agent_uptime_s */
	pthread_mutex_t host_lock;	/* one host scan at a time: each walks every server and PCI device */
};

void agent_ops_init(struct agent_ops *ops, const char *tls_dir, const char *listen_host);
/* The answer to a checked request: {"ok": true, "op": ...} or an error; NULL only when out of memory. */
json_t *agent_ops_answer(struct agent_ops *ops, const struct agent_request *req);

#endif
