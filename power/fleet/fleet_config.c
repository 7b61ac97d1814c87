/*
 * Reading the fleet file: each key where its section's table says, then each
 * section checked when the next one opens (what it lacks, a name or an
 * address or a BMC another already has), then the whole at the end (an
 * active host, limits the hosts can meet, schedules that change something and
 * never disagree).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_keys.h"
#include "power/fleet/schedule.h"
#include "vmm/lib/ini.h"

struct fleet_reader {
	struct fleet_config *c;
	char dir[PATH_MAX];		/* relative paths in the file are relative to it */
	enum fleet_section section;
	void *object;			/* the open section's struct; NULL before the first */
	char title[SERVER_NAME_MAX + 16];	/* "[host web1]", for messages */
};

static int fail(struct ini_error *e, unsigned int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ini_error *e, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	e->line_no = line;	/* 0: the line being read */
	return -EINVAL;
}

static void fleet_config_init(struct fleet_config *c, const char *path)
{
	struct fleet_policy *p = &c->policy;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->controller.state.kind = FLEET_STATE_SQLITE;
	snprintf(c->controller.state.url, sizeof(c->controller.state.url), "%s", FLEET_DEFAULT_STATE);
	parse_host_port(FLEET_DEFAULT_LISTEN, c->controller.listen.host, FLEET_HOST_NAME_MAX, &c->controller.listen.port);
	parse_host_port(FLEET_DEFAULT_METRICS, c->controller.metrics.host, FLEET_HOST_NAME_MAX,
			&c->controller.metrics.port);
	c->controller.interval_s = 300;
	c->controller.failure_timeout_s = 60;
	c->controller.lease_s = 15;
	snprintf(p->policy, sizeof(p->policy), "sheer");
	p->max_concurrent_migrations = 2;
	p->max_migrations_per_interval = 20;
	p->headroom_pct = 20;
	p->hysteresis_s = 3600;
	p->min_active_hosts = 1;
	p->migration_deadline_s = 600;
	p->power_saving = true;
	p->ha = FLEET_HA_RESTART;
}

/* A new zeroed element at the end of *array (n of them, each size bytes), or NULL. */
static void *array_push(void **array, unsigned int *n, size_t size)
{
	char *grown = realloc(*array, (*n + 1) * size);

	if (!grown)
		return NULL;
	*array = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

/* The host or standby server called name, or NULL: the two share their names. */
static const char *machine_line(const struct fleet_config *c, const char *name, unsigned int *line)
{
	for (unsigned int i = 0; i < c->n_hosts; i++) {
		if (strcmp(c->hosts[i].name, name) == 0) {
			*line = c->hosts[i].line;
			return "[host]";
		}
	}
	for (unsigned int i = 0; i < c->n_standby; i++) {
		if (strcmp(c->standby[i].name, name) == 0) {
			*line = c->standby[i].line;
			return "[standby]";
		}
	}
	return NULL;
}

/* A new host or standby server's name, section line and BMC defaults; returns it. */
static void *machine_start(void *machine, char *name, unsigned int *line, struct bmc_entry *bmc, const char *from,
			   unsigned int at)
{
	snprintf(name, SERVER_NAME_MAX, "%s", from);
	*line = at;
	bmc_entry_init(bmc);
	return machine;
}

static void *open_machine(struct fleet_reader *r, const char *name, unsigned int line, struct ini_error *e)
{
	struct fleet_config *c = r->c;
	unsigned int first;
	const char *kind = machine_line(c, name, &first);
	struct fleet_host_config *h;
	struct fleet_standby *s;

	if (kind) {
		fail(e, line, "'%s' is already a %s section (line %u): each host and standby server has its own name",
		     name, kind, first);
		return NULL;
	}
	if (r->section == FLEET_SECTION_HOST && c->n_hosts < FLEET_HOSTS_MAX &&
	    (h = array_push((void **)&c->hosts, &c->n_hosts, sizeof(*h))))
		return machine_start(h, h->name, &h->line, &h->bmc, name, line);
	if (r->section == FLEET_SECTION_STANDBY && c->n_standby < FLEET_STANDBY_MAX &&
	    (s = array_push((void **)&c->standby, &c->n_standby, sizeof(*s))))
		return machine_start(s, s->name, &s->line, &s->bmc, name, line);
	fail(e, line, "more than %u sections like this one, or no memory for it",
	     r->section == FLEET_SECTION_HOST ? FLEET_HOSTS_MAX : FLEET_STANDBY_MAX);
	return NULL;
}

static void *open_schedule(struct fleet_reader *r, const char *name, unsigned int line, struct ini_error *e)
{
	struct fleet_config *c = r->c;
	struct fleet_schedule *s;

	for (unsigned int i = 0; i < c->n_schedules; i++)
		if (strcmp(c->schedules[i].name, name) == 0) {
			fail(e, line, "[schedule %s] is given twice (first at line %u)", name, c->schedules[i].line);
			return NULL;
		}
	if (c->n_schedules == FLEET_SCHEDULES_MAX) {
		fail(e, line, "more than %d schedules", FLEET_SCHEDULES_MAX);
		return NULL;
	}
	s = &c->schedules[c->n_schedules++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
	s->days = SCHEDULE_EVERY_DAY;
	s->hours = (struct fleet_hours){ 0, SCHEDULE_DAY_MIN };
	return s;
}

/* [fleet] and [policy]: once each, without a name. */
static void *open_single(struct fleet_reader *r, unsigned int line, struct ini_error *e)
{
	bool fleet = r->section == FLEET_SECTION_FLEET;
	unsigned int *first = fleet ? &r->c->controller.line : &r->c->policy_line;

	if (*first) {
		fail(e, line, "[%s] is given twice (first at line %u)", fleet ? "fleet" : "policy", *first);
		return NULL;
	}
	*first = line;
	return fleet ? (void *)&r->c->controller : (void *)&r->c->policy;
}

static int section_kind(const char *kind, size_t len, enum fleet_section *section)
{
	static const char *const kinds[] = {
		[FLEET_SECTION_FLEET] = "fleet", [FLEET_SECTION_POLICY] = "policy", [FLEET_SECTION_HOST] = "host",
		[FLEET_SECTION_STANDBY] = "standby", [FLEET_SECTION_SCHEDULE] = "schedule",
	};

	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]) == len && strncmp(kind, kinds[i], len) == 0) {
			*section = (enum fleet_section)i;
			return 0;
		}
	return -EINVAL;
}

