/* sheer power simulate: the command line of the simulator. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "power/sim/report.h"
#include "power/sim/sim.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/output_path.h"

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
		if (!power_policy_known(tok)) {
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

struct simulate_args {
	struct sim_config cfg;
	struct report rep;
	char *policy_arg;
};

/* 0, or -EINVAL once reported. */
static int simulate_parse(int argc, char **argv, struct simulate_args *a)
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
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;	/* one line of our own, not getopt's message and the whole usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->rep.traces = optarg; break;
		case 'p': a->policy_arg = optarg; break;
		case 'H':
			if (parse_count("--hosts", optarg, 1, &a->cfg.n_hosts))
				return -EINVAL;
			break;
		case 'm':
			if (parse_count("--max-migrations", optarg, 0, &a->cfg.max_migrations))
				return -EINVAL;
			break;
		case 'j': a->rep.json = true; break;
		case 'c': a->rep.csv_path = optarg; break;
		case 'P': a->rep.svg_path = optarg; break;
		case 'r': a->cfg.reserve_memory = true; break;
		default:
			cli_error("power simulate: bad option '%.64s' (try 'sheer power simulate --help')", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		cli_error("power simulate: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!a->rep.traces || !a->policy_arg) {
		cli_error("power simulate: --traces DIR and --policy NAME are required");
		return -EINVAL;
	}
	return 0;
}

static bool ends_with_svg(const char *path)
{
	size_t len = strlen(path);

	return len > 4 && strcasecmp(path + len - 4, ".svg") == 0;
}

/* The run can take minutes: a path it could not write at the end is refused before it starts. */
static int simulate_check_outputs(const struct report *rep)
{
	const char *opt[] = { "--csv", "--plot" }, *path[] = { rep->csv_path, rep->svg_path };
	char why[PATH_MAX + 128];

	if (rep->svg_path && !ends_with_svg(rep->svg_path)) {
		cli_error("power simulate: --plot %s: the plot is an SVG drawing; give a file name ending in .svg",
			  rep->svg_path);
		return -EINVAL;
	}
	if (rep->json && rep->csv_path && strcmp(rep->csv_path, "-") == 0) {
		cli_error("power simulate: --json and --csv - would both write to standard output; "
			  "give --csv a file name");
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++)
		if (path[i] && strcmp(path[i], "-") != 0 && output_path_check(path[i], why, sizeof(why)) < 0) {
			cli_error("power simulate: %s %s: %s (nothing was simulated; give a file in a writable "
				  "directory)", opt[i], path[i], why);
			return -EINVAL;
		}
	return 0;
}

static int cmd_simulate(int argc, char **argv)
{
	struct simulate_args a = { .cfg = { .n_hosts = 800, .reserve_memory = false, .max_migrations = -1 } };
	char *names[8];
	struct trace_set set;
	char why[1024];
	int n_policies, err, rc;

	/* Rows appear as each day is simulated, also through a pipe (a run can take minutes). */
	fflush(stdout);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = simulate_parse(argc, argv, &a);
	if (err)
		return SHEER_EXIT_USAGE;
	n_policies = split_policies(a.policy_arg, names, 8);
	if (n_policies < 0 || simulate_check_outputs(&a.rep) < 0)
		return SHEER_EXIT_USAGE;
	err = trace_set_load(a.rep.traces, &set, why, sizeof(why));
	if (err) {
		cli_error("power simulate: %s", why);
		return err == -ENOMEM ? SHEER_EXIT_FAILURE : SHEER_EXIT_USAGE;
	}
	rc = report_run(&a.rep, &set, (const char *const *)names, n_policies, &a.cfg);
	trace_set_free(&set);
	return rc;
}

int cmd_power(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "simulate") == 0)
		return cmd_simulate(argc - 1, argv + 1);
	cli_error("power: unknown subcommand '%s' (try 'sheer help power')", argc >= 2 ? argv[1] : "");
	return SHEER_EXIT_USAGE;
}
