/* power/fleet: the fleet file (good and bad ones) and its schedules in time, DST included. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/schedule.h"

#define FLEET_PATH "/etc/sheer/fleet.ini"
/* The least a fleet file holds: the controller's certificates and one host. */
#define MINIMAL "[fleet]\ntls = tls\n[host a]\naddress = 10.0.0.1:7443\n"
#define BMC_A "bmc = ipmi://admin@10.0.1.1\npassword_file = a.pw\n"

static char err[1024];

static int read_text(const char *text, struct fleet_config *c)
{
	FILE *file = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ck_assert_ptr_nonnull(file);
	err[0] = '\0';
	ret = fleet_config_read(file, FLEET_PATH, c, err, sizeof(err));
	fclose(file);
	return ret;
}

static void assert_refused(const char *text, const char *reason)
{
	struct fleet_config c;
	int ret = read_text(text, &c);

	fleet_config_free(&c);
	ck_assert_msg(ret == -EINVAL && strncmp(err, FLEET_PATH ":", strlen(FLEET_PATH ":")) == 0 &&
		      strstr(err, reason), "wanted '%s', got %d '%s' for:\n%s", reason, ret, err, text);
}

static void read_good(const char *text, struct fleet_config *c)
{
	int ret = read_text(text, c);

	ck_assert_msg(ret == 0, "refused: %s", err);
}

/* Local time in the test's TZ ('YYYY-MM-DD HH:MM' as --at takes it). */
static time_t local(int year, int month, int day, int hour, int minute)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour,
			 .tm_min = minute, .tm_isdst = -1 };

	return mktime(&tm);
}

static time_t utc(int year, int month, int day, int hour, int minute)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour,
			 .tm_min = minute };

	return timegm(&tm);
}

START_TEST(example_file_parses)
{
	const char *root = getenv("SHEER_TEST_ROOT");
	char path[PATH_MAX], tls[PATH_MAX + 16];
	struct fleet_config c;

	snprintf(path, sizeof(path), "%s/power/fleet/fleet.example.ini", root ? root : ".");
	ck_assert_msg(fleet_config_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.controller.name, "ctl1");
	snprintf(tls, sizeof(tls), "%s/power/fleet/fleet-tls", root ? root : ".");
	ck_assert_str_eq(c.controller.tls_dir, tls);
	ck_assert_uint_eq(c.n_hosts, 3);
	ck_assert_int_eq(c.hosts[2].role, FLEET_ROLE_SPARE);
	ck_assert_str_eq(c.hosts[1].bmc.target.system_id, "System.Embedded.1");
	ck_assert_ptr_eq(c.hosts[0].model, host_model_find("hp-ml110-g5"));
	ck_assert_uint_eq(c.hosts[0].memory_bytes, 64ull << 30);
	ck_assert_uint_eq(c.n_standby, 1);
	ck_assert_str_eq(c.standby[0].physical, "rack1");
	ck_assert_uint_eq(c.n_schedules, 3);
	ck_assert_uint_eq(c.policy.min_active_hosts, 2);
	fleet_config_free(&c);
}
END_TEST

START_TEST(a_minimal_file_takes_the_defaults)
{
	char host[HOST_NAME_MAX + 1] = "";
	struct fleet_config c;

	read_good(MINIMAL, &c);
	gethostname(host, sizeof(host) - 1);
	ck_assert_str_eq(c.controller.name, host);
	ck_assert_int_eq(c.controller.state.kind, FLEET_STATE_SQLITE);
	ck_assert_str_eq(c.controller.state.url, "sqlite:/var/lib/sheer/fleet.db");
	ck_assert_str_eq(c.controller.tls_dir, "/etc/sheer/tls");
	ck_assert_uint_eq(c.controller.interval_s, 300);
	ck_assert_uint_eq(c.controller.failure_timeout_s, 60);
	ck_assert_uint_eq(c.controller.lease_s, 15);
	ck_assert_uint_eq(c.controller.metrics.port, 9736);
	ck_assert_str_eq(c.policy.policy, "sheer");
	ck_assert_uint_eq(c.policy.headroom_pct, 20);
	ck_assert_uint_eq(c.policy.hysteresis_s, 3600);
	ck_assert(c.policy.power_saving);
	ck_assert_int_eq(c.policy.ha, FLEET_HA_RESTART);
	ck_assert_int_eq(c.hosts[0].role, FLEET_ROLE_ACTIVE);
	ck_assert(!bmc_entry_given(&c.hosts[0].bmc));
	ck_assert_uint_eq(c.n_schedules, 0);
	fleet_config_free(&c);
}
END_TEST

