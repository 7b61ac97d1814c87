/*
 * `sheer migrate NAME --to ADDR [--downtime-ms N] [--bandwidth MIB_S]
 * [--timeout S] [--json]`: move a running server to the host where
 * `sheer receive --listen ADDR` waits. This command connects (with the
 * caller's rights; the VMM opens nothing) and hands the connection to the
 * server, which copies its memory while it runs and switches over
 * (p2v/migrate/protocol.h). One summary line at the end.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2v/migrate/address.h"
#include "p2v/migrate/migrate.h"
#include "p2v/migrate/tls.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/device_ops.h"
#include "vmm/cli/manage.h"
#include "vmm/cli/progress.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"

#define ERR_MAX 512
#define MIGRATE_CONNECT_TIMEOUT_S 10
#define MIGRATE_FAILOVER_TIMEOUT_S 60	/* for the guest to let go of a failover NIC */

enum migrate_flag { FLAG_TO = 0x100, FLAG_DOWNTIME, FLAG_BANDWIDTH, FLAG_TIMEOUT, FLAG_TLS, FLAG_JSON };

struct migrate_args {
	const char *name;
	const char *to;
	const char *tls_dir;
	bool json;
	struct control_request request;
};

static int number_option(const char *text, unsigned int max, unsigned int *value, const char *flag)
{
	if (parse_uint(text, max, value) < 0) {
		cli_error("migrate: %s takes a whole number up to %u, not '%.32s'", flag, max, text);
		return -EINVAL;
	}
	return 0;
}

static int migrate_parse_option(int option, struct migrate_args *args)
{
	switch (option) {
	case FLAG_TO: args->to = optarg; return 0;
	case FLAG_TLS: args->tls_dir = optarg; return 0;
	case FLAG_JSON: args->json = true; return 0;
	case FLAG_DOWNTIME: return number_option(optarg, 3600 * 1000, &args->request.downtime_ms, "--downtime-ms");
	case FLAG_BANDWIDTH: return number_option(optarg, 1 << 20, &args->request.bandwidth_mib, "--bandwidth");
	case FLAG_TIMEOUT: return number_option(optarg, 7 * 24 * 3600, &args->request.timeout_s, "--timeout");
	}
	cli_error("usage: sheer migrate NAME --to ADDR [--downtime-ms N] [--bandwidth MIB_S] [--timeout S] "
		  "[--tls DIR] [--json]");
	return -EINVAL;
}

