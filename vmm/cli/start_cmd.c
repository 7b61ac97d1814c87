/*
 * `sheer start NAME`: a defined server in the background. The command
 * returns once the guest runs (exit 0), or with the refusal and exit status
 * `sheer run` would have given. The server's supervisor is this process's
 * child in a session of its own; its console goes to a relay (log file,
 * `sheer console`). `sheer stop NAME` presses the power button and waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/cli/commands.h"
#include "vmm/cli/defined.h"
#include "vmm/cli/manage.h"
#include "vmm/cli/session.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"
#include "vmm/server/console_relay.h"
#include "vmm/server/registry.h"

#define ERR_MAX 1024
#define STOP_ALL_TIMEOUT_S 60

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * sheer's own lines in the server's log since offset: why it did not start.
 * Only those: a second start racing the first must not print the first's
 * console. Returns how many it printed.
 */
static unsigned int print_log_since(const char *path, off_t offset)
{
	FILE *log = fopen(path, "re");
	char line[2048];
	unsigned int printed = 0;

	if (!log)
		return 0;
	if (fseeko(log, offset, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), log))
			if (strncmp(line, "sheer: ", 7) == 0 && fputs(line, stderr) >= 0)
				printed++;
	fclose(log);
	return printed;
}

/* In the child: become the server's supervisor, apart from the caller's terminal and session. */
static int start_supervise(struct server_spec *spec, int started_fd)
{
	struct run_session *session = malloc(sizeof(*session));
	int ret = session ? session_detach() : -ENOMEM;

	if (ret < 0) {
		cli_error("%s: cannot start in the background: %s", spec->cfg.name, strerror(-ret));
		return SHEER_EXIT_FAILURE;
	}
	session_init(session);
	session->spec = *spec;
	session->detached = true;
	session->started_fd = started_fd;
	return session_main(session);
}

/* The parent: the guest runs (0), or the child's status with what it said. */
static int start_wait(const char *name, pid_t child, int started_fd, const char *log_path, off_t log_offset)
{
	char byte;
	int status;

	if (read(started_fd, &byte, 1) == 1) {
		printf("%s: started (console: 'sheer console %s', log: %s)\n", name, name, log_path);
		return SHEER_EXIT_OK;
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return SHEER_EXIT_FAILURE;
	if (print_log_since(log_path, log_offset) && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	cli_error("%s: did not start (see %s)", name, log_path);
	return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : SHEER_EXIT_FAILURE;
}

static int start_one(const struct definitions *defs, const char *name)
{
	struct server_spec spec;
	char path[PATH_MAX], err[ERR_MAX], log_path[PATH_MAX];
	int pipe_fds[2], running;
	off_t log_offset;
	pid_t child;

	if (defined_find(defs, name, path, sizeof(path)) < 0)
		return SHEER_EXIT_USAGE;
	if (defined_check(path, &spec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_USAGE;
	}
	running = defined_is_running(name);
	if (running != 0) {
		if (running > 0)
			cli_error("%s: already running ('sheer console %s' attaches to it)", name, name);
		return running > 0 ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	snprintf(spec.profile, sizeof(spec.profile), "%s", path);
	if (console_relay_log_path(name, log_path, sizeof(log_path)) < 0) {
		cli_error("%s: cannot start: $SHEER_LOG_DIR is too long", name);
		return SHEER_EXIT_USAGE;
	}
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		cli_error("%s: cannot start: %s", name, strerror(errno));
		return SHEER_EXIT_FAILURE;
	}
	log_offset = file_size(log_path);
	fflush(NULL);
	child = fork();
	if (child == 0) {
		close(pipe_fds[0]);
		_exit(start_supervise(&spec, pipe_fds[1]));
	}
	close(pipe_fds[1]);
	if (child < 0) {
		cli_error("%s: cannot start: %s", name, strerror(errno));
		close(pipe_fds[0]);
		return SHEER_EXIT_FAILURE;
	}
	running = start_wait(name, child, pipe_fds[0], log_path, log_offset);
	close(pipe_fds[0]);
	return running;
}

/* Every defined server with autostart = yes that is not running: what boot does (sheer-autostart.service). */
static int start_autostart(const struct definitions *defs)
{
	struct registry_names defined;
	int status = SHEER_EXIT_OK;

	if (definitions_list(defs, &defined) < 0) {
		cli_error("%s: cannot be read", defs->dir);
		return SHEER_EXIT_FAILURE;
	}
	for (unsigned int i = 0; i < defined.count; i++) {
		int running;

		if (defined_autostart(defs, defined.names[i]) <= 0)
			continue;
		running = defined_is_running(defined.names[i]);
		if (running < 0 || (running == 0 && start_one(defs, defined.names[i]) != SHEER_EXIT_OK))
			status = SHEER_EXIT_FAILURE;
	}
	registry_names_free(&defined);
	return status;
}

int cmd_start(int argc, char **argv)
{
	struct definitions defs;

	if (argc != 2) {
		cli_error("usage: sheer start NAME | sheer start --autostart");
		return SHEER_EXIT_USAGE;
	}
	if (defined_open(&defs) < 0)
		return SHEER_EXIT_FAILURE;
	return strcmp(argv[1], "--autostart") == 0 ? start_autostart(&defs) : start_one(&defs, argv[1]);
}

static int stop_usage(void)
{
	cli_error("usage: sheer stop NAME [--timeout SECONDS] [--force] | sheer stop --all [--timeout SECONDS]");
	return SHEER_EXIT_USAGE;
}

/* `sheer stop --all [--timeout S]`: every running server, together. */
static int stop_all(int argc, char **argv)
{
	unsigned int timeout_s = STOP_ALL_TIMEOUT_S;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			continue;
		if (strcmp(argv[i], "--timeout") != 0 || i + 1 == argc || parse_uint(argv[++i], 86400, &timeout_s) < 0)
			return stop_usage();
	}
	return manage_stop_all(timeout_s);
}

/* `sheer stop NAME [--timeout S]` is `sheer shutdown`; with --force, `sheer poweroff`. */
int cmd_stop(int argc, char **argv)
{
	char *args[8];
	int n = 0;
	bool force = false;

	if (argc > (int)(sizeof(args) / sizeof(args[0])))
		return stop_usage();
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			return stop_all(argc, argv);
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else
			args[n++] = argv[i];
	}
	return force ? cmd_poweroff(n, args) : cmd_shutdown(n, args);
}
