/*
 * Where a server goes under `sheer`: best fit over an index instead of a scan of
 * every host.
 *
 * A host's forecast with server v added is max(X, Y), with
 *   X = mean + m_v + sigmas x sqrt(var + var_v) = peak + m_v + sigmas x d(var),
 *   Y = now + now_v,   d(var) = sqrt(var + var_v) - sqrt(var), falling as var grows,
 * and its forecast alone, the tree's key, is max(peak, now). So the ranges of key,
 * peak, variance and demand over a subtree bound X and Y of every host in it from
 * both sides: a subtree whose lower bounds pass the budget (or whose hosts lack
 * the CPU, memory or devices) holds no host that fits; one whose upper bound is
 * below the best fill found holds no better host. Both tests keep a margin of 1e-9
 * for rounding, and the hosts left are judged exactly as the scan judged them (the
 * same sums in the same order), so the search picks the very host the scan picked,
 * ties to the lowest index included. The trees follow every move, so a host filled
 * during the interval is where a search expects it.
 *
 * Memory is a limit of its own that a load order cannot follow, so running hosts
 * are apart by free memory: classes whose limits are the servers' memory sizes, of
 * which a search skips those below its server's whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/sheer.h"

#define ROUNDING_MARGIN 1e-9

enum { IN_NONE = -2, IN_EMPTY = -1 };

/* A search: the server and what it asks, the group searched, the best host so far. */
struct query {
	const struct sheer_index *ix;
	const struct power_fleet *f;
	struct plan_state *st;
	const struct power_server *v;
	double mean, var;		/* the server's forecast and its variance */
	double capacity;		/* of the group being searched */
	int best;
	double best_fill;
};

int sheer_index_init(struct sheer_index *ix, int n_hosts)
{
	int n = n_hosts > 0 ? n_hosts : 1;

	memset(ix, 0, sizeof(*ix));
	ix->load = calloc(n, sizeof(*ix->load));
	ix->stale = calloc(n, sizeof(bool));
	ix->avoid = calloc(n, sizeof(bool));
	ix->group = calloc(n, sizeof(int));
	ix->tree = calloc(n, 1);
	ix->order = calloc(n, sizeof(int));
	ix->stack = calloc(n, sizeof(int));
	if (!ix->load || !ix->stale || !ix->avoid || !ix->group || !ix->tree || !ix->order || !ix->stack ||
	    host_forest_init(&ix->forest, n_hosts, ix->load)) {
		sheer_index_free(ix);
		return -ENOMEM;
	}
	return 0;
}

void sheer_index_free(struct sheer_index *ix)
{
	host_forest_free(&ix->forest);
	free(ix->load);
	free(ix->stale);
	free(ix->avoid);
	free(ix->group);
	free(ix->tree);
	free(ix->order);
	free(ix->stack);
	free(ix->groups);
	memset(ix, 0, sizeof(*ix));
}

/* What follows from the sums: the peak, CPU and memory left, a free device. */
static void load_finish(const struct power_host *h, struct host_load *l)
{
	l->peak = l->mean + SHEER_SIGMAS * sqrt(l->var);
	l->avail = l->avail_left > 0 ? l->avail_left : 0;
	l->mem_free_mb = h->model->mem_mb - h->mem_used_mb;
	l->device_free = false;
	for (int d = 0; d < h->n_devices; d++)
		l->device_free = l->device_free || h->devices[d].owner < 0;
}

/* Add one server to the sums, as the scan's loops add it after the others. */
static void load_add(const struct sheer_state *s, const struct power_fleet *f, int host, int server,
		     struct host_load *l)
{
	l->mean += s->forecast[server];
	l->var += s->variance[server];
	l->now += f->servers[server].demand_mips;
	l->avail_left -= host_grant(&f->hosts[host], f->servers[server].demand_mips);
}

static void load_compute(const struct sheer_state *s, const struct power_fleet *f, int host,
			 struct host_load *l)
{
	const struct power_host *h = &f->hosts[host];

	l->mean = l->var = l->now = 0;
	l->avail_left = host_model_total_mips(h->model) - h->booting_mips;
	for (int i = 0; i < h->n_servers; i++)
		load_add(s, f, host, h->servers[i], l);
	load_finish(h, l);
}

