/*
 * `sheer checkpoint NAME FILE [--leave-running] [--json]`: ask a running
 * server to pause, write its whole state to FILE and stop (or, with
 * --leave-running, go on). This command creates the file with the caller's
 * rights (the VMM, unprivileged and confined, opens nothing) as a temporary
 * beside FILE, passes it to the server, renames it into place once the
 * server says it is written, and prints one summary line.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cli/commands.h"
#include "vmm/cli/manage.h"
#include "vmm/cli/progress.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"
#include "p2v/checkpoint/checkpoint.h"

/* Writing a large guest takes a while; the server answers only when the file is on disk. */
#define CHECKPOINT_TIMEOUT_S 3600
#define ERR_MAX 512

struct checkpoint_args {
	const char *name;
	const char *file;
	bool leave_running;
	bool json;
};

static int checkpoint_parse_args(int argc, char **argv, struct checkpoint_args *args)
{
	static const struct option options[] = {
		{ "leave-running", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	memset(args, 0, sizeof(*args));
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'l')
			args->leave_running = true;
		else if (option == 'j')
			args->json = true;
		else
			break;
	}
	if (option != -1 || argc - optind != 2) {
		cli_error("usage: sheer checkpoint NAME FILE [--leave-running] [--json]");
		return -EINVAL;
	}
	args->name = argv[optind];
	args->file = argv[optind + 1];
	return 0;
}

/* FILE as an absolute path in a directory that exists (the server may have another working directory). */
static int checkpoint_resolve(const char *file, char *out, size_t out_len)
{
	char dir_copy[PATH_MAX], base_copy[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	if (copy_string(dir_copy, sizeof(dir_copy), file) < 0 || copy_string(base_copy, sizeof(base_copy), file) < 0) {
		cli_error("checkpoint: file name too long");
		return -EINVAL;
	}
	if (!realpath(dirname(dir_copy), dir) || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cli_error("checkpoint: %s: directory %s does not exist", file, dirname(base_copy));
		return -EINVAL;
	}
	copy_string(base_copy, sizeof(base_copy), file);
	if (strcmp(basename(base_copy), ".") == 0 || strcmp(basename(base_copy), "..") == 0 ||
	    (stat(file, &st) == 0 && S_ISDIR(st.st_mode))) {
		cli_error("checkpoint: %s is a directory, not a file name", file);
		return -EINVAL;
	}
	if ((size_t)snprintf(out, out_len, "%s/%s", strcmp(dir, "/") ? dir : "", basename(base_copy)) >= out_len) {
		cli_error("checkpoint: %s: path too long", file);
		return -EINVAL;
	}
	return 0;
}

static uint64_t reply_uint(json_t *reply, const char *key)
{
	json_t *value = json_object_get(reply, key);

	return json_is_integer(value) && json_integer_value(value) > 0 ? (uint64_t)json_integer_value(value) : 0;
}

static void checkpoint_summary(const struct checkpoint_args *args, json_t *reply)
{
	uint64_t bytes = reply_uint(reply, "bytes"), ns = reply_uint(reply, "elapsed_ns");
	uint64_t pages = reply_uint(reply, "memory_pages"), zero = reply_uint(reply, "zero_pages");

	if (args->json) {
		json_object_del(reply, "ok");
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
		return;
	}
	printf("%s: checkpoint written to %s: %.1f MiB (%llu memory pages written, %llu zero pages skipped) in %.2f s"
	       " (%.0f MiB/s); the server %s\n",
	       args->name, json_string_value(json_object_get(reply, "path")), bytes / 1048576.0,
	       (unsigned long long)pages, (unsigned long long)zero, ns / 1e9,
	       progress_mib_per_s(bytes, ns), args->leave_running ? "keeps running" : "stopped");
}

/* The file as the server fills it, and whether it reached its name. */
struct checkpoint_target {
	struct progress_meter meter;
	char temp[PATH_MAX + 16];
	const char *path;
	bool committed;
	int commit_error;
};

static void target_progress(void *ctx, uint64_t done, uint64_t total)
{
	progress_meter_update(&((struct checkpoint_target *)ctx)->meter, done, total);
}

/* The server has written and synced the file: put it in place before the server may stop. */
static int target_commit(void *ctx)
{
	struct checkpoint_target *target = ctx;

	target->commit_error = checkpoint_file_commit(target->temp, target->path);
	target->committed = target->commit_error == 0;
	return target->commit_error;
}

static int checkpoint_call(const struct checkpoint_args *args, struct control_request *request,
			   struct checkpoint_target *target, json_t **reply)
{
	const struct control_progress progress = { .update = target_progress, .written = target_commit, .ctx = target };
	struct registry registry = { .lock_fd = -1 };
	char err[ERR_MAX];
	int ret = registry_open_existing(&registry, err, sizeof(err));

	if (ret < 0) {
		cli_error("%s", err);
		return ret;
	}
	request->progress = progress_meter_start(&target->meter, args->name) && !args->json;
	ret = manage_call(&registry, args->name, request, CHECKPOINT_TIMEOUT_S, &progress, reply);
	progress_meter_finish(&target->meter);
	registry_close(&registry);
	return ret;
}

static int checkpoint_reply_status(const struct checkpoint_args *args, const struct checkpoint_target *target,
				   json_t *reply)
{
	char err[ERR_MAX];

	if (control_reply_check(reply, err, sizeof(err)) < 0) {
		cli_error("%s: %s", args->name, err);
		return json_is_true(json_object_get(reply, "refused")) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	if (!target->committed) {
		cli_error("%s: checkpoint: %s: %s", args->name, target->path,
			  target->commit_error ? strerror(-target->commit_error) : "the server never said it was written");
		return SHEER_EXIT_FAILURE;
	}
	checkpoint_summary(args, reply);
	return SHEER_EXIT_OK;
}

int cmd_checkpoint(int argc, char **argv)
{
	struct control_request request = { .command = CONTROL_CHECKPOINT, .file_fd = -1 };
	struct checkpoint_target target = { .committed = false };
	struct checkpoint_args args;
	json_t *reply = NULL;
	int ret, status;

	if (checkpoint_parse_args(argc, argv, &args) < 0 ||
	    checkpoint_resolve(args.file, request.path, sizeof(request.path)) < 0)
		return SHEER_EXIT_USAGE;
	request.leave_running = args.leave_running;
	target.path = request.path;
	request.file_fd = checkpoint_file_create(request.path, target.temp, sizeof(target.temp));
	if (request.file_fd < 0) {
		cli_error("checkpoint: %s: %s", request.path, strerror(-request.file_fd));
		return request.file_fd == -EACCES || request.file_fd == -EROFS ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	ret = checkpoint_call(&args, &request, &target, &reply);
	close(request.file_fd);
	status = ret < 0 ? manage_exit_status(ret) : checkpoint_reply_status(&args, &target, reply);
	if (!target.committed)
		unlink(target.temp);
	json_decref(reply);
	return status;
}
