/*
 * Defined servers (vmm/server/definitions.h): `sheer define PROFILE`,
 * `sheer undefine NAME`, `sheer edit NAME`. A definition is only ever
 * replaced by a profile that passed the same checks as `sheer run`.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cli/commands.h"
#include "vmm/cli/defined.h"
#include "vmm/lib/cli.h"
#include "vmm/server/definitions.h"
#include "vmm/server/profile.h"

#define ERR_MAX 1024

static int define_usage(const char *usage)
{
	cli_error("usage: sheer %s", usage);
	return SHEER_EXIT_USAGE;
}

/* The exported profile, under a line saying where it came from. */
static int define_store(const struct definitions *defs, const char *name, const char *source, char *err,
			size_t errlen)
{
	char *body = NULL, *text = NULL;
	size_t body_len;
	int ret = profile_export(source, &body, &body_len, err, errlen), len;
	time_t now = time(NULL);
	char stamp[32];

	if (ret < 0)
		return ret;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&now));
	char *absolute = realpath(source, NULL);

	len = asprintf(&text, "# %s: defined by 'sheer define' from %s on %s; change it with 'sheer edit %s'\n%s",
		       name, absolute ? absolute : source, stamp, name, body);
	free(absolute);
	free(body);
	if (len < 0)
		return -ENOMEM;
	ret = definitions_store(defs, name, text, (size_t)len);
	if (ret < 0)
		snprintf(err, errlen, "%s: cannot keep its definition in %.400s: %s", name, defs->dir, strerror(-ret));
	free(text);
	return ret;
}

