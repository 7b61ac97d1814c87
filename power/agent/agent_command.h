/*
 * The ops the agent carries out through a sheer command: define, start,
 * stop, receive and migrate. Each is one fixed argv built from the
 * request's checked fields; receive and migrate carry the agent's own TLS
 * directory, so a migration stream is as authenticated as the agent.
 */
#ifndef SHEER_POWER_AGENT_AGENT_COMMAND_H
#define SHEER_POWER_AGENT_AGENT_COMMAND_H

#include <jansson.h>

#include "power/agent/agent_request.h"

#define AGENT_ARGV_MAX 16
#define AGENT_ARG_MAX 4200

/* What the commands need of the agent. */
struct agent_command_env {
	const char *tls_dir;
	const char *listen_host;	/* the agent's own address, numeric: a receive listens there */
};

struct agent_argv {
	char *argv[AGENT_ARGV_MAX + 1];		/* NULL-terminated, into words */
	char words[AGENT_ARGV_MAX][AGENT_ARG_MAX];
	unsigned int n;
	int error;
};

/*
 * The command of req, profile the file holding a define's text; -EINVAL for
 * an op that runs no command, or a word that does not fit.
 */
int agent_command_argv(const struct agent_request *req, const struct agent_command_env *env, const char *profile,
		       struct agent_argv *out);
/* Run req's command and answer with what it did: {"ok", "op", "name", "status", "output"|"result", "error"}. */
json_t *agent_command_run(const struct agent_request *req, const struct agent_command_env *env);

#endif