/* How many class limits are at or below `mb`: the class of a host with that much free memory. */
static int mem_class(const struct sheer_index *ix, int mb)
{
	int lo = 0, hi = ix->n_mem_steps;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (ix->mem_steps[mid] <= mb)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int *root_of(struct sheer_index *ix, int host)
{
	struct sheer_group *g = &ix->groups[ix->group[host]];

	return ix->tree[host] == IN_EMPTY ? &g->empty : &g->running[ix->tree[host]];
}

static void host_take_out(struct sheer_index *ix, int host)
{
	if (ix->tree[host] != IN_NONE)
		host_tree_remove(&ix->forest, root_of(ix, host), host);
	ix->tree[host] = IN_NONE;
}

/* Which tree the host belongs in now, and its key there: its forecast alone. */
static void host_place(struct sheer_index *ix, const struct power_fleet *f, int host)
{
	const struct host_load *l = &ix->load[host];

	ix->forest.key[host] = l->peak > l->now ? l->peak : l->now;
	ix->tree[host] = f->hosts[host].n_servers > 0 ? mem_class(ix, l->mem_free_mb) : IN_EMPTY;
}

static void host_put_in(struct sheer_index *ix, const struct power_fleet *f, int host)
{
	host_place(ix, f, host);
	host_tree_insert(&ix->forest, root_of(ix, host), host);
}

double sheer_index_forecast(const struct sheer_state *s, const struct power_fleet *f, int host)
{
	const struct host_load *l = &s->index.load[host];

	if (s->index.stale[host])
		return sheer_host_forecast_with(s, f, host, -1);
	return l->peak > l->now ? l->peak : l->now;
}

/* An avoided host is in no tree: its sums wait until it comes back. */
void sheer_index_refresh(struct sheer_state *s, const struct power_fleet *f, int host)
{
	struct sheer_index *ix = &s->index;

	if (ix->avoid[host]) {
		ix->stale[host] = true;
		return;
	}
	host_take_out(ix, host);
	load_compute(s, f, host, &ix->load[host]);
	host_put_in(ix, f, host);
}

void sheer_index_added(struct sheer_state *s, const struct power_fleet *f, int host, int server)
{
	struct sheer_index *ix = &s->index;

	if (ix->avoid[host]) {
		ix->stale[host] = true;
		return;
	}
	host_take_out(ix, host);
	load_add(s, f, host, server, &ix->load[host]);
	load_finish(&f->hosts[host], &ix->load[host]);
	host_put_in(ix, f, host);
}

void sheer_index_avoid(struct sheer_state *s, const struct power_fleet *f, int host, bool avoid)
{
	struct sheer_index *ix = &s->index;

	avoid = avoid || f->hosts[host].excluded;
	if (avoid == ix->avoid[host])
		return;
	ix->avoid[host] = avoid;
	if (avoid) {
		host_take_out(ix, host);
		return;
	}
	if (ix->stale[host])
		load_compute(s, f, host, &ix->load[host]);
	ix->stale[host] = false;
	host_put_in(ix, f, host);
}

static int group_of(struct sheer_index *ix, const struct host_model *m)
{
	double capacity = host_model_total_mips(m), efficiency = capacity / m->watts[0];
	struct sheer_group *grown, *g;

	for (int i = ix->n_groups - 1; i >= 0; i--)
		if (ix->groups[i].capacity == capacity && ix->groups[i].mips_per_pe == m->mips_per_pe &&
		    ix->groups[i].efficiency == efficiency)
			return i;
	grown = realloc(ix->groups, (ix->n_groups + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	ix->groups = grown;
	g = &ix->groups[ix->n_groups];
	*g = (struct sheer_group){ capacity, m->mips_per_pe, efficiency, { 0 }, -1 };
	for (int c = 0; c <= SHEER_MEM_STEPS; c++)
		g->running[c] = -1;
	return ix->n_groups++;
}

/*
 * The class limits: the servers' memory sizes when they are few (the usual case:
 * a handful of flavours), else sizes a factor sqrt(2) apart from 512 MB.
 */
static void mem_steps_find(struct sheer_index *ix, const struct power_fleet *f)
{
	int n = 0;

	for (int i = 0; i < f->n_servers && n <= SHEER_MEM_STEPS; i++) {
		int mb = f->servers[i].mem_mb, k = n;

		while (k > 0 && ix->mem_steps[k - 1] > mb)
			k--;
		if (k > 0 && ix->mem_steps[k - 1] == mb)
			continue;
		if (n == SHEER_MEM_STEPS) {
			n++;
			break;
		}
		memmove(&ix->mem_steps[k + 1], &ix->mem_steps[k], (n - k) * sizeof(int));
		ix->mem_steps[k] = mb;
		n++;
	}
	if (n > SHEER_MEM_STEPS) {
		n = SHEER_MEM_STEPS;
		for (int k = 0; k < n; k++)
			ix->mem_steps[k] = (int)(512 * pow(2, k / 2.0));
	}
	ix->n_mem_steps = n;
}

static int cmp_key(const void *a, const void *b, void *forest)
{
	const double *key = ((const struct host_forest *)forest)->key;
	int x = *(const int *)a, y = *(const int *)b;

	if (key[x] != key[y])
		return key[x] < key[y] ? -1 : 1;
	return x - y;
}

/* Tree t of the index: group t / (classes + 1) and, within it, a memory class or (the last) the empty hosts. */
static int tree_number(const struct sheer_index *ix, int host)
{
	int per_group = ix->n_mem_steps + 2;

	return ix->group[host] * per_group + (ix->tree[host] == IN_EMPTY ? per_group - 1 : ix->tree[host]);
}

/* Every tree at once: hosts sorted into their trees by counting, each tree made in linear time. */
static int trees_build(struct sheer_index *ix, const struct power_fleet *f)
{
	int n_trees = ix->n_groups * (ix->n_mem_steps + 2);
	int *start = calloc(n_trees + 1, sizeof(int));

	if (!start)
		return -ENOMEM;
	for (int h = 0; h < f->n_hosts; h++)
		if (ix->tree[h] != IN_NONE)
			start[tree_number(ix, h) + 1]++;
	for (int t = 0; t < n_trees; t++)
		start[t + 1] += start[t];
	for (int h = 0; h < f->n_hosts; h++)
		if (ix->tree[h] != IN_NONE)
			ix->order[start[tree_number(ix, h)]++] = h;
	for (int t = n_trees - 1; t >= 0; t--)
		start[t + 1] = start[t];
	start[0] = 0;
	for (int t = 0; t < n_trees; t++) {
		struct sheer_group *g = &ix->groups[t / (ix->n_mem_steps + 2)];
		int slot = t % (ix->n_mem_steps + 2), n = start[t + 1] - start[t];
		int *hosts = ix->order + start[t];
		bool empties = slot == ix->n_mem_steps + 1;

		/* Empty hosts all have key 0: counting left them in index order already. */
		if (!empties)
			qsort_r(hosts, n, sizeof(int), cmp_key, &ix->forest);
		*(empties ? &g->empty : &g->running[slot]) = host_tree_build(&ix->forest, hosts, n, ix->stack);
	}
	free(start);
	return 0;
}

int sheer_index_build(struct sheer_state *s, const struct power_fleet *f, const unsigned char *avoid)
{
	struct sheer_index *ix = &s->index;
	const struct host_model *last = NULL;
	int g = -1;

	ix->n_groups = 0;
	mem_steps_find(ix, f);
	for (int h = 0; h < f->n_hosts; h++) {
		/* Most neighbours share a model: look the group up only when it changes. */
		if (f->hosts[h].model != last) {
			last = f->hosts[h].model;
			g = group_of(ix, last);
			if (g < 0)
				return g;
		}
		ix->group[h] = g;
		ix->tree[h] = IN_NONE;
		ix->stale[h] = false;
		ix->avoid[h] = f->hosts[h].excluded || (avoid && avoid[h]);
		load_compute(s, f, h, &ix->load[h]);
		if (!ix->avoid[h])
			host_place(ix, f, h);
	}
	return trees_build(ix, f);
}

/* The server's own limits that a whole group passes or fails: CPU per core. */
static bool group_admits(const struct query *q, const struct sheer_group *g)
{
	const struct power_server *v = q->v;

	/* Big servers go only where one core holds their whole forecast. */
	return g->mips_per_pe >= v->demand_mips &&
	       !(v->mips > g->mips_per_pe && q->mean + SHEER_SIGMAS * sqrt(q->var) > g->mips_per_pe);
}

/* sqrt(var + var_v) - sqrt(var), without cancellation. */
static double spread_added(double var, double var_v)
{
	return var_v > 0 ? var_v / (sqrt(var + var_v) + sqrt(var)) : 0;
}

static double margin(double a, double b)
{
	return ROUNDING_MARGIN * (fabs(a) + fabs(b));
}

static double larger(double a, double b)
{
	return a > b ? a : b;
}

static double smaller(double a, double b)
{
	return a < b ? a : b;
}

/* Whether some host of the subtree may take the server: none when a lower bound passes a limit. */
static bool subtree_may_take(const struct query *q, const struct host_bounds *b)
{
	double budget = SHEER_BUDGET * q->capacity, now = q->v->demand_mips;
	double low = larger(larger(b->peak_lo + q->mean + SHEER_SIGMAS * spread_added(b->var_hi, q->var),
				   b->now_lo + now),
			    b->key_lo + smaller(q->mean, now));

	return b->avail_hi >= now && b->mem_free_hi >= q->v->mem_mb && (q->v->n_devices == 0 || b->device_free) &&
	       low <= budget + margin(low, budget);
}

/* The most a host of the subtree may fill with the server, as a share of the group's capacity. */
static double subtree_fill_bound(const struct query *q, const struct host_bounds *b)
{
	double rise = q->mean + SHEER_SIGMAS * spread_added(b->var_lo, q->var), now = q->v->demand_mips;
	double top = smaller(larger(b->peak_hi + rise, b->now_hi + now), b->key_hi + larger(rise, now));

	return (top + margin(top, q->capacity)) / q->capacity;
}

/* The scan's verdict on one host from its cached sums: whether it fits, and how full it gets. */
static bool host_takes(const struct query *q, int host, double *fill)
{
	const struct host_load *l = &q->ix->load[host];
	const struct power_host *h = &q->f->hosts[host];
	double mean = l->mean + q->mean, var = l->var + q->var, now = l->now + q->v->demand_mips, fc;

	if (q->v->host == host || l->avail < q->v->demand_mips || h->mem_used_mb + q->v->mem_mb > h->model->mem_mb ||
	    !host_has_devices_for(h, q->v))
		return false;
	fc = mean + SHEER_SIGMAS * sqrt(var);
	fc = fc > now ? fc : now;
	*fill = fc / q->capacity;
	return fc <= SHEER_BUDGET * q->capacity;
}

/* Fullest host that fits, fullest subtrees first; ties go to the lowest index, as in a scan. */
static void search_running(struct query *q, int node)
{
	const struct host_forest *t = &q->ix->forest;
	double fill;

	if (node < 0)
		return;
	q->st->hosts_examined++;
	if (!subtree_may_take(q, &t->sub[node]) || subtree_fill_bound(q, &t->sub[node]) < q->best_fill)
		return;
	search_running(q, t->right[node]);
	if (host_takes(q, node, &fill) && (fill > q->best_fill || (fill == q->best_fill && node < q->best))) {
		q->best = node;
		q->best_fill = fill;
	}
	search_running(q, t->left[node]);
}

/* The lowest-index empty host that fits: the tree is in index order. */
static int search_empty(struct query *q, int node)
{
	const struct host_forest *t = &q->ix->forest;
	double fill;
	int found;

	if (node < 0)
		return -1;
	q->st->hosts_examined++;
	if (!subtree_may_take(q, &t->sub[node]))
		return -1;
	found = search_empty(q, t->left[node]);
	if (found >= 0)
		return found;
	if (host_takes(q, node, &fill))
		return node;
	return search_empty(q, t->right[node]);
}

int sheer_find_host(const struct sheer_state *s, struct plan_state *st, int server)
{
	const struct sheer_index *ix = &s->index;
	struct query q = { ix, st->w, st, &st->w->servers[server], s->forecast[server], s->variance[server],
			   0, -1, -1 };
	int first_class = mem_class(ix, q.v->mem_mb), best_off = -1;
	double best_eff = -1;

	st->host_searches++;
	/* Classes below the server's memory size cannot hold it: none of their hosts has enough free. */
	for (int g = 0; g < ix->n_groups; g++) {
		if (!group_admits(&q, &ix->groups[g]))
			continue;
		q.capacity = ix->groups[g].capacity;
		for (int c = first_class; c <= ix->n_mem_steps; c++)
			search_running(&q, ix->groups[g].running[c]);
	}
	if (q.best >= 0)
		return q.best;
	/* None running fits: switch on the most efficient model's first empty host that does. */
	for (int g = 0; g < ix->n_groups; g++) {
		const struct sheer_group *grp = &ix->groups[g];
		int h;

		if (grp->efficiency < best_eff || !group_admits(&q, grp))
			continue;
		q.capacity = grp->capacity;
		h = search_empty(&q, grp->empty);
		if (h >= 0 && (grp->efficiency > best_eff || h < best_off)) {
			best_eff = grp->efficiency;
			best_off = h;
		}
	}
	return best_off;
}
