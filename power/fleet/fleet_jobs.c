/* Actions carried out by threads of their own (fleet_jobs.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power/fleet/fleet_agent.h"
#include "power/fleet/fleet_jobs.h"
#include "power/fleet/fleet_power.h"
#include "power/fleet/fleet_remap.h"

#define WHY_MAX 1024

static void finish(struct fleet_job *j, enum fleet_result result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finish(struct fleet_job *j, enum fleet_result result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->detail, sizeof(j->detail), fmt, ap);
	va_end(ap);
	j->result = result;
}

bool fleet_definition_shared_cores(const char *text)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char value[8] = "";

		while (isblank((unsigned char)*line))
			line++;
		if (sscanf(line, "dedicated_cores = %7[a-z0-9]", value) == 1 ||
		    sscanf(line, "dedicated_cores=%7[a-z0-9]", value) == 1)
			return strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0;
	}
	return false;
}

/* The `host` report of a host now. */
static int report_of(const struct fleet_job *j, const struct fleet_host_config *host, struct fleet_report *r,
		     char *why, size_t len)
{
	const struct agent_request req = { .op = AGENT_HOST };
	json_t *answer;
	int ret = fleet_agent_call(host, j->tls_dir, &req, 0, &answer, why, len);

	if (ret == 0)
		ret = fleet_report_from_json(answer, 0, r, why, len);
	json_decref(answer);
	return ret;
}

static int call_named(const struct fleet_job *j, const struct fleet_host_config *host, enum agent_op op,
		      char *why, size_t len)
{
	json_t *answer;
	int ret = fleet_agent_call_named(host, j->tls_dir, op, j->action.server, &answer, why, len);

	json_decref(answer);
	return ret;
}

/* Define text on the target with its devices chosen there by model. */
static int define_on_target(const struct fleet_job *j, const char *text, const struct fleet_seen_server *server,
			    char *why, size_t len)
{
	struct agent_request req = { .op = AGENT_DEFINE, .replace = true };
	struct fleet_report target = { 0 };
	char *remapped = NULL;
	json_t *answer = NULL;
	bool *taken = NULL;
	int ret = report_of(j, j->to, &target, why, len);

	if (ret == 0 && !(taken = calloc(target.n_free + 1, sizeof(bool))))
		ret = -ENOMEM;
	if (ret == 0)
		ret = fleet_remap_definition(text, server, &target, taken, &remapped, why, len);
	if (ret == 0 && strlen(remapped) > AGENT_DEFINITION_MAX) {
		snprintf(why, len, "%s: its definition is over %d bytes", j->action.server, AGENT_DEFINITION_MAX);
		ret = -E2BIG;
	}
	if (ret == 0) {
		snprintf(req.name, sizeof(req.name), "%s", j->action.server);
		snprintf(req.text, sizeof(req.text), "%s", remapped);
		ret = fleet_agent_call(j->to, j->tls_dir, &req, 0, &answer, why, len);
	}
	json_decref(answer);
	free(remapped);
	free(taken);
	fleet_report_free(&target);
	return ret;
}

/* Does the server run on host now: 1, 0, or a negative errno when the host cannot tell. */
static int runs_on(const struct fleet_job *j, const struct fleet_host_config *host)
{
	struct fleet_report r = { 0 };
	char why[WHY_MAX];
	const struct fleet_seen_server *s;
	int ret = report_of(j, host, &r, why, sizeof(why));

	if (ret == 0) {
		s = fleet_report_server(&r, j->action.server);
		ret = s && s->running;
	}
	fleet_report_free(&r);
	return ret;
}

