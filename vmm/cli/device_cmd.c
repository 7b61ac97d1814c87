/*
 * sheer device attach NAME BDF [--force]       hand a host device to a running server (PCI hotplug)
 * sheer device detach NAME BDF [--timeout S]   take it back once the guest let go (default 30 s)
 *
 * The host's side is done here, as root: the claim (named after the
 * server's supervisor, which gives the device back when the server ends),
 * the bind to vfio-pci and the IOMMU group's descriptor, which goes to the
 * confined VMM with the request. Attach leaves nothing behind when the
 * server refuses. Detach gives the device back to its host driver only once
 * the guest released it; a guest that keeps it past the timeout keeps it
 * (exit 1) and is no longer asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommu/pci_function.h"
#include "passthru/host/assign.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/device_ops.h"
#include "vmm/cli/manage.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/parse.h"

#define ERR_MAX 1024
#define DEVICE_CALL_TIMEOUT_S 30
/* The first device pins all guest RAM for its DMA: minutes for a large server. */
#define DEVICE_ATTACH_TIMEOUT_S 900
#define DETACH_DEFAULT_TIMEOUT_S 30
#define DETACH_POLL_MS 100

struct device_args {
	bool attach;
	const char *name;
	char bdf[16];
	bool force;
	unsigned int timeout_s;
};

static const char device_usage[] =
	"usage: sheer device attach NAME BDF [--force] | sheer device detach NAME BDF [--timeout S]";

static int device_parse(int argc, char **argv, struct device_args *args)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	args->timeout_s = DETACH_DEFAULT_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			args->force = true;
		else if (c == 't' && parse_uint(optarg, 3600, &args->timeout_s) == 0 && args->timeout_s > 0)
			continue;
		else if (c == 't')
			return cli_error("invalid --timeout '%.32s' (expected seconds, 1 to 3600)", optarg), -EINVAL;
		else
			return cli_error("%s", device_usage), -EINVAL;
	}
	if (argc - optind != 3 || (strcmp(argv[optind], "attach") != 0 && strcmp(argv[optind], "detach") != 0))
		return cli_error("%s", device_usage), -EINVAL;
	args->attach = strcmp(argv[optind], "attach") == 0;
	args->name = argv[optind + 1];
	if (parse_pci_address(argv[optind + 2], args->bdf, sizeof(args->bdf)) < 0)
		return cli_error("device %.32s: not a PCI address (like 0000:03:00.0)", argv[optind + 2]), -EINVAL;
	if (args->attach ? args->timeout_s != DETACH_DEFAULT_TIMEOUT_S : args->force)
		return cli_error("%s", device_usage), -EINVAL;
	if (!server_name_is_valid(args->name))
		return cli_error("invalid server name '%.64s'", args->name), -EINVAL;
	return 0;
}

/* The server's status: its supervisor (who holds its devices) and what it holds now. */
static int device_server(struct registry *registry, const char *name, struct control_status *status)
{
	struct control_request request = { .command = CONTROL_STATUS, .file_fd = -1 };
	char err[ERR_MAX];
	json_t *reply = NULL;
	int ret = manage_call(registry, name, &request, DEVICE_CALL_TIMEOUT_S, NULL, &reply);

	if (ret == 0 && (ret = control_reply_check(reply, err, sizeof(err))) == 0)
		ret = control_status_from_json(reply, status);
	else if (ret == -EREMOTEIO)
		cli_error("%s: %s", name, err);
	json_decref(reply);
	return ret;
}

static bool server_holds(const struct control_status *status, const char *bdf)
{
	for (unsigned int i = 0; i < status->n_devices; i++)
		if (strcmp(status->devices[i], bdf) == 0)
			return true;
	return false;
}

/* One device request; *detached for a detach. Errors are reported; -EREMOTEIO: the server refused. */
static int device_request(struct registry *registry, const struct device_target *t, enum control_command command,
			  int group, int group_fd, bool *detached)
{
	struct control_request request = { .command = command, .group = group, .file_fd = group_fd };
	char err[ERR_MAX];
	json_t *reply = NULL;
	int ret;

	copy_string(request.pci, sizeof(request.pci), t->bdf);
	copy_string(request.failover, sizeof(request.failover), t->failover ? t->failover : "");
	ret = manage_call(registry, t->name, &request,
			  command == CONTROL_DEVICE_ATTACH ? DEVICE_ATTACH_TIMEOUT_S : DEVICE_CALL_TIMEOUT_S, NULL, &reply);
	if (ret == 0 && (ret = control_reply_check(reply, err, sizeof(err))) < 0)
		cli_error("%s: %s", t->name, err);
	if (ret == 0 && detached)
		*detached = json_is_true(json_object_get(reply, "detached"));
	json_decref(reply);
	return ret;
}

