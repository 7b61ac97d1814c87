/*
 * Each section's keys as data: a key is a name, how its value is read and
 * where it goes, so that an unknown key's message lists exactly the keys its
 * section has, and a [schedule] reads the policy values it changes with the
 * same code (and bounds) as [policy].
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_keys.h"
#include "power/fleet/schedule.h"
#include "power/store/etcd_client.h"
#include "vmm/lib/net_address.h"

static int take_number(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		       size_t len)
{
	unsigned int *n = field;

	(void)dir;
	if (parse_uint(value, k->max, n) == 0 && *n >= k->min)
		return 0;
	snprintf(reason, len, "%s: '%.40s' is not a whole number%s%s from %u to %u", k->name, value,
		 k->unit ? " of " : "", k->unit ? k->unit : "", k->min, k->max);
	return -EINVAL;
}

/* "20%" (or "20"): a whole percentage. */
static int take_percent(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
			size_t len)
{
	size_t digits = strcspn(value, "%");
	char number[16];

	(void)dir;
	if (digits < sizeof(number) && (value[digits] == '\0' || strcmp(value + digits, "%") == 0)) {
		snprintf(number, sizeof(number), "%.*s", (int)digits, value);
		if (parse_uint(number, k->max, field) == 0 && *(unsigned int *)field >= k->min)
			return 0;
	}
	snprintf(reason, len, "%s: '%.40s' is not a percentage from %u%% to %u%%", k->name, value, k->min, k->max);
	return -EINVAL;
}

static int take_switch(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		       size_t len)
{
	(void)dir;
	if (parse_bool(value, field) == 0)
		return 0;
	snprintf(reason, len, "%s: '%.40s' is neither on nor off", k->name, value);
	return -EINVAL;
}

/* value is one of names (ending with NULL): its index into field, an enum. */
static int take_word(const struct fleet_key *k, const char *const *names, unsigned int *field, const char *value,
		     char *reason, size_t len)
{
	size_t used;

	for (unsigned int i = 0; names[i]; i++) {
		if (strcmp(value, names[i]) == 0) {
			*field = i;
			return 0;
		}
	}
	used = (size_t)snprintf(reason, len, "%s: unknown %s '%.40s' (", k->name, k->name, value);
	for (unsigned int i = 0; names[i] && used < len; i++)
		used += (size_t)snprintf(reason + used, len - used, "%s%s", i ? ", " : "", names[i]);
	if (used < len)
		snprintf(reason + used, len - used, ")");
	return -EINVAL;
}

static int take_policy(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		       size_t len)
{
	unsigned int index;
	int ret = take_word(k, power_policy_names(), &index, value, reason, len);

	(void)dir;
	if (ret == 0)
		snprintf(field, FLEET_POLICY_NAME_MAX, "%s", power_policy_names()[index]);
	return ret;
}

/* ha = and role =: a word of names, its index the enum's value. */
static int take_enum(const struct fleet_key *k, const char *const *names, void *field, const char *value, char *reason,
		     size_t len)
{
	unsigned int index;
	int ret = take_word(k, names, &index, value, reason, len);

	if (ret == 0)
		*(int *)field = (int)index;
	return ret;
}

static int take_ha(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		   size_t len)
{
	(void)dir;
	return take_enum(k, fleet_ha_names(), field, value, reason, len);
}

static int take_role(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		     size_t len)
{
	(void)dir;
	return take_enum(k, fleet_role_names(), field, value, reason, len);
}

static int take_model(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		      size_t len)
{
	const char *ids[8] = { NULL };
	const struct host_model *m;
	unsigned int index;

	(void)dir;
	for (int type = 0; type < 7 && (m = host_model_standard(type)); type++)
		ids[type] = m->id;
	if (take_word(k, ids, &index, value, reason, len) < 0)
		return -EINVAL;
	*(const struct host_model **)field = host_model_find(value);
	return 0;
}

