/*
 * The subcommands that talk to running servers over their control sockets:
 * status, shutdown, poweroff, pause, resume, list. A name that is not
 * running is bad input (exit 2); so is a request the server refuses.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/lib/cli.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/defined.h"
#include "vmm/cli/manage.h"
#include "vmm/server/control.h"
#include "vmm/lib/parse.h"
#include "vmm/server/registry.h"

#define ERR_MAX 512
#define MANAGE_CALL_TIMEOUT_S 10

/* What one subcommand accepts and does. */
struct manage_command {
	const char *name;
	enum control_command command;
	bool takes_json;
	unsigned int stop_timeout_s;	/* non-zero: wait this long (default) for the server to stop */
	const char *done;		/* printed on success */
	const char *asked;		/* printed on success with --timeout 0, which asks and does not wait */
	bool takes_all;			/* list --all: defined servers that are stopped too */
};

struct manage_args {
	const char *name;
	bool json;
	bool all;
	unsigned int timeout_s;
};

static const struct manage_command manage_status = { "status", CONTROL_STATUS, true, 0, NULL, NULL, false };
static const struct manage_command manage_shutdown = { "shutdown", CONTROL_SHUTDOWN, false, 60, "stopped",
						       "power button pressed (not waiting for it to stop)", false };
static const struct manage_command manage_poweroff = { "poweroff", CONTROL_POWEROFF, false, 10, "powered off",
						       "power-off asked (not waiting for sheer run to exit)", false };
static const struct manage_command manage_pause = { "pause", CONTROL_PAUSE, false, 0, "paused", NULL, false };
static const struct manage_command manage_resume = { "resume", CONTROL_RESUME, false, 0, "resumed", NULL, false };
static const struct manage_command manage_list = { "list", CONTROL_STATUS, true, 0, NULL, NULL, true };

static void manage_usage(const struct manage_command *mc, bool takes_name)
{
	cli_error("usage: sheer %s%s%s%s%s", mc->name, takes_name ? " NAME" : "", mc->takes_all ? " [--all]" : "",
		  mc->takes_json ? " [--json]" : "", mc->stop_timeout_s ? " [--timeout SECONDS]" : "");
}

static int manage_parse(const struct manage_command *mc, bool takes_name, int argc, char **argv,
			struct manage_args *args)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	memset(args, 0, sizeof(*args));
	args->timeout_s = mc->stop_timeout_s;
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'j' && mc->takes_json) {
			args->json = true;
		} else if (option == 'a' && mc->takes_all) {
			args->all = true;
		} else if (option == 't' && mc->stop_timeout_s) {
			if (parse_uint(optarg, 86400, &args->timeout_s) < 0) {
				cli_error("%s: invalid --timeout '%.32s' (expected seconds)", mc->name, optarg);
				return -EINVAL;
			}
		} else {
			manage_usage(mc, takes_name);
			return -EINVAL;
		}
	}
	if (argc - optind != (takes_name ? 1 : 0)) {
		manage_usage(mc, takes_name);
		return -EINVAL;
	}
	args->name = takes_name ? argv[optind] : NULL;
	return 0;
}

int manage_call(struct registry *registry, const char *name, const struct control_request *request, int timeout_s,
		const struct control_progress *progress, json_t **reply)
{
	char path[REGISTRY_SOCKET_PATH_MAX], err[ERR_MAX];
	int ret;

	if (!server_name_is_valid(name) || registry_socket_path(registry, name, path, sizeof(path)) < 0) {
		cli_error("invalid server name '%.64s'", name);
		return -EINVAL;
	}
	ret = control_call_request(path, request, timeout_s, progress, reply, err, sizeof(err));
	if (ret == -ENOENT || ret == -ECONNREFUSED) {
		/* Clean up after a VMM that died, so list and placement stop counting it. */
		if (registry_lock(registry) == 0) {
			registry_probe(registry, name);
			registry_unlock(registry);
		}
		cli_error("%s: no such server is running", name);
		return -ESRCH;
	}
	if (ret < 0)
		cli_error("%s: %s", name, err);
	return ret;
}

