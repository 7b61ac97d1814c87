/*
 * The fleet file, FLEET.ini: the hosts a fleet controller manages, the
 * standby physical servers, the policy and its limits, and the schedules that
 * change the policy at set hours (README, "Fleet file", documents every key;
 * power/fleet/fleet.example.ini is a whole one):
 *
 *   [fleet]              the controller: state, interval, tls, listen, metrics, failure_timeout, name, lease
 *   [policy]             policy, migration limits, headroom, hysteresis, min_active_hosts, power_saving, ha
 *   [host NAME]          address, bmc (the inventory's BMC keys), model, cpus, memory, role = active|spare
 *   [standby NAME]       physical = NAME (the inventory's), or its own bmc
 *   [schedule NAME]      days, hours, and the policy values that change in the window
 *
 * Everything that can be judged from the file alone is checked when it is
 * read; any refusal is one "path:line: reason" naming what to fix.
 */
#ifndef SHEER_POWER_FLEET_FLEET_CONFIG_H
#define SHEER_POWER_FLEET_FLEET_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "power/bmc/entry.h"
#include "power/planner/power.h"
#include "power/store/store.h"
#include "vmm/lib/parse.h"

#define FLEET_HOSTS_MAX 4096
#define FLEET_STANDBY_MAX 256
#define FLEET_SCHEDULES_MAX 32		/* the active ones are a bit mask */
#define FLEET_POLICY_NAME_MAX 32
#define FLEET_HOST_NAME_MAX 256

#define FLEET_DEFAULT_STATE "sqlite:/var/lib/sheer/fleet.db"
#define FLEET_DEFAULT_LISTEN "127.0.0.1:9735"
#define FLEET_DEFAULT_METRICS "127.0.0.1:9736"

/* HOST:PORT */
struct fleet_endpoint {
	char host[FLEET_HOST_NAME_MAX];	/* an IPv6 address without its brackets */
	unsigned int port;
};

enum fleet_state_kind { FLEET_STATE_SQLITE, FLEET_STATE_ETCD };

/* Where the fleet's state lives, as the fleet store opens it (power/store/store.h). */
struct fleet_state {
	enum fleet_state_kind kind;
	char url[FLEET_URL_MAX];	/* sqlite:PATH (made absolute from the fleet file's folder) or etcd:URL,... */
};

/* [fleet]: the controller itself. */
struct fleet_controller {
	char name[SERVER_NAME_MAX];	/* its id among controllers; default: this host's name */
	struct fleet_state state;
	char tls_dir[PATH_MAX];		/* ca.pem, cert.pem, key.pem: mutual TLS with the hosts' agents */
	struct fleet_endpoint listen;	/* where `sheer fleet status ...` asks it */
	struct fleet_endpoint metrics;	/* its Prometheus metrics */
	unsigned int interval_s;	/* one planning round */
	unsigned int failure_timeout_s;	/* a host silent this long is fenced */
	unsigned int lease_s;		/* etcd leader lease */
	unsigned int line;		/* of the section; 0 when the file has none */
};

enum fleet_ha { FLEET_HA_RESTART, FLEET_HA_SWITCH };

/* [policy], and what a schedule may change of it. */
struct fleet_policy {
	char policy[FLEET_POLICY_NAME_MAX];	/* a name power_policy_known() knows */
	unsigned int max_concurrent_migrations;
	unsigned int max_migrations_per_interval;
	unsigned int headroom_pct;		/* spare CPU kept on active hosts */
	unsigned int hysteresis_s;		/* a host is not powered off and on within this */
	unsigned int min_active_hosts;
	unsigned int migration_deadline_s;
	bool power_saving;			/* off: no host is powered off */
	enum fleet_ha ha;			/* a failed host's servers: restarted, or switched to a standby */
};

/* The values of struct fleet_policy a [schedule] may change, as bits. */
enum fleet_setting {
	FLEET_SETS_POLICY = 1 << 0,
	FLEET_SETS_HEADROOM = 1 << 1,
	FLEET_SETS_MIN_ACTIVE_HOSTS = 1 << 2,
	FLEET_SETS_POWER_SAVING = 1 << 3,
};

enum fleet_role { FLEET_ROLE_ACTIVE, FLEET_ROLE_SPARE };

struct fleet_host_config {
	char name[SERVER_NAME_MAX];
	unsigned int line;		/* of its section */
	struct fleet_endpoint address;	/* its sheer agent */
	char migration_address[FLEET_HOST_NAME_MAX];	/* where other hosts send it servers; "": address's host */
	struct bmc_entry bmc;		/* bmc_entry_given() false: it has none and is never powered off */
	const struct host_model *model;	/* NULL when not given: no energy estimate */
	unsigned int cpus;		/* 0: as its agent reports */
	uint64_t memory_bytes;		/* 0: as its agent reports */
	enum fleet_role role;
};

struct fleet_standby {
	char name[SERVER_NAME_MAX];
	unsigned int line;
	char physical[SERVER_NAME_MAX];	/* its entry in the inventory, or "" when bmc is its own */
	struct bmc_entry bmc;
};

/* A schedule's window in minutes after midnight; end <= start: it ends the next day (and belongs to its start day). */
struct fleet_hours {
	unsigned int start_min, end_min;
};

struct fleet_schedule {
	char name[SERVER_NAME_MAX];
	unsigned int line;
	unsigned int days;		/* bit 0 Monday ... bit 6 Sunday */
	struct fleet_hours hours;	/* 00:00-24:00 when not given */
	struct fleet_policy values;	/* of which it changes `sets` */
	unsigned int sets;		/* enum fleet_setting */
};

struct fleet_config {
	char path[PATH_MAX];
	struct fleet_controller controller;
	struct fleet_policy policy;
	unsigned int policy_line;	/* 0 when the file has no [policy]: the defaults */
	struct fleet_host_config *hosts;
	unsigned int n_hosts;
	struct fleet_standby *standby;
	unsigned int n_standby;
	struct fleet_schedule schedules[FLEET_SCHEDULES_MAX];
	unsigned int n_schedules;
};

/* Read file (named path in messages; relative paths in it are relative to path's folder) into c. */
int fleet_config_read(FILE *file, const char *path, struct fleet_config *c, char *err, size_t errlen);
/* Open path (a regular file only) and read it. */
int fleet_config_load(const char *path, struct fleet_config *c, char *err, size_t errlen);
/* What read or load allocated; c may be one they refused. */
void fleet_config_free(struct fleet_config *c);
/*
 * What the file names exists and is usable by this user: the TLS folder's
 * ca.pem, cert.pem and key.pem, each BMC's password file, each standby's
 * inventory entry. 0, or -errno with "path:line: reason" (the line naming it).
 */
int fleet_config_check_files(const struct fleet_config *c, char *err, size_t errlen);

/* The bits of sets whose values differ between a and b. */
unsigned int fleet_policy_differences(const struct fleet_policy *a, const struct fleet_policy *b, unsigned int sets);
/* Apply to p the values of `values` that sets names. */
void fleet_policy_overlay(struct fleet_policy *p, const struct fleet_policy *values, unsigned int sets);
/* One setting's key and value as the file writes them: "headroom = 30%". */
void fleet_setting_describe(enum fleet_setting setting, const struct fleet_policy *p, char *out, size_t len);
/* The words of ha = and role =, indexed by their enum, ending with NULL. */
const char *const *fleet_ha_names(void);
const char *const *fleet_role_names(void);

#endif
