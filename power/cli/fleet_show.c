/* The text form of the controller's answers (sheer fleet status|hosts|plan|history without --json). */
#include <string.h>
#include <time.h>

#include "power/cli/fleet_cli.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && s[0] ? s : "-";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void show_status(FILE *out, json_t *s)
{
	json_t *p = json_object_get(s, "policy"), *h = json_object_get(s, "hosts"), *item;
	size_t i;

	fprintf(out, "controller %s: %s (leader %s, term %lld)%s\n", str(s, "controller"),
		json_is_true(json_object_get(s, "leading")) ? "leads" : "does not lead", str(s, "leader"),
		num(s, "term"), json_is_true(json_object_get(s, "recovering")) ? ", settling unfinished actions" : "");
	fputs("schedules in force:", out);
	json_array_foreach(json_object_get(s, "schedules"), i, item)
		fprintf(out, " %s", json_string_value(item));
	fprintf(out, "%s\npolicy %s, headroom %lld%%, min_active_hosts %lld, power_saving %s, ha %s; next change %s\n",
		json_array_size(json_object_get(s, "schedules")) ? "" : " none", str(p, "policy"), num(p, "headroom_pct"),
		num(p, "min_active_hosts"), json_is_true(json_object_get(p, "power_saving")) ? "on" : "off",
		str(p, "ha"), str(s, "next_change"));
	fprintf(out, "hosts: %lld on, %lld asleep, %lld failed, %lld unknown; interval %lld\n", num(h, "on"),
		num(h, "asleep"), num(h, "failed"), num(h, "unknown"), num(s, "interval"));
	json_array_foreach(json_object_get(s, "pending_actions"), i, item)
		fprintf(out, "pending: action %lld %s %s %s -> %s\n", num(item, "id"), str(item, "kind"), str(item, "server"),
			str(item, "from"), str(item, "to"));
	json_array_foreach(json_object_get(s, "alerts"), i, item)
		fprintf(out, "alert: %s\n", json_string_value(item));
}

static void show_hosts(FILE *out, json_t *hosts)
{
	json_t *h, *s;
	size_t i, k;

	fprintf(out, "%-16s %-7s %-8s %-8s %-5s %-11s %-10s %s\n", "HOST", "ROLE", "STATE", "POWER", "TRUST", "HEARTBEAT",
		"DEMAND", "SERVERS");
	json_array_foreach(hosts, i, h) {
		char beat[32] = "-", trust[8];

		if (json_is_integer(json_object_get(h, "heartbeat_age_s")))
			snprintf(beat, sizeof(beat), "%llds ago", num(h, "heartbeat_age_s"));
		snprintf(trust, sizeof(trust), "%s", json_is_true(json_object_get(h, "wake_failed")) ? "FAIL"
						     : json_is_true(json_object_get(h, "trusted_to_sleep")) ? "yes" : "no");
		fprintf(out, "%-16s %-7s %-8s %-8s %-5s %-11s %-10.2f", str(h, "name"), str(h, "role"), str(h, "state"),
			str(h, "power"), trust, beat, json_real_value(json_object_get(h, "demand_cpus")));
		json_array_foreach(json_object_get(h, "servers"), k, s)
			if (json_is_true(json_object_get(s, "running")))
				fprintf(out, " %s", str(s, "name"));
		fputc('\n', out);
	}
}

static void show_plan(FILE *out, json_t *plan)
{
	json_t *m, *host;
	size_t i;

	if (!json_is_object(plan)) {
		fputs("no plan yet (the first comes once every host was heard)\n", out);
		return;
	}
	fprintf(out, "interval %lld, policy %s\n", num(plan, "interval"), str(plan, "policy"));
	json_array_foreach(json_object_get(plan, "migrations"), i, m)
		fprintf(out, "migrate %s %s -> %s: %s\n", str(m, "server"), str(m, "from"), str(m, "to"), str(m, "state"));
	json_array_foreach(json_object_get(plan, "power_off"), i, host)
		fprintf(out, "power off %s\n", json_string_value(host));
	json_array_foreach(json_object_get(plan, "power_on"), i, host)
		fprintf(out, "power on %s\n", json_string_value(host));
}

static void show_history(FILE *out, json_t *list)
{
	json_t *a;
	size_t i;

	json_array_foreach(list, i, a) {
		time_t at = (time_t)num(a, "started");
		char when[32];
		struct tm tm;

		localtime_r(&at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%lld %s %-9s %s %s%s%s%s%s: %s -> %s: %s\n", num(a, "id"), when, str(a, "kind"),
			str(a, "server"), json_string_value(json_object_get(a, "from"))[0] ? "from " : "",
			json_string_value(json_object_get(a, "from")), json_string_value(json_object_get(a, "to"))[0] ? " to " : "",
			json_string_value(json_object_get(a, "to")), "", str(a, "reason"), str(a, "result"), str(a, "detail"));
	}
}

void fleet_show(FILE *out, const char *what, json_t *answer)
{
	if (strcmp(what, "status") == 0)
		show_status(out, answer);
	else if (strcmp(what, "hosts") == 0)
		show_hosts(out, answer);
	else if (strcmp(what, "plan") == 0)
		show_plan(out, answer);
	else
		show_history(out, answer);
}