static int server_call(struct registry *registry, const char *name, enum control_command command, json_t **reply)
{
	struct control_request request = { .command = command, .file_fd = -1 };

	return manage_call(registry, name, &request, MANAGE_CALL_TIMEOUT_S, NULL, reply);
}

int manage_exit_status(int ret)
{
	return ret == -EINVAL || ret == -ESRCH || ret == -EREMOTEIO ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
}

static int server_status(struct registry *registry, const char *name, struct control_status *status,
			 json_t **reply)
{
	char err[ERR_MAX];
	int ret = server_call(registry, name, CONTROL_STATUS, reply);

	if (ret < 0)
		return ret;
	ret = control_reply_check(*reply, err, sizeof(err));
	if (ret == 0)
		ret = control_status_from_json(*reply, status);
	if (ret < 0) {
		cli_error("%s: status: %s", name, ret == -EREMOTEIO ? err : "malformed reply from the server");
		json_decref(*reply);
		*reply = NULL;
	}
	return ret;
}

static void format_host_cpus(const struct control_status *status, char *out, size_t out_len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < status->n_host_cpus && used < out_len; i++)
		used += (size_t)snprintf(out + used, out_len - used, "%s%d", i ? "," : "",
					 status->host_cpu[i]);
	if (status->n_host_cpus == 0 || status->host_cpu[0] < 0)
		snprintf(out, out_len, "unpinned");
}

static void print_status(const struct control_status *status)
{
	char memory[32], cpus[256];

	format_size(status->memory_bytes, memory, sizeof(memory));
	format_host_cpus(status, cpus, sizeof(cpus));
	printf("name:       %s\n", status->name);
	printf("state:      %s\n", status->state);
	printf("pid:        %lld\n", status->pid);
	printf("cpus:       %u (host cpus %s)\n", status->cpus, cpus);
	printf("memory:     %s\n", memory);
	if (status->numa_node >= 0)
		printf("numa node:  %d\n", status->numa_node);
	else
		printf("numa node:  none\n");
	printf("uptime:     %llu s\n", (unsigned long long)status->uptime_s);
	printf("exits:      %llu\n", (unsigned long long)status->exits);
	for (unsigned int i = 0; i < status->n_devices; i++)
		printf("device:     %s (passed through)\n", status->devices[i]);
	for (unsigned int i = 0; i < status->n_nics; i++) {
		const struct control_nic *nic = &status->nics[i];

		if (!nic->standby)
			printf("nic:        %s %s (virtio-net)\n", nic->name, nic->mac);
		else if (nic->primary[0])
			printf("nic:        %s %s (virtio-net, failover standby of %s)\n", nic->name, nic->mac, nic->primary);
		else
			printf("nic:        %s %s (virtio-net only: its failover pair has no NIC on this host)\n", nic->name,
			       nic->mac);
	}
	if (status->dma_map_us)
		printf("dma map:    %.1f ms (guest RAM mapped for its devices)\n", status->dma_map_us / 1000.0);
}

static void print_json(json_t *value)
{
	json_dumpf(value, stdout, JSON_INDENT(2));
	putchar('\n');
}

static bool wait_for_stop(struct registry *registry, const char *name, long long pid, unsigned int timeout_s)
{
	char path[REGISTRY_SOCKET_PATH_MAX];

	registry_socket_path(registry, name, path, sizeof(path));
	return control_wait_stopped(path, pid, timeout_s);
}

static int manage_act(struct registry *registry, const struct manage_command *mc, const struct manage_args *args)
{
	struct control_status status;
	char err[ERR_MAX];
	json_t *reply = NULL;
	int ret;

	ret = server_status(registry, args->name, &status, &reply);
	json_decref(reply);
	if (ret < 0)
		return ret;
	ret = server_call(registry, args->name, mc->command, &reply);
	if (ret < 0)
		return ret;
	ret = control_reply_check(reply, err, sizeof(err));
	json_decref(reply);
	if (ret < 0) {
		cli_error("%s: %s", args->name, err);
		return ret;
	}
	if (mc->stop_timeout_s && args->timeout_s == 0) {
		printf("%s: %s\n", args->name, mc->asked);
		return 0;
	}
	if (mc->stop_timeout_s && !wait_for_stop(registry, args->name, status.pid, args->timeout_s)) {
		cli_error("%s: still running after %u s ('sheer poweroff %s' stops it at once)", args->name,
			  args->timeout_s, args->name);
		return -ETIMEDOUT;
	}
	printf("%s: %s\n", args->name, mc->done);
	return 0;
}

