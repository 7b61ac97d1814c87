/*
 * The controller's Prometheus metrics: hosts by state, each host's health,
 * planned and done migrations, failed actions, alerts, leadership, and an
 * estimate of the fleet's power draw from the hosts' models at their
 * measured utilisation (hosts without a model = are left out of it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"

static void counter(FILE *out, const char *name, const char *help, uint64_t value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)value);
}

/* Watts of a host that is on: its model at the CPU share its servers used. */
static double host_watts(const struct controller_host *h)
{
	double used = 0;
	unsigned int cpus = h->cfg->cpus ? h->cfg->cpus : h->now.cpus;

	if (!h->cfg->model || !h->answering || !cpus)
		return 0;
	for (unsigned int i = 0; i < h->now.n_servers; i++) {
		double d = fleet_report_demand(&h->prev, &h->now, h->now.servers[i].name);

		used += d > 0 ? d * h->now.servers[i].vcpus : 0;
	}
	return host_model_power(h->cfg->model, used / cpus > 1 ? 1 : used / cpus);
}

static void host_lines(FILE *out, const struct controller *ctl)
{
	static const char *const states[] = { "on", "asleep", "failed", "unknown" };
	double watts = 0;

	fputs("# HELP sheer_fleet_hosts Hosts by state.\n# TYPE sheer_fleet_hosts gauge\n", out);
	for (unsigned int s = 0; s < 4; s++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < ctl->n_hosts; i++)
			n += strcmp(controller_host_state(&ctl->hosts[i]), states[s]) == 0;
		fprintf(out, "sheer_fleet_hosts{state=\"%s\"} %u\n", states[s], n);
	}
	fputs("# HELP sheer_fleet_host_up Whether the host's agent answers its heartbeat.\n"
	      "# TYPE sheer_fleet_host_up gauge\n", out);
	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		fprintf(out, "sheer_fleet_host_up{host=\"%s\"} %d\n", ctl->hosts[i].cfg->name, ctl->hosts[i].answering);
	fputs("# HELP sheer_fleet_host_bmc_ok Whether the host's BMC answers and takes the credentials (hosts with a "
	      "BMC).\n# TYPE sheer_fleet_host_bmc_ok gauge\n", out);
	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		if (bmc_entry_given(&ctl->hosts[i].cfg->bmc))
			fprintf(out, "sheer_fleet_host_bmc_ok{host=\"%s\"} %d\n", ctl->hosts[i].cfg->name,
				ctl->hosts[i].bmc_ret == 0);
	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		watts += host_watts(&ctl->hosts[i]);
	fprintf(out, "# HELP sheer_fleet_power_watts Estimated draw of the hosts that are on, from their models.\n"
		"# TYPE sheer_fleet_power_watts gauge\nsheer_fleet_power_watts %.1f\n", watts);
}

char *controller_metrics_render(const struct controller *ctl)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	fprintf(out, "# HELP sheer_fleet_leader Whether this controller leads the fleet.\n# TYPE sheer_fleet_leader gauge\n"
		"sheer_fleet_leader %d\n", ctl->leading);
	host_lines(out, ctl);
	counter(out, "sheer_fleet_migrations_planned_total", "Migrations the plans asked for.",
		ctl->count.migrations_planned);
	counter(out, "sheer_fleet_migrations_done_total", "Migrations carried out.", ctl->count.migrations_done);
	counter(out, "sheer_fleet_migrations_failed_total", "Migrations that failed.", ctl->count.migrations_failed);
	counter(out, "sheer_fleet_actions_failed_total", "Actions of any kind that failed.", ctl->count.actions_failed);
	counter(out, "sheer_fleet_alerts_total", "Alerts raised (a host not fenced, a server with no room, ...).",
		ctl->count.alerts);
	counter(out, "sheer_fleet_power_offs_total", "Hosts put to sleep.", ctl->count.power_offs);
	counter(out, "sheer_fleet_power_ons_total", "Hosts woken.", ctl->count.power_ons);
	counter(out, "sheer_fleet_fences_total", "Hosts fenced.", ctl->count.fences);
	counter(out, "sheer_fleet_restarts_total", "Servers restarted after their host was fenced.", ctl->count.restarts);
	fclose(out);
	return text;
}
