/* The fleet: hosts, logical servers and who runs where. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

/* The fleet without its servers' history and device storage (a working copy borrows the caller's). */
int power_fleet_init_borrowing(struct power_fleet *f, int n_hosts, int n_servers)
{
	memset(f, 0, sizeof(*f));
	f->hosts = calloc(n_hosts > 0 ? n_hosts : 1, sizeof(*f->hosts));
	f->servers = calloc(n_servers > 0 ? n_servers : 1, sizeof(*f->servers));
	if (!f->hosts || !f->servers) {
		power_fleet_free(f);
		return -ENOMEM;
	}
	f->n_hosts = n_hosts;
	f->n_servers = n_servers;
	f->max_migrations = -1;
	for (int i = 0; i < n_servers; i++)
		f->servers[i].host = -1;
	for (int h = 0; h < n_hosts; h++)
		for (int d = 0; d < POWER_MAX_DEVICES; d++)
			f->hosts[h].devices[d].owner = -1;
	return 0;
}

int power_fleet_init(struct power_fleet *f, int n_hosts, int n_servers)
{
	int n = n_servers > 0 ? n_servers : 1;
	int err = power_fleet_init_borrowing(f, n_hosts, n_servers);

	if (err)
		return err;
	f->history_store = calloc(n, sizeof(*f->history_store));
	f->device_store = calloc(n, sizeof(*f->device_store));
	if (!f->history_store || !f->device_store) {
		power_fleet_free(f);
		return -ENOMEM;
	}
	for (int i = 0; i < n_servers; i++) {
		f->servers[i].history = f->history_store[i];
		f->servers[i].devices = f->device_store[i];
	}
	return 0;
}

void power_fleet_free(struct power_fleet *f)
{
	if (f->hosts)
		for (int h = 0; h < f->n_hosts; h++)
			free(f->hosts[h].servers);
	free(f->hosts);
	free(f->servers);
	free(f->history_store);
	free(f->device_store);
	memset(f, 0, sizeof(*f));
}

static void host_release_devices(struct power_host *h, int server)
{
	for (int d = 0; d < h->n_devices; d++)
		if (h->devices[d].owner == server)
			h->devices[d].owner = -1;
}

static int host_claim_devices(struct power_host *h, const struct power_server *s, int server)
{
	for (int i = 0; i < s->n_devices; i++) {
		int d;

		for (d = 0; d < h->n_devices; d++)
			if (h->devices[d].owner < 0 && strcmp(h->devices[d].model, s->devices[i]) == 0)
				break;
		if (d == h->n_devices) {
			host_release_devices(h, server);
			return -ENODEV;
		}
		h->devices[d].owner = server;
	}
	return 0;
}

void power_fleet_unassign(struct power_fleet *f, int server)
{
	struct power_server *s = &f->servers[server];
	struct power_host *h;

	if (s->host < 0)
		return;
	h = &f->hosts[s->host];
	for (int i = 0; i < h->n_servers; i++) {
		if (h->servers[i] != server)
			continue;
		memmove(&h->servers[i], &h->servers[i + 1], (h->n_servers - i - 1) * sizeof(int));
		h->n_servers--;
		break;
	}
	h->mem_used_mb -= s->mem_mb;
	host_release_devices(h, server);
	s->host = -1;
}

int power_fleet_assign(struct power_fleet *f, int server, int host)
{
	struct power_server *s = &f->servers[server];
	struct power_host *h = &f->hosts[host];
	int err;

	if (h->n_servers == h->cap_servers) {
		int cap = h->cap_servers ? 2 * h->cap_servers : 8;
		int *grown = realloc(h->servers, cap * sizeof(int));

		if (!grown)
			return -ENOMEM;
		h->servers = grown;
		h->cap_servers = cap;
	}
	power_fleet_unassign(f, server);
	err = host_claim_devices(h, s, server);
	if (err)
		return err;
	h->servers[h->n_servers++] = server;
	h->mem_used_mb += s->mem_mb;
	s->host = host;
	return 0;
}

void power_server_record(struct power_server *s, double utilization)
{
	memmove(&s->history[1], &s->history[0], (POWER_HISTORY_LEN - 1) * sizeof(double));
	s->history[0] = utilization;
	if (s->n_history < POWER_HISTORY_LEN)
		s->n_history++;
}

double power_migration_seconds(const struct power_server *s, const struct power_host *to)
{
	/* Half the link carries the copy, the other half the server's own traffic. */
	return s->ram_mb * 8.0 / (to->model->bw_mbit / 2);
}

void power_plan_init(struct power_plan *p)
{
	memset(p, 0, sizeof(*p));
}

void power_plan_clear(struct power_plan *p)
{
	p->n_migrations = 0;
	free(p->power_off);
	free(p->power_on);
	p->power_off = p->power_on = NULL;
	p->n_power_off = p->n_power_on = 0;
	p->host_searches = p->hosts_examined = 0;
}

void power_plan_free(struct power_plan *p)
{
	power_plan_clear(p);
	free(p->migrations);
	memset(p, 0, sizeof(*p));
}
