/*
 * power/fleet: the controller's pure parts: the planner's fleet from the
 * hosts' reports, the power decisions, devices by model, the spares of a
 * failure, and what a new leader makes of unfinished actions.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_decide.h"
#include "power/fleet/fleet_recover.h"
#include "power/fleet/fleet_remap.h"
#include "power/fleet/fleet_report.h"
#include "power/fleet/fleet_spares.h"
#include "power/fleet/fleet_view.h"
#include "power/fleet/schedule.h"

static char err[512];

/* A server of a host answer: name, vcpus, memory, vCPU seconds (< 0: none), a device id or NULL. */
static json_t *server(const char *name, int vcpus, int mib, double seconds, const char *device)
{
	json_t *s = json_pack("{s:s, s:s, s:b, s:i, s:i, s:[]}", "name", name, "state", "running", "running", 1,
			      "vcpus", vcpus, "memory_mib", mib, "devices");

	if (seconds >= 0)
		json_object_set_new(s, "vcpu_seconds", json_real(seconds));
	if (device)
		json_array_append_new(json_object_get(s, "devices"),
				      json_pack("{s:s, s:s}", "pci", "0000:03:00.0", "id", device));
	return s;
}

/* A host answer with these servers and free devices (ids at 0000:1N:00.0), as the client checks it. */
static void report(struct fleet_report *r, int64_t at_ms, unsigned int cpus, unsigned int free_mib, json_t *servers,
		   const char *const *free_ids)
{
	json_t *answer = json_pack("{s:b, s:s, s:s, s:i, s:i, s:i, s:o, s:[]}", "ok", 1, "op", "host", "host", "h",
				   "cpus_online", cpus, "memory_total_mib", 8192, "memory_free_mib", free_mib,
				   "servers", servers, "free_devices");

	for (int i = 0; free_ids && free_ids[i]; i++) {
		char pci[32];

		snprintf(pci, sizeof(pci), "0000:1%d:00.0", i % 10);
		json_array_append_new(json_object_get(answer, "free_devices"),
				      json_pack("{s:s, s:s, s:s}", "pci", pci, "id", free_ids[i], "kind", "NIC"));
	}
	ck_assert_msg(fleet_report_from_json(answer, at_ms, r, err, sizeof(err)) == 0, "%s", err);
	json_decref(answer);
}

START_TEST(demand_is_the_growth_of_vcpu_time_per_vcpu_and_second)
{
	struct fleet_report a, b;

	report(&a, 10000, 8, 4096, json_pack("[o, o, o]", server("web01", 2, 512, 100, NULL),
					      server("db01", 1, 512, 50, NULL), server("new01", 1, 64, -1, NULL)), NULL);
	/* 10 s later: web01 used 5 s of its 2 vCPUs (25%), db01 30 s of one (more than the wall: 100%). */
	report(&b, 20000, 8, 4096, json_pack("[o, o, o]", server("web01", 2, 512, 105, NULL),
					      server("db01", 1, 512, 80, NULL), server("new01", 1, 64, 3, NULL)), NULL);
	ck_assert_double_eq_tol(fleet_report_demand(&a, &b, "web01"), 0.25, 1e-9);
	ck_assert_double_eq_tol(fleet_report_demand(&a, &b, "db01"), 1.0, 1e-9);
	ck_assert_double_eq(fleet_report_demand(&a, &b, "new01"), -1);	/* no time before */
	ck_assert_double_eq(fleet_report_demand(&b, &a, "web01"), -1);	/* time went back */
	ck_assert_double_eq(fleet_report_demand(NULL, &b, "web01"), -1);
	fleet_report_free(&a);
	fleet_report_free(&b);
}
END_TEST