int cmd_define(int argc, char **argv)
{
	struct server_spec spec;
	struct definitions defs;
	char err[ERR_MAX], path[PATH_MAX];
	bool replace = argc == 3 && strcmp(argv[1], "--replace") == 0;
	const char *source = argv[argc - 1];

	if (argc != 2 && !replace)
		return define_usage("define [--replace] PROFILE");
	if (defined_check(source, &spec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_USAGE;
	}
	if (defined_open(&defs) < 0 || definitions_path(&defs, spec.cfg.name, path, sizeof(path)) < 0)
		return SHEER_EXIT_USAGE;
	if (!replace && access(path, F_OK) == 0) {
		cli_error("%s: already defined (%s); 'sheer define --replace %s' replaces it, 'sheer edit %s' changes it",
			  spec.cfg.name, path, source, spec.cfg.name);
		return SHEER_EXIT_USAGE;
	}
	if (define_store(&defs, spec.cfg.name, source, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	printf("%s: defined (%s); 'sheer start %s' starts it\n", spec.cfg.name, path, spec.cfg.name);
	return SHEER_EXIT_OK;
}

int cmd_undefine(int argc, char **argv)
{
	struct definitions defs;
	char path[PATH_MAX];
	int ret;

	if (argc != 2)
		return define_usage("undefine NAME");
	if (defined_open(&defs) < 0 || defined_find(&defs, argv[1], path, sizeof(path)) < 0)
		return SHEER_EXIT_USAGE;
	ret = defined_is_running(argv[1]);
	if (ret != 0) {
		if (ret > 0)
			cli_error("%s: running; stop it first ('sheer stop %s'), then undefine it", argv[1], argv[1]);
		return ret > 0 ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	ret = definitions_remove(&defs, argv[1]);
	if (ret < 0) {
		cli_error("%s: cannot remove %s: %s", argv[1], path, strerror(-ret));
		return SHEER_EXIT_FAILURE;
	}
	printf("%s: undefined (%s removed)\n", argv[1], path);
	return SHEER_EXIT_OK;
}

/* $VISUAL, $EDITOR or vi on path, through the shell so that "EDITOR=code --wait" works; its exit status. */
static int run_editor(const char *path, const sigset_t *child_mask)
{
	const char *editor = getenv("VISUAL");
	int status;
	pid_t pid;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	if (setenv("SHEER_EDITOR", editor, 1) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, child_mask, NULL);
		execl("/bin/sh", "sh", "-c", "$SHEER_EDITOR \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The whole file as a string (free it; "" for an empty one), or NULL. */
static char *read_whole(const char *path)
{
	FILE *file = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (!file)
		return NULL;
	if (getdelim(&text, &len, '\0', file) < 0) {
		free(text);
		text = ferror(file) ? NULL : strdup("");
	}
	fclose(file);
	return text;
}

static bool files_differ(const char *a, const char *b)
{
	char *text_a = read_whole(a), *text_b = read_whole(b);
	bool differ = !text_a || !text_b || strcmp(text_a, text_b) != 0;

	free(text_a);
	free(text_b);
	return differ;
}

/* A copy of the definition beside it, for the editor: relative paths written there mean what they will mean. */
static int edit_copy(const char *path, char *copy, size_t copylen)
{
	char *text = read_whole(path);
	int fd, ret = 0;

	if (!text)
		return -errno;
	snprintf(copy, copylen, "%s.edit-XXXXXX", path);
	fd = mkstemp(copy);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret < 0 && fd >= 0)
		unlink(copy);
	free(text);
	return ret;
}

/* Edit the copy until it is a valid profile of the same server, or the operator gives up; 0, 1 unchanged, <0. */
static int edit_until_valid(const char *name, const char *path, const char *copy, const sigset_t *editor_mask)
{
	struct server_spec spec;
	char err[ERR_MAX], answer[16];

	for (;;) {
		int status = run_editor(copy, editor_mask);

		if (status != 0) {
			cli_error("%s: the editor exited with status %d; the definition is unchanged", name, status);
			return -ECANCELED;
		}
		if (!files_differ(path, copy))
			return 1;
		if (defined_check(copy, &spec, err, sizeof(err)) == 0) {
			if (strcmp(spec.cfg.name, name) == 0)
				return 0;
			snprintf(err, sizeof(err), "%s: the name cannot change in an edit (it says '%s'); define the new "
				 "profile and undefine %s instead", name, spec.cfg.name, name);
		}
		cli_error("%s", err);
		if (!isatty(STDIN_FILENO)) {
			cli_error("%s: the definition is unchanged", name);
			return -EINVAL;
		}
		fprintf(stderr, "Edit again? [Y/n] ");
		if (!fgets(answer, sizeof(answer), stdin) || answer[0] == 'n' || answer[0] == 'N') {
			cli_error("%s: the definition is unchanged", name);
			return -EINVAL;
		}
	}
}

/* The checked copy becomes the definition, written whole at the definition's own mode. */
static int edit_keep(const struct definitions *defs, const char *name, const char *copy)
{
	char *text = read_whole(copy);
	int ret = text ? definitions_store(defs, name, text, strlen(text)) : -errno;

	free(text);
	return ret;
}

/*
 * Stop signals wait while the copy exists (the editor gets them as usual), so
 * that giving up at the prompt or a hang-up never leaves NAME.ini.edit-* behind.
 */
int cmd_edit(int argc, char **argv)
{
	struct definitions defs;
	char path[PATH_MAX], copy[PATH_MAX + 16];
	sigset_t stop, before;
	int ret;

	if (argc != 2)
		return define_usage("edit NAME");
	if (defined_open(&defs) < 0 || defined_find(&defs, argv[1], path, sizeof(path)) < 0)
		return SHEER_EXIT_USAGE;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGQUIT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &before);
	ret = edit_copy(path, copy, sizeof(copy));
	if (ret < 0) {
		sigprocmask(SIG_SETMASK, &before, NULL);
		cli_error("%s: cannot copy %s for editing: %s", argv[1], path, strerror(-ret));
		return SHEER_EXIT_FAILURE;
	}
	ret = edit_until_valid(argv[1], path, copy, &before);
	if (ret == 0 && (ret = edit_keep(&defs, argv[1], copy)) < 0)
		cli_error("%s: cannot write %s: %s", argv[1], path, strerror(-ret));
	unlink(copy);
	sigprocmask(SIG_SETMASK, &before, NULL);
	if (ret < 0)
		return ret == -EINVAL ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	printf(ret ? "%s: not changed\n" : "%s: definition changed; it applies from the next start\n", argv[1]);
	return SHEER_EXIT_OK;
}