START_TEST(state_is_a_url_the_fleet_store_opens)
{
	struct fleet_config c;

	read_good("[fleet]\ntls = /srv/tls\nstate = etcd:https://etcd1:2379,http://[::1]:2380\nlease = 10\n"
		  "[host a]\naddress = [fd00::1]:7443\n" BMC_A, &c);
	ck_assert_int_eq(c.controller.state.kind, FLEET_STATE_ETCD);
	ck_assert_str_eq(c.controller.state.url, "etcd:https://etcd1:2379,http://[::1]:2380");
	ck_assert_str_eq(c.hosts[0].address.host, "fd00::1");
	ck_assert_str_eq(c.hosts[0].bmc.password_file, "/etc/sheer/a.pw");
	ck_assert_uint_eq(c.controller.lease_s, 10);
	fleet_config_free(&c);
	/* A SQLite file is where the fleet file says, from its folder. */
	read_good("[fleet]\ntls = /srv/tls\nstate = sqlite:state/fleet.db\n[host a]\naddress = h:1\n", &c);
	ck_assert_int_eq(c.controller.state.kind, FLEET_STATE_SQLITE);
	ck_assert_str_eq(c.controller.state.url, "sqlite:/etc/sheer/state/fleet.db");
	ck_assert_str_eq(c.hosts[0].migration_address, "");
	fleet_config_free(&c);
	/* Migrations may go over another network than the agent's. */
	read_good(MINIMAL "migration_address = 10.9.0.1\n", &c);
	ck_assert_str_eq(c.hosts[0].migration_address, "10.9.0.1");
	fleet_config_free(&c);
	assert_refused(MINIMAL "migration_address = 10.9.0.1:7000\n",
		       "fleet.ini:5: migration_address: '10.9.0.1:7000' is not a host name or a numeric IPv4 or IPv6 address");
}
END_TEST

