/* A host's heartbeat, reports and definitions, polled by a thread of its own (fleet_poller.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power/fleet/fleet_agent.h"
#include "power/fleet/fleet_poller.h"
#include "power/fleet/fleet_power.h"

/* A heartbeat waits this long at most: longer is silence. */
#define PING_TIMEOUT_S 5

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void heard(struct fleet_poller *p, int ret, const char *why)
{
	pthread_mutex_lock(&p->lock);
	p->status.answering = ret == 0;
	if (ret == 0)
		p->status.heard_ms = now_ms();
	else
		snprintf(p->status.error, sizeof(p->status.error), "%.1000s", why);
	pthread_mutex_unlock(&p->lock);
}

static bool ran_before(const struct fleet_report *r, const char *name)
{
	const struct fleet_seen_server *s = fleet_report_server(r, name);

	return s && s->running;
}

/* The definition of each server that runs now and did not in the report before. */
static void fetch_definitions(struct fleet_poller *p, const struct fleet_report *before, const struct fleet_report *r)
{
	for (unsigned int i = 0; i < r->n_servers && !atomic_load(&p->stop); i++) {
		const struct fleet_seen_server *s = &r->servers[i];
		struct fleet_definition *grown;
		json_t *answer;
		char why[1024];
		char *text;

		if (!s->running || ran_before(before, s->name) ||
		    fleet_agent_call_named(p->host, p->tls_dir, AGENT_DEFINITION, s->name, &answer, why, sizeof(why)) < 0)
			continue;
		text = strdup(json_string_value(json_object_get(answer, "text")));
		json_decref(answer);
		pthread_mutex_lock(&p->lock);
		grown = text ? realloc(p->defs, (p->n_defs + 1) * sizeof(*p->defs)) : NULL;
		if (grown) {
			p->defs = grown;
			snprintf(p->defs[p->n_defs].name, sizeof(p->defs[0].name), "%s", s->name);
			p->defs[p->n_defs++].text = text;
		} else {
			free(text);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

static void take_report(struct fleet_poller *p)
{
	const struct agent_request req = { .op = AGENT_HOST };
	struct fleet_report r, before = { 0 };
	json_t *answer;
	char why[1024], *text;
	int64_t at = now_ms();
	int ret = fleet_agent_call(p->host, p->tls_dir, &req, 0, &answer, why, sizeof(why));

	if (ret == 0 && (ret = fleet_report_from_json(answer, at, &r, why, sizeof(why))) < 0)
		json_decref(answer);
	if (ret < 0) {
		heard(p, ret, why);
		return;
	}
	text = fleet_report_to_text(answer, at);
	json_decref(answer);
	pthread_mutex_lock(&p->lock);
	fleet_report_free(&p->prev);
	p->prev = p->now;
	p->now = r;
	free(p->now_text);
	p->now_text = text;
	p->status.report_seq++;
	ret = fleet_report_copy(&before, &p->prev);
	pthread_mutex_unlock(&p->lock);
	heard(p, 0, NULL);
	if (ret == 0)
		fetch_definitions(p, &before, &r);
	fleet_report_free(&before);
}

static void read_bmc(struct fleet_poller *p)
{
	char why[FLEET_POLL_ERROR_MAX];
	bool on = false;
	int ret = fleet_power_state(p->host, &on, why, sizeof(why));

	pthread_mutex_lock(&p->lock);
	p->status.bmc_ret = ret;
	p->status.bmc_on = ret == 0 ? on : -1;
	if (ret < 0)
		snprintf(p->status.bmc_error, sizeof(p->status.bmc_error), "%s", why);
	pthread_mutex_unlock(&p->lock);
}

static void *poller_main(void *arg)
{
	struct fleet_poller *p = arg;
	const struct agent_request ping = { .op = AGENT_PING };
	time_t last_report = 0, last_bmc = 0;

	while (!atomic_load(&p->stop)) {
		if (bmc_entry_given(&p->host->bmc) && time(NULL) - last_bmc >= FLEET_BMC_POLL_S) {
			read_bmc(p);
			last_bmc = time(NULL);
		}
		json_t *answer;
		char why[1024];
		int ret = fleet_agent_call(p->host, p->tls_dir, &ping, PING_TIMEOUT_S, &answer, why, sizeof(why));

		json_decref(answer);
		heard(p, ret, why);
		if (ret == 0 && (atomic_exchange(&p->want_report, false) || time(NULL) - last_report >= p->report_s)) {
			take_report(p);
			last_report = time(NULL);
		}
		for (unsigned int i = 0; i < p->ping_s * 10 && !atomic_load(&p->stop) && !atomic_load(&p->want_report); i++)
			usleep(100000);
	}
	return NULL;
}

int fleet_poller_start(struct fleet_poller *p, const struct fleet_host_config *host, const char *tls_dir,
		       unsigned int ping_s, unsigned int report_s)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->host = host;
	p->tls_dir = tls_dir;
	p->ping_s = ping_s ? ping_s : 1;
	p->report_s = report_s;
	p->status.bmc_on = -1;
	pthread_mutex_init(&p->lock, NULL);
	ret = -pthread_create(&p->thread, NULL, poller_main, p);
	p->started = ret == 0;
	return ret;
}

void fleet_poller_stop(struct fleet_poller *p)
{
	if (p->started) {
		atomic_store(&p->stop, true);
		pthread_join(p->thread, NULL);
		p->started = false;
	}
	fleet_report_free(&p->now);
	fleet_report_free(&p->prev);
	free(p->now_text);
	for (unsigned int i = 0; i < p->n_defs; i++)
		free(p->defs[i].text);
	free(p->defs);
	pthread_mutex_destroy(&p->lock);
}

void fleet_poller_status(struct fleet_poller *p, struct fleet_poll_status *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->status;
	pthread_mutex_unlock(&p->lock);
}

void fleet_poller_want_report(struct fleet_poller *p)
{
	atomic_store(&p->want_report, true);
}

bool fleet_poller_report(struct fleet_poller *p, uint64_t *seq, struct fleet_report *now, struct fleet_report *prev,
			 char **text)
{
	bool newer;

	pthread_mutex_lock(&p->lock);
	newer = p->status.report_seq > *seq && fleet_report_copy(now, &p->now) == 0 &&
		fleet_report_copy(prev, &p->prev) == 0;
	if (newer) {
		*seq = p->status.report_seq;
		*text = p->now_text ? strdup(p->now_text) : NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return newer;
}

unsigned int fleet_poller_definitions(struct fleet_poller *p, struct fleet_definition **out)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	*out = p->defs;
	n = p->n_defs;
	p->defs = NULL;
	p->n_defs = 0;
	pthread_mutex_unlock(&p->lock);
	return n;
}