START_TEST(a_stored_report_is_read_back_and_checked_again)
{
	json_t *answer = json_pack("{s:b, s:s, s:s, s:i, s:i, s:i, s:[o], s:[]}", "ok", 1, "op", "host", "host", "h",
				   "cpus_online", 4, "memory_total_mib", 1024, "memory_free_mib", 512, "servers",
				   server("web01", 1, 64, 2.5, "8086:10d3"), "free_devices");
	char *text = fleet_report_to_text(answer, 1234);
	struct fleet_report r;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fleet_report_from_text(text, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.at_ms, 1234);
	ck_assert_uint_eq(r.n_servers, 1);
	ck_assert_str_eq(r.servers[0].devices[0].id, "8086:10d3");
	ck_assert_double_eq_tol(r.servers[0].vcpu_seconds, 2.5, 1e-9);
	fleet_report_free(&r);
	free(text);
	ck_assert_int_eq(fleet_report_from_text("{\"at_ms\":1,\"ok\":true,\"op\":\"host\"}", &r, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_int_eq(fleet_report_from_text("[]", &r, err, sizeof(err)), -EBADMSG);
	json_decref(answer);
}
END_TEST

static struct fleet_host_config host_cfg(const char *name)
{
	struct fleet_host_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

START_TEST(the_planners_fleet_has_capacity_less_headroom_and_measured_demand)
{
	struct fleet_host_config cfg[3] = { host_cfg("a"), host_cfg("b"), host_cfg("c") };
	struct fleet_report a0, a1;
	struct fleet_view v;
	double demand, capacity;

	cfg[1].model = host_model_find("hp-ml110-g5");
	report(&a0, 0, 4, 4096, json_pack("[o]", server("web01", 2, 512, 10, NULL)), NULL);
	report(&a1, 10000, 4, 4096, json_pack("[o]", server("web01", 2, 512, 14, NULL)), NULL);
	const struct fleet_view_host hosts[3] = {
		{ &cfg[0], true, false, &a1, &a0 },
		{ &cfg[1], false, false, NULL, NULL },	/* off */
		{ &cfg[2], true, true, &a1, NULL },	/* a spare that is on: excluded, its servers not counted */
	};

	ck_assert_int_eq(fleet_view_build(hosts, 3, 20, &v), 0);
	ck_assert_int_eq(v.fleet.n_hosts, 3);
	ck_assert_int_eq(v.fleet.n_servers, 2);
	ck_assert_double_eq_tol(v.fleet.hosts[0].model->mips_per_pe, 3200, 1e-9);	/* 4 CPUs less 20% */
	ck_assert_int_eq(v.fleet.hosts[0].model->mem_mb, 8192);
	ck_assert_int_eq(fleet_view_server(&v, "web01"), 0);
	ck_assert_double_eq_tol(v.fleet.servers[0].mips, 2000, 1e-9);
	ck_assert_double_eq_tol(v.fleet.servers[0].demand_mips, 400, 1e-9);	/* 4 s over 10 s of 2 vCPUs */
	ck_assert_double_eq_tol(v.fleet.hosts[0].util_mips, 400, 1e-9);
	ck_assert_double_eq(v.fleet.hosts[1].util_mips, 0);	/* off, as the planner knows it */
	ck_assert_double_eq_tol(v.fleet.hosts[1].model->watts[10], 135, 1e-9);	/* the model's table */
	ck_assert(v.fleet.hosts[2].excluded);
	/* The spare's copy has no earlier report: full demand assumed, and counted as unknown. */
	ck_assert_uint_eq(v.n_unknown_demand, 1);
	fleet_view_load(&v, hosts, &demand, &capacity);
	ck_assert_double_eq_tol(demand, 400, 1e-9);
	ck_assert_double_eq_tol(capacity, 4000, 1e-9);
	fleet_view_free(&v);
	fleet_report_free(&a0);
	fleet_report_free(&a1);
}
END_TEST

static const struct fleet_policy policy = {
	.policy = "sheer", .max_concurrent_migrations = 2, .max_migrations_per_interval = 3, .headroom_pct = 20,
	.hysteresis_s = 3600, .min_active_hosts = 1, .migration_deadline_s = 600, .power_saving = true,
};

/* An empty host that is on, trusted, with a BMC, last changed long ago. */
static struct fleet_decide_host idle(void)
{
	return (struct fleet_decide_host){ .on = true, .has_bmc = true, .trusted = true, .power_changed_at = 0 };
}

START_TEST(power_off_only_empty_trusted_rested_hosts_above_min_active)
{
	struct fleet_decide_host h[4] = { idle(), idle(), idle(), idle() };
	struct fleet_policy p = policy;
	unsigned int out[4];
	int64_t now = 10000;

	h[0].n_servers = 2;			/* runs servers */
	h[1].trusted = false;			/* never woken through its BMC */
	h[2].power_changed_at = now - 60;	/* changed a minute ago */
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 1);
	ck_assert_uint_eq(out[0], 3);
	h[3].wake_failed = true;
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 0);
	h[3].wake_failed = false;
	p.power_saving = false;
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 0);
	p.power_saving = true;
	/* min_active_hosts: of four active hosts, three stay on. */
	p.min_active_hosts = 3;
	h[2].power_changed_at = 0;
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 1);
	p.min_active_hosts = 4;
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 0);
	h[3].busy = true;
	p.min_active_hosts = 1;
	ck_assert_uint_eq(fleet_decide_power_off(h, 4, &p, now, out), 1);
	ck_assert_uint_eq(out[0], 2);
}
END_TEST

