/* The words of the action log and host records, as stored and as printed. */
#include <errno.h>
#include <string.h>

#include "power/store/store.h"

static const char *const kind_names[FLEET_ACTION_KINDS] = {
	[FLEET_MIGRATE] = "migrate",     [FLEET_POWER_OFF] = "power_off", [FLEET_POWER_ON] = "power_on",
	[FLEET_WAKE_TEST] = "wake_test", [FLEET_FENCE] = "fence",         [FLEET_RESTART] = "restart",
	[FLEET_SWITCH] = "switch",
};
static const char *const result_names[FLEET_RESULTS] = {
	[FLEET_PENDING] = "pending", [FLEET_OK] = "ok", [FLEET_FAILED] = "failed", [FLEET_ROLLED_BACK] = "rolled_back",
};
static const char *const power_names[FLEET_POWER_STATES] = {
	[FLEET_POWER_UNKNOWN] = "unknown", [FLEET_POWER_IS_ON] = "on", [FLEET_POWER_IS_OFF] = "off",
};

static const char *name_of(const char *const *names, unsigned int n, unsigned int value)
{
	return value < n ? names[value] : "?";
}

static int name_find(const char *const *names, unsigned int n, const char *name, unsigned int *value)
{
	for (unsigned int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0) {
			*value = i;
			return 0;
		}
	return -EINVAL;
}

const char *fleet_action_kind_name(enum fleet_action_kind kind)
{
	return name_of(kind_names, FLEET_ACTION_KINDS, kind);
}

const char *fleet_result_name(enum fleet_result result)
{
	return name_of(result_names, FLEET_RESULTS, result);
}

const char *fleet_power_name(enum fleet_power power)
{
	return name_of(power_names, FLEET_POWER_STATES, power);
}

int fleet_action_kind_parse(const char *name, enum fleet_action_kind *kind)
{
	unsigned int v;
	int ret = name_find(kind_names, FLEET_ACTION_KINDS, name, &v);

	if (ret == 0)
		*kind = v;
	return ret;
}

int fleet_result_parse(const char *name, enum fleet_result *result)
{
	unsigned int v;
	int ret = name_find(result_names, FLEET_RESULTS, name, &v);

	if (ret == 0)
		*result = v;
	return ret;
}

int fleet_power_parse(const char *name, enum fleet_power *power)
{
	unsigned int v;
	int ret = name_find(power_names, FLEET_POWER_STATES, name, &v);

	if (ret == 0)
		*power = v;
	return ret;
}