static int migrate_parse_args(int argc, char **argv, struct migrate_args *args)
{
	static const struct option options[] = {
		{ "to", required_argument, NULL, FLAG_TO },
		{ "downtime-ms", required_argument, NULL, FLAG_DOWNTIME },
		{ "bandwidth", required_argument, NULL, FLAG_BANDWIDTH },
		{ "timeout", required_argument, NULL, FLAG_TIMEOUT },
		{ "tls", required_argument, NULL, FLAG_TLS },
		{ "json", no_argument, NULL, FLAG_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	memset(args, 0, sizeof(*args));
	args->request = (struct control_request){ .command = CONTROL_MIGRATE, .file_fd = -1,
						  .downtime_ms = MIGRATE_DEFAULT_DOWNTIME_MS,
						  .timeout_s = MIGRATE_DEFAULT_TIMEOUT_S };
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1)
		if (migrate_parse_option(option, args) < 0)
			return -EINVAL;
	if (argc - optind != 1 || !args->to)
		return migrate_parse_option(0, args);
	args->name = argv[optind];
	return copy_string(args->request.to, sizeof(args->request.to), args->to) < 0 ? migrate_parse_option(0, args) : 0;
}

/* Plain TCP only on loopback: a guest's memory never crosses a network in the clear. */
static int migrate_check_address(const struct migrate_args *args, struct migrate_address *addr)
{
	char err[ERR_MAX];

	if (migrate_address_parse(args->to, addr, err, sizeof(err)) < 0) {
		cli_error("migrate: %s", err);
		return -EINVAL;
	}
	if (!args->tls_dir && !migrate_address_is_local(addr)) {
		cli_error("%s: migrate: %s is not a loopback address: plain TCP is refused there, give --tls DIR",
			  args->name, args->to);
		return -EINVAL;
	}
	return 0;
}

static uint64_t reply_uint(json_t *reply, const char *key)
{
	json_t *value = json_object_get(reply, key);

	return json_is_integer(value) && json_integer_value(value) > 0 ? (uint64_t)json_integer_value(value) : 0;
}

static void migrate_summary(const struct migrate_args *args, json_t *reply)
{
	if (args->json) {
		json_object_del(reply, "ok");
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
		return;
	}
	printf("%s: migrated to %s in %.2f s: downtime %.0f ms, %.1f MiB sent in %llu pre-copy rounds\n", args->name,
	       args->to, reply_uint(reply, "total_ns") / 1e9, reply_uint(reply, "downtime_ns") / 1e6,
	       reply_uint(reply, "bytes") / 1048576.0, (unsigned long long)reply_uint(reply, "rounds"));
}

/* "web01: round 3: 120 of 256 MiB sent, 12 MiB dirty at 95 MiB/s, downtime ~40 ms", in place on a terminal. */
static void migrate_progress_line(void *ctx, const struct control_migration *m)
{
	struct progress_meter *meter = ctx;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s: round %u: %llu of %llu MiB sent, %llu MiB dirty at %.0f MiB/s, downtime ~%llu ms",
		meter->what, m->round, (unsigned long long)(m->sent_bytes >> 20),
		(unsigned long long)(m->ram_bytes >> 20), (unsigned long long)(m->dirty_bytes >> 20),
		m->rate / 1048576.0, (unsigned long long)m->expected_downtime_ms);
	if (m->throttle_pct)
		fprintf(stderr, ", vCPUs throttled %u%%", m->throttle_pct);
	fputs("   ", stderr);
	meter->shown = true;
}

/*
 * Only a running server migrates, and only if each passed-through device is
 * a failover NIC, which leaves before the move (its traffic goes on through
 * its virtio-net pair). The VMM refuses any other too, but only once the
 * target has been contacted, and a `sheer receive` takes one connection:
 * asked here, the target goes on waiting.
 */
static int migrate_check_movable(const char *name, const struct control_status *status)
{
	for (unsigned int i = 0; i < status->n_devices; i++)
		if (!status->device_failover[i][0]) {
			cli_error("%s: migrate: device %s is passed through and has no failover pair ([device] failover = "
				  "NIC): %s",
				  name, status->devices[i], VM_DEVICE_NOT_MIGRATABLE);
			return -EINVAL;
		}
	if (strcmp(status->state, "running") == 0)
		return 0;
	cli_error("%s: migrate: the server is %s, not running", name, status->state);
	return -EINVAL;
}

/* The server must be here before anything goes to the target: an unknown name is the operator's mistake (exit 2). */
static int migrate_check_server(struct registry *registry, const char *name, struct control_status *status)
{
	int ret = device_server_status(registry, name, status);

	return ret == 0 ? migrate_check_movable(name, status) : ret;
}

/* The move did not happen: the first n failover NICs back into the guest, which still runs here. */
static void migrate_failover_back(struct registry *registry, const struct control_status *status, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct device_target t = { status->name, status->devices[i], (pid_t)status->pid, false,
						 status->device_failover[i] };

		if (device_attach_to(registry, &t) < 0)
			cli_error("warning: %s: device %s could not go back in; the server runs on its virtio-net NIC %s",
				  status->name, status->devices[i], status->device_failover[i]);
	}
}