static int open_section(struct fleet_reader *r, const char *title, unsigned int line, struct ini_error *e)
{
	size_t kind_len = strcspn(title, " \t");
	const char *name = title + kind_len + strspn(title + kind_len, " \t");
	bool named;

	if (section_kind(title, kind_len, &r->section) < 0)
		return fail(e, line, "unknown section [%.40s] (fleet, policy, host NAME, standby NAME, schedule NAME)",
			    title);
	named = r->section >= FLEET_SECTION_HOST;
	if (named && !server_name_is_valid(name))
		return fail(e, line, "[%.40s] needs a name: letters, digits, '-', '_', '.', at most %d ([%.*s NAME])",
			    title, SERVER_NAME_MAX - 1, (int)kind_len, title);
	if (!named && name[0])
		return fail(e, line, "[%.*s] takes no name (not [%.40s])", (int)kind_len, title, title);
	snprintf(r->title, sizeof(r->title), "[%.*s%s%s]", (int)kind_len, title, named ? " " : "", name);
	r->object = r->section == FLEET_SECTION_SCHEDULE ? open_schedule(r, name, line, e)
		    : named ? open_machine(r, name, line, e) : open_single(r, line, e);
	return r->object ? 0 : -EINVAL;
}

static bool same_endpoint(const struct fleet_endpoint *a, const struct fleet_endpoint *b)
{
	return a->port == b->port && strcasecmp(a->host, b->host) == 0;
}

/* One BMC for two machines would power both off at once; Redfish systems of one chassis differ by id. */
static bool same_bmc(const struct bmc_entry *a, const struct bmc_entry *b)
{
	return bmc_entry_given(a) && bmc_entry_given(b) && a->target.protocol == b->target.protocol &&
	       a->target.port == b->target.port && strcasecmp(a->target.host, b->target.host) == 0 &&
	       strcmp(a->target.system_id, b->target.system_id) == 0;
}

/* The first other host or standby server with bmc's BMC, or NULL. */
static const char *bmc_owner(const struct fleet_config *c, const struct bmc_entry *bmc, unsigned int *line)
{
	for (unsigned int i = 0; i < c->n_hosts; i++) {
		if (&c->hosts[i].bmc != bmc && same_bmc(&c->hosts[i].bmc, bmc)) {
			*line = c->hosts[i].line;
			return c->hosts[i].name;
		}
	}
	for (unsigned int i = 0; i < c->n_standby; i++) {
		if (&c->standby[i].bmc != bmc && same_bmc(&c->standby[i].bmc, bmc)) {
			*line = c->standby[i].line;
			return c->standby[i].name;
		}
	}
	return NULL;
}

