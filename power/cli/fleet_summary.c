/*
 * A checked fleet file as the operator wants to see it: the controller, each
 * host (its BMC without secrets), the standby servers, the schedules, and
 * the policy in force at the time asked about, with the next change.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "power/cli/fleet_summary.h"

#define SETTINGS_ALL (FLEET_SETS_POLICY | FLEET_SETS_HEADROOM | FLEET_SETS_MIN_ACTIVE_HOSTS | FLEET_SETS_POWER_SAVING)
#define TEXT_MAX (PATH_MAX + 16)

static const char *endpoint_text(const struct fleet_endpoint *at, char *out, size_t len)
{
	snprintf(out, len, strchr(at->host, ':') ? "[%s]:%u" : "%s:%u", at->host, at->port);
	return out;
}

static const char *bmc_text(const struct bmc_entry *bmc, char *out, size_t len)
{
	if (!bmc_entry_given(bmc))
		return "-";
	bmc_target_describe(&bmc->target, out, len);
	return out;
}

/* "2025-03-08 21:00 CET" (iso false), or "2025-03-08T21:00:00+01:00". */
static const char *time_text(time_t t, bool iso, char *out, size_t len)
{
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) || !strftime(out, len, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M %Z", &tm))
		snprintf(out, len, "?");
	n = strlen(out);
	if (iso && n >= 5 && n + 2 <= len) {
		memmove(out + n - 1, out + n - 2, 3);	/* +0100 to +01:00 */
		out[n - 2] = ':';
	}
	return out;
}

/* "headroom = 10%, power_saving = off": the settings `sets` names. */
static const char *settings_text(const struct fleet_policy *p, unsigned int sets, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int bit = 1; bit & SETTINGS_ALL; bit <<= 1) {
		char one[96];

		if (!(sets & bit) || used >= len)
			continue;
		fleet_setting_describe((enum fleet_setting)bit, p, one, sizeof(one));
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", one);
	}
	return out;
}

static const char *active_text(const struct fleet_config *c, unsigned int active, char *out, size_t len)
{
	size_t used = 0;

	snprintf(out, len, "none");
	for (unsigned int i = 0; i < c->n_schedules && used < len; i++)
		if (active >> i & 1)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", c->schedules[i].name);
	return out;
}

static void text_controller(FILE *out, const struct fleet_config *c)
{
	const struct fleet_controller *f = &c->controller;
	char listen[FLEET_HOST_NAME_MAX + 16], metrics[FLEET_HOST_NAME_MAX + 16];

	fprintf(out, "fleet file %s: valid\n", c->path);
	fprintf(out, "controller %s: every %u s, state %s, tls %s\n", f->name, f->interval_s, f->state.url, f->tls_dir);
	fprintf(out, "  listen %s, metrics %s, failure_timeout %u s, lease %u s\n",
		endpoint_text(&f->listen, listen, sizeof(listen)), endpoint_text(&f->metrics, metrics, sizeof(metrics)),
		f->failure_timeout_s, f->lease_s);
}

static void text_hosts(FILE *out, const struct fleet_config *c)
{
	fprintf(out, "%-16s %-7s %-22s %-36s %-12s %5s %7s\n", "HOST", "ROLE", "ADDRESS", "BMC", "MODEL", "CPUS",
		"MEMORY");
	for (unsigned int i = 0; i < c->n_hosts; i++) {
		const struct fleet_host_config *h = &c->hosts[i];
		char address[FLEET_HOST_NAME_MAX + 16], bmc[3 * BMC_FIELD_MAX], cpus[16] = "-", memory[32] = "-";

		if (h->cpus)
			snprintf(cpus, sizeof(cpus), "%u", h->cpus);
		if (h->memory_bytes)
			format_size(h->memory_bytes, memory, sizeof(memory));
		fprintf(out, "%-16s %-7s %-22s %-36s %-12s %5s %7s\n", h->name, fleet_role_names()[h->role],
			endpoint_text(&h->address, address, sizeof(address)), bmc_text(&h->bmc, bmc, sizeof(bmc)),
			h->model ? h->model->id : "-", cpus, memory);
	}
}

static void text_standby(FILE *out, const struct fleet_config *c)
{
	if (c->n_standby)
		fprintf(out, "%-16s %s\n", "STANDBY", "SERVER");
	for (unsigned int i = 0; i < c->n_standby; i++) {
		const struct fleet_standby *s = &c->standby[i];
		char bmc[3 * BMC_FIELD_MAX];

		if (s->physical[0])
			fprintf(out, "%-16s physical %s\n", s->name, s->physical);
		else
			fprintf(out, "%-16s bmc %s\n", s->name, bmc_text(&s->bmc, bmc, sizeof(bmc)));
	}
}

static void text_schedules(FILE *out, const struct fleet_config *c)
{
	if (c->n_schedules)
		fprintf(out, "%-16s %-16s %-12s %s\n", "SCHEDULE", "DAYS", "HOURS", "CHANGES");
	for (unsigned int i = 0; i < c->n_schedules; i++) {
		const struct fleet_schedule *s = &c->schedules[i];
		char days[64], hours[16], changes[TEXT_MAX];

		schedule_days_format(s->days, days, sizeof(days));
		schedule_hours_format(&s->hours, hours, sizeof(hours));
		fprintf(out, "%-16s %-16s %-12s %s\n", s->name, days, hours,
			settings_text(&s->values, s->sets, changes, sizeof(changes)));
	}
}

