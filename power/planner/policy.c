/* The policies by name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

static const struct policy_ops policies[] = {
	{ "none", 0, NULL, none_plan, none_place, NULL },
	{ "thr-mmt-0.8", 0.8, thr_overloaded, cloudsim_plan, cloudsim_place, NULL },
	{ "iqr-mmt-1.5", 1.5, iqr_overloaded, cloudsim_plan, cloudsim_place, NULL },
	{ "lr-mmt-1.2", 1.2, lr_overloaded, cloudsim_plan, cloudsim_place, NULL },
	{ "sheer", 0, NULL, sheer_plan, sheer_place, sheer_release },
};

#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

static const char *const policy_names[N_POLICIES + 1] = {
	"none", "thr-mmt-0.8", "iqr-mmt-1.5", "lr-mmt-1.2", "sheer", NULL,
};

const char *const *power_policy_names(void)
{
	return policy_names;
}

bool power_policy_known(const char *name)
{
	for (const char *const *n = policy_names; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

int power_policy_new(const char *name, struct power_policy **out)
{
	for (size_t i = 0; i < N_POLICIES; i++) {
		struct power_policy *p;

		if (strcmp(policies[i].name, name) != 0)
			continue;
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->ops = &policies[i];
		*out = p;
		return 0;
	}
	return -EINVAL;
}

void power_policy_free(struct power_policy *p)
{
	if (!p)
		return;
	if (p->ops->release)
		p->ops->release(p->state);
	power_fleet_free(&p->work);
	free(p);
}

const char *power_policy_name(const struct power_policy *p)
{
	return p->ops->name;
}