/* A migration that failed at `migrate`: it either switched over (the target runs it) or left it on the source. */
static void migrate_failed(struct fleet_job *j, const char *why)
{
	char ignored[WHY_MAX];

	if (runs_on(j, j->to) == 1) {
		call_named(j, j->from, AGENT_UNDEFINE, ignored, sizeof(ignored));
		finish(j, FLEET_OK, "%s runs on %s although migrate said: %.120s", j->action.server, j->to->name, why);
		return;
	}
	call_named(j, j->to, AGENT_UNDEFINE, ignored, sizeof(ignored));
	finish(j, FLEET_FAILED, "%.200s (it runs on %s still)", why, j->from->name);
}

static void do_migrate(struct fleet_job *j)
{
	struct agent_request receive = { .op = AGENT_RECEIVE }, migrate = { .op = AGENT_MIGRATE };
	struct fleet_report source = { 0 };
	const struct fleet_seen_server *server = NULL;
	char why[WHY_MAX], *text = NULL;
	json_t *answer = NULL;
	int ret = fleet_agent_call_named(j->from, j->tls_dir, AGENT_DEFINITION, j->action.server, &answer, why,
					 sizeof(why));

	if (ret == 0 && !(text = strdup(json_string_value(json_object_get(answer, "text")))))
		ret = -ENOMEM;
	json_decref(answer);
	if (ret == 0 && (ret = report_of(j, j->from, &source, why, sizeof(why))) == 0 &&
	    !(server = fleet_report_server(&source, j->action.server))) {
		snprintf(why, sizeof(why), "%s no longer runs on %s", j->action.server, j->from->name);
		ret = -ENOENT;
	}
	if (ret == 0)
		ret = define_on_target(j, text, server, why, sizeof(why));
	if (ret < 0) {
		finish(j, FLEET_FAILED, "%.240s", why);
		goto out;
	}
	snprintf(receive.name, sizeof(receive.name), "%s", j->action.server);
	receive.port = j->port;
	receive.shared_cores = fleet_definition_shared_cores(text);
	if ((ret = fleet_agent_call(j->to, j->tls_dir, &receive, 0, &answer, why, sizeof(why))) < 0) {
		char ignored[WHY_MAX];

		call_named(j, j->to, AGENT_UNDEFINE, ignored, sizeof(ignored));
		finish(j, FLEET_FAILED, "%.240s", why);
		goto out;
	}
	json_decref(answer);
	snprintf(migrate.name, sizeof(migrate.name), "%s", j->action.server);
	snprintf(migrate.to, sizeof(migrate.to), "%.254s",
		 j->to->migration_address[0] ? j->to->migration_address : j->to->address.host);
	migrate.port = j->port;
	migrate.deadline_s = j->deadline_s;
	if ((ret = fleet_agent_call(j->from, j->tls_dir, &migrate, 0, &answer, why, sizeof(why))) < 0) {
		migrate_failed(j, why);
		goto out;
	}
	json_decref(answer);
	if (call_named(j, j->from, AGENT_UNDEFINE, why, sizeof(why)) < 0)
		finish(j, FLEET_OK, "runs on %s; its old definition stays on %s: %.160s", j->to->name, j->from->name, why);
	else
		finish(j, FLEET_OK, "runs on %s", j->to->name);
out:
	free(text);
	fleet_report_free(&source);
}

static void do_restart(struct fleet_job *j)
{
	char why[WHY_MAX];
	int ret = define_on_target(j, j->definition, &j->server, why, sizeof(why));

	if (ret == 0)
		ret = call_named(j, j->to, AGENT_START, why, sizeof(why));
	if (ret < 0)
		finish(j, FLEET_FAILED, "%.240s", why);
	else
		finish(j, FLEET_OK, "%s runs on %s", j->action.server, j->to->name);
}

/* Off, read back; a host that still runs servers is left on. */
static int power_off_empty(struct fleet_job *j, const struct fleet_host_config *host, char *why, size_t len)
{
	struct fleet_report r = { 0 };
	int ret = report_of(j, host, &r, why, len);

	for (unsigned int i = 0; ret == 0 && i < r.n_servers; i++)
		if (r.servers[i].running) {
			snprintf(why, len, "host %s runs %s: not powered off", host->name, r.servers[i].name);
			ret = -EBUSY;
		}
	fleet_report_free(&r);
	return ret < 0 ? ret : fleet_power_off(host, FLEET_SOFT_OFF_S, FLEET_POWER_DEADLINE_S, why, len);
}

