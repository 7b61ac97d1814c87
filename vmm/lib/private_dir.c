#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/private_dir.h"

int private_dir_ensure(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* An existing directory may have been made by hand: tighten it if it is ours. */
	if (st.st_uid == geteuid() && (st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}
