/*
 * sheer switch NAME --to physical SERVER   a logical server of this host onto a physical server
 * sheer switch SERVER --to logical PROFILE a physical server's disk back to a logical server here,
 *                                          which then runs in the foreground like `sheer run`
 * Both take --timeout S (default 120: the source's shutdown, the target's start), --json (the step
 * record on stdout) and --dry-run (check, print the plan, change nothing). Exit 0 switched; 2 refused
 * before anything changed; 1 failed after (rolled back when it could: the message says).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2v/switch/switch.h"
#include "vmm/cli/commands.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"
#include "vmm/server/profile.h"

#define ERR_MAX 1024
#define SWITCH_TIMEOUT_MAX_S 3600

struct switch_args {
	struct switch_request req;
	const char *source, *target;
	bool json;
};

static int parse_direction(const char *word, struct switch_args *args)
{
	if (strcmp(word, "physical") == 0)
		args->req.direction = SWITCH_TO_PHYSICAL;
	else if (strcmp(word, "logical") == 0)
		args->req.direction = SWITCH_TO_LOGICAL;
	else
		return -EINVAL;
	return 0;
}

static int switch_parse(int argc, char **argv, struct switch_args *args)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 'o' },	{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },	{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	bool direction = false;
	int c;

	opterr = 0;
	optind = 1;
	args->req.timeout_s = SWITCH_DEFAULT_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'o' && parse_direction(optarg, args) == 0) {
			direction = true;
		} else if (c == 'o') {
			cli_error("switch: --to physical or --to logical, not '%s'", optarg);
			return -EINVAL;
		} else if (c == 't' && (parse_uint(optarg, SWITCH_TIMEOUT_MAX_S, &args->req.timeout_s) < 0 ||
					args->req.timeout_s == 0)) {
			cli_error("switch: --timeout wants seconds from 1 to %d, not '%s'", SWITCH_TIMEOUT_MAX_S, optarg);
			return -EINVAL;
		} else if (c == 'j' || c == 'n') {
			*(c == 'j' ? &args->json : &args->req.dry_run) = true;
		} else if (c != 't') {
			cli_error("switch: unknown option or missing value (try 'sheer switch --help')");
			return -EINVAL;
		}
	}
	if (!direction || argc - optind != 2) {
		cli_error("switch: want NAME --to physical SERVER, or SERVER --to logical PROFILE");
		return -EINVAL;
	}
	args->source = argv[optind];
	args->target = argv[optind + 1];
	return 0;
}

static int load_physical(const char *name, struct physical_server *ps)
{
	char err[ERR_MAX];
	int ret = physical_load(name, ps, err, sizeof(err));

	if (ret == 0)
		ret = bmc_password_load(&ps->bmc.target, ps->bmc.password_file, err, sizeof(err));
	if (ret < 0)
		cli_error("switch: %s", err);
	return ret < 0 ? -EINVAL : 0;	/* a refusal: nothing was touched */
}

/* To physical: NAME's profile comes from its registry entry (what `sheer run PROFILE` recorded). */
static int resolve_to_physical(struct switch_args *args, struct registry *registry)
{
	struct registry_entry entry;

	if (copy_string(args->req.logical, sizeof(args->req.logical), args->source) < 0 ||
	    registry_read_entry(registry, args->source, &entry) < 0) {
		cli_error("switch: %s is not running on this host", args->source);
		return -ENOENT;
	}
	memcpy(args->req.profile, entry.profile, sizeof(args->req.profile));
	args->req.supervisor = entry.pid;
	return load_physical(args->target, &args->req.physical);
}

/* To logical: the profile must describe a server sheer can start, before the physical one is touched. */
static int resolve_to_logical(struct switch_args *args)
{
	struct server_spec *spec = calloc(1, sizeof(*spec));
	char err[ERR_MAX];
	int ret = spec ? 0 : -ENOMEM;

	if (ret == 0 && !realpath(args->target, args->req.profile)) {
		cli_error("switch: profile %s: %s", args->target, strerror(errno));
		ret = -EINVAL;
	}
	if (ret == 0) {
		spec_init(spec);
		ret = profile_load(args->req.profile, spec, err, sizeof(err));
		if (ret == 0)
			ret = spec_check(spec, err, sizeof(err));
		if (ret < 0)
			cli_error("switch: %s", err);
	}
	if (ret == 0) {
		memcpy(args->req.logical, spec->cfg.name, sizeof(args->req.logical));
		ret = load_physical(args->source, &args->req.physical);
	}
	free(spec);
	return ret;
}

