/*
 * sheer fleet serve --config FLEET.ini: the controller (power/fleet/controller.h),
 * after the fleet file and what it names are checked (a bad one: exit 2, one
 * line). sheer fleet clear-wake HOST: the operator's word that a host wakes
 * again, written to the fleet store directly (no controller needed).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/cli/commands.h"
#include "power/cli/fleet_cli.h"
#include "power/fleet/controller.h"
#include "power/fleet/fleet_api.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/stop_signals.h"

int fleet_cli_parse(const char *what, int argc, char **argv, bool json_ok, bool wants_host, struct fleet_cli_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->config = FLEET_CONFIG_DEFAULT;
	a->timeout_s = 600;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'c')
			a->config = optarg;
		else if (c == 'j' && json_ok)
			a->json = true;
		else if (c == 't' && strcmp(what, "test-wake") == 0 &&
			 (a->timeout_s = (unsigned int)strtoul(optarg, &end, 10)) >= 1 && !*end && a->timeout_s <= 86400)
			continue;
		else
			break;
	}
	if (wants_host && optind < argc)
		a->host = argv[optind++];
	if (c != -1 || optind < argc || (wants_host && !a->host)) {
		cli_error("fleet %s: want %s[--config FLEET.ini]%s%s; see 'sheer help fleet %s'", what,
			  wants_host ? "HOST " : "", json_ok ? " [--json]" : "",
			  strcmp(what, "test-wake") == 0 ? " [--timeout S (1 to 86400)]" : "", what);
		return -EINVAL;
	}
	return 0;
}

int fleet_cli_load(const char *what, const char *path, struct fleet_config **c)
{
	char err[PATH_MAX + 512];
	int ret;

	*c = calloc(1, sizeof(**c));
	if (!*c) {
		cli_error("fleet %s: %s", what, strerror(ENOMEM));
		return SHEER_EXIT_FAILURE;
	}
	ret = fleet_config_load(path, *c, err, sizeof(err));
	if (ret == 0)
		return 0;
	cli_error("fleet %s: %s", what, err);
	fleet_config_free(*c);
	free(*c);
	*c = NULL;
	return ret == -ENOMEM ? SHEER_EXIT_FAILURE : SHEER_EXIT_USAGE;
}

/* What the controller cannot do yet, refused before it starts. */
static int serve_refusals(const struct fleet_config *c)
{
	if (c->policy.ha == FLEET_HA_SWITCH) {
		cli_error("fleet serve: %s:%u: ha = switch is not built yet (a failed host's servers can be restarted "
			  "on other hosts: ha = restart)", c->path, c->policy_line);
		return -EINVAL;
	}
	if (!fleet_api_loopback(c->controller.listen.host)) {
		cli_error("fleet serve: %s:%u: listen = %s: the controller's endpoint is plain HTTP and TLS for it is not "
			  "yet built; give a loopback address (127.0.0.1:9735) and ask it on that host",
			  c->path, c->controller.line, c->controller.listen.host);
		return -EINVAL;
	}
	return 0;
}

static int serve_run(struct fleet_config *c)
{
	struct controller *ctl = calloc(1, sizeof(*ctl));
	char err[PATH_MAX + 512];
	sigset_t stop;
	int rc = SHEER_EXIT_OK;

	if (!ctl) {
		cli_error("fleet serve: %s", strerror(ENOMEM));
		return SHEER_EXIT_FAILURE;
	}
	/* Blocked before any thread starts, so that only the loop takes them. */
	stop_signals_block(&stop);
	if (controller_open(ctl, c, err, sizeof(err)) < 0) {
		cli_error("fleet serve: %s", err);
		rc = SHEER_EXIT_FAILURE;
	} else if (controller_run(ctl, &stop) < 0) {
		rc = SHEER_EXIT_FAILURE;
	}
	controller_close(ctl);
	free(ctl);
	return rc;
}

int fleet_serve(int argc, char **argv)
{
	struct fleet_cli_args a;
	struct fleet_config *c;
	char err[PATH_MAX + 512];
	int rc;

	if (fleet_cli_parse("serve", argc, argv, false, false, &a) < 0)
		return SHEER_EXIT_USAGE;
	if ((rc = fleet_cli_load("serve", a.config, &c)) != 0)
		return rc;
	if (fleet_config_check_files(c, err, sizeof(err)) < 0) {
		cli_error("fleet serve: %s", err);
		rc = SHEER_EXIT_USAGE;
	} else if (serve_refusals(c) < 0) {
		rc = SHEER_EXIT_USAGE;
	} else {
		rc = serve_run(c);
	}
	fleet_config_free(c);
	free(c);
	return rc;
}

int fleet_clear_wake(int argc, char **argv)
{
	struct fleet_store_options opt = { .controller = "operator" };
	struct fleet_store *s = NULL;
	struct fleet_cli_args a;
	struct fleet_config *c;
	char err[FLEET_URL_MAX + 512];
	int rc, ret;

	if (fleet_cli_parse("clear-wake", argc, argv, false, true, &a) < 0)
		return SHEER_EXIT_USAGE;
	if ((rc = fleet_cli_load("clear-wake", a.config, &c)) != 0)
		return rc;
	ret = fleet_store_open(c->controller.state.url, &opt, &s, err, sizeof(err));
	if (ret < 0) {
		cli_error("fleet clear-wake: %s", err);
		rc = SHEER_EXIT_FAILURE;
	} else if ((ret = fleet_store_host_clear_wake_failed(s, a.host)) < 0) {
		cli_error("fleet clear-wake: %s%s", fleet_store_error(s),
			  ret == -ENOENT ? " (a host the controller has not recorded yet has no wake failure)" : "");
		rc = ret == -ENOENT || ret == -EINVAL ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	} else {
		printf("%s: its wake failure is cleared; the controller may put it to sleep again once it is trusted\n",
		       a.host);
	}
	fleet_store_close(s);
	fleet_config_free(c);
	free(c);
	return rc;
}