/* A machine's BMC: complete when given, and its own. */
static int close_bmc(struct fleet_reader *r, const struct bmc_entry *bmc, unsigned int line, struct ini_error *e)
{
	const char *missing = bmc_entry_missing(bmc), *other;
	unsigned int other_line;

	if (missing && (bmc_entry_given(bmc) || bmc->password_file[0]))
		return fail(e, line, "%s needs %s", r->title, missing);
	other = bmc_owner(r->c, bmc, &other_line);
	if (other)
		return fail(e, line, "%s has the BMC of '%s' (line %u): each machine has its own", r->title, other,
			    other_line);
	return 0;
}

static int close_host(struct fleet_reader *r, const struct fleet_host_config *h, struct ini_error *e)
{
	if (!h->address.port)
		return fail(e, h->line, "%s needs address = HOST:PORT (where its sheer agent listens)", r->title);
	for (const struct fleet_host_config *other = r->c->hosts; other < h; other++)
		if (same_endpoint(&other->address, &h->address))
			return fail(e, h->line, "%s has the address of [host %s] (line %u), %s:%u", r->title,
				    other->name, other->line, h->address.host, h->address.port);
	if (h->role == FLEET_ROLE_SPARE && !bmc_entry_given(&h->bmc))
		return fail(e, h->line, "%s is a spare without a BMC: give bmc = URL and password_file = FILE (the "
			    "controller powers a spare on when a host fails)", r->title);
	return close_bmc(r, &h->bmc, h->line, e);
}

static int close_standby(struct fleet_reader *r, const struct fleet_standby *s, struct ini_error *e)
{
	if (!s->physical[0] == !bmc_entry_given(&s->bmc))
		return fail(e, s->line, "%s needs either physical = NAME (its entry in the inventory) or its own "
			    "bmc = URL, not %s", r->title, s->physical[0] ? "both" : "neither");
	if (s->physical[0] && s->bmc.password_file[0])
		return fail(e, s->line, "%s: password_file goes with its own bmc; the inventory's entry '%s' has its "
			    "own", r->title, s->physical);
	return close_bmc(r, &s->bmc, s->line, e);
}

/* What a section lacks or shares with another, judged once all its keys are read. */
static int close_section(struct fleet_reader *r, struct ini_error *e)
{
	if (!r->object)
		return 0;
	if (r->section == FLEET_SECTION_HOST)
		return close_host(r, r->object, e);
	if (r->section == FLEET_SECTION_STANDBY)
		return close_standby(r, r->object, e);
	return 0;
}

static int check_hosts(const struct fleet_config *c, struct ini_error *e)
{
	unsigned int active = 0;

	for (unsigned int i = 0; i < c->n_hosts; i++)
		active += c->hosts[i].role == FLEET_ROLE_ACTIVE;
	if (c->n_hosts == 0)
		return fail(e, 1, "no [host NAME] section: the fleet has no host to manage");
	if (active == 0)
		return fail(e, c->hosts[0].line, "no active host: every [host] has role = spare");
	return 0;
}

static int check_controller(struct fleet_config *c, struct ini_error *e)
{
	struct fleet_controller *f = &c->controller;
	char host[HOST_NAME_MAX + 1] = "";

	if (!f->line)
		return fail(e, 1, "no [fleet] section: the controller needs at least tls = DIR (its ca.pem, cert.pem "
			    "and key.pem)");
	if (!f->tls_dir[0])
		return fail(e, f->line, "[fleet] needs tls = DIR: the controller's ca.pem, cert.pem and key.pem (it "
			    "trusts no host without them)");
	if (same_endpoint(&f->listen, &f->metrics))
		return fail(e, f->line, "[fleet] listen and metrics are both %s:%u: give them different ports",
			    f->listen.host, f->listen.port);
	if (f->name[0])
		return 0;
	gethostname(host, sizeof(host) - 1);
	if (server_name_is_valid(host))
		return copy_string(f->name, sizeof(f->name), host);
	return fail(e, f->line, "[fleet] needs name = ID: this host's name '%.64s' cannot be the controller's id",
		    host);
}

static int check_min_active(const struct fleet_config *c, unsigned int wanted, const char *where, unsigned int line,
			    struct ini_error *e)
{
	if (wanted <= c->n_hosts)
		return 0;
	return fail(e, line, "%s: min_active_hosts = %u, but the fleet has %u host%s", where, wanted, c->n_hosts,
		    c->n_hosts == 1 ? "" : "s");
}