START_TEST(a_sleeping_host_wakes_ahead_of_demand_past_the_headroom)
{
	struct fleet_decide_host h[3] = { idle(), idle(), idle() };
	int64_t now = 10000;

	h[0].n_servers = 3;
	h[1].on = false, h[1].off = true;
	h[2].on = false, h[2].off = true, h[2].spare = true;	/* waits for a failure */
	ck_assert_int_eq(fleet_decide_wake(h, 3, &policy, now, 790, 1000), -1);	/* under 80% */
	ck_assert_int_eq(fleet_decide_wake(h, 3, &policy, now, 810, 1000), 1);
	h[1].power_changed_at = now - 10;	/* hysteresis */
	ck_assert_int_eq(fleet_decide_wake(h, 3, &policy, now, 810, 1000), -1);
	h[1].power_changed_at = 0, h[1].wake_failed = true;
	ck_assert_int_eq(fleet_decide_wake(h, 3, &policy, now, 810, 1000), -1);
}
END_TEST

/* A schedule that raises min_active_hosts at 20:00 wakes a host then, and only then. */
START_TEST(a_schedule_switches_the_policy_the_decisions_follow)
{
	static const char text[] = "[fleet]\ntls = tls\n[policy]\nheadroom = 20%\n"
				   "[host a]\naddress = 10.0.0.1:1\n[host b]\naddress = 10.0.0.2:1\n"
				   "[schedule evening]\nhours = 20:00-23:00\nmin_active_hosts = 2\npower_saving = off\n";
	FILE *file = fmemopen((void *)text, strlen(text), "r");
	struct fleet_decide_host h[2] = { idle(), idle() };
	struct fleet_config c;
	struct schedule_now before, during;
	struct tm tm = { .tm_year = 125, .tm_mon = 2, .tm_mday = 4, .tm_hour = 19, .tm_min = 59, .tm_isdst = -1 };
	time_t at = mktime(&tm);
	unsigned int out[2];

	ck_assert_msg(fleet_config_read(file, "/etc/sheer/fleet.ini", &c, err, sizeof(err)) == 0, "%s", err);
	fclose(file);
	h[0].n_servers = 1;
	h[1].on = false, h[1].off = true;
	schedule_evaluate(&c, at, &before);
	ck_assert_int_eq(fleet_decide_wake(h, 2, &before.effective, at, 10, 1000), -1);
	ck_assert(before.changes);
	schedule_evaluate(&c, before.next_change, &during);
	ck_assert_uint_eq(during.active, 1);
	ck_assert_int_eq(fleet_decide_wake(h, 2, &during.effective, before.next_change, 10, 1000), 1);
	/* And in the window an empty host is not powered off. */
	h[1].on = true, h[1].off = false;
	ck_assert_uint_eq(fleet_decide_power_off(h, 2, &before.effective, at, out), 1);
	ck_assert_uint_eq(fleet_decide_power_off(h, 2, &during.effective, at, out), 0);
	fleet_config_free(&c);
}
END_TEST