static int take_memory(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		       size_t len)
{
	(void)dir;
	if (parse_size(value, field) == 0 && *(uint64_t *)field > 0)
		return 0;
	snprintf(reason, len, "%s: '%.40s' is not a size (256G, 512M)", k->name, value);
	return -EINVAL;
}

static int take_name(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		     size_t len)
{
	(void)dir;
	if (server_name_is_valid(value))
		return copy_string(field, SERVER_NAME_MAX, value);
	snprintf(reason, len, "%s: '%.64s' is not a name (letters, digits, '-', '_', '.'; at most %d)", k->name, value,
		 SERVER_NAME_MAX - 1);
	return -EINVAL;
}

static int take_endpoint(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
			 size_t len)
{
	struct fleet_endpoint *at = field;

	(void)dir;
	if (parse_host_port(value, at->host, sizeof(at->host), &at->port) == 0)
		return 0;
	snprintf(reason, len, "%s: '%.64s' is not HOST:PORT (a name, an IPv4 address or [IPv6], a port from 1 to "
		 "65535)", k->name, value);
	return -EINVAL;
}

static int take_host(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		     size_t len)
{
	(void)dir;
	if (net_host_is_valid(value))
		return copy_string(field, FLEET_HOST_NAME_MAX, value);
	snprintf(reason, len, "%s: '%.64s' is not a host name or a numeric IPv4 or IPv6 address", k->name, value);
	return -EINVAL;
}

static int take_folder(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		       size_t len)
{
	if (parse_path(dir, value, field, PATH_MAX) == 0)
		return 0;
	snprintf(reason, len, "%s: '%.64s' is empty or its path too long", k->name, value);
	return -EINVAL;
}

/* The fleet store's URL (power/store/store.h): an etcd list as its client reads it, a SQLite path from dir. */
static int take_state(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		      size_t len)
{
	struct fleet_state *s = field;
	struct etcd_client client;
	char path[PATH_MAX], why[256];

	s->kind = strncmp(value, "etcd:", 5) == 0 ? FLEET_STATE_ETCD : FLEET_STATE_SQLITE;
	if (s->kind == FLEET_STATE_ETCD && etcd_client_init(&client, value + 5, why, sizeof(why)) < 0) {
		snprintf(reason, len, "%s: etcd: %s", k->name, why);
		return -EINVAL;
	}
	if (s->kind == FLEET_STATE_ETCD && copy_string(s->url, sizeof(s->url), value) == 0)
		return 0;
	if (s->kind == FLEET_STATE_SQLITE && strncmp(value, "sqlite:", 7) == 0 &&
	    parse_path(dir, value + 7, path, sizeof(path)) == 0 &&
	    snprintf(s->url, sizeof(s->url), "sqlite:%s", path) < (int)sizeof(s->url))
		return 0;
	snprintf(reason, len, "%s: '%.64s' is neither sqlite:PATH nor etcd:http(s)://HOST:PORT[,...] (or is longer "
		 "than %d bytes)", k->name, value, FLEET_URL_MAX - 1);
	return -EINVAL;
}

static int take_days(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		     size_t len)
{
	(void)k, (void)dir;
	return schedule_days_parse(value, field, reason, len);
}

static int take_hours(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
		      size_t len)
{
	(void)k, (void)dir;
	return schedule_hours_parse(value, field, reason, len);
}

#define CONTROLLER(member) offsetof(struct fleet_controller, member)
#define POLICY(member) offsetof(struct fleet_policy, member)
#define HOST(member) offsetof(struct fleet_host_config, member)
#define SCHEDULE(member) offsetof(struct fleet_schedule, member)
#define WEEK_S (7 * 24 * 3600)

