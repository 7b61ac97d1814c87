/*
 * sheer fleet check --config FLEET.ini [--at 'YYYY-MM-DD HH:MM'] [--json]
 * The fleet file read and checked as a controller would take it, with the
 * files it names; then what it says, and the policy in force now (or at
 * --at, local time) with the next change. A bad file is one line, exit 2.
 * The controller's own subcommands: serve, status, hosts, plan, history,
 * test-wake, clear-wake (power/cli/fleet_serve.c, fleet_ask.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "power/cli/commands.h"
#include "power/cli/fleet_cli.h"
#include "power/cli/fleet_summary.h"
#include "vmm/lib/cli.h"

struct fleet_check_args {
	const char *config;
	const char *at_text;
	bool json;
};

static int check_parse(int argc, char **argv, struct fleet_check_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'c')
			a->config = optarg;
		else if (c == 'a')
			a->at_text = optarg;
		else if (c == 'j')
			a->json = true;
		else
			break;
	}
	if (c != -1 || optind < argc || !a->config) {
		cli_error("fleet check: want --config FLEET.ini [--at 'YYYY-MM-DD HH:MM'] [--json] (see 'sheer help "
			  "fleet check')");
		return -EINVAL;
	}
	return 0;
}

/* 'YYYY-MM-DD HH:MM' in the local time zone; a time its clocks skip is refused, not moved. */
static int parse_at(const char *text, time_t *at)
{
	struct tm tm = { 0 }, asked;
	const char *end = strptime(text, "%Y-%m-%d %H:%M", &tm);

	if (!end || *end) {
		cli_error("fleet check: --at '%.64s': want 'YYYY-MM-DD HH:MM' (local time)", text);
		return -EINVAL;
	}
	tm.tm_isdst = -1;
	asked = tm;
	*at = mktime(&tm);
	if (*at == (time_t)-1 || tm.tm_mday != asked.tm_mday || tm.tm_hour != asked.tm_hour ||
	    tm.tm_min != asked.tm_min) {
		cli_error("fleet check: --at '%.64s': no such local time here (a day the month lacks, or an hour the "
			  "clocks skip)", text);
		return -EINVAL;
	}
	return 0;
}

static int fleet_check(int argc, char **argv)
{
	struct fleet_check_args a = { 0 };
	struct fleet_config *c = calloc(1, sizeof(*c));
	struct schedule_now now;
	char err[PATH_MAX + 512];
	time_t at = time(NULL);
	int rc = SHEER_EXIT_USAGE, ret;

	if (!c) {
		cli_error("fleet check: %s", strerror(ENOMEM));
		return SHEER_EXIT_FAILURE;
	}
	if (check_parse(argc, argv, &a) < 0 || (a.at_text && parse_at(a.at_text, &at) < 0))
		goto out;
	ret = fleet_config_load(a.config, c, err, sizeof(err));
	if (ret == 0)
		ret = fleet_config_check_files(c, err, sizeof(err));
	if (ret < 0) {
		cli_error("fleet check: %s", err);
		rc = ret == -ENOMEM ? SHEER_EXIT_FAILURE : SHEER_EXIT_USAGE;
		goto out;
	}
	schedule_evaluate(c, at, &now);
	rc = SHEER_EXIT_OK;
	if (!a.json)
		fleet_summary_text(stdout, c, at, &now);
	else if (fleet_summary_json(stdout, c, at, &now) < 0)
		rc = SHEER_EXIT_FAILURE;
	if (rc != SHEER_EXIT_OK)
		cli_error("fleet check: %s", strerror(ENOMEM));
out:
	fleet_config_free(c);
	free(c);
	return rc;
}

int cmd_fleet(int argc, char **argv)
{
	static const char *const questions[] = { "status", "hosts", "plan", "history", NULL };

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return fleet_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return fleet_serve(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "test-wake") == 0)
		return fleet_test_wake(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "clear-wake") == 0)
		return fleet_clear_wake(argc - 1, argv + 1);
	for (const char *const *q = questions; argc >= 2 && *q; q++)
		if (strcmp(argv[1], *q) == 0)
			return fleet_ask(*q, argc - 1, argv + 1);
	cli_error("fleet: unknown subcommand '%s' (try 'sheer help fleet')", argc >= 2 ? argv[1] : "");
	return SHEER_EXIT_USAGE;
}
