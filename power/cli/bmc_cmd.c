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

#define BMC_MAX_TIMEOUT_MS 600000
#define BMC_MAX_RETRIES 10

static void bmc_usage(FILE *out)
{
	fprintf(out,
		"usage: sheer bmc TARGET power status|on|off|soft|cycle [OPTIONS]\n"
		"       sheer bmc TARGET bootdev disk|pxe [--persistent] [OPTIONS]\n"
		"  TARGET: a physical server of the inventory (sheer physical list), or\n"
		"          ipmi://USER@HOST[:PORT] or redfish://USER@HOST[:PORT]/SYSTEM-ID\n"
		"  --password-file FILE  the BMC user's password, one line (the file: yours, mode 600);\n"
		"                        required with a URL, the inventory's otherwise\n"
		"  --timeout-ms N        wait per attempt (default %d)\n"
		"  --retries N           attempts after one that timed out (default %d)\n"
		"  --ca-file FILE        Redfish: the CA of the BMC's certificate (default: the system's)\n",
		BMC_DEFAULT_TIMEOUT_MS, BMC_DEFAULT_RETRIES);
}

struct bmc_request {
	struct bmc_target target;
	const char *url, *verb, *what;
	bool persistent;
	/* Given on the command line (over the inventory's): NULL or 0 when not. */
	const char *password_file, *ca_file;
	unsigned int timeout_ms, retries;
	bool retries_given;
	struct physical_server physical;
};

static int parse_number(const char *opt, const char *arg, unsigned long min, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !arg[0] || arg[0] == '-' || v < min || v > max) {
		cli_error("bmc: %s wants a whole number from %lu to %lu, not '%s'", opt, min, max, arg);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
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

static bool word_in(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

/* TARGET VERB WHAT after the options, each a word this command knows. */
static int check_words(int argc, char **argv, struct bmc_request *req)
{
	static const char *const power_words[] = { "status", "on", "off", "soft", "cycle", NULL };
	static const char *const boot_words[] = { "disk", "pxe", NULL };

	if (argc - optind != 3) {
		cli_error("bmc: want TARGET power|bootdev WHAT (try 'sheer bmc --help')");
		return -EINVAL;
	}
	req->url = argv[optind], req->verb = argv[optind + 1], req->what = argv[optind + 2];
	if (strcmp(req->verb, "power") == 0 && word_in(req->what, power_words) && !req->persistent)
		return 0;
	if (strcmp(req->verb, "bootdev") == 0 && word_in(req->what, boot_words))
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
		req->target = req->physical.bmc;
		password_file = password_file ? password_file : req->physical.password_file;
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'h') {
			bmc_usage(stdout);
			return 1;
		}
		if ((ret = parse_option(c, req)) < 0)
			return ret;
	}
	ret = check_words(argc, argv, req);
	return ret < 0 ? ret : bmc_resolve(req);
}

static enum bmc_power_action power_action(const char *what)
{
	return strcmp(what, "on") == 0	  ? BMC_POWER_ON
	       : strcmp(what, "off") == 0 ? BMC_POWER_OFF
	       : strcmp(what, "soft") == 0 ? BMC_POWER_SOFT
					   : BMC_POWER_CYCLE;
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
	if (strcmp(req->verb, "bootdev") == 0)
		ret = bmc_set_boot_device(t, strcmp(req->what, "pxe") == 0 ? BMC_BOOT_PXE : BMC_BOOT_DISK,
					  req->persistent, err, sizeof(err));
	else if (strcmp(req->what, "status") == 0)
		ret = bmc_power_state(t, &on, err, sizeof(err));
	else
		ret = bmc_power(t, power_action(req->what), err, sizeof(err));
	if (ret < 0)
		cli_error("bmc: %s: %s", name, err);
	else if (strcmp(req->what, "status") == 0)
		printf("%s\n", on ? "on" : "off");
	else if (strcmp(req->verb, "bootdev") == 0)
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
	if (ret == 0)
		ret = bmc_do(req);
	else
		ret = ret > 0 ? SHEER_EXIT_OK : SHEER_EXIT_USAGE;
	explicit_bzero(req->target.password, sizeof(req->target.password));
	free(req);
	return ret;
}