static int manage_show(struct registry *registry, const struct manage_args *args)
{
	struct control_status status;
	json_t *reply = NULL;
	int ret = server_status(registry, args->name, &status, &reply);

	if (ret < 0)
		return ret;
	if (args->json)
		print_json(reply);
	else
		print_status(&status);
	json_decref(reply);
	return 0;
}

static int manage_main(const struct manage_command *mc, int argc, char **argv)
{
	struct manage_args args;
	struct registry registry;
	char err[ERR_MAX];
	int ret;

	if (manage_parse(mc, true, argc, argv, &args) < 0)
		return SHEER_EXIT_USAGE;
	if (registry_open_existing(&registry, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	ret = mc->command == CONTROL_STATUS ? manage_show(&registry, &args) : manage_act(&registry, mc, &args);
	registry_close(&registry);
	return ret < 0 ? manage_exit_status(ret) : SHEER_EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	return manage_main(&manage_status, argc, argv);
}

int cmd_shutdown(int argc, char **argv)
{
	return manage_main(&manage_shutdown, argc, argv);
}

int cmd_poweroff(int argc, char **argv)
{
	return manage_main(&manage_poweroff, argc, argv);
}

int cmd_pause(int argc, char **argv)
{
	return manage_main(&manage_pause, argc, argv);
}

int cmd_resume(int argc, char **argv)
{
	return manage_main(&manage_resume, argc, argv);
}

static void print_list_row(const struct control_status *status)
{
	char memory[32], cpus[256], node[16] = "-";

	format_size(status->memory_bytes, memory, sizeof(memory));
	format_host_cpus(status, cpus, sizeof(cpus));
	if (status->numa_node >= 0)
		snprintf(node, sizeof(node), "%d", status->numa_node);
	printf("%-20s %-14s %4u %8s %4s %8lld %10llu  %s\n", status->name, status->state, status->cpus, memory,
	       node, status->pid, (unsigned long long)status->uptime_s, cpus);
}

/* The row of `list --all` for a running server. */
static void print_inventory_row(const struct definitions *defs, const struct control_status *status)
{
	struct defined_row row = { status->name, status->state, status->cpus, status->memory_bytes,
				   status->n_devices, status->n_nics, -1, status->pid, status->uptime_s };

	if (definitions_exist(defs, status->name))
		row.autostart = defined_autostart(defs, status->name);
	defined_print_row(&row);
}

/*
 * One server's line (or JSON object). A server that stopped meanwhile is
 * skipped; one that is there but does not answer is reported on stderr and
 * makes the listing fail (-EIO), never silently left out.
 */
static int list_one(const char *name, const char *path, const struct definitions *all, bool json, json_t *array)
{
	struct control_status status;
	json_t *reply = NULL;
	char err[ERR_MAX];
	int ret = control_call(path, CONTROL_STATUS, &reply, err, sizeof(err));

	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return 0;
	if (ret == 0 && (ret = control_reply_check(reply, err, sizeof(err))) == 0 &&
	    (ret = control_status_from_json(reply, &status)) < 0)
		snprintf(err, sizeof(err), "malformed status reply");
	if (ret < 0) {
		cli_error("list: %s: could not be queried: %s", name, err);
		json_decref(reply);
		return -EIO;
	}
	if (json) {
		json_object_del(reply, "ok");
		if (all)
			json_object_set_new(reply, "autostart", json_boolean(defined_autostart(all, name) > 0));
		json_array_append(array, reply);
	} else if (all) {
		print_inventory_row(all, &status);
	} else {
		print_list_row(&status);
	}
	json_decref(reply);
	return 0;
}

static int list_servers(struct registry *registry, const struct definitions *all, bool json)
{
	struct registry_names running;
	char path[REGISTRY_SOCKET_PATH_MAX];
	json_t *array = json_array();
	/*
	 * A server that is starting holds the lock for as long as creating it takes
	 * (pinning a large guest's RAM for DMA: minutes): list without cleaning up
	 * leftovers rather than wait for it.
	 */
	int ret = registry_try_lock(registry);
	bool locked = ret == 0;

	/* -ENOENT: no run directory, so no servers (listing never makes one). */
	if (ret == 0 || ret == -EWOULDBLOCK || ret == -ENOENT) {
		ret = registry_list(registry, locked, &running);
		if (locked)
			registry_unlock(registry);
	}
	if (ret < 0 || !array) {
		json_decref(array);
		cli_error("list: %s: %s", registry->dir, strerror(ret < 0 ? -ret : ENOMEM));
		return ret < 0 ? ret : -ENOMEM;
	}
	if (!json && all)
		defined_print_header();
	else if (!json)
		printf("%-20s %-14s %4s %8s %4s %8s %10s  %s\n", "NAME", "STATE", "CPUS", "MEMORY", "NODE", "PID",
		       "UPTIME_S", "HOST_CPUS");
	for (unsigned int i = 0; i < running.count; i++)
		if (registry_socket_path(registry, running.names[i], path, sizeof(path)) == 0 &&
		    list_one(running.names[i], path, all, json, array) < 0)
			ret = -EIO;
	if (all)
		defined_list_stopped(all, &running, json, array);
	if (json)
		print_json(array);
	json_decref(array);
	registry_names_free(&running);
	return ret;
}

int cmd_list(int argc, char **argv)
{
	struct manage_args args;
	struct registry registry;
	struct definitions defs;
	char err[ERR_MAX];
	int ret;

	if (manage_parse(&manage_list, false, argc, argv, &args) < 0)
		return SHEER_EXIT_USAGE;
	if (args.all && defined_open(&defs) < 0)
		return SHEER_EXIT_FAILURE;
	if (registry_open_existing(&registry, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	ret = list_servers(&registry, args.all ? &defs : NULL, args.json);
	registry_close(&registry);
	return ret < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK;
}

/* The power button of each, first, then the wait: a host's servers shut down together, not one after another. */
static int press_all(struct registry *registry, const struct registry_names *names, long long *pids)
{
	int status = SHEER_EXIT_OK;

	for (unsigned int i = 0; i < names->count; i++) {
		struct control_status server;
		char err[ERR_MAX];
		json_t *reply = NULL;
		int ret = server_status(registry, names->names[i], &server, &reply);

		json_decref(reply);
		reply = NULL;
		pids[i] = ret == 0 ? server.pid : 0;
		if (ret == 0 && (ret = server_call(registry, names->names[i], CONTROL_SHUTDOWN, &reply)) == 0 &&
		    (ret = control_reply_check(reply, err, sizeof(err))) < 0)
			cli_error("%s: %s", names->names[i], err);
		json_decref(reply);
		if (ret < 0) {
			pids[i] = 0;
			status = SHEER_EXIT_FAILURE;
		}
	}
	return status;
}

int manage_stop_all(unsigned int timeout_s)
{
	struct registry_names names;
	struct registry registry;
	char err[ERR_MAX];
	long long *pids;
	time_t deadline = time(NULL) + timeout_s;
	int status;

	if (registry_open_existing(&registry, err, sizeof(err)) < 0 || registry_list(&registry, false, &names) < 0) {
		cli_error("stop --all: %s", err);
		return SHEER_EXIT_FAILURE;
	}
	pids = calloc(names.count + 1, sizeof(*pids));
	status = pids ? press_all(&registry, &names, pids) : SHEER_EXIT_FAILURE;
	for (unsigned int i = 0; pids && i < names.count; i++) {
		time_t now = time(NULL);

		if (!pids[i])
			continue;
		if (timeout_s == 0) {
			printf("%s: %s\n", names.names[i], manage_shutdown.asked);
			continue;
		}
		if (wait_for_stop(&registry, names.names[i], pids[i], now < deadline ? (unsigned int)(deadline - now) : 0)) {
			printf("%s: stopped\n", names.names[i]);
			continue;
		}
		cli_error("%s: still running after %u s ('sheer stop --force %s' powers it off)", names.names[i], timeout_s,
			  names.names[i]);
		status = SHEER_EXIT_FAILURE;
	}
	free(pids);
	registry_names_free(&names);
	registry_close(&registry);
	return status;
}
