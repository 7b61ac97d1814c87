/* Host types and their SPECpower tables (HP ProLiant ML110 G4 and G5, as in CloudSim). */
#include <math.h>
#include <string.h>

#include "power/planner/power.h"

static const struct host_model standard_models[] = {
	{ "hp-ml110-g4", "HP ProLiant ML110 G4 (Xeon 3040)", 1860, 2, 4096, 1000,
	  { 86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117 } },
	{ "hp-ml110-g5", "HP ProLiant ML110 G5 (Xeon 3075)", 2660, 2, 4096, 1000,
	  { 93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135 } },
};

const struct host_model *host_model_standard(int type)
{
	if (type < 0 || type >= (int)(sizeof(standard_models) / sizeof(standard_models[0])))
		return NULL;
	return &standard_models[type];
}

const struct host_model *host_model_find(const char *id)
{
	const struct host_model *m;

	for (int type = 0; (m = host_model_standard(type)); type++)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

double host_model_total_mips(const struct host_model *m)
{
	return m->mips_per_pe * m->pes;
}

double host_model_power(const struct host_model *m, double utilization)
{
	double pos, frac;
	int lo;

	if (utilization <= 0)
		return m->watts[0];
	if (utilization >= 1)
		return m->watts[10];
	pos = utilization * 10;
	lo = (int)floor(pos);
	frac = pos - lo;
	return m->watts[lo] + (m->watts[lo + 1] - m->watts[lo]) * frac;
}