START_TEST(bad_keys_and_values_are_refused_by_line)
{
	assert_refused(MINIMAL "adress = x\n",
		       "fleet.ini:5: unknown key 'adress' in [host a] (address, migration_address, model, cpus, memory, role, bmc, "
		       "password_file, ca_file, timeout_ms, retries)");
	assert_refused("[fleet]\ntls = t\nintervall = 300\n", "fleet.ini:3: unknown key 'intervall' in [fleet] (state, "
		       "interval, tls, listen, metrics, failure_timeout, name, lease)");
	assert_refused("[fleets]\n", "fleet.ini:1: unknown section [fleets] (fleet, policy, host NAME, standby NAME, "
		       "schedule NAME)");
	assert_refused("tls = t\n", "fleet.ini:1: key 'tls' before any section (start with [fleet])");
	assert_refused("[fleet]\ntls = t\ninterval = 4\n", "fleet.ini:3: interval: '4' is not a whole number of seconds "
		       "from 5 to 3600");
	assert_refused("[fleet]\ntls = t\nstate = mysql://db\n", "fleet.ini:3: state: 'mysql://db' is neither "
		       "sqlite:PATH nor etcd:");
	assert_refused("[fleet]\ntls = t\nstate = etcd:etcd1:2379\n", "fleet.ini:3: state: etcd: endpoint 'etcd1:2379': "
		       "give http://HOST:PORT or https://HOST:PORT");
	assert_refused("[fleet]\ntls = t\nstate = etcd:http://e:2379/v3\n", "endpoint 'http://e:2379/v3'");
	assert_refused("[fleet]\ntls = t\nstate = etcd:http://a:2379, http://b:2379\n", "endpoint ' http://b:2379'");
	assert_refused("[fleet]\ntls = t\nmetrics = 9736\n", "fleet.ini:3: metrics: '9736' is not HOST:PORT");
	assert_refused(MINIMAL "[policy]\npolicy = shear\n", "fleet.ini:6: policy: unknown policy 'shear' (none, "
		       "thr-mmt-0.8, iqr-mmt-1.5, lr-mmt-1.2, sheer)");
	assert_refused(MINIMAL "[policy]\nheadroom = 95%\n", "headroom: '95%' is not a percentage from 0% to 90%");
	assert_refused(MINIMAL "[policy]\npower_saving = sometimes\n", "power_saving: 'sometimes' is neither on nor off");
	assert_refused(MINIMAL "[policy]\nha = migrate\n", "ha: unknown ha 'migrate' (restart, switch)");
	assert_refused(MINIMAL "model = dl380\n", "model: unknown model 'dl380' (hp-ml110-g4, hp-ml110-g5)");
	assert_refused(MINIMAL "role = standby\n", "role: unknown role 'standby' (active, spare)");
	assert_refused(MINIMAL "bmc = ipmi://10.0.1.1\n", "fleet.ini:5: 'ipmi://10.0.1.1': the user before '@'");
	assert_refused(MINIMAL "timeout_ms = 0\n", "timeout_ms: '0' is not a whole number from 1 to 600000");
	assert_refused(MINIMAL "[policy]\n[policy]\n", "fleet.ini:6: [policy] is given twice (first at line 5)");
	assert_refused("[host web/1]\n", "fleet.ini:1: [host web/1] needs a name");
	assert_refused("[fleet ctl]\n", "fleet.ini:1: [fleet] takes no name");
}
END_TEST

START_TEST(fleets_that_cannot_work_are_refused)
{
	assert_refused("[host a]\naddress = h:1\n", "fleet.ini:1: no [fleet] section");
	assert_refused("[fleet]\n[host a]\naddress = h:1\n", "fleet.ini:1: [fleet] needs tls = DIR");
	assert_refused("[fleet]\ntls = t\n", "fleet.ini:1: no [host NAME] section");
	assert_refused(MINIMAL "[host a]\naddress = h:2\n", "fleet.ini:5: 'a' is already a [host] section (line 3)");
	assert_refused(MINIMAL "[standby a]\nphysical = r\n", "'a' is already a [host] section (line 3)");
	assert_refused(MINIMAL "[host b]\naddress = 10.0.0.1:7443\n",
		       "fleet.ini:5: [host b] has the address of [host a] (line 3), 10.0.0.1:7443");
	assert_refused(MINIMAL BMC_A "[host b]\naddress = h:2\nbmc = ipmi://root@10.0.1.1:623\npassword_file = b\n",
		       "fleet.ini:7: [host b] has the BMC of 'a' (line 3)");
	assert_refused("[fleet]\ntls = t\n[host a]\naddress = h:1\nrole = spare\n" BMC_A,
		       "fleet.ini:3: no active host: every [host] has role = spare");
	assert_refused(MINIMAL "[host s]\naddress = h:2\nrole = spare\n", "fleet.ini:5: [host s] is a spare without a BMC");
	assert_refused(MINIMAL "bmc = ipmi://admin@10.0.1.1\n", "fleet.ini:3: [host a] needs password_file = FILE");
	assert_refused(MINIMAL "[host b]\n", "fleet.ini:5: [host b] needs address = HOST:PORT");
	assert_refused(MINIMAL "[standby r]\n", "[standby r] needs either physical = NAME");
	assert_refused(MINIMAL "[standby r]\nphysical = rack1\nbmc = ipmi://admin@x\n", "not both");
	assert_refused(MINIMAL "[policy]\nmin_active_hosts = 2\n",
		       "fleet.ini:5: [policy]: min_active_hosts = 2, but the fleet has 1 host");
	assert_refused(MINIMAL "[policy]\nha = switch\n", "fleet.ini:5: [policy] ha = switch needs a [standby NAME]");
	assert_refused("[fleet]\ntls = t\nlisten = 127.0.0.1:9000\nmetrics = 127.0.0.1:9000\n[host a]\naddress = h:1\n",
		       "listen and metrics are both 127.0.0.1:9000");
}
END_TEST