void fleet_summary_text(FILE *out, const struct fleet_config *c, time_t at, const struct schedule_now *now)
{
	const struct fleet_policy *p = &now->effective;
	char when[64], active[TEXT_MAX], settings[TEXT_MAX];
	struct schedule_now then;

	text_controller(out, c);
	text_hosts(out, c);
	text_standby(out, c);
	text_schedules(out, c);
	fprintf(out, "at %s: schedules %s\n", time_text(at, false, when, sizeof(when)),
		active_text(c, now->active, active, sizeof(active)));
	fprintf(out, "  %s, max_concurrent_migrations = %u, max_migrations_per_interval = %u, migration_deadline = "
		"%u s, hysteresis = %u s, ha = %s\n", settings_text(p, SETTINGS_ALL, settings, sizeof(settings)),
		p->max_concurrent_migrations, p->max_migrations_per_interval, p->migration_deadline_s, p->hysteresis_s,
		fleet_ha_names()[p->ha]);
	if (!now->changes) {
		fprintf(out, "next change: never (the schedules do not change what applies)\n");
		return;
	}
	schedule_evaluate(c, now->next_change, &then);
	fprintf(out, "next change: %s (schedules %s)\n", time_text(now->next_change, false, when, sizeof(when)),
		active_text(c, then.active, active, sizeof(active)));
}

/* The settings `sets` names; with `whole`, every value of the policy. */
static json_t *policy_json(const struct fleet_policy *p, unsigned int sets, bool whole)
{
	json_t *o = json_object();

	if (o && (sets & FLEET_SETS_POLICY))
		json_object_set_new(o, "policy", json_string(p->policy));
	if (o && (sets & FLEET_SETS_HEADROOM))
		json_object_set_new(o, "headroom_pct", json_integer(p->headroom_pct));
	if (o && (sets & FLEET_SETS_MIN_ACTIVE_HOSTS))
		json_object_set_new(o, "min_active_hosts", json_integer(p->min_active_hosts));
	if (o && (sets & FLEET_SETS_POWER_SAVING))
		json_object_set_new(o, "power_saving", json_boolean(p->power_saving));
	if (o && whole && json_object_update_new(o, json_pack("{s:i, s:i, s:i, s:i, s:s}",
			"max_concurrent_migrations", (int)p->max_concurrent_migrations,
			"max_migrations_per_interval", (int)p->max_migrations_per_interval,
			"migration_deadline_s", (int)p->migration_deadline_s, "hysteresis_s", (int)p->hysteresis_s,
			"ha", fleet_ha_names()[p->ha])) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *controller_json(const struct fleet_controller *f)
{
	char listen[FLEET_HOST_NAME_MAX + 16], metrics[FLEET_HOST_NAME_MAX + 16];

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "name", f->name, "state", f->state.url,
			 "tls", f->tls_dir,
			 "listen", endpoint_text(&f->listen, listen, sizeof(listen)),
			 "metrics", endpoint_text(&f->metrics, metrics, sizeof(metrics)), "interval_s", (int)f->interval_s,
			 "failure_timeout_s", (int)f->failure_timeout_s, "lease_s", (int)f->lease_s);
}

static json_t *host_json(const struct fleet_host_config *h)
{
	char address[FLEET_HOST_NAME_MAX + 16], bmc[3 * BMC_FIELD_MAX];

	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o?, s:o?}", "name", h->name, "role", fleet_role_names()[h->role],
			 "address", endpoint_text(&h->address, address, sizeof(address)),
			 "bmc", bmc_entry_given(&h->bmc) ? bmc_text(&h->bmc, bmc, sizeof(bmc)) : NULL,
			 "model", h->model ? h->model->id : NULL, "cpus", h->cpus ? json_integer(h->cpus) : NULL,
			 "memory_bytes", h->memory_bytes ? json_integer((json_int_t)h->memory_bytes) : NULL);
}

static json_t *standby_json(const struct fleet_standby *s)
{
	char bmc[3 * BMC_FIELD_MAX];

	return json_pack("{s:s, s:s?, s:s?}", "name", s->name, "physical", s->physical[0] ? s->physical : NULL,
			 "bmc", bmc_entry_given(&s->bmc) ? bmc_text(&s->bmc, bmc, sizeof(bmc)) : NULL);
}

static json_t *schedule_json(const struct fleet_schedule *s)
{
	char days[64], hours[16];

	schedule_days_format(s->days, days, sizeof(days));
	schedule_hours_format(&s->hours, hours, sizeof(hours));
	return json_pack("{s:s, s:s, s:s, s:o}", "name", s->name, "days", days, "hours", hours, "changes",
			 policy_json(&s->values, s->sets, false));
}

static json_t *lists_json(const struct fleet_config *c, unsigned int active)
{
	json_t *hosts = json_array(), *standby = json_array(), *schedules = json_array(), *now = json_array();

	for (unsigned int i = 0; hosts && i < c->n_hosts; i++)
		json_array_append_new(hosts, host_json(&c->hosts[i]));
	for (unsigned int i = 0; standby && i < c->n_standby; i++)
		json_array_append_new(standby, standby_json(&c->standby[i]));
	for (unsigned int i = 0; schedules && now && i < c->n_schedules; i++) {
		json_array_append_new(schedules, schedule_json(&c->schedules[i]));
		if (active >> i & 1)
			json_array_append_new(now, json_string(c->schedules[i].name));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "hosts", hosts, "standby", standby, "schedules", schedules,
			 "active_schedules", now);
}

int fleet_summary_json(FILE *out, const struct fleet_config *c, time_t at, const struct schedule_now *now)
{
	char when[64], next[64];
	json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:s?}", "file", c->path, "controller",
			      controller_json(&c->controller), "at", time_text(at, true, when, sizeof(when)), "policy",
			      policy_json(&now->effective, SETTINGS_ALL, true), "next_change",
			      now->changes ? time_text(now->next_change, true, next, sizeof(next)) : NULL);

	if (!o || json_object_update_new(o, lists_json(c, now->active)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	json_dumpf(o, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(o);
	return 0;
}
