#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "vmm/lib/lock.h"

static int lock_open(const char *path, int flags, mode_t mode, int operation)
{
	int fd = open(path, flags | O_CLOEXEC, mode);
	int ret;

	if (fd < 0)
		return -errno;
	while (flock(fd, operation) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			close(fd);
			return ret;
		}
	}
	return fd;
}

int lock_open_exclusive(const char *path, int flags, mode_t mode)
{
	return lock_open(path, flags, mode, LOCK_EX);
}

int lock_try_open_exclusive(const char *path, int flags, mode_t mode)
{
	return lock_open(path, flags, mode, LOCK_EX | LOCK_NB);
}