int device_attach_to(struct registry *registry, const struct device_target *t)
{
	struct server_config cfg = { .n_devices = 1 };
	struct passthru_claims claims;
	struct passthru_env env;
	struct pci_function fn;
	char err[ERR_MAX], path[32];
	int ret, fd;

	copy_string(cfg.name, sizeof(cfg.name), t->name);
	copy_string(cfg.devices[0].pci, sizeof(cfg.devices[0].pci), t->bdf);
	cfg.devices[0].force = t->force;
	passthru_env_init(&env, NULL, NULL);
	ret = passthru_claim_in(&env, &cfg, t->supervisor, &claims, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s: %s", t->name, err);
		return passthru_error_is_refusal(ret) ? -EINVAL : ret;
	}
	ret = pci_function_read(&env.fs, t->bdf, &fn);
	snprintf(path, sizeof(path), "/dev/vfio/%d", fn.iommu_group);
	fd = ret == 0 ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (fd < 0) {
		cli_error("%s: device %s: %s: %s", t->name, t->bdf, path, strerror(errno));
		ret = -EIO;
	} else {
		ret = device_request(registry, t, CONTROL_DEVICE_ATTACH, fn.iommu_group, fd, NULL);
		close(fd);
	}
	if (ret < 0 && passthru_release_all(&claims, err, sizeof(err)) < 0)
		cli_error("%s: giving %s back: %s", t->name, t->bdf, err);
	return ret;
}

int device_detach_from(struct registry *registry, const struct device_target *t, unsigned int timeout_s)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_s * 1000000000ULL;
	struct passthru_env env;
	char err[ERR_MAX];
	bool detached = false;
	int ret;

	while ((ret = device_request(registry, t, CONTROL_DEVICE_DETACH, 0, -1, &detached)) == 0 && !detached &&
	       clock_monotonic_ns() < deadline)
		clock_sleep_ms(DETACH_POLL_MS);
	if (ret < 0)
		return ret == -EREMOTEIO ? -EIO : ret;
	if (!detached) {
		device_request(registry, t, CONTROL_DEVICE_DETACH_CANCEL, 0, -1, NULL);
		cli_error("%s: device %s: the guest did not release it within %u s; it stays attached", t->name, t->bdf,
			  timeout_s);
		return -ETIMEDOUT;
	}
	passthru_env_init(&env, NULL, NULL);
	if (passthru_release_one(&env, t->bdf, t->supervisor, err, sizeof(err)) < 0) {
		cli_error("%s: device %s detached, but %s", t->name, t->bdf, err);
		return -EIO;
	}
	return 0;
}

int device_server_status(struct registry *registry, const char *name, struct control_status *status)
{
	return device_server(registry, name, status);
}

static int device_attach(struct registry *registry, const struct device_args *args,
			 const struct control_status *status)
{
	const struct device_target t = { args->name, args->bdf, (pid_t)status->pid, args->force, NULL };
	int ret = device_attach_to(registry, &t);

	if (ret == 0)
		printf("%s: device %s attached\n", args->name, args->bdf);
	return ret;
}

static int device_detach(struct registry *registry, const struct device_args *args,
			 const struct control_status *status)
{
	const struct device_target t = { args->name, args->bdf, (pid_t)status->pid, false, NULL };
	int ret;

	if (!server_holds(status, args->bdf)) {
		cli_error("%s: device %s: the server does not hold it", args->name, args->bdf);
		return -EINVAL;
	}
	ret = device_detach_from(registry, &t, args->timeout_s);
	if (ret == 0)
		printf("%s: device %s detached, back on its host driver\n", args->name, args->bdf);
	return ret;
}

int cmd_device(int argc, char **argv)
{
	struct device_args args = { 0 };
	struct control_status status;
	struct registry registry;
	char err[ERR_MAX];
	int ret;

	if (device_parse(argc, argv, &args) < 0)
		return SHEER_EXIT_USAGE;
	if (registry_open_existing(&registry, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	ret = device_server(&registry, args.name, &status);
	if (ret == 0)
		ret = args.attach ? device_attach(&registry, &args, &status) : device_detach(&registry, &args, &status);
	registry_close(&registry);
	if (ret == 0)
		return SHEER_EXIT_OK;
	return ret == -EINVAL || ret == -ESRCH || ret == -EREMOTEIO ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
}
