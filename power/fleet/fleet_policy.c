/* The policy values a schedule changes: which differ, how they apply, how they read. */
#include <stdio.h>
#include <string.h>

#include "power/fleet/fleet_config.h"

unsigned int fleet_policy_differences(const struct fleet_policy *a, const struct fleet_policy *b, unsigned int sets)
{
	unsigned int differ = 0;

	if (strcmp(a->policy, b->policy) != 0)
		differ |= FLEET_SETS_POLICY;
	if (a->headroom_pct != b->headroom_pct)
		differ |= FLEET_SETS_HEADROOM;
	if (a->min_active_hosts != b->min_active_hosts)
		differ |= FLEET_SETS_MIN_ACTIVE_HOSTS;
	if (a->power_saving != b->power_saving)
		differ |= FLEET_SETS_POWER_SAVING;
	return differ & sets;
}

void fleet_policy_overlay(struct fleet_policy *p, const struct fleet_policy *values, unsigned int sets)
{
	if (sets & FLEET_SETS_POLICY)
		memcpy(p->policy, values->policy, sizeof(p->policy));
	if (sets & FLEET_SETS_HEADROOM)
		p->headroom_pct = values->headroom_pct;
	if (sets & FLEET_SETS_MIN_ACTIVE_HOSTS)
		p->min_active_hosts = values->min_active_hosts;
	if (sets & FLEET_SETS_POWER_SAVING)
		p->power_saving = values->power_saving;
}

void fleet_setting_describe(enum fleet_setting setting, const struct fleet_policy *p, char *out, size_t len)
{
	switch (setting) {
	case FLEET_SETS_POLICY:
		snprintf(out, len, "policy = %s", p->policy);
		break;
	case FLEET_SETS_HEADROOM:
		snprintf(out, len, "headroom = %u%%", p->headroom_pct);
		break;
	case FLEET_SETS_MIN_ACTIVE_HOSTS:
		snprintf(out, len, "min_active_hosts = %u", p->min_active_hosts);
		break;
	case FLEET_SETS_POWER_SAVING:
		snprintf(out, len, "power_saving = %s", p->power_saving ? "on" : "off");
		break;
	}
}

const char *const *fleet_ha_names(void)
{
	static const char *const names[] = { [FLEET_HA_RESTART] = "restart", [FLEET_HA_SWITCH] = "switch", NULL };

	return names;
}

const char *const *fleet_role_names(void)
{
	static const char *const names[] = { [FLEET_ROLE_ACTIVE] = "active", [FLEET_ROLE_SPARE] = "spare", NULL };

	return names;
}