START_TEST(impossible_schedules_are_refused)
{
	assert_refused(MINIMAL "[schedule n]\nhours = 08:00-08:00\nheadroom = 5%\n",
		       "fleet.ini:6: hours: '08:00-08:00' is an empty window");
	assert_refused(MINIMAL "[schedule n]\nhours = 20:00-25:00\n", "hours: '20:00-25:00' has a time out of range");
	assert_refused(MINIMAL "[schedule n]\nhours = 24:00-06:00\n", "has a time out of range");
	assert_refused(MINIMAL "[schedule n]\nhours = 8-17\n", "hours: '8-17' is not HH:MM-HH:MM");
	assert_refused(MINIMAL "[schedule n]\ndays = mon-fry\n", "fleet.ini:6: days: 'mon-fry' is not a day");
	assert_refused(MINIMAL "[schedule n]\ndays = mon,,tue\n", "days: '' is not a day");
	assert_refused(MINIMAL "[schedule n]\ndays = sat,sun\n", "fleet.ini:5: [schedule n] changes nothing");
	assert_refused(MINIMAL "[schedule n]\ndays = sat,sun\nheadroom = 20%\n", "[schedule n] changes nothing");
	assert_refused(MINIMAL "[schedule n]\nheadroom = 5%\n", "[schedule n] applies at all times");
	assert_refused(MINIMAL "[schedule n]\ndays = sun\nmin_active_hosts = 3\n",
		       "[schedule n]: min_active_hosts = 3, but the fleet has 1 host");
	assert_refused(MINIMAL "[schedule n]\nhours = 20:00-07:00\nheadroom = 10%\n"
		       "[schedule w]\ndays = sat,sun\nheadroom = 30%\n",
		       "fleet.ini:8: schedules 'n' (line 5) and 'w' (line 8) both apply from sat 00:00 to sat 07:00 "
		       "and disagree: headroom = 10% and headroom = 30%");
	assert_refused(MINIMAL "[schedule n]\ndays = mon-fri\nhours = 20:00-07:00\npolicy = none\n"
		       "[schedule m]\ndays = fri\nhours = 23:00-24:00\npolicy = lr-mmt-1.2\n",
		       "both apply from fri 23:00 to sat 00:00 and disagree: policy = none and policy = lr-mmt-1.2");
	assert_refused(MINIMAL "[schedule n]\ndays = sun\nhours = 22:00-02:00\nheadroom = 1%\n"
		       "[schedule m]\ndays = mon\nhours = 00:00-01:00\nheadroom = 2%\n",
		       "both apply from mon 00:00 to mon 01:00");
}
END_TEST

START_TEST(overlapping_schedules_that_agree_are_taken)
{
	struct fleet_config c;

	read_good(MINIMAL "[schedule n]\nhours = 20:00-07:00\nheadroom = 10%\n"
		  "[schedule w]\ndays = sat,sun\nheadroom = 10%\npower_saving = off\n", &c);
	ck_assert_uint_eq(c.n_schedules, 2);
	ck_assert_uint_eq(c.schedules[0].sets, FLEET_SETS_HEADROOM);
	ck_assert_uint_eq(c.schedules[1].sets, FLEET_SETS_HEADROOM | FLEET_SETS_POWER_SAVING);
	fleet_config_free(&c);
}
END_TEST

