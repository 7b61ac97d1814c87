/* BMC power with read-back (fleet_power.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power/bmc/bmc.h"
#include "power/fleet/fleet_power.h"

/* The host's BMC target with its password, read now (so a rotated password file is taken). */
static int target_load(const struct fleet_host_config *host, struct bmc_target *t, char *err, size_t errlen)
{
	char why[512];

	if (!bmc_entry_given(&host->bmc)) {
		snprintf(err, errlen, "host %s has no BMC", host->name);
		return -ENODEV;
	}
	*t = host->bmc.target;
	if (bmc_password_load(t, host->bmc.password_file, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "host %s: BMC: %s", host->name, why);
		return -EACCES;
	}
	return 0;
}

static int fail(const struct fleet_host_config *host, const struct bmc_target *t, int ret, const char *why, char *err,
		size_t errlen)
{
	char url[BMC_FIELD_MAX * 2 + 32];

	bmc_target_describe(t, url, sizeof(url));
	snprintf(err, errlen, "host %s: BMC %s: %s", host->name, url, why);
	return ret;
}

int fleet_power_state(const struct fleet_host_config *host, bool *on, char *err, size_t errlen)
{
	struct bmc_target t;
	char why[512];
	int ret = target_load(host, &t, err, errlen);

	if (ret == 0 && (ret = bmc_power_state(&t, on, why, sizeof(why))) < 0)
		fail(host, &t, ret, why, err, errlen);
	explicit_bzero(t.password, sizeof(t.password));
	return ret;
}

/*
 * Send action (again every FLEET_POWER_REPEAT_S) until the BMC reads back
 * `want`, or until the deadline: 0, or the last error.
 */
static int drive(const struct fleet_host_config *host, const struct bmc_target *t, enum bmc_power_action action,
		 bool want, unsigned int deadline_s, char *err, size_t errlen)
{
	time_t start = time(NULL), sent = 0;
	char why[512] = "";
	bool on = !want;
	int ret = 0;

	for (;;) {
		if (time(NULL) - sent >= FLEET_POWER_REPEAT_S) {
			ret = bmc_power(t, action, why, sizeof(why));
			if (ret == -EACCES)
				return fail(host, t, ret, why, err, errlen);
			sent = time(NULL);
		}
		sleep(FLEET_POWER_POLL_S);
		ret = bmc_power_state(t, &on, why, sizeof(why));
		if (ret == 0 && on == want)
			return 0;
		if (time(NULL) - start >= (time_t)deadline_s)
			break;
	}
	if (ret == 0)
		snprintf(why, sizeof(why), "still %s after %u s", on ? "on" : "off", deadline_s);
	return fail(host, t, ret < 0 ? ret : -ETIMEDOUT, why, err, errlen);
}

int fleet_power_off(const struct fleet_host_config *host, unsigned int soft_s, unsigned int deadline_s, char *err,
		    size_t errlen)
{
	struct bmc_target t;
	int ret = target_load(host, &t, err, errlen);

	if (ret == 0 && soft_s)
		ret = drive(host, &t, BMC_POWER_SOFT, false, soft_s, err, errlen);
	/* The OS did not stop in time (or was not asked): the switch. */
	if ((ret == 0 && !soft_s) || ret == -ETIMEDOUT)
		ret = drive(host, &t, BMC_POWER_OFF, false, deadline_s, err, errlen);
	explicit_bzero(t.password, sizeof(t.password));
	return ret;
}

int fleet_power_on(const struct fleet_host_config *host, unsigned int deadline_s, char *err, size_t errlen)
{
	struct bmc_target t;
	int ret = target_load(host, &t, err, errlen);

	if (ret == 0)
		ret = drive(host, &t, BMC_POWER_ON, true, deadline_s, err, errlen);
	explicit_bzero(t.password, sizeof(t.password));
	return ret;
}
