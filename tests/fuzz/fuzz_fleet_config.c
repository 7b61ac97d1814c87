/* A fleet file as anyone who may hand one to `sheer fleet check` (or the controller) could write it. */
/*
 * Read through fleet_config_read() (what fleet_config_load() calls on the open
 * file), then evaluated by schedule_evaluate() at instants around both of
 * Berlin's clock changes. What the README promises is checked, and a
 * violation aborts: a refusal names the file and line; a file that loads has
 * an active host, every spare a BMC, no two hosts on one address, schedules
 * with a window that is not empty, and at every instant an effective policy
 * within the documented bounds and a next change after the instant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/schedule.h"
#include "tests/fuzz/fuzz_input.h"

#define FLEET_PATH "/etc/sheer/fleet.ini"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_fleet_config: %s: %s\n", what, detail);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	setenv("TZ", "Europe/Berlin", 1);
	return 0;
}

static void check_hosts(const struct fleet_config *c)
{
	unsigned int active = 0;

	for (unsigned int i = 0; i < c->n_hosts; i++) {
		const struct fleet_host_config *h = &c->hosts[i];

		active += h->role == FLEET_ROLE_ACTIVE;
		if (h->role == FLEET_ROLE_SPARE && bmc_entry_missing(&h->bmc))
			fail("a spare without a complete BMC", h->name);
		if (!server_name_is_valid(h->name) || h->address.port == 0 || h->address.port > 65535)
			fail("a host without a name or an address", h->name);
		for (unsigned int j = 0; j < i; j++)
			if (h->address.port == c->hosts[j].address.port && strcmp(h->address.host, c->hosts[j].address.host) == 0)
				fail("two hosts on one address", h->name);
	}
	if (active == 0)
		fail("a fleet without an active host", c->path);
}

static void check_schedules(const struct fleet_config *c)
{
	/* 2025-03-30 00:30 and 2025-10-26 00:30 UTC: just before either clock change, and a week on. */
	static const time_t instants[] = { 1743294600, 1761438600, 1743294600 + 7 * 86400 };

	if (c->n_schedules > FLEET_SCHEDULES_MAX)
		fail("more schedules than the mask holds", c->path);
	for (unsigned int i = 0; i < c->n_schedules; i++)
		if (c->schedules[i].hours.start_min == c->schedules[i].hours.end_min || !c->schedules[i].days ||
		    !c->schedules[i].sets)
			fail("a schedule that never applies or changes nothing", c->schedules[i].name);
	for (unsigned int i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		struct schedule_now now;

		schedule_evaluate(c, instants[i], &now);
		if (now.changes && now.next_change <= instants[i])
			fail("a next change that is not in the future", c->path);
		if (!power_policy_known(now.effective.policy) || now.effective.headroom_pct > 90 ||
		    now.effective.min_active_hosts > c->n_hosts)
			fail("an effective policy out of bounds", now.effective.policy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fleet_config c;
	char err[1024] = "";
	FILE *file;
	int ret;

	file = fuzz_file(data, len);
	if (!file)
		return 0;
	ret = fleet_config_read(file, FLEET_PATH, &c, err, sizeof(err));
	fclose(file);
	if (ret < 0 && !fuzz_names_file(err, FLEET_PATH))
		fail("a refusal that does not name the file and line", err);
	if (ret == 0) {
		check_hosts(&c);
		check_schedules(&c);
	}
	fleet_config_free(&c);
	return 0;
}
