#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "power/store/etcd_client.h"
#include "power/store/etcd_json.h"
#include "power/store/etcd_records.h"
#include "power/store/sqlite_schema.h"
#include "power/store/store.h"
#include "vmm/lib/clock.h"

/*
 * The fleet store's behaviour, checked once and run on both backends (the loop
 * index: 0 SQLite on a temporary file, 1 a real etcd started for these tests on
 * free ports). Leases are 2 s: etcd's shortest.
 */
enum { BACKEND_SQLITE, BACKEND_ETCD, BACKENDS };
#define LEASE_S 2

/* The etcd of the test case: started before its first test, killed after its last. */
static struct {
	pid_t pid;
	char dir[64];
	char url[64];
	char why[256];
} etcd;

/* Where one test's state lives: a folder for SQLite, a key prefix of its own on etcd. */
struct place {
	int backend;
	char dir[64];		/* SQLite's folder, "" for etcd */
	char url[FLEET_URL_MAX];
	char prefix[96];	/* etcd's, "" for SQLite */
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void place_new(struct place *p, int backend)
{
	struct timespec ts;

	memset(p, 0, sizeof(*p));
	p->backend = backend;
	if (backend == BACKEND_SQLITE) {
		strcpy(p->dir, "/tmp/sheer-store.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(p->dir));
		snprintf(p->url, sizeof(p->url), "sqlite:%s/fleet.db", p->dir);
		return;
	}
	/* Fails, never skips: a machine without etcd has not run make deps. */
	ck_assert_msg(etcd.pid > 0, "etcd: %s", etcd.why);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(p->url, sizeof(p->url), "etcd:%s", etcd.url);
	snprintf(p->prefix, sizeof(p->prefix), "/sheer-test/%d-%ld/", getpid(), ts.tv_nsec);
}

static int place_try_open(struct place *p, const char *controller, struct fleet_store **s, char *err, size_t errlen)
{
	struct fleet_store_options opt = { .controller = controller, .prefix = p->prefix[0] ? p->prefix : NULL };

	return fleet_store_open(p->url, &opt, s, err, errlen);
}

static struct fleet_store *place_open(struct place *p, const char *controller)
{
	struct fleet_store *s;
	char err[512];
	int ret = place_try_open(p, controller, &s, err, sizeof(err));

	ck_assert_msg(ret == 0, "open %s: %d: %s", p->url, ret, err);
	return s;
}

static void place_end(struct place *p)
{
	if (p->dir[0])
		remove_tree(p->dir);
}

static bool campaign(struct fleet_store *s, struct fleet_leader *now)
{
	bool leading;

	ck_assert_msg(fleet_store_campaign(s, LEASE_S, &leading, now) == 0, "%s", fleet_store_error(s));
	return leading;
}

/* Campaign every 100 ms until s leads: the milliseconds it took (or more than limit_ms when it never did). */
static uint64_t ms_until_it_leads(struct fleet_store *s, uint64_t since_ns, uint64_t limit_ms)
{
	struct fleet_leader now;

	while (!campaign(s, &now)) {
		if ((clock_monotonic_ns() - since_ns) / 1000000 > limit_ms)
			return limit_ms + 1;
		clock_sleep_ms(100);
	}
	return (clock_monotonic_ns() - since_ns) / 1000000;
}

/* A new place for backend, and a store on it that leads as ctl-a. */
static struct fleet_store *leader_new(struct place *p, int backend)
{
	place_new(p, backend);
	struct fleet_store *s = place_open(p, "ctl-a");

	ck_assert(campaign(s, NULL));
	return s;
}

static uint64_t intent(struct fleet_store *s, enum fleet_action_kind kind, const char *server, const char *from,
		       const char *to, uint64_t interval)
{
	struct fleet_action a = { .kind = kind, .interval = interval };

	snprintf(a.server, sizeof(a.server), "%s", server);
	snprintf(a.from_host, sizeof(a.from_host), "%s", from);
	snprintf(a.to_host, sizeof(a.to_host), "%s", to);
	snprintf(a.reason, sizeof(a.reason), "%s of %s in interval %llu", fleet_action_kind_name(kind), server,
		 (unsigned long long)interval);
	ck_assert_msg(fleet_store_intent(s, &a) == 0, "%s", fleet_store_error(s));
	ck_assert_uint_gt(a.id, 0);
	return a.id;
}

static void expect_refused(struct fleet_store *s, int ret, int want, const char *text)
{
	ck_assert_int_eq(ret, want);
	ck_assert_msg(strstr(fleet_store_error(s), text), "error '%s' lacks '%s'", fleet_store_error(s), text);
}

START_TEST(second_controller_leads_only_after_the_first_lease_runs_out)
{
	struct fleet_leader now, seen;
	struct place p;
	uint64_t last_refresh, waited;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a"), *b = place_open(&p, "ctl-b");

	ck_assert(campaign(a, &now));
	ck_assert_str_eq(now.controller, "ctl-a");
	ck_assert_uint_gt(now.term, 0);
	/* While a renews its lease, b never leads, and sees who does. */
	for (int i = 0; i < 6; i++) {
		ck_assert(campaign(a, NULL));
		ck_assert(!campaign(b, &seen));
		ck_assert_str_eq(seen.controller, "ctl-a");
		ck_assert_uint_eq(seen.term, now.term);
		clock_sleep_ms(500);
	}
	ck_assert_int_eq(fleet_store_leader(b, &seen), 0);
	ck_assert_str_eq(seen.controller, "ctl-a");
	/* a stops renewing: b takes over once the lease has run out, not before, and not much after. */
	ck_assert(campaign(a, NULL));
	last_refresh = clock_monotonic_ns();
	waited = ms_until_it_leads(b, last_refresh, LEASE_S * 1000 + 1500);
	ck_assert_uint_ge(waited, LEASE_S * 1000 - 300);
	ck_assert_uint_le(waited, LEASE_S * 1000 + 1500);
	ck_assert_int_eq(fleet_store_leader(a, &seen), 0);
	ck_assert_str_eq(seen.controller, "ctl-b");
	ck_assert_uint_gt(seen.term, now.term);
	ck_assert(!campaign(a, NULL));
	fleet_store_close(a);
	fleet_store_close(b);
	place_end(&p);
}
END_TEST

START_TEST(a_deposed_leader_cannot_record_or_write)
{
	struct fleet_host h = { .name = "rack1", .power = FLEET_POWER_IS_ON };
	struct fleet_action *list;
	struct place p;
	size_t n;
	uint64_t id;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a"), *b = place_open(&p, "ctl-b");

	ck_assert(campaign(a, NULL));
	id = intent(a, FLEET_MIGRATE, "web01", "rack1", "rack2", 7);
	/* a sleeps through its lease; b takes over and a wakes up late. */
	ck_assert_uint_le(ms_until_it_leads(b, clock_monotonic_ns(), LEASE_S * 1000 + 1500), LEASE_S * 1000 + 1500);
	struct fleet_action late = { .kind = FLEET_POWER_OFF };

	strcpy(late.to_host, "rack1");
	expect_refused(a, fleet_store_intent(a, &late), -EPERM, "controller ctl-a does not lead");
	expect_refused(a, fleet_store_result(a, id, FLEET_OK, "done"), -EPERM, "does not lead");
	expect_refused(a, fleet_store_host_put(a, &h), -EPERM, "does not lead");
	expect_refused(a, fleet_store_value_put(a, "last-interval", "8"), -EPERM, "does not lead");
	/* Nothing of a's reached the store; b finishes what a started. */
	ck_assert_int_eq(fleet_store_unfinished(b, &list, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(list[0].id, id);
	free(list);
	ck_assert_int_eq(fleet_store_host_get(b, "rack1", &h), -ENOENT);
	ck_assert_int_eq(fleet_store_result(b, id, FLEET_ROLLED_BACK, "ctl-a lost the lead mid-migration"), 0);
	fleet_store_close(a);
	fleet_store_close(b);
	place_end(&p);
}
END_TEST

START_TEST(a_lease_that_ran_out_is_a_new_term_even_for_its_holder)
{
	struct fleet_leader first, second;
	struct place p;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a");

	ck_assert(campaign(a, &first));
	clock_sleep_ms(LEASE_S * 1000 + 1200);
	/* No one took over, but a slept past its lease: what it believed may be stale. */
	expect_refused(a, fleet_store_value_put(a, "alert", "on"), -EPERM, "does not lead");
	ck_assert(campaign(a, &second));
	ck_assert_uint_gt(second.term, first.term);
	ck_assert_int_eq(fleet_store_value_put(a, "alert", "on"), 0);
	fleet_store_close(a);
	place_end(&p);
}
END_TEST

START_TEST(a_controller_that_never_led_cannot_write)
{
	struct place p;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a");
	struct fleet_action x = { .kind = FLEET_FENCE };

	strcpy(x.from_host, "rack3");
	expect_refused(a, fleet_store_intent(a, &x), -EPERM, "recording an intent refused: controller ctl-a does not");
	ck_assert_int_eq(strncmp(fleet_store_error(a), p.url, strlen(p.url)), 0);
	fleet_store_close(a);
	place_end(&p);
}
END_TEST

START_TEST(resigning_hands_over_at_once)
{
	struct fleet_leader now;
	struct place p;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a"), *b = place_open(&p, "ctl-b");

	ck_assert(campaign(a, NULL));
	ck_assert(!campaign(b, NULL));
	ck_assert_int_eq(fleet_store_resign(a), 0);
	ck_assert_int_eq(fleet_store_leader(b, &now), 0);
	ck_assert_str_eq(now.controller, "");
	ck_assert(campaign(b, &now));
	ck_assert_str_eq(now.controller, "ctl-b");
	expect_refused(a, fleet_store_value_put(a, "k", "v"), -EPERM, "does not lead");
	fleet_store_close(a);
	fleet_store_close(b);
	place_end(&p);
}
END_TEST

START_TEST(intents_wait_for_their_results)
{
	struct fleet_action *list;
	struct place p;
	size_t n;
	struct fleet_store *s = leader_new(&p, _i);
	uint64_t m = intent(s, FLEET_MIGRATE, "web01", "rack1", "rack2", 41);
	uint64_t off = intent(s, FLEET_POWER_OFF, "", "rack1", "", 41);
	uint64_t fence = intent(s, FLEET_FENCE, "", "rack3", "", 42);

	ck_assert(m < off && off < fence);
	ck_assert_int_eq(fleet_store_result(s, off, FLEET_OK, "rack1 is off (read back)"), 0);
	ck_assert_int_eq(fleet_store_unfinished(s, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(list[0].id, m);
	ck_assert_int_eq(list[0].kind, FLEET_MIGRATE);
	ck_assert_str_eq(list[0].server, "web01");
	ck_assert_str_eq(list[0].from_host, "rack1");
	ck_assert_str_eq(list[0].to_host, "rack2");
	ck_assert_str_eq(list[0].reason, "migrate of web01 in interval 41");
	ck_assert_uint_eq(list[0].interval, 41);
	ck_assert_str_eq(list[0].controller, "ctl-a");
	ck_assert_int_eq(list[0].result, FLEET_PENDING);
	ck_assert_uint_eq(list[1].id, fence);
	free(list);
	expect_refused(s, fleet_store_result(s, off, FLEET_FAILED, "again"), -EALREADY, "has its result already");
	expect_refused(s, fleet_store_result(s, fence + 100, FLEET_OK, ""), -ENOENT, "no action");
	ck_assert_int_eq(fleet_store_result(s, m, FLEET_FAILED, "target refused: no memory"), 0);
	ck_assert_int_eq(fleet_store_history(s, 0, 10, &list, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(list[2].result, FLEET_FAILED);
	ck_assert_str_eq(list[2].detail, "target refused: no memory");
	ck_assert_int_ge(list[2].finished, list[2].started);
	ck_assert_int_eq(list[1].result, FLEET_OK);
	ck_assert_int_eq(list[0].result, FLEET_PENDING);
	free(list);
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

START_TEST(history_is_newest_first_within_limit_and_since)
{
	struct fleet_action *list;
	uint64_t ids[5];
	struct place p;
	size_t n;
	struct fleet_store *s = leader_new(&p, _i);

	for (int i = 0; i < 5; i++)
		ids[i] = intent(s, FLEET_RESTART, "db1", "rack1", "spare1", (uint64_t)i);
	ck_assert_int_eq(fleet_store_history(s, 0, 3, &list, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(list[i].id, ids[4 - i]);
	free(list);
	ck_assert_int_eq(fleet_store_history(s, time(NULL) - 60, FLEET_HISTORY_MAX, &list, &n), 0);
	ck_assert_uint_eq(n, 5);
	free(list);
	ck_assert_int_eq(fleet_store_history(s, time(NULL) + 3600, 10, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(list);
	expect_refused(s, fleet_store_history(s, 0, 0, &list, &n), -EINVAL, "give 1 to");
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

START_TEST(ids_keep_growing_across_controllers)
{
	struct fleet_action *list;
	struct place p;
	size_t n;

	place_new(&p, _i);
	struct fleet_store *a = place_open(&p, "ctl-a");

	ck_assert(campaign(a, NULL));
	uint64_t first = intent(a, FLEET_WAKE_TEST, "", "", "rack2", 1);

	ck_assert_int_eq(fleet_store_resign(a), 0);
	fleet_store_close(a);
	struct fleet_store *b = place_open(&p, "ctl-b");

	ck_assert(campaign(b, NULL));
	ck_assert_uint_gt(intent(b, FLEET_SWITCH, "lun1", "rack1", "phys1", 2), first);
	ck_assert_int_eq(fleet_store_unfinished(b, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].controller, "ctl-a");
	ck_assert_str_eq(list[1].controller, "ctl-b");
	free(list);
	fleet_store_close(b);
	place_end(&p);
}
END_TEST

START_TEST(a_wake_failure_stays_until_the_operator_clears_it)
{
	struct fleet_host h = { .name = "rack2", .power = FLEET_POWER_IS_OFF, .trusted_to_sleep = true,
				.power_changed_at = 1000, .heartbeat_at = 990 };
	struct fleet_host got, *list;
	struct place p;
	size_t n;

	place_new(&p, _i);
	struct fleet_store *s = place_open(&p, "ctl-a"), *operator = place_open(&p, "operator");

	ck_assert(campaign(s, NULL));
	ck_assert_int_eq(fleet_store_host_put(s, &h), 0);
	ck_assert_int_eq(fleet_store_host_get(s, "rack2", &got), 0);
	ck_assert_str_eq(got.name, "rack2");
	ck_assert_int_eq(got.power, FLEET_POWER_IS_OFF);
	ck_assert(got.trusted_to_sleep && !got.wake_failed);
	ck_assert_int_eq(got.power_changed_at, 1000);
	ck_assert_int_eq(got.heartbeat_at, 990);
	h.wake_failed = true, h.wake_failed_at = 2000, h.trusted_to_sleep = false;
	strcpy(h.wake_failed_reason, "BMC power on: no answer in 5 s");
	ck_assert_int_eq(fleet_store_host_put(s, &h), 0);
	/* The controller writing the host again without the failure does not clear it. */
	h.wake_failed = false, h.wake_failed_at = 0, h.wake_failed_reason[0] = '\0', h.heartbeat_at = 2100;
	ck_assert_int_eq(fleet_store_host_put(s, &h), 0);
	ck_assert_int_eq(fleet_store_host_get(s, "rack2", &got), 0);
	ck_assert(got.wake_failed);
	ck_assert_str_eq(got.wake_failed_reason, "BMC power on: no answer in 5 s");
	ck_assert_int_eq(got.wake_failed_at, 2000);
	ck_assert_int_eq(got.heartbeat_at, 2100);
	/* The operator, who does not lead, clears it. */
	ck_assert_int_eq(fleet_store_host_clear_wake_failed(operator, "rack2"), 0);
	ck_assert_int_eq(fleet_store_host_get(s, "rack2", &got), 0);
	ck_assert(!got.wake_failed);
	ck_assert_str_eq(got.wake_failed_reason, "");
	expect_refused(operator, fleet_store_host_clear_wake_failed(operator, "rack9"), -ENOENT, "no record of host rack9");
	expect_refused(s, fleet_store_host_get(s, "rack9", &got), -ENOENT, "no record of host rack9");
	strcpy(h.name, "rack1");
	ck_assert_int_eq(fleet_store_host_put(s, &h), 0);
	ck_assert_int_eq(fleet_store_host_list(operator, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "rack1");
	ck_assert_str_eq(list[1].name, "rack2");
	free(list);
	fleet_store_close(s);
	fleet_store_close(operator);
	place_end(&p);
}
END_TEST

/* A report or definition many chunks long in etcd, and one of no bytes, come back whole; a longer one is refused. */
START_TEST(documents_are_kept_whole_and_replaced)
{
	size_t big_len = FLEET_DOC_MAX;
	char *big = malloc(big_len + 2), *text;
	struct place p;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('a' + i % 26);
	big[big_len] = '\0';
	place_new(&p, _i);
	struct fleet_store *s = place_open(&p, "ctl-a");

	expect_refused(s, fleet_store_doc_get(s, "definition", "web01", &text), -ENOENT, "no document definition/web01");
	expect_refused(s, fleet_store_doc_put(s, "definition", "web01", "x"), -EPERM, "does not lead");
	ck_assert(campaign(s, NULL));
	ck_assert_msg(fleet_store_doc_put(s, "definition", "web01", big) == 0, "%s", fleet_store_error(s));
	ck_assert_int_eq(fleet_store_doc_get(s, "definition", "web01", &text), 0);
	ck_assert_uint_eq(strlen(text), big_len);
	ck_assert(memcmp(text, big, big_len) == 0);
	free(text);
	/* Shorter now: no chunk of the longer one is left behind. */
	ck_assert_int_eq(fleet_store_doc_put(s, "definition", "web01", "[server]\nname = web01\n"), 0);
	ck_assert_int_eq(fleet_store_doc_get(s, "definition", "web01", &text), 0);
	ck_assert_str_eq(text, "[server]\nname = web01\n");
	free(text);
	ck_assert_int_eq(fleet_store_doc_put(s, "report", "rack1", ""), 0);
	ck_assert_int_eq(fleet_store_doc_get(s, "report", "rack1", &text), 0);
	ck_assert_str_eq(text, "");
	free(text);
	/* Another space, another name: apart. */
	expect_refused(s, fleet_store_doc_get(s, "report", "web01", &text), -ENOENT, "no document report/web01");
	expect_refused(s, fleet_store_doc_get(s, "definition", "web0", &text), -ENOENT, "no document");
	big[big_len] = 'x', big[big_len + 1] = '\0';
	expect_refused(s, fleet_store_doc_put(s, "definition", "web01", big), -EINVAL, "longer than");
	expect_refused(s, fleet_store_doc_put(s, "bad/space", "web01", "x"), -EINVAL, "is not a name");
	free(big);
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

START_TEST(controller_values_are_kept)
{
	char value[FLEET_VALUE_MAX];
	struct place p;

	place_new(&p, _i);
	struct fleet_store *s = place_open(&p, "ctl-a");

	expect_refused(s, fleet_store_value_get(s, "last-interval", value, sizeof(value)), -ENOENT, "no value");
	ck_assert(campaign(s, NULL));
	ck_assert_int_eq(fleet_store_value_put(s, "last-interval", "41"), 0);
	ck_assert_int_eq(fleet_store_value_put(s, "last-interval", "42"), 0);
	ck_assert_int_eq(fleet_store_value_get(s, "last-interval", value, sizeof(value)), 0);
	ck_assert_str_eq(value, "42");
	expect_refused(s, fleet_store_value_put(s, "bad/key", "1"), -EINVAL, "is not a name");
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

START_TEST(bad_arguments_are_refused_before_the_store)
{
	struct fleet_action a = { .kind = FLEET_MIGRATE };
	struct fleet_host h = { .name = "rack1", .power = 7 };
	struct fleet_action *list;
	struct place p;
	bool leading;
	size_t n;
	struct fleet_store *s = leader_new(&p, _i);

	strcpy(a.server, "web/01");
	expect_refused(s, fleet_store_intent(s, &a), -EINVAL, "server 'web/01' is not a name");
	a.server[0] = '\0', a.kind = FLEET_ACTION_KINDS;
	expect_refused(s, fleet_store_intent(s, &a), -EINVAL, "action kind");
	expect_refused(s, fleet_store_host_put(s, &h), -EINVAL, "power state 7");
	expect_refused(s, fleet_store_result(s, 1, FLEET_PENDING, ""), -EINVAL, "not ok, failed or rolled_back");
	expect_refused(s, fleet_store_campaign(s, 0, &leading, NULL), -EINVAL, "give 1 to 3600 seconds");
	ck_assert_int_eq(fleet_store_history(s, 0, 10, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(list);
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

/* ---- SQLite's file: schema, migrations, refusals ---- */

static int sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int value = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		value = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return value;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static const char *db_path(struct place *p)
{
	return p->url + strlen("sqlite:");
}

START_TEST(sqlite_new_file_gets_the_schema_in_wal_mode)
{
	struct place p;
	sqlite3 *db;
	sqlite3_stmt *st;

	place_new(&p, BACKEND_SQLITE);
	fleet_store_close(place_open(&p, "ctl-a"));
	ck_assert_int_eq(sql_int(db_path(&p), "PRAGMA user_version"), sqlite_schema_version());
	ck_assert_int_eq(sqlite_schema_version(), 2);
	ck_assert_int_eq(sql_int(db_path(&p), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
				 "('leader', 'actions', 'hosts', 'controller_values', 'documents')"), 5);
	ck_assert_int_eq(sqlite3_open(db_path(&p), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	place_end(&p);
}
END_TEST

START_TEST(sqlite_an_empty_version_0_file_is_migrated)
{
	struct place p;

	place_new(&p, BACKEND_SQLITE);
	/* A file some earlier tool created and left empty: version 0, rollback journal. */
	sql_exec(db_path(&p), "PRAGMA user_version = 0; PRAGMA journal_mode = DELETE");
	fleet_store_close(place_open(&p, "ctl-a"));
	ck_assert_int_eq(sql_int(db_path(&p), "PRAGMA user_version"), 2);
	ck_assert_int_eq(sql_int(db_path(&p), "SELECT count(*) FROM actions"), 0);
	place_end(&p);
}
END_TEST

/* A schema history of three versions, the last of which fails half-way. */
static const struct sqlite_migration test_steps[] = {
	{ 1, "CREATE TABLE hosts (name TEXT PRIMARY KEY, power TEXT NOT NULL)" },
	{ 2, "ALTER TABLE hosts ADD COLUMN heartbeat_at INTEGER NOT NULL DEFAULT 0;"
	     "UPDATE hosts SET heartbeat_at = 1700000000" },
	{ 3, "CREATE TABLE plans (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1)" },
};

START_TEST(sqlite_migrations_apply_in_order_and_a_failed_one_changes_nothing)
{
	struct place p;
	char why[256];
	sqlite3 *db;

	place_new(&p, BACKEND_SQLITE);
	ck_assert_int_eq(sqlite3_open(db_path(&p), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite_schema_migrate(db, test_steps, 1, why, sizeof(why)), 0);
	ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO hosts VALUES ('rack1', 'on')", NULL, NULL, NULL), SQLITE_OK);
	/* A sheer that knows version 2 opens the version-1 file: the row is kept and gains the new column. */
	ck_assert_int_eq(sqlite_schema_migrate(db, test_steps, 2, why, sizeof(why)), 0);
	sqlite3_close(db);
	ck_assert_int_eq(sql_int(db_path(&p), "PRAGMA user_version"), 2);
	ck_assert_int_eq(sql_int(db_path(&p), "SELECT heartbeat_at = 1700000000 FROM hosts WHERE name = 'rack1'"), 1);
	ck_assert_int_eq(sqlite3_open(db_path(&p), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite_schema_migrate(db, test_steps, 3, why, sizeof(why)), -EIO);
	ck_assert_msg(strstr(why, "migration to schema version 3 failed: no such table"), "%s", why);
	sqlite3_close(db);
	ck_assert_int_eq(sql_int(db_path(&p), "PRAGMA user_version"), 2);
	ck_assert_int_eq(sql_int(db_path(&p), "SELECT count(*) FROM sqlite_master WHERE name = 'plans'"), 0);
	place_end(&p);
}
END_TEST

static void expect_open_refused(struct place *p, int want, const char *text)
{
	struct fleet_store *s = NULL;
	char err[512];

	ck_assert_int_eq(place_try_open(p, "ctl-a", &s, err, sizeof(err)), want);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, text), "error '%s' lacks '%s'", err, text);
	ck_assert_msg(strncmp(err, p->url, strlen(p->url)) == 0, "error '%s' does not start with the URL", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(sqlite_a_newer_or_foreign_file_is_refused)
{
	struct place p;
	int fd;

	place_new(&p, BACKEND_SQLITE);
	sql_exec(db_path(&p), "PRAGMA user_version = 99");
	expect_open_refused(&p, -EPROTONOSUPPORT, "its schema version 99 is newer than this sheer knows (2)");
	ck_assert_int_eq(sql_int(db_path(&p), "PRAGMA user_version"), 99);
	remove(db_path(&p));
	sql_exec(db_path(&p), "CREATE TABLE invoices (id INTEGER)");
	expect_open_refused(&p, -EPROTO, "not a sheer fleet database");
	remove(db_path(&p));
	fd = open(db_path(&p), O_CREAT | O_WRONLY, 0600);
	ck_assert_int_eq(write(fd, "these are not the pages of an SQLite database, just text long enough.\n", 70), 70);
	close(fd);
	expect_open_refused(&p, -EPROTO, "file is not a database");
	strcat(p.url, ".d/no-such-folder/fleet.db");
	expect_open_refused(&p, -EACCES, "does its folder exist");
	place_end(&p);
}
END_TEST

START_TEST(sqlite_two_controllers_on_one_file_never_both_lead)
{
	struct place p;
	int pipefd[2];
	char verdict = 0;

	place_new(&p, BACKEND_SQLITE);
	fleet_store_close(place_open(&p, "ctl-a"));
	ck_assert_int_eq(pipe(pipefd), 0);
	/* Two processes campaign at the same moment, twenty times each: never both leading one term. */
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	struct fleet_store *s = place_open(&p, child ? "ctl-a" : "ctl-b");
	int leads = 0;

	for (int i = 0; i < 20; i++)
		leads += campaign(s, NULL);
	if (child == 0) {
		verdict = (char)leads;
		ck_assert_int_eq(write(pipefd[1], &verdict, 1), 1);
		_exit(0);
	}
	ck_assert_int_eq(read(pipefd[0], &verdict, 1), 1);
	waitpid(child, NULL, 0);
	/* One won the first campaign and kept its lease; the other never led. */
	ck_assert_int_eq(leads + verdict, 20);
	ck_assert(leads == 0 || leads == 20);
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

/* ---- the front: URLs; etcd's endpoints and what it answers ---- */

START_TEST(bad_urls_and_options_are_refused_naming_them)
{
	static const struct {
		const char *url, *controller, *prefix, *text;
	} cases[] = {
		{ "mysql://db/fleet", "ctl-a", NULL, "mysql://db/fleet: not a fleet state URL (sqlite:PATH or etcd:" },
		{ "sqlite:", "ctl-a", NULL, "sqlite:: not a fleet state URL" },
		{ "etcd:ftp://h:2379", "ctl-a", NULL, "endpoint 'ftp://h:2379': give http://HOST:PORT" },
		{ "etcd:http://h:2379,", "ctl-a", NULL, "endpoint '': give http://HOST:PORT" },
		{ "etcd:http://user@h:2379", "ctl-a", NULL, "endpoint 'http://user@h:2379'" },
		{ "etcd:http://h:2379/v3", "ctl-a", NULL, "endpoint 'http://h:2379/v3'" },
		{ "etcd:http://h:2379", "ctl a", NULL, "etcd:http://h:2379: controller id 'ctl a' is not a name" },
		{ "sqlite:/tmp/x.db", NULL, NULL, "controller id '' is not a name" },
		{ "etcd:http://h:2379", "ctl-a", "sheer", "key prefix 'sheer': give one that starts and ends with '/'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_store_options opt = { .controller = cases[i].controller, .prefix = cases[i].prefix };
		struct fleet_store *s = NULL;
		char err[512];

		ck_assert_int_eq(fleet_store_open(cases[i].url, &opt, &s, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err, cases[i].text), "%s: '%s' lacks '%s'", cases[i].url, err, cases[i].text);
	}
}
END_TEST

START_TEST(etcd_unreachable_is_named)
{
	struct fleet_store_options opt = { .controller = "ctl-a", .timeout_ms = 1000 };
	struct fleet_store *s = NULL;
	char err[512];

	ck_assert_int_eq(fleet_store_open("etcd:http://127.0.0.1:1,http://127.0.0.1:2", &opt, &s, err, sizeof(err)),
			 -EHOSTUNREACH);
	ck_assert_msg(strstr(err, "etcd:http://127.0.0.1:1,http://127.0.0.1:2: reading the schema version: no "
			     "endpoint answered; http://127.0.0.1:2: "), "%s", err);
}
END_TEST

START_TEST(etcd_the_next_endpoint_answers_when_one_is_down)
{
	struct place p;

	place_new(&p, BACKEND_ETCD);
	snprintf(p.url, sizeof(p.url), "etcd:http://127.0.0.1:1,%s", etcd.url);
	struct fleet_store *s = place_open(&p, "ctl-a");

	ck_assert(campaign(s, NULL));
	intent(s, FLEET_POWER_ON, "", "", "rack2", 3);
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

/* Write key = value straight into etcd (what another program, or a newer sheer, might leave). */
static void etcd_put_raw(const char *key, const char *value)
{
	struct etcd_client c;
	json_t *answer;
	char why[256];

	ck_assert_int_eq(etcd_client_init(&c, etcd.url, why, sizeof(why)), 0);
	json_t *body = json_pack("{s:o, s:o}", "key", etcd_b64(key), "value", etcd_b64(value));

	ck_assert_msg(etcd_client_post(&c, "/v3/kv/put", body, false, &answer, why, sizeof(why)) == 0, "%s", why);
	json_decref(body);
	json_decref(answer);
}

START_TEST(etcd_a_newer_or_foreign_layout_is_refused)
{
	struct fleet_action *list;
	char key[256];
	struct place p;
	size_t n;

	place_new(&p, BACKEND_ETCD);
	snprintf(key, sizeof(key), "%sschema", p.prefix);
	etcd_put_raw(key, "7");
	expect_open_refused(&p, -EPROTONOSUPPORT, "its schema version 7 is newer than this sheer knows (1)");
	etcd_put_raw(key, "seven");
	expect_open_refused(&p, -EPROTO, "holds 'seven', not a schema version");
	etcd_put_raw(key, "1");
	snprintf(key, sizeof(key), "%sactions/%020d", p.prefix, 1);
	etcd_put_raw(key, "{\"id\": \"one\"}");
	struct fleet_store *s = place_open(&p, "ctl-a");

	expect_refused(s, fleet_store_history(s, 0, 10, &list, &n), -EPROTO, "not an action record sheer writes");
	fleet_store_close(s);
	place_end(&p);
}
END_TEST

/* ---- the etcd server of these tests ---- */

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

static bool etcd_healthy(void)
{
	char url[96];
	CURL *curl = curl_easy_init();
	long status = 0;
	FILE *sink = fopen("/dev/null", "w");

	snprintf(url, sizeof(url), "%s/health", etcd.url);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	fclose(sink);
	return status == 200;
}

static void etcd_exec(const char *peer)
{
	char data[96], log[96], cluster[128];

	snprintf(data, sizeof(data), "%s/data", etcd.dir);
	snprintf(log, sizeof(log), "%s/etcd.log", etcd.dir);
	snprintf(cluster, sizeof(cluster), "sheer-test=%s", peer);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a test run that dies takes its etcd along */
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	dup2(fd, 1), dup2(fd, 2);
	execlp("etcd", "etcd", "--name", "sheer-test", "--data-dir", data, "--listen-client-urls", etcd.url,
	       "--advertise-client-urls", etcd.url, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
	       "--initial-cluster", cluster, (char *)NULL);
	_exit(127);
}

static void etcd_start(void)
{
	char peer[64];
	int status;

	snprintf(etcd.url, sizeof(etcd.url), "http://127.0.0.1:%u", free_port());
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%u", free_port());
	strcpy(etcd.dir, "/tmp/sheer-etcd.XXXXXX");
	if (!mkdtemp(etcd.dir)) {
		snprintf(etcd.why, sizeof(etcd.why), "cannot make a folder for it: %s", strerror(errno));
		return;
	}
	etcd.pid = fork();
	if (etcd.pid == 0)
		etcd_exec(peer);
	for (int i = 0; etcd.pid > 0 && i < 150 && !etcd_healthy(); i++) {
		if (waitpid(etcd.pid, &status, WNOHANG) == etcd.pid) {
			if (WEXITSTATUS(status) == 127)
				snprintf(etcd.why, sizeof(etcd.why), "not installed: run 'make deps' (Debian's etcd-server)");
			else
				snprintf(etcd.why, sizeof(etcd.why), "it stopped at start, exit %d (its log, kept: "
					 "%s/etcd.log)", WEXITSTATUS(status), etcd.dir);
			etcd.pid = 0;
			return;
		}
		clock_sleep_ms(100);
	}
	if (etcd.pid > 0 && !etcd_healthy()) {
		snprintf(etcd.why, sizeof(etcd.why), "not healthy after 15 s at %s (its log: %s/etcd.log)", etcd.url,
			 etcd.dir);
		kill(etcd.pid, SIGKILL);
		waitpid(etcd.pid, NULL, 0);
		etcd.pid = 0;
	}
}

/* The folder goes, unless etcd failed: then its log stays for the reader of the failure. */
static void etcd_stop(void)
{
	if (etcd.pid > 0) {
		kill(etcd.pid, SIGTERM);
		waitpid(etcd.pid, NULL, 0);
		etcd.pid = 0;
		remove_tree(etcd.dir);
	} else if (strncmp(etcd.why, "not installed", 13) == 0)
		remove_tree(etcd.dir);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("store");
	TCase *both = tcase_create("both backends");
	TCase *sqlite = tcase_create("sqlite");
	TCase *front = tcase_create("front and etcd");

	tcase_add_unchecked_fixture(both, etcd_start, etcd_stop);
	tcase_add_unchecked_fixture(front, etcd_start, etcd_stop);
	tcase_set_timeout(both, 60);
	tcase_set_timeout(sqlite, 30);
	tcase_set_timeout(front, 30);
	tcase_add_loop_test(both, second_controller_leads_only_after_the_first_lease_runs_out, 0, BACKENDS);
	tcase_add_loop_test(both, a_deposed_leader_cannot_record_or_write, 0, BACKENDS);
	tcase_add_loop_test(both, a_lease_that_ran_out_is_a_new_term_even_for_its_holder, 0, BACKENDS);
	tcase_add_loop_test(both, a_controller_that_never_led_cannot_write, 0, BACKENDS);
	tcase_add_loop_test(both, resigning_hands_over_at_once, 0, BACKENDS);
	tcase_add_loop_test(both, intents_wait_for_their_results, 0, BACKENDS);
	tcase_add_loop_test(both, history_is_newest_first_within_limit_and_since, 0, BACKENDS);
	tcase_add_loop_test(both, ids_keep_growing_across_controllers, 0, BACKENDS);
	tcase_add_loop_test(both, a_wake_failure_stays_until_the_operator_clears_it, 0, BACKENDS);
	tcase_add_loop_test(both, controller_values_are_kept, 0, BACKENDS);
	tcase_add_loop_test(both, documents_are_kept_whole_and_replaced, 0, BACKENDS);
	tcase_add_loop_test(both, bad_arguments_are_refused_before_the_store, 0, BACKENDS);
	tcase_add_test(sqlite, sqlite_new_file_gets_the_schema_in_wal_mode);
	tcase_add_test(sqlite, sqlite_an_empty_version_0_file_is_migrated);
	tcase_add_test(sqlite, sqlite_migrations_apply_in_order_and_a_failed_one_changes_nothing);
	tcase_add_test(sqlite, sqlite_a_newer_or_foreign_file_is_refused);
	tcase_add_test(sqlite, sqlite_two_controllers_on_one_file_never_both_lead);
	tcase_add_test(front, bad_urls_and_options_are_refused_naming_them);
	tcase_add_test(front, etcd_unreachable_is_named);
	tcase_add_test(front, etcd_the_next_endpoint_answers_when_one_is_down);
	tcase_add_test(front, etcd_a_newer_or_foreign_layout_is_refused);
	suite_add_tcase(s, both);
	suite_add_tcase(s, sqlite);
	suite_add_tcase(s, front);
	return s;
}
