/* A long run that fails at its very end on a mistyped output path wastes the run: check first. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/output_path.h"
#include "vmm/lib/parse.h"

/* The directory the file would be created in. */
static int check_directory(const char *dir, char *why, size_t why_len)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(why, why_len, "directory %s does not exist", dir);
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		int err = -errno;

		snprintf(why, why_len, "cannot create files in directory %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}

int output_path_check(const char *path, char *why, size_t why_len)
{
	char copy[PATH_MAX];
	size_t len = strlen(path);
	struct stat st;

	if (len == 0 || copy_string(copy, sizeof(copy), path) < 0) {
		snprintf(why, why_len, len ? "the path is too long" : "an empty file name");
		return len ? -ENAMETOOLONG : -EINVAL;
	}
	if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		snprintf(why, why_len, "%s is a directory, not a file name", path);
		return -EISDIR;
	}
	if (access(path, F_OK) < 0)
		return check_directory(dirname(copy), why, why_len);
	if (access(path, W_OK) < 0) {
		int err = -errno;

		snprintf(why, why_len, "%s is not writable: %s", path, strerror(-err));
		return err;
	}
	return 0;
}
