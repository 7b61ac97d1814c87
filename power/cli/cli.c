/* sheer power simulate: the command line of the simulator. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/report.h"
#include "power/sim/sim.h"
#include "vmm/lib/cli.h"

static void simulate_usage(FILE *out)
{
	fprintf(out,
		"usage: sheer power simulate --traces DIR --policy NAME [--hosts N] [--json]\n"
		"                            [--csv FILE] [--plot FILE.svg] [--max-migrations N]\n"
		"                            [--reserve-memory]\n"
		"  DIR holds one day's trace files or one folder per day.\n"
		"  NAME: none, thr-mmt-0.8, iqr-mmt-1.5, lr-mmt-1.2, sheer;\n"
		"        several, comma-separated, to compare them in the CSV and plot.\n");
}

static bool policy_known(const char *name)
{
	for (const char *const *n = power_policy_names(); *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

static int parse_count(const char *opt, const char *arg, int min, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < min || v > 1000000) {
		cli_error("power simulate: %s wants a whole number >= %d, not '%s'", opt, min, arg);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int split_policies(char *list, char **names, int max)
{
	int n = 0;

	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (!policy_known(tok)) {
			cli_error("power simulate: unknown policy '%s' (known: none, thr-mmt-0.8, iqr-mmt-1.5, "
				  "lr-mmt-1.2, sheer)", tok);
			return -EINVAL;
		}
		if (n == max) {
			cli_error("power simulate: at most %d policies at once", max);
			return -EINVAL;
		}
		names[n++] = tok;
	}
	if (n == 0) {
		cli_error("power simulate: --policy needs a name");
		return -EINVAL;
	}
	return n;
}

static int cmd_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "traces", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "plot", required_argument, NULL, 'P' },
		{ "max-migrations", required_argument, NULL, 'm' },
		{ "reserve-memory", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_config cfg = { .n_hosts = 800, .reserve_memory = false, .max_migrations = -1 };
	struct report rep = { 0 };
	const char *traces = NULL;
	char *policy_arg = NULL, *names[8];
	struct trace_set set;
	char why[1024];
	int c, n_policies, err, rc;

	optind = 1;
	opterr = 0;	/* one line of our own, not getopt's message and the whole usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': traces = optarg; break;
		case 'p': policy_arg = optarg; break;
		case 'H':
			if (parse_count("--hosts", optarg, 1, &cfg.n_hosts))
				return SHEER_EXIT_USAGE;
			break;
		case 'm':
			if (parse_count("--max-migrations", optarg, 0, &cfg.max_migrations))
				return SHEER_EXIT_USAGE;
			break;
		case 'j': rep.json = true; break;
		case 'c': rep.csv_path = optarg; break;
		case 'P': rep.svg_path = optarg; break;
		case 'r': cfg.reserve_memory = true; break;
		case 'h': simulate_usage(stdout); return SHEER_EXIT_OK;
		default:
			cli_error("power simulate: bad option '%.64s' (try 'sheer power simulate --help')", argv[optind - 1]);
			return SHEER_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("power simulate: unexpected argument '%s'", argv[optind]);
		return SHEER_EXIT_USAGE;
	}
	if (!traces || !policy_arg) {
		cli_error("power simulate: --traces DIR and --policy NAME are required");
		return SHEER_EXIT_USAGE;
	}
	n_policies = split_policies(policy_arg, names, 8);
	if (n_policies < 0)
		return SHEER_EXIT_USAGE;
	err = trace_set_load(traces, &set, why, sizeof(why));
	if (err) {
		cli_error("power simulate: %s", why);
		return err == -ENOMEM ? SHEER_EXIT_FAILURE : SHEER_EXIT_USAGE;
	}
	rc = report_run(&rep, &set, (const char *const *)names, n_policies, &cfg);
	trace_set_free(&set);
	return rc;
}

int cmd_power(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		simulate_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? SHEER_EXIT_USAGE : SHEER_EXIT_OK;
	}
	if (strcmp(argv[1], "simulate") == 0)
		return cmd_simulate(argc - 1, argv + 1);
	cli_error("power: unknown subcommand '%s' (try 'sheer power help')", argv[1]);
	return SHEER_EXIT_USAGE;
}