static void print_step(const struct switch_step *step, void *ctx)
{
	if (*(bool *)ctx)
		return;
	printf("%7.1f s  %-24s %s (%.1f s)\n", step->start_s, step->name, step->detail, step->seconds);
	fflush(stdout);
}

static void print_record(const struct switch_args *args, const struct switch_record *rec)
{
	json_t *steps = json_array(), *record;

	for (unsigned int i = 0; i < rec->n_steps; i++) {
		const struct switch_step *s = &rec->steps[i];

		json_array_append_new(steps, json_pack("{s:s, s:f, s:f, s:b, s:s}", "step", s->name, "start_s",
						       s->start_s, "seconds", s->seconds, "ok", s->ok, "detail",
						       s->detail));
	}
	record = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:o}", "logical", args->req.logical, "physical",
			   args->req.physical.name, "to",
			   args->req.direction == SWITCH_TO_PHYSICAL ? "physical" : "logical", "outcome", rec->outcome,
			   "profile", args->req.profile, "started_at", (json_int_t)rec->started_at.tv_sec,
			   "source_off_s", rec->source_off_s, "target_on_s", rec->target_on_s, "steps", steps);
	json_dumpf(record, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	putchar('\n');
	fflush(stdout);
	json_decref(record);
}

/* 2 only for a refusal before anything was acted on; once a server or a BMC was, any failure is 1. */
static int exit_status_of(int ret, bool changed)
{
	if (ret == 0)
		return SHEER_EXIT_OK;
	if (changed)
		return SHEER_EXIT_FAILURE;
	return ret == -EINVAL || ret == -ENOENT || ret == -EBUSY || ret == -EACCES ? SHEER_EXIT_USAGE
										  : SHEER_EXIT_FAILURE;
}

/* The logical server started in the foreground: the command ends as its `sheer run` does. */
static int wait_logical(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return SHEER_EXIT_FAILURE;
	return WIFEXITED(status) ? WEXITSTATUS(status) : SHEER_EXIT_FAILURE;
}

int cmd_switch(int argc, char **argv)
{
	struct switch_args args = { 0 };
	struct switch_record rec;
	struct registry registry;
	char err[ERR_MAX];
	int ret;

	switch_record_init(&rec);
	ret = switch_parse(argc, argv, &args);
	if (ret < 0)
		return SHEER_EXIT_USAGE;
	if (registry_open(&registry, err, sizeof(err)) < 0) {
		cli_error("switch: %s", err);
		return SHEER_EXIT_FAILURE;
	}
	args.req.sheer_path = "/proc/self/exe";
	ret = args.req.direction == SWITCH_TO_PHYSICAL ? resolve_to_physical(&args, &registry)
						       : resolve_to_logical(&args);
	if (ret == 0) {
		rec.on_step = print_step;
		rec.ctx = &args.json;
		ret = switch_run(&args.req, &registry, &rec, err, sizeof(err));
		if (args.json)
			print_record(&args, &rec);
		if (ret < 0)
			cli_error("switch: %s", err);
		else if (!args.json)
			printf("%s: %s %s %s in %.1f s\n", args.req.direction == SWITCH_TO_PHYSICAL ? args.req.logical
												  : args.req.physical.name,
			       rec.outcome, args.req.dry_run ? "(nothing done) to" : "to",
			       args.req.direction == SWITCH_TO_PHYSICAL ? args.req.physical.name : args.req.logical,
			       rec.steps[rec.n_steps - 1].start_s + rec.steps[rec.n_steps - 1].seconds);
		fflush(stdout);
	}
	registry_close(&registry);
	if (ret == 0 && rec.logical_pid > 0)
		return wait_logical(rec.logical_pid);
	return exit_status_of(ret, rec.changed);
}