/* Its agent answers a ping within deadline_s. */
static bool answers_within(const struct fleet_job *j, const struct fleet_host_config *host, unsigned int deadline_s)
{
	const struct agent_request ping = { .op = AGENT_PING };
	time_t start = time(NULL);
	char why[WHY_MAX];

	while (time(NULL) - start < (time_t)deadline_s) {
		json_t *answer;

		if (fleet_agent_call(host, j->tls_dir, &ping, 5, &answer, why, sizeof(why)) == 0) {
			json_decref(answer);
			return true;
		}
		sleep(1);
	}
	return false;
}

/* On, read back, the agent answers; else powered off again and wake_failed. */
static void power_on_awake(struct fleet_job *j, const struct fleet_host_config *host, const char *what)
{
	char why[WHY_MAX];

	if (fleet_power_on(host, j->deadline_s < FLEET_POWER_DEADLINE_S ? j->deadline_s : FLEET_POWER_DEADLINE_S, why,
			   sizeof(why)) < 0) {
		j->wake_failed = true;
		finish(j, FLEET_FAILED, "%s: %.220s", what, why);
		return;
	}
	if (answers_within(j, host, j->deadline_s)) {
		finish(j, FLEET_OK, "%s: %s answers", what, host->name);
		return;
	}
	j->wake_failed = true;
	fleet_power_off(host, 0, FLEET_POWER_DEADLINE_S, why, sizeof(why));
	finish(j, FLEET_FAILED, "%s: %s did not answer within %u s of power on; powered off again", what, host->name,
	       j->deadline_s);
}

static void do_power(struct fleet_job *j)
{
	char why[WHY_MAX];

	switch (j->action.kind) {
	case FLEET_FENCE:
		if (fleet_power_off(j->from, 0, FLEET_POWER_DEADLINE_S, why, sizeof(why)) < 0)
			finish(j, FLEET_FAILED, "not fenced: %.220s", why);
		else
			finish(j, FLEET_OK, "%s is off (read back)", j->from->name);
		return;
	case FLEET_POWER_OFF:
		if (power_off_empty(j, j->from, why, sizeof(why)) < 0)
			finish(j, FLEET_FAILED, "%.240s", why);
		else
			finish(j, FLEET_OK, "%s is off (read back)", j->from->name);
		return;
	case FLEET_WAKE_TEST:
		if (power_off_empty(j, j->to, why, sizeof(why)) < 0) {
			finish(j, FLEET_FAILED, "wake test not begun: %.200s", why);
			return;
		}
		power_on_awake(j, j->to, "wake test");
		return;
	default:
		power_on_awake(j, j->to, "power on");
	}
}

static void *job_main(void *arg)
{
	struct fleet_job *j = arg;

	if (j->action.kind == FLEET_MIGRATE)
		do_migrate(j);
	else if (j->action.kind == FLEET_RESTART)
		do_restart(j);
	else
		do_power(j);
	atomic_store(&j->done, true);
	return NULL;
}

int fleet_job_start(struct fleet_job *j)
{
	int ret = -pthread_create(&j->thread, NULL, job_main, j);

	j->started = ret == 0;
	if (ret < 0) {
		finish(j, FLEET_FAILED, "cannot start its thread: %s", strerror(-ret));
		atomic_store(&j->done, true);
	}
	return ret;
}

bool fleet_job_done(struct fleet_job *j)
{
	if (!atomic_load(&j->done))
		return false;
	if (j->started) {
		pthread_join(j->thread, NULL);
		j->started = false;
	}
	return true;
}

void fleet_job_free(struct fleet_job *j)
{
	free(j->definition);
	j->definition = NULL;
}
