/* The total and median rows under a policy's days. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/report.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void summary_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
}

/* Sorts v in place. */
static double median_of(double *v, int n)
{
	summary_sort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void summary_total(const struct sim_result *r, int n, struct sim_result *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->day, sizeof(t->day), "total");
	for (int i = 0; i < n; i++) {
		t->energy_kwh += r[i].energy_kwh;
		t->slatah += r[i].slatah / n;
		t->pdm += r[i].pdm / n;
		t->slav += r[i].slav / n;
		t->esv += r[i].esv;
		t->migrations += r[i].migrations;
		t->shutdowns += r[i].shutdowns;
		t->wall_s += r[i].wall_s;
	}
}

void summary_median(const struct sim_result *r, int n, struct sim_result *m)
{
	enum { ENERGY, SLATAH, PDM, SLAV, ESV, MIGRATIONS, SHUTDOWNS, WALL, N_FIELDS };
	double v[N_FIELDS][n > 0 ? n : 1];

	memset(m, 0, sizeof(*m));
	snprintf(m->day, sizeof(m->day), "median");
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		v[ENERGY][i] = r[i].energy_kwh;
		v[SLATAH][i] = r[i].slatah;
		v[PDM][i] = r[i].pdm;
		v[SLAV][i] = r[i].slav;
		v[ESV][i] = r[i].esv;
		v[MIGRATIONS][i] = r[i].migrations;
		v[SHUTDOWNS][i] = r[i].shutdowns;
		v[WALL][i] = r[i].wall_s;
	}
	m->energy_kwh = median_of(v[ENERGY], n);
	m->slatah = median_of(v[SLATAH], n);
	m->pdm = median_of(v[PDM], n);
	m->slav = median_of(v[SLAV], n);
	m->esv = median_of(v[ESV], n);
	m->migrations = (long)median_of(v[MIGRATIONS], n);
	m->shutdowns = (long)median_of(v[SHUTDOWNS], n);
	m->wall_s = median_of(v[WALL], n);
}