START_TEST(days_read_lists_ranges_and_wraps)
{
	char reason[256], text[64];
	unsigned int days;

	ck_assert_int_eq(schedule_days_parse("Mon-Wed, sat", &days, reason, sizeof(reason)), 0);
	ck_assert_uint_eq(days, 0x27);
	ck_assert_int_eq(schedule_days_parse("fri-mon", &days, reason, sizeof(reason)), 0);
	ck_assert_uint_eq(days, 0x71);
	schedule_days_format(days, text, sizeof(text));
	ck_assert_str_eq(text, "mon,fri-sun");
	ck_assert_int_eq(schedule_days_parse("daily", &days, reason, sizeof(reason)), 0);
	schedule_days_format(days, text, sizeof(text));
	ck_assert_str_eq(text, "daily");
	ck_assert_int_eq(schedule_days_parse("weekend", &days, reason, sizeof(reason)), -EINVAL);
}
END_TEST

/* MINIMAL with schedules, read in a time zone. */
static void read_schedules(const char *zone, const char *schedules, struct fleet_config *c)
{
	char text[1024];

	setenv("TZ", zone, 1);
	tzset();
	snprintf(text, sizeof(text), "%s%s", MINIMAL, schedules);
	read_good(text, c);
}

/* At `at`: the schedules that apply (a mask of their indices) and the next change; returns what applies. */
static struct schedule_now expect_at(const struct fleet_config *c, time_t at, unsigned int active, time_t next)
{
	struct schedule_now now;

	schedule_evaluate(c, at, &now);
	ck_assert_uint_eq(now.active, active);
	ck_assert(now.changes);
	ck_assert_int_eq(now.next_change, next);
	return now;
}

/* A window across midnight belongs to the day it starts on: Friday night runs into Saturday, Sunday's does not exist. */
START_TEST(a_night_window_belongs_to_its_start_day)
{
	struct fleet_config c;

	read_schedules("UTC", "[schedule nights]\ndays = mon-fri\nhours = 20:00-07:00\nheadroom = 5%\n", &c);
	/* 2025-03-07 is a Friday. */
	ck_assert_uint_eq(expect_at(&c, utc(2025, 3, 7, 23, 0), 1, utc(2025, 3, 8, 7, 0)).effective.headroom_pct, 5);
	expect_at(&c, utc(2025, 3, 8, 6, 59), 1, utc(2025, 3, 8, 7, 0));
	/* Saturday 07:00 to Monday 20:00: no Sunday night, so Monday morning is free too. */
	ck_assert_uint_eq(expect_at(&c, utc(2025, 3, 8, 7, 0), 0, utc(2025, 3, 10, 20, 0)).effective.headroom_pct, 20);
	expect_at(&c, utc(2025, 3, 10, 6, 0), 0, utc(2025, 3, 10, 20, 0));
	fleet_config_free(&c);
}
END_TEST

START_TEST(weekend_and_nights_overlay_the_policy)
{
	struct schedule_now now;
	struct fleet_config c;

	read_schedules("UTC", "[policy]\npower_saving = off\n[schedule nights]\nhours = 22:00-06:00\nheadroom = 5%\n"
		       "[schedule weekend]\ndays = sat,sun\npower_saving = on\npolicy = none\n", &c);
	now = expect_at(&c, utc(2025, 3, 7, 12, 0), 0, utc(2025, 3, 7, 22, 0));	/* Friday noon */
	ck_assert(!now.effective.power_saving);
	expect_at(&c, utc(2025, 3, 7, 23, 30), 1, utc(2025, 3, 8, 0, 0));
	now = expect_at(&c, utc(2025, 3, 8, 1, 0), 3, utc(2025, 3, 8, 6, 0));		/* both */
	ck_assert_uint_eq(now.effective.headroom_pct, 5);
	ck_assert(now.effective.power_saving);
	ck_assert_str_eq(now.effective.policy, "none");
	expect_at(&c, utc(2025, 3, 9, 12, 0), 2, utc(2025, 3, 9, 22, 0));		/* Sunday noon */
	fleet_config_free(&c);
}
END_TEST