START_TEST(a_wake_test_takes_an_empty_untrusted_host_in_a_quiet_round)
{
	struct fleet_decide_host h[3] = { idle(), idle(), idle() };

	h[0].n_servers = 1;
	h[1].trusted = false;
	h[2].trusted = false, h[2].n_servers = 1;
	ck_assert_int_eq(fleet_decide_wake_test(h, 3, &policy), 1);
	h[1].wake_failed = true;
	ck_assert_int_eq(fleet_decide_wake_test(h, 3, &policy), -1);
	h[1].wake_failed = false, h[1].has_bmc = false;
	ck_assert_int_eq(fleet_decide_wake_test(h, 3, &policy), -1);
}
END_TEST

START_TEST(migrations_start_within_both_limits)
{
	ck_assert_uint_eq(fleet_decide_migrations_allowed(&policy, 0, 0), 2);
	ck_assert_uint_eq(fleet_decide_migrations_allowed(&policy, 1, 0), 1);
	ck_assert_uint_eq(fleet_decide_migrations_allowed(&policy, 2, 0), 0);
	ck_assert_uint_eq(fleet_decide_migrations_allowed(&policy, 0, 2), 1);
	ck_assert_uint_eq(fleet_decide_migrations_allowed(&policy, 0, 3), 0);
}
END_TEST

START_TEST(devices_are_chosen_by_model_on_the_target)
{
	static const char *const free_ids[] = { "144d:a808", "8086:10d3", "8086:10d3", NULL };
	static const char definition[] = "[server]\nname = web01\n[device]\npci = 03:00.0\n# pci = 03:00.0 kept\n"
					 "[nic]\nbridge = br0\n";
	struct fleet_report src, dst;
	bool taken[3] = { false, true, false };
	char *out = NULL;

	report(&src, 0, 4, 4096, json_pack("[o]", server("web01", 1, 64, 1, "8086:10d3")), NULL);
	report(&dst, 0, 4, 4096, json_pack("[]"), free_ids);
	ck_assert(fleet_remap_fits(&src.servers[0], &dst, taken));
	ck_assert_int_eq(fleet_remap_definition(definition, &src.servers[0], &dst, taken, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "[server]\nname = web01\n[device]\npci = 0000:12:00.0\n# pci = 03:00.0 kept\n"
			      "[nic]\nbridge = br0\n");
	ck_assert(taken[2]);
	free(out);
	/* Both of that model given now: none left. */
	ck_assert(!fleet_remap_fits(&src.servers[0], &dst, taken));
	ck_assert_int_eq(fleet_remap_definition(definition, &src.servers[0], &dst, taken, &out, err, sizeof(err)),
			 -ENOSPC);
	ck_assert_msg(strstr(err, "no free device of model 8086:10d3"), "%s", err);
	ck_assert_int_eq(fleet_remap_definition("[device]\npci = 0000:07:00.0\n", &src.servers[0], &dst, taken, &out,
						err, sizeof(err)), -ENOENT);
	/* An empty text (an agent may send one) is an empty text, whole (fuzz_fleet_remap found it unterminated). */
	ck_assert_int_eq(fleet_remap_definition("", &src.servers[0], &dst, taken, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "");
	free(out);
	fleet_report_free(&src);
	fleet_report_free(&dst);
}
END_TEST

START_TEST(spares_are_taken_first_and_in_failure_order)
{
	struct fleet_report room, small;
	bool t0[1] = { false }, t1[1] = { false }, t2[1] = { false };
	const char *const none[] = { NULL };

	report(&room, 0, 4, 1024, json_pack("[]"), none);
	report(&small, 0, 4, 256, json_pack("[]"), none);
	struct fleet_spare_host hosts[3] = {
		{ true, false, -1, &room, 0, t0 },	/* an active host with room */
		{ true, true, -1, &small, 0, t1 },	/* spare 1: 256 MiB */
		{ true, true, -1, &room, 0, t2 },	/* spare 2 */
	};
	struct fleet_report failed;

	report(&failed, 0, 4, 0, json_pack("[o, o, o]", server("a1", 1, 200, 1, NULL), server("a2", 1, 200, 1, NULL),
					    server("b1", 1, 100, 1, NULL)), NULL);
	/* Host 7 fails first: spare 1 is its; what spare 1 cannot hold goes to spare 2, no one's yet. */
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 7, &failed.servers[0], false), 1);
	ck_assert_int_eq(hosts[1].claimed_by, 7);
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 7, &failed.servers[1], false), 2);
	ck_assert_int_eq(hosts[2].claimed_by, 7);
	/* Host 8 fails next: both spares are held; the active host with room comes before their left-over room. */
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 8, &failed.servers[2], true), -1);
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 8, &failed.servers[2], false), 0);
	hosts[0].usable = false;
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 8, &failed.servers[2], false), 2);
	/* No room anywhere: -1 (an alert). */
	hosts[2].usable = false;
	ck_assert_int_eq(fleet_spares_place(hosts, 3, 8, &failed.servers[0], false), -1);
	fleet_report_free(&room);
	fleet_report_free(&small);
	fleet_report_free(&failed);
}
END_TEST

