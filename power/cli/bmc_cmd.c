/*
 * sheer bmc TARGET power status|on|off|soft|cycle
 * sheer bmc TARGET bootdev disk|pxe [--persistent]
 * A physical server's BMC, by URL, its password from --password-file. Exit 0
 * done; 2 bad input or the BMC refused the credentials or the system (nothing
 * changed); 1 the BMC failed, or did not answer after every retry.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/bmc/bmc.h"
#include "power/cli/commands.h"
#include "power/physical/inventory.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"


struct bmc_request {
	struct bmc_target target;
	const char *url, *verb, *what;
	bool bootdev, status;			/* bootdev WHAT, power status, or else power ACTION */
	enum bmc_power_action action;
	enum bmc_boot_device device;
	bool persistent;
	/* Given on the command line (over the inventory's): NULL or 0 when not. */
	const char *password_file, *ca_file;
	unsigned int timeout_ms, retries;
	bool retries_given;
	struct physical_server physical;
};

static int parse_number(const char *opt, const char *arg, unsigned int min, unsigned int max, unsigned int *out)
{
	if (parse_uint(arg, max, out) == 0 && *out >= min)
		return 0;
	cli_error("bmc: %s wants a whole number from %u to %u, not '%s'", opt, min, max, arg);
	return -EINVAL;
}

static int parse_option(int c, struct bmc_request *req)
{
	switch (c) {
	case 'p':
		req->password_file = optarg;
		return 0;
	case 't':
		return parse_number("--timeout-ms", optarg, 1, BMC_MAX_TIMEOUT_MS, &req->timeout_ms);
	case 'r':
		req->retries_given = true;
		return parse_number("--retries", optarg, 0, BMC_MAX_RETRIES, &req->retries);
	case 'c':
		if (strlen(optarg) < sizeof(req->target.ca_file)) {
			req->ca_file = optarg;
			return 0;
		}
		cli_error("bmc: --ca-file: path longer than %zu bytes", sizeof(req->target.ca_file) - 1);
		return -EINVAL;
	case 'P':
		req->persistent = true;
		return 0;
	default:
		cli_error("bmc: unknown option or missing value (try 'sheer bmc --help')");
		return -EINVAL;
	}
}

/* TARGET VERB WHAT after the options, each a word this command knows. */
static int check_words(int argc, char **argv, struct bmc_request *req)
{
	if (argc - optind != 3) {
		cli_error("bmc: want TARGET power|bootdev WHAT (try 'sheer bmc --help')");
		return -EINVAL;
	}
	req->url = argv[optind], req->verb = argv[optind + 1], req->what = argv[optind + 2];
	req->bootdev = strcmp(req->verb, "bootdev") == 0;
	req->status = strcmp(req->verb, "power") == 0 && strcmp(req->what, "status") == 0;
	if (strcmp(req->verb, "power") == 0 && !req->persistent &&
	    (req->status || bmc_power_action_parse(req->what, &req->action) == 0))
		return 0;
	if (req->bootdev && bmc_boot_device_parse(req->what, &req->device) == 0)
		return 0;
	if (strcmp(req->verb, "power") && strcmp(req->verb, "bootdev"))
		cli_error("bmc: unknown request '%s' (power or bootdev)", req->verb);
	else if (strcmp(req->verb, "power") == 0 && req->persistent)
		cli_error("bmc: --persistent is for bootdev");
	else
		cli_error("bmc: %s: unknown '%s' (%s)", req->verb, req->what,
			  strcmp(req->verb, "power") == 0 ? "status, on, off, soft or cycle" : "disk or pxe");
	return -EINVAL;
}

/* TARGET: a URL (its password file on the command line) or a server of the inventory. */
static int bmc_resolve(struct bmc_request *req)
{
	const char *password_file = req->password_file;
	char err[PATH_MAX + 128];
	int ret;

	req->target.timeout_ms = BMC_DEFAULT_TIMEOUT_MS;
	req->target.retries = BMC_DEFAULT_RETRIES;
	if (strstr(req->url, "://")) {
		ret = bmc_target_parse(req->url, &req->target, err, sizeof(err));
	} else {
		ret = physical_load(req->url, &req->physical, err, sizeof(err));
		req->target = req->physical.bmc.target;
		password_file = password_file ? password_file : req->physical.bmc.password_file;
	}
	if (ret < 0) {
		cli_error("bmc: %s", err);
		return -EINVAL;
	}
	if (req->timeout_ms)
		req->target.timeout_ms = req->timeout_ms;
	if (req->retries_given)
		req->target.retries = req->retries;
	if (req->ca_file)
		copy_string(req->target.ca_file, sizeof(req->target.ca_file), req->ca_file);
	if (!password_file) {
		cli_error("bmc: --password-file FILE is required (a password is never given on the command line)");
		return -EINVAL;
	}
	if ((ret = bmc_password_load(&req->target, password_file, err, sizeof(err))) < 0)
		cli_error("bmc: %s", err);
	return ret;
}

static int bmc_parse(int argc, char **argv, struct bmc_request *req)
{
	static const struct option opts[] = {
		{ "password-file", required_argument, NULL, 'p' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "persistent", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		if ((ret = parse_option(c, req)) < 0)
			return ret;
	ret = check_words(argc, argv, req);
	return ret < 0 ? ret : bmc_resolve(req);
}

/* Refusals of who we are or which system: nothing changed, as for bad input. */
static int bmc_exit_status(int ret)
{
	if (ret == 0)
		return SHEER_EXIT_OK;
	return ret == -EACCES || ret == -ENOENT ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
}

static int bmc_do(const struct bmc_request *req)
{
	const struct bmc_target *t = &req->target;
	char err[384], name[3 * BMC_FIELD_MAX + SERVER_NAME_MAX + 4];
	bool on;
	int ret;

	bmc_target_describe(t, name, sizeof(name));
	if (req->physical.name[0])
		snprintf(name + strlen(name), sizeof(name) - strlen(name), " (%s)", req->physical.name);
	if (req->bootdev)
		ret = bmc_set_boot_device(t, req->device, req->persistent, err, sizeof(err));
	else if (req->status)
		ret = bmc_power_state(t, &on, err, sizeof(err));
	else
		ret = bmc_power(t, req->action, err, sizeof(err));
	if (ret < 0)
		cli_error("bmc: %s: %s", name, err);
	else if (req->status)
		printf("%s\n", on ? "on" : "off");
	else if (req->bootdev)
		printf("%s: boots from %s %s\n", name, req->what, req->persistent ? "from now on" : "next time");
	else
		printf("%s: power %s sent\n", name, req->what);
	return bmc_exit_status(ret);
}

int cmd_bmc(int argc, char **argv)
{
	struct bmc_request *req = calloc(1, sizeof(*req));
	int ret;

	if (!req) {
		cli_error("bmc: %s", strerror(ENOMEM));
		return SHEER_EXIT_FAILURE;
	}
	ret = bmc_parse(argc, argv, req);
	ret = ret == 0 ? bmc_do(req) : SHEER_EXIT_USAGE;
	explicit_bzero(req->target.password, sizeof(req->target.password));
	free(req);
	return ret;
}
