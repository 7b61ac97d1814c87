/*
 * SLA metrics of Beloglazov & Buyya 2012 as CloudSim 3.0.3 computes the published
 * numbers (examples' Helper.getSlaTimePerActiveHost and getSlaMetrics), which
 * pool time and capacity instead of averaging per host and per server as the
 * paper's formulas read:
 *   SLATAH = sum over hosts of time at 100% / sum over hosts of active time;
 *   PDM    = sum over servers of capacity lost to migrations / sum of capacity requested;
 *   SLAV = SLATAH x PDM, ESV = energy x SLAV.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/sim.h"

int metrics_init(struct metrics *m, int n_hosts, int n_servers)
{
	memset(m, 0, sizeof(*m));
	m->n_hosts = n_hosts;
	m->n_servers = n_servers;
	m->host_active_s = calloc(n_hosts + 1, sizeof(double));
	m->host_violation_s = calloc(n_hosts + 1, sizeof(double));
	m->server_requested = calloc(n_servers + 1, sizeof(double));
	m->server_lost = calloc(n_servers + 1, sizeof(double));
	if (!m->host_active_s || !m->host_violation_s || !m->server_requested || !m->server_lost) {
		metrics_free(m);
		return -ENOMEM;
	}
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m->host_active_s);
	free(m->host_violation_s);
	free(m->server_requested);
	free(m->server_lost);
	memset(m, 0, sizeof(*m));
}

static double sum(const double *v, int n)
{
	double total = 0;

	for (int i = 0; i < n; i++)
		total += v[i];
	return total;
}

static double ratio(double part, double whole)
{
	return whole > 0 ? part / whole : 0;
}

void metrics_finish(const struct metrics *m, struct sim_result *r)
{
	r->energy_kwh = m->energy_j / 3.6e6;
	r->slatah = ratio(sum(m->host_violation_s, m->n_hosts), sum(m->host_active_s, m->n_hosts));
	r->pdm = ratio(sum(m->server_lost, m->n_servers), sum(m->server_requested, m->n_servers));
	r->slav = r->slatah * r->pdm;
	r->esv = r->energy_kwh * r->slav;
	r->migrations = m->migrations;
	r->shutdowns = m->shutdowns;
}
