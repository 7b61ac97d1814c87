/* One checked request to a host's agent (fleet_agent.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "power/agent/agent_client.h"
#include "power/fleet/fleet_agent.h"

void fleet_endpoint_format(const struct fleet_endpoint *e, char *out, size_t len)
{
	bool v6 = strchr(e->host, ':') != NULL;

	snprintf(out, len, "%s%s%s:%u", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port);
}

int fleet_agent_call(const struct fleet_host_config *host, const char *tls_dir, const struct agent_request *req,
		     unsigned int timeout_s, json_t **answer, char *err, size_t errlen)
{
	struct agent_client client;
	char addr[AGENT_HOST_MAX + 16], why[1024];
	int ret;

	*answer = NULL;
	fleet_endpoint_format(&host->address, addr, sizeof(addr));
	ret = agent_client_connect(&client, addr, tls_dir, why, sizeof(why));
	if (ret == 0)
		ret = agent_client_call(&client, req, timeout_s, answer, why, sizeof(why));
	agent_client_close(&client);
	if (ret == 0 && !json_is_true(json_object_get(*answer, "ok"))) {
		ret = json_is_true(json_object_get(*answer, "refused")) ? -EINVAL : -EIO;
		snprintf(why, sizeof(why), "agent %s: %s: %s", addr, agent_op_name(req->op),
			 json_string_value(json_object_get(*answer, "error")));
		json_decref(*answer);
		*answer = NULL;
	}
	if (ret < 0)
		snprintf(err, errlen, "host %s: %s", host->name, why);
	return ret;
}

int fleet_agent_call_named(const struct fleet_host_config *host, const char *tls_dir, enum agent_op op,
			   const char *name, json_t **answer, char *err, size_t errlen)
{
	static const struct agent_request zero;
	struct agent_request req = zero;

	req.op = op;
	snprintf(req.name, sizeof(req.name), "%s", name);
	if (op == AGENT_STOP)
		req.timeout_s = AGENT_STOP_TIMEOUT_DEFAULT_S;
	return fleet_agent_call(host, tls_dir, &req, 0, answer, err, errlen);
}