/* The failover NICs out of the guest, or none: one the guest keeps puts the others back. */
static int migrate_failover_out(struct registry *registry, const struct control_status *status)
{
	for (unsigned int i = 0; i < status->n_devices; i++) {
		const struct device_target t = { status->name, status->devices[i], (pid_t)status->pid, false, NULL };
		int ret = device_detach_from(registry, &t, MIGRATE_FAILOVER_TIMEOUT_S);

		if (ret < 0) {
			migrate_failover_back(registry, status, i);
			return ret;
		}
	}
	return 0;
}

static int migrate_call(struct migrate_args *args, json_t **reply)
{
	struct registry registry = { .lock_fd = -1 };
	struct progress_meter meter;
	const struct control_progress progress = { .update = progress_meter_update, .ctx = &meter,
						   .migration = migrate_progress_line };
	char err[ERR_MAX];
	int ret = registry_open_existing(&registry, err, sizeof(err));

	if (ret < 0) {
		cli_error("%s", err);
		return ret;
	}
	args->request.progress = progress_meter_start(&meter, args->name) && !args->json;
	/* The server bounds pre-copy with timeout_s; the reply may take that long and the switch-over after it. */
	ret = manage_call(&registry, args->name, &args->request, (int)args->request.timeout_s + 300, &progress, reply);
	progress_meter_finish(&meter);
	registry_close(&registry);
	return ret;
}

/* The connection the VMM gets: the socket itself, or with --tls the plaintext end of a relay. */
static int migrate_open(const struct migrate_args *args, const struct migrate_address *addr, pid_t *relay)
{
	char err[ERR_MAX];
	int fd = migrate_connect(addr, MIGRATE_CONNECT_TIMEOUT_S, err, sizeof(err));

	if (fd < 0) {
		cli_error("%s: migrate: cannot reach the target: %s; the server keeps running here", args->name, err);
		return fd;
	}
	if (!args->tls_dir)
		return fd;
	fd = migrate_tls_wrap(fd, args->tls_dir, false, relay, err, sizeof(err));
	if (fd < 0)
		cli_error("%s: migrate: %s: %s; the server keeps running here", args->name, args->to, err);
	return fd;
}

int cmd_migrate(int argc, char **argv)
{
	struct registry registry = { .lock_fd = -1 };
	struct control_status server;
	struct migrate_address addr;
	struct migrate_args args;
	char err[ERR_MAX];
	json_t *reply = NULL;
	pid_t relay = -1;
	int ret, status;

	if (migrate_parse_args(argc, argv, &args) < 0 || migrate_check_address(&args, &addr) < 0)
		return SHEER_EXIT_USAGE;
	if (registry_open_existing(&registry, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	ret = migrate_check_server(&registry, args.name, &server);
	if (ret < 0) {
		registry_close(&registry);
		return manage_exit_status(ret);
	}
	if (migrate_failover_out(&registry, &server) < 0) {
		registry_close(&registry);
		return SHEER_EXIT_FAILURE;
	}
	args.request.file_fd = migrate_open(&args, &addr, &relay);
	if (args.request.file_fd < 0) {
		migrate_failover_back(&registry, &server, server.n_devices);
		registry_close(&registry);
		return SHEER_EXIT_FAILURE;
	}
	ret = migrate_call(&args, &reply);
	close(args.request.file_fd);
	if (relay > 0)
		waitpid(relay, NULL, 0);
	if (ret < 0) {
		status = manage_exit_status(ret);
	} else if (control_reply_check(reply, err, sizeof(err)) < 0) {
		cli_error("%s: %s", args.name, err);
		status = json_is_true(json_object_get(reply, "refused")) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	} else {
		migrate_summary(&args, reply);
		status = SHEER_EXIT_OK;
	}
	/* Not once the switch-over came: the guest may run on the target, and this side stays paused. */
	if (status != SHEER_EXIT_OK && !json_is_true(json_object_get(reply, "committed")))
		migrate_failover_back(&registry, &server, server.n_devices);
	registry_close(&registry);
	json_decref(reply);
	return status;
}
