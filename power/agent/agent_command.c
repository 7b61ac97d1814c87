#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/agent/agent_command.h"
#include "power/agent/agent_exec.h"
#include "vmm/lib/fd_write.h"

/* The agent answers within agent_request_deadline_s(); the command gets this much less, for the answer itself. */
#define COMMAND_ANSWER_MARGIN_S 5

/* One more word; once one does not fit, the others are not added and out->error says so. */
static void arg_add(struct agent_argv *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(struct agent_argv *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->error || out->n == AGENT_ARGV_MAX) {
		out->error = -EINVAL;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(out->words[out->n], sizeof(out->words[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out->words[0])) {
		out->error = -EINVAL;
		return;
	}
	out->argv[out->n] = out->words[out->n];
	out->argv[++out->n] = NULL;
}

/* tcp:HOST:PORT, an IPv6 address in brackets. */
static void arg_tcp(struct agent_argv *out, const char *host, unsigned int port)
{
	bool v6 = strchr(host, ':') && host[0] != '[';

	arg_add(out, "tcp:%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

int agent_command_argv(const struct agent_request *req, const struct agent_command_env *env, const char *profile,
		       struct agent_argv *out)
{
	out->n = 0;
	out->error = 0;
	arg_add(out, "sheer");
	arg_add(out, "%s", agent_op_name(req->op));
	switch (req->op) {
	case AGENT_DEFINE:
		if (req->replace)
			arg_add(out, "--replace");
		arg_add(out, "%s", profile);
		break;
	case AGENT_START:
	case AGENT_UNDEFINE:
		arg_add(out, "%s", req->name);
		break;
	case AGENT_STOP:
		arg_add(out, "%s", req->name);
		arg_add(out, "--timeout");
		arg_add(out, "%u", req->timeout_s);
		if (req->force)
			arg_add(out, "--force");
		break;
	case AGENT_RECEIVE:
		arg_add(out, "--listen");
		arg_tcp(out, env->listen_host, req->port);
		arg_add(out, "--tls");
		arg_add(out, "%s", env->tls_dir);
		arg_add(out, "--name");
		arg_add(out, "%s", req->name);
		arg_add(out, "--detach");
		if (req->shared_cores)
			arg_add(out, "--shared-cores");
		break;
	case AGENT_MIGRATE:
		arg_add(out, "%s", req->name);
		arg_add(out, "--to");
		arg_tcp(out, req->to, req->port);
		arg_add(out, "--tls");
		arg_add(out, "%s", env->tls_dir);
		arg_add(out, "--json");
		arg_add(out, "--timeout");
		arg_add(out, "%u", req->deadline_s);
		break;
	default:
		out->error = -EINVAL;
	}
	return out->error;
}

/* A define's text in a folder of the agent's own, named after the server; removed by profile_remove(). */
static int profile_write(const struct agent_request *req, char *dir, size_t dirlen, char *path, size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, dirlen, "%s/sheer-agent.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp"), fd, ret;

	if (n < 0 || (size_t)n >= dirlen)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return -errno;
	}
	snprintf(path, pathlen, "%s/%s.ini", dir, req->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	ret = fd < 0 ? -errno : fd_write_all(fd, req->text, strlen(req->text));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void profile_remove(const char *dir, const char *path)
{
	unlink(path);
	rmdir(dir);
}

/* The answer from what the command did; migrate's --json output becomes "result". */
static json_t *command_answer(const struct agent_request *req, const struct agent_exec *run)
{
	const char *op = agent_op_name(req->op);
	json_t *answer, *result = NULL;

	if (run->status != 0) {
		answer = agent_response_error(op, run->status == 2, "%s", run->error[0] ? run->error : "failed");
		if (answer && run->status >= 0)
			json_object_set_new(answer, "status", json_integer(run->status));
		if (answer)
			json_object_set_new(answer, "name", json_string(req->name));
		return answer;
	}
	if (req->op == AGENT_MIGRATE)
		result = json_loads(run->output, JSON_REJECT_DUPLICATES, NULL);
	if (result && !json_is_object(result)) {
		json_decref(result);
		result = NULL;
	}
	answer = json_pack("{s:b, s:s, s:s, s:i}", "ok", 1, "op", op, "name", req->name, "status", 0);
	if (answer && result)
		json_object_set_new(answer, "result", result);
	else if (answer)
		json_object_set_new(answer, "output", json_string(run->output));
	return answer;
}

json_t *agent_command_run(const struct agent_request *req, const struct agent_command_env *env)
{
	char dir[PATH_MAX] = "", profile[PATH_MAX + 80] = "";
	struct agent_argv *argv = malloc(sizeof(*argv));
	struct agent_exec *run = malloc(sizeof(*run));
	json_t *answer = NULL;
	int ret = argv && run ? 0 : -ENOMEM;

	if (ret == 0 && req->op == AGENT_DEFINE)
		ret = profile_write(req, dir, sizeof(dir), profile, sizeof(profile));
	if (ret == 0)
		ret = agent_command_argv(req, env, profile, argv);
	if (ret == 0) {
		agent_exec_run(argv->argv, agent_request_deadline_s(req) - COMMAND_ANSWER_MARGIN_S, run);
		answer = command_answer(req, run);
	} else {
		answer = agent_response_error(agent_op_name(req->op), false, "%s %s: %s", agent_op_name(req->op), req->name,
					      strerror(-ret));
	}
	if (dir[0])
		profile_remove(dir, profile);
	free(argv);
	free(run);
	return answer;
}