static int check_policy(const struct fleet_config *c, struct ini_error *e)
{
	const struct fleet_policy *p = &c->policy;
	int ret = check_min_active(c, p->min_active_hosts, "[policy]", c->policy_line, e);

	if (ret == 0 && p->ha == FLEET_HA_SWITCH && c->n_standby == 0)
		ret = fail(e, c->policy_line, "[policy] ha = switch needs a [standby NAME] server to switch to");
	return ret;
}

static int check_schedules(const struct fleet_config *c, struct ini_error *e)
{
	for (unsigned int i = 0; i < c->n_schedules; i++) {
		const struct fleet_schedule *s = &c->schedules[i];
		char where[SERVER_NAME_MAX + 16];

		snprintf(where, sizeof(where), "[schedule %s]", s->name);
		if (s->days == SCHEDULE_EVERY_DAY && s->hours.start_min == 0 && s->hours.end_min == SCHEDULE_DAY_MIN)
			return fail(e, s->line, "%s applies at all times: give it days or hours (or change [policy] "
				    "instead)", where);
		if (!fleet_policy_differences(&s->values, &c->policy, s->sets))
			return fail(e, s->line, "%s changes nothing: give policy, headroom, min_active_hosts or "
				    "power_saving a value other than [policy]'s", where);
		if ((s->sets & FLEET_SETS_MIN_ACTIVE_HOSTS) &&
		    check_min_active(c, s->values.min_active_hosts, where, s->line, e) < 0)
			return -EINVAL;
	}
	if (schedule_find_conflict(c, e->reason, sizeof(e->reason), &e->line_no) < 0)
		return -EINVAL;
	return 0;
}

static int fleet_section(void *ctx, const char *title, unsigned int line, struct ini_error *e)
{
	struct fleet_reader *r = ctx;
	int ret = close_section(r, e);

	if (ret < 0)
		return ret;
	if (title)
		return open_section(r, title, line, e);
	r->object = NULL;
	if ((ret = check_controller(r->c, e)) < 0 || (ret = check_hosts(r->c, e)) < 0 ||
	    (ret = check_policy(r->c, e)) < 0)
		return ret;
	return check_schedules(r->c, e);
}

static int fleet_key(void *ctx, const char *key, const char *value, struct ini_error *e)
{
	struct fleet_reader *r = ctx;
	const struct fleet_key *k = fleet_key_find(fleet_keys(r->section), key);
	struct bmc_entry *bmc = r->section == FLEET_SECTION_HOST ? &((struct fleet_host_config *)r->object)->bmc
				: r->section == FLEET_SECTION_STANDBY ? &((struct fleet_standby *)r->object)->bmc : NULL;
	char known[200];
	int ret;

	if (k) {
		ret = k->take(k, (char *)r->object + k->offset, value, r->dir, e->reason, sizeof(e->reason));
		if (ret == 0 && r->section == FLEET_SECTION_SCHEDULE)
			((struct fleet_schedule *)r->object)->sets |= k->sets;
		return ret;
	}
	ret = bmc ? bmc_entry_take(bmc, r->dir, key, value, e->reason, sizeof(e->reason)) : -ENOENT;
	if (ret != -ENOENT)
		return ret;
	fleet_keys_list(fleet_keys(r->section), known, sizeof(known));
	return fail(e, 0, "unknown key '%.40s' in %.60s (%s%s)", key, r->title, known, bmc ? ", " BMC_ENTRY_KEYS : "");
}

static void reader_init(struct fleet_reader *r, struct fleet_config *c, const char *path)
{
	const char *slash = strrchr(path, '/');

	memset(r, 0, sizeof(*r));
	r->c = c;
	if (!slash)
		snprintf(r->dir, sizeof(r->dir), ".");
	else
		snprintf(r->dir, sizeof(r->dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fleet_config_init(c, path);
}

int fleet_config_read(FILE *file, const char *path, struct fleet_config *c, char *err, size_t errlen)
{
	struct fleet_reader r;
	struct ini_handler h = { fleet_section, fleet_key, "[fleet]", &r };

	reader_init(&r, c, path);
	return ini_read(file, path, &h, err, errlen);
}

int fleet_config_load(const char *path, struct fleet_config *c, char *err, size_t errlen)
{
	struct fleet_reader r;
	struct ini_handler h = { fleet_section, fleet_key, "[fleet]", &r };

	reader_init(&r, c, path);
	return ini_load(path, "fleet file", &h, err, errlen);
}

void fleet_config_free(struct fleet_config *c)
{
	free(c->hosts);
	free(c->standby);
	c->hosts = NULL;
	c->standby = NULL;
	c->n_hosts = c->n_standby = 0;
}
