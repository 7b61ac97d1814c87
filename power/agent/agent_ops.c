#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "power/agent/agent_host.h"
#include "power/agent/agent_ops.h"
#include "power/agent/agent_response.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/clock.h"
#include "vmm/server/definitions.h"

void agent_ops_init(struct agent_ops *ops, const char *tls_dir, const char *listen_host)
{
	ops->env = (struct agent_command_env){ tls_dir, listen_host };
	ops->started_ns = clock_monotonic_ns();
	pthread_mutex_init(&ops->host_lock, NULL);
}

/* The controller's heartbeat: which host, which sheer, and since when (a reboot shows as a smaller uptime). */
static json_t *answer_ping(const struct agent_ops *ops)
{
	struct sysinfo info;
	char host[256];

	agent_host_name(host, sizeof(host));
	if (sysinfo(&info) < 0)
		info.uptime = 0;
	return json_pack("{s:b, s:s, s:s, s:s, s:I, s:I}", "ok", 1, "op", "ping", "host", host, "version", SHEER_VERSION,
			 "uptime_s", (json_int_t)info.uptime, "agent_uptime_s",
			 (json_int_t)((clock_monotonic_ns() - ops->started_ns) / 1000000000ull));
}

static json_t *answer_host(struct agent_ops *ops)
{
	char err[512];
	json_t *report, *answer;

	pthread_mutex_lock(&ops->host_lock);
	report = agent_host_report(err, sizeof(err));
	pthread_mutex_unlock(&ops->host_lock);
	if (!report)
		return agent_response_error("host", false, "host: %s", err);
	answer = json_pack("{s:b, s:s}", "ok", 1, "op", "host");
	if (answer && json_object_update(answer, report) < 0) {
		json_decref(answer);
		answer = NULL;
	}
	json_decref(report);
	return answer;
}

/* The definition file's text, at most AGENT_DEFINITION_MAX bytes of UTF-8. */
static json_t *answer_definition(const struct agent_request *req)
{
	struct definitions defs;
	char path[PATH_MAX], *text = malloc(AGENT_DEFINITION_MAX + 1);
	size_t len = 0;
	FILE *file = NULL;
	json_t *answer, *value = NULL;

	if (!text)
		return NULL;
	if (definitions_open(&defs) == 0 && definitions_path(&defs, req->name, path, sizeof(path)) == 0)
		file = fopen(path, "re");
	if (file) {
		len = fread(text, 1, AGENT_DEFINITION_MAX + 1, file);
		fclose(file);
	}
	if (file && len <= AGENT_DEFINITION_MAX)
		value = json_stringn(text, len);
	if (value)
		answer = json_pack("{s:b, s:s, s:s, s:o}", "ok", 1, "op", "definition", "name", req->name, "text", value);
	else if (!file)
		answer = agent_response_error("definition", true, "%s: not defined ('define' defines it)", req->name);
	else
		answer = agent_response_error("definition", false, "%s: its definition is over %d bytes or not UTF-8",
					      req->name, AGENT_DEFINITION_MAX);
	free(text);
	return answer;
}

json_t *agent_ops_answer(struct agent_ops *ops, const struct agent_request *req)
{
	switch (req->op) {
	case AGENT_PING:
		return answer_ping(ops);
	case AGENT_HOST:
		return answer_host(ops);
	case AGENT_DEFINITION:
		return answer_definition(req);
	default:
		return agent_command_run(req, &ops->env);
	}
}
