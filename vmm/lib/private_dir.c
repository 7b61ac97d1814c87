#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/private_dir.h"

/* Is the existing dir ours alone? -ENOENT when it is not there. */
static int private_dir_check(const char *dir)
{
	struct stat st;

	/* lstat: a symlink put there by someone else is not our directory. */
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* Another user's directory could hold their symlinks where our records go. */
	if (st.st_uid != geteuid())
		return -EPERM;
	/* One made by hand may be too open: ours to tighten. */
	if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}

int private_dir_ensure(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return private_dir_check(dir);
}

int private_dir_check_if_there(const char *dir)
{
	int ret = private_dir_check(dir);

	return ret == -ENOENT ? 0 : ret;
}

const char *private_dir_problem(int ret)
{
	switch (ret) {
	case -EPERM: return "owned by another user (refused: records and sockets there steer a root-run VMM)";
	case -ENOTDIR: return "not a directory (or a symlink)";
	default: return NULL;
	}
}
