/*
 * `sheer restore FILE [--name NAME] [--numa-node N] [--shared-cores]`: bring
 * a checkpointed server back in the foreground, exactly as `sheer run` runs
 * one (same placement, registry, control socket, console and exit codes).
 * A file that is not a whole, uncorrupted checkpoint this host can run is
 * refused with one line and exit 2, before anything is started.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "p2v/checkpoint/checkpoint.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/session.h"
#include "vmm/lib/cli.h"

enum restore_flag { FLAG_NAME = 0x100, FLAG_NUMA_NODE, FLAG_SHARED_CORES };

/* The server as saved, renamed or placed as the flags say. */
static int restore_parse(int argc, char **argv, struct server_spec *spec, const char **file, char *err,
			 size_t errlen)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, FLAG_NAME },
		{ "numa-node", required_argument, NULL, FLAG_NUMA_NODE },
		{ "shared-cores", no_argument, NULL, FLAG_SHARED_CORES },
		{ NULL, 0, NULL, 0 },
	};
	struct checkpoint_info info;
	char why[ERR_MAX / 2];
	const char *name = NULL, *node = NULL;
	bool shared = false;
	int option, ret;

	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == FLAG_NAME)
			name = optarg;
		else if (option == FLAG_NUMA_NODE)
			node = optarg;
		else if (option == FLAG_SHARED_CORES)
			shared = true;
		else
			return snprintf(err, errlen, "restore: unknown or incomplete option '%.64s'", argv[optind - 1]), -EINVAL;
	}
	if (argc - optind != 1)
		return snprintf(err, errlen, "usage: sheer restore FILE [--name NAME] [--numa-node N] [--shared-cores]"),
		       -EINVAL;
	*file = argv[optind];
	ret = checkpoint_read_info(*file, &info, why, sizeof(why));
	if (ret < 0)
		return snprintf(err, errlen, "%.300s: %s", *file, why), ret;
	spec_init(spec);
	spec->cfg = info.cfg;
	if (name && (ret = spec_set(spec, SPEC_SECTION_SERVER, "name", name, NULL, err, errlen)) < 0)
		return ret;
	if (node && (ret = spec_set(spec, SPEC_SECTION_SERVER, "numa_node", node, NULL, err, errlen)) < 0)
		return ret;
	if (shared)
		spec->dedicated_cores = false;
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	struct run_session session;
	char err[ERR_MAX] = "";
	int ret;

	session_init(&session);
	ret = restore_parse(argc, argv, &session.spec, &session.restore_from, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_USAGE;
	}
	return session_main(&session);
}
