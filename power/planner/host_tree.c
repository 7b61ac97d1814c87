/*
 * Treaps: a binary search tree on (key, host) that is also a heap on a
 * pseudo-random priority, which keeps it O(log n) deep whatever order hosts come
 * and go in. Insert and remove split and merge along one path and refresh the
 * subtree bounds on the way back up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/host_tree.h"

static unsigned prio_of(int host)
{
	unsigned x = (unsigned)host * 0x9e3779b1u;

	x ^= x >> 15;
	x *= 0x85ebca77u;
	return x ^ (x >> 13);
}

int host_forest_init(struct host_forest *t, int n_hosts, const struct host_load *load)
{
	int n = n_hosts > 0 ? n_hosts : 1;

	memset(t, 0, sizeof(*t));
	t->load = load;
	t->left = malloc(n * sizeof(int));
	t->right = malloc(n * sizeof(int));
	t->prio = malloc(n * sizeof(unsigned));
	t->key = calloc(n, sizeof(double));
	t->sub = calloc(n, sizeof(*t->sub));
	if (!t->left || !t->right || !t->prio || !t->key || !t->sub) {
		host_forest_free(t);
		return -ENOMEM;
	}
	for (int h = 0; h < n_hosts; h++) {
		t->left[h] = t->right[h] = -1;
		t->prio[h] = prio_of(h);
	}
	return 0;
}

void host_forest_free(struct host_forest *t)
{
	free(t->left);
	free(t->right);
	free(t->prio);
	free(t->key);
	free(t->sub);
	memset(t, 0, sizeof(*t));
}

static bool before(const struct host_forest *t, int a, int b)
{
	return t->key[a] < t->key[b] || (t->key[a] == t->key[b] && a < b);
}

static void bounds_widen(struct host_bounds *b, const struct host_bounds *c)
{
	b->key_lo = c->key_lo < b->key_lo ? c->key_lo : b->key_lo;
	b->key_hi = c->key_hi > b->key_hi ? c->key_hi : b->key_hi;
	b->peak_lo = c->peak_lo < b->peak_lo ? c->peak_lo : b->peak_lo;
	b->peak_hi = c->peak_hi > b->peak_hi ? c->peak_hi : b->peak_hi;
	b->var_lo = c->var_lo < b->var_lo ? c->var_lo : b->var_lo;
	b->var_hi = c->var_hi > b->var_hi ? c->var_hi : b->var_hi;
	b->now_lo = c->now_lo < b->now_lo ? c->now_lo : b->now_lo;
	b->now_hi = c->now_hi > b->now_hi ? c->now_hi : b->now_hi;
	b->avail_hi = c->avail_hi > b->avail_hi ? c->avail_hi : b->avail_hi;
	b->mem_free_hi = c->mem_free_hi > b->mem_free_hi ? c->mem_free_hi : b->mem_free_hi;
	b->device_free = b->device_free || c->device_free;
}

static void node_refresh(struct host_forest *t, int h)
{
	const struct host_load *l = &t->load[h];

	t->sub[h] = (struct host_bounds){ t->key[h], t->key[h], l->peak, l->peak, l->var, l->var, l->now, l->now,
					  l->avail, l->mem_free_mb, l->device_free };
	if (t->left[h] >= 0)
		bounds_widen(&t->sub[h], &t->sub[t->left[h]]);
	if (t->right[h] >= 0)
		bounds_widen(&t->sub[h], &t->sub[t->right[h]]);
}

/* Split the tree at `node` into hosts before `host` (*lo) and the others (*hi). */
static void split(struct host_forest *t, int node, int host, int *lo, int *hi)
{
	if (node < 0) {
		*lo = *hi = -1;
		return;
	}
	if (before(t, node, host)) {
		split(t, t->right[node], host, &t->right[node], hi);
		*lo = node;
	} else {
		split(t, t->left[node], host, lo, &t->left[node]);
		*hi = node;
	}
	node_refresh(t, node);
}

/* Join two trees whose every host in `a` comes before every host in `b`. */
static int merge(struct host_forest *t, int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	if (t->prio[a] > t->prio[b]) {
		t->right[a] = merge(t, t->right[a], b);
		node_refresh(t, a);
		return a;
	}
	t->left[b] = merge(t, a, t->left[b]);
	node_refresh(t, b);
	return b;
}

/* Insert below the first node of lower priority: one split there, the path above only refreshed. */
static int insert_at(struct host_forest *t, int node, int host)
{
	if (node < 0 || t->prio[host] > t->prio[node]) {
		split(t, node, host, &t->left[host], &t->right[host]);
		node_refresh(t, host);
		return host;
	}
	if (before(t, host, node))
		t->left[node] = insert_at(t, t->left[node], host);
	else
		t->right[node] = insert_at(t, t->right[node], host);
	node_refresh(t, node);
	return node;
}

void host_tree_insert(struct host_forest *t, int *root, int host)
{
	t->left[host] = t->right[host] = -1;
	*root = insert_at(t, *root, host);
}

static int remove_from(struct host_forest *t, int node, int host)
{
	if (node < 0)
		return -1;
	if (node == host) {
		int joined = merge(t, t->left[host], t->right[host]);

		t->left[host] = t->right[host] = -1;
		return joined;
	}
	if (before(t, host, node))
		t->left[node] = remove_from(t, t->left[node], host);
	else
		t->right[node] = remove_from(t, t->right[node], host);
	node_refresh(t, node);
	return node;
}

void host_tree_remove(struct host_forest *t, int *root, int host)
{
	*root = remove_from(t, *root, host);
}

static void refresh_below(struct host_forest *t, int node)
{
	if (node < 0)
		return;
	refresh_below(t, t->left[node]);
	refresh_below(t, t->right[node]);
	node_refresh(t, node);
}

/* A Cartesian tree on priority: each host pops the lower-priority ones off the right spine. */
int host_tree_build(struct host_forest *t, const int *hosts, int n, int *stack)
{
	int depth = 0;

	for (int i = 0; i < n; i++) {
		int h = hosts[i], last = -1;

		t->left[h] = t->right[h] = -1;
		while (depth > 0 && t->prio[stack[depth - 1]] < t->prio[h])
			last = stack[--depth];
		t->left[h] = last;
		if (depth > 0)
			t->right[stack[depth - 1]] = h;
		stack[depth++] = h;
	}
	if (depth == 0)
		return -1;
	refresh_below(t, stack[0]);
	return stack[0];
}
