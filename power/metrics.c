/*
 * SLA metrics of Beloglazov & Buyya 2012:
 *   SLATAH = mean over hosts that were ever active of (time at 100% / active time);
 *   PDM    = mean over servers of (capacity lost to migrations / capacity requested);
 *   SLAV = SLATAH x PDM, ESV = energy x SLAV.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim.h"

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

void metrics_finish(const struct metrics *m, struct sim_result *r)
{
	double slatah = 0, pdm = 0;
	int hosts = 0, servers = 0;

	for (int h = 0; h < m->n_hosts; h++) {
		if (m->host_active_s[h] <= 0)
			continue;
		slatah += m->host_violation_s[h] / m->host_active_s[h];
		hosts++;
	}
	for (int s = 0; s < m->n_servers; s++) {
		if (m->server_requested[s] <= 0)
			continue;
		pdm += m->server_lost[s] / m->server_requested[s];
		servers++;
	}
	r->energy_kwh = m->energy_j / 3.6e6;
	r->slatah = hosts ? slatah / hosts : 0;
	r->pdm = servers ? pdm / servers : 0;
	r->slav = r->slatah * r->pdm;
	r->esv = r->energy_kwh * r->slav;
	r->migrations = m->migrations;
	r->shutdowns = m->shutdowns;
}