/* The [policy] keys a schedule may change, in a struct fleet_policy at base. */
#define SETTING_KEYS(base)										\
	{ "policy", take_policy, (base) + POLICY(policy), 0, 0, NULL, FLEET_SETS_POLICY },			\
	{ "headroom", take_percent, (base) + POLICY(headroom_pct), 0, 90, NULL, FLEET_SETS_HEADROOM },		\
	{ "min_active_hosts", take_number, (base) + POLICY(min_active_hosts), 0, FLEET_HOSTS_MAX, NULL,		\
	  FLEET_SETS_MIN_ACTIVE_HOSTS },									\
	{ "power_saving", take_switch, (base) + POLICY(power_saving), 0, 0, NULL, FLEET_SETS_POWER_SAVING }

static const struct fleet_key controller_keys[] = {
	{ "state", take_state, CONTROLLER(state), 0, 0, NULL, 0 },
	{ "interval", take_number, CONTROLLER(interval_s), 5, 3600, "seconds", 0 },
	{ "tls", take_folder, CONTROLLER(tls_dir), 0, 0, NULL, 0 },
	{ "listen", take_endpoint, CONTROLLER(listen), 0, 0, NULL, 0 },
	{ "metrics", take_endpoint, CONTROLLER(metrics), 0, 0, NULL, 0 },
	{ "failure_timeout", take_number, CONTROLLER(failure_timeout_s), 5, 3600, "seconds", 0 },
	{ "name", take_name, CONTROLLER(name), 0, 0, NULL, 0 },
	{ "lease", take_number, CONTROLLER(lease_s), 5, 300, "seconds", 0 },
	{ 0 },
};

static const struct fleet_key policy_keys[] = {
	SETTING_KEYS(0),
	{ "max_concurrent_migrations", take_number, POLICY(max_concurrent_migrations), 1, 64, NULL, 0 },
	{ "max_migrations_per_interval", take_number, POLICY(max_migrations_per_interval), 0, 100000, NULL, 0 },
	{ "hysteresis", take_number, POLICY(hysteresis_s), 0, WEEK_S, "seconds", 0 },
	{ "migration_deadline", take_number, POLICY(migration_deadline_s), 10, 86400, "seconds", 0 },
	{ "ha", take_ha, POLICY(ha), 0, 0, NULL, 0 },
	{ 0 },
};

static const struct fleet_key host_keys[] = {
	{ "address", take_endpoint, HOST(address), 0, 0, NULL, 0 },
	{ "migration_address", take_host, HOST(migration_address), 0, 0, NULL, 0 },
	{ "model", take_model, HOST(model), 0, 0, NULL, 0 },
	{ "cpus", take_number, HOST(cpus), 1, 4096, NULL, 0 },
	{ "memory", take_memory, HOST(memory_bytes), 0, 0, NULL, 0 },
	{ "role", take_role, HOST(role), 0, 0, NULL, 0 },
	{ 0 },
};

static const struct fleet_key standby_keys[] = {
	{ "physical", take_name, offsetof(struct fleet_standby, physical), 0, 0, NULL, 0 },
	{ 0 },
};

static const struct fleet_key schedule_keys[] = {
	{ "days", take_days, SCHEDULE(days), 0, 0, NULL, 0 },
	{ "hours", take_hours, SCHEDULE(hours), 0, 0, NULL, 0 },
	SETTING_KEYS(SCHEDULE(values)),
	{ 0 },
};

const struct fleet_key *fleet_keys(enum fleet_section section)
{
	static const struct fleet_key *const tables[] = {
		[FLEET_SECTION_FLEET] = controller_keys, [FLEET_SECTION_POLICY] = policy_keys,
		[FLEET_SECTION_HOST] = host_keys, [FLEET_SECTION_STANDBY] = standby_keys,
		[FLEET_SECTION_SCHEDULE] = schedule_keys,
	};

	return tables[section];
}

const struct fleet_key *fleet_key_find(const struct fleet_key *keys, const char *name)
{
	for (const struct fleet_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void fleet_keys_list(const struct fleet_key *keys, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (const struct fleet_key *k = keys; k->name && used < len; k++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", k->name);
}