START_TEST(without_schedules_nothing_ever_changes)
{
	struct schedule_now now;
	struct fleet_config c;

	read_good(MINIMAL, &c);
	schedule_evaluate(&c, time(NULL), &now);
	ck_assert_uint_eq(now.active, 0);
	ck_assert(!now.changes);
	ck_assert_str_eq(now.effective.policy, "sheer");
	fleet_config_free(&c);
}
END_TEST

/* Berlin: clocks go from 02:00 to 03:00 on 2025-03-30 and from 03:00 back to 02:00 on 2025-10-26. */
START_TEST(schedules_follow_the_wall_clock_across_dst)
{
	struct fleet_config c;

	read_schedules("Europe/Berlin", "[schedule nights]\nhours = 22:00-06:00\nheadroom = 5%\n", &c);
	/* The short night: 23:00 CET to 06:00 CEST is six hours. */
	ck_assert_int_eq(local(2025, 3, 29, 23, 0), utc(2025, 3, 29, 22, 0));
	expect_at(&c, local(2025, 3, 29, 23, 0), 1, local(2025, 3, 29, 23, 0) + 6 * 3600);
	ck_assert_int_eq(local(2025, 3, 30, 6, 0), utc(2025, 3, 30, 4, 0));
	/* The long night: 23:00 CEST to 06:00 CET is eight. */
	expect_at(&c, local(2025, 10, 25, 23, 0), 1, local(2025, 10, 25, 23, 0) + 8 * 3600);
	ck_assert_int_eq(local(2025, 10, 26, 6, 0), utc(2025, 10, 26, 5, 0));
	/* The evening after the change still starts at 22:00 local. */
	expect_at(&c, local(2025, 3, 30, 12, 0), 0, utc(2025, 3, 30, 20, 0));
	fleet_config_free(&c);
}
END_TEST

START_TEST(a_window_edge_the_clocks_skip_passes_when_they_land)
{
	struct fleet_config c;

	read_schedules("Europe/Berlin", "[schedule early]\nhours = 02:30-05:00\nheadroom = 5%\n", &c);
	/* 01:00 CET; 02:30 never shows on 2025-03-30: the window opens when the clock shows 03:00 CEST. */
	expect_at(&c, utc(2025, 3, 30, 0, 0), 0, utc(2025, 3, 30, 1, 0));
	expect_at(&c, utc(2025, 3, 30, 1, 0), 1, utc(2025, 3, 30, 3, 0));
	fleet_config_free(&c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *file = tcase_create("fleet_file");
	TCase *schedule = tcase_create("schedule");

	tcase_add_test(file, example_file_parses);
	tcase_add_test(file, a_minimal_file_takes_the_defaults);
	tcase_add_test(file, state_is_a_url_the_fleet_store_opens);
	tcase_add_test(file, bad_keys_and_values_are_refused_by_line);
	tcase_add_test(file, fleets_that_cannot_work_are_refused);
	tcase_add_test(file, impossible_schedules_are_refused);
	tcase_add_test(file, overlapping_schedules_that_agree_are_taken);
	tcase_add_test(schedule, days_read_lists_ranges_and_wraps);
	tcase_add_test(schedule, a_night_window_belongs_to_its_start_day);
	tcase_add_test(schedule, weekend_and_nights_overlay_the_policy);
	tcase_add_test(schedule, without_schedules_nothing_ever_changes);
	tcase_add_test(schedule, schedules_follow_the_wall_clock_across_dst);
	tcase_add_test(schedule, a_window_edge_the_clocks_skip_passes_when_they_land);
	suite_add_tcase(s, file);
	suite_add_tcase(s, schedule);
	return s;
}