static struct fleet_action action(enum fleet_action_kind kind)
{
	struct fleet_action a = { .kind = kind };

	snprintf(a.server, sizeof(a.server), "web01");
	snprintf(a.from_host, sizeof(a.from_host), "h1");
	snprintf(a.to_host, sizeof(a.to_host), "h2");
	return a;
}

static enum fleet_result recover(enum fleet_action_kind kind, enum fleet_seen target, enum fleet_seen source,
				 enum fleet_seen power, bool *alert)
{
	struct fleet_action a = action(kind);
	const struct fleet_recover_facts f = { target, source, power };
	char detail[FLEET_TEXT_MAX] = "";
	enum fleet_result r = fleet_recover_decide(&a, &f, detail, sizeof(detail), alert);

	ck_assert(r == FLEET_PENDING || strstr(detail, "found after a restart"));
	return r;
}

START_TEST(unfinished_actions_are_finished_or_rolled_back_by_what_is_seen)
{
	enum fleet_seen U = FLEET_SEEN_UNKNOWN, Y = FLEET_SEEN_YES, N = FLEET_SEEN_NO;
	struct fleet_action a = action(FLEET_POWER_ON);
	bool alert;

	ck_assert_int_eq(recover(FLEET_MIGRATE, Y, U, U, &alert), FLEET_OK);
	ck_assert(!alert);
	ck_assert_int_eq(recover(FLEET_MIGRATE, N, Y, U, &alert), FLEET_ROLLED_BACK);
	ck_assert_int_eq(recover(FLEET_MIGRATE, N, N, U, &alert), FLEET_FAILED);
	ck_assert(alert);
	ck_assert_int_eq(recover(FLEET_MIGRATE, U, Y, U, &alert), FLEET_PENDING);
	ck_assert_int_eq(recover(FLEET_MIGRATE, N, U, U, &alert), FLEET_PENDING);
	ck_assert_int_eq(recover(FLEET_POWER_OFF, U, U, N, &alert), FLEET_OK);
	ck_assert_int_eq(recover(FLEET_POWER_OFF, U, U, Y, &alert), FLEET_FAILED);
	ck_assert_int_eq(recover(FLEET_FENCE, U, U, N, &alert), FLEET_OK);
	ck_assert_int_eq(recover(FLEET_FENCE, U, U, U, &alert), FLEET_PENDING);
	ck_assert_int_eq(recover(FLEET_POWER_ON, U, U, Y, &alert), FLEET_OK);
	ck_assert_int_eq(recover(FLEET_WAKE_TEST, U, U, N, &alert), FLEET_FAILED);
	ck_assert_int_eq(recover(FLEET_RESTART, Y, U, U, &alert), FLEET_OK);
	ck_assert_int_eq(recover(FLEET_RESTART, N, U, U, &alert), FLEET_FAILED);
	ck_assert(alert);
	ck_assert_int_eq(recover(FLEET_SWITCH, U, U, U, &alert), FLEET_FAILED);
	ck_assert(fleet_recover_needs_bmc(&a) && !fleet_recover_needs_hosts(&a));
	ck_assert_str_eq(fleet_recover_bmc_host(&a), "h2");
	a.kind = FLEET_FENCE;
	ck_assert_str_eq(fleet_recover_bmc_host(&a), "h1");
}
END_TEST

START_TEST(a_failed_move_is_held_back_for_a_while_then_planned_again)
{
	struct fleet_config *cfg = calloc(1, sizeof(*cfg));
	struct fleet_host_config hc[2] = { { .name = "h1" }, { .name = "h2" } };
	struct controller_host hosts[2] = { { .cfg = &hc[0] }, { .cfg = &hc[1] } };
	struct controller *ctl = calloc(1, sizeof(*ctl));
	char name[SERVER_NAME_MAX];

	ck_assert(cfg && ctl);
	cfg->controller.interval_s = 10;
	snprintf(cfg->controller.name, sizeof(cfg->controller.name), "test");
	ctl->cfg = cfg;
	ctl->hosts = hosts;
	ctl->n_hosts = 2;
	controller_hold_move(ctl, "s1", 1);
	ck_assert(controller_move_held(ctl, "s1", 1));
	ck_assert(!controller_move_held(ctl, "s1", 0));
	ck_assert(!controller_move_held(ctl, "s2", 1));
	/* Six intervals, five minutes at least. */
	ck_assert_int_ge(ctl->held[0].until - controller_now(), CONTROLLER_HOLD_MIN_S - 1);
	ctl->held[0].until = controller_now() - 1;
	ck_assert(!controller_move_held(ctl, "s1", 1));
	/* A full table gives up its oldest hold. */
	memset(ctl->held, 0, sizeof(ctl->held));
	for (int i = 0; i <= CONTROLLER_HELD_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", 100 + i);
		controller_hold_move(ctl, name, 0);
		ctl->held[i % CONTROLLER_HELD_MAX].until += i;	/* later holds end later */
	}
	ck_assert(!controller_move_held(ctl, "s100", 0));
	ck_assert(controller_move_held(ctl, "s101", 0));
	snprintf(name, sizeof(name), "s%d", 100 + CONTROLLER_HELD_MAX);
	ck_assert(controller_move_held(ctl, name, 0));
	free(ctl);
	free(cfg);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("controller");
	TCase *view = tcase_create("view");
	TCase *decide = tcase_create("decide");
	TCase *ha = tcase_create("ha and recovery");

	tcase_add_test(view, demand_is_the_growth_of_vcpu_time_per_vcpu_and_second);
	tcase_add_test(view, a_stored_report_is_read_back_and_checked_again);
	tcase_add_test(view, the_planners_fleet_has_capacity_less_headroom_and_measured_demand);
	tcase_add_test(decide, power_off_only_empty_trusted_rested_hosts_above_min_active);
	tcase_add_test(decide, a_sleeping_host_wakes_ahead_of_demand_past_the_headroom);
	tcase_add_test(decide, a_failed_move_is_held_back_for_a_while_then_planned_again);
	tcase_add_test(decide, a_schedule_switches_the_policy_the_decisions_follow);
	tcase_add_test(decide, a_wake_test_takes_an_empty_untrusted_host_in_a_quiet_round);
	tcase_add_test(decide, migrations_start_within_both_limits);
	tcase_add_test(ha, devices_are_chosen_by_model_on_the_target);
	tcase_add_test(ha, spares_are_taken_first_and_in_failure_order);
	tcase_add_test(ha, unfinished_actions_are_finished_or_rolled_back_by_what_is_seen);
	suite_add_tcase(s, view);
	suite_add_tcase(s, decide);
	suite_add_tcase(s, ha);
	return s;
}
