#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/kvm/kvm_device.h"

/* Who runs sheer, as a remedy names them: the login name, else the uid. */
static void current_user_name(char *buf, size_t len)
{
	struct passwd *user = getpwuid(geteuid());

	if (user)
		snprintf(buf, len, "%s", user->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned int)geteuid());
}

void kvm_device_remedy(const char *path, int err, char *remedy, size_t len)
{
	struct group *group = NULL;
	struct stat st;
	char user[64];

	current_user_name(user, sizeof(user));
	if (err == EACCES && stat(path, &st) == 0 && st.st_gid != 0)
		group = getgrgid(st.st_gid);
	if (group)
		snprintf(remedy, len, "usermod -aG %s %s, then log in again; or run sheer as root",
			 group->gr_name, user);
	else if (err == EACCES)
		snprintf(remedy, len, "make /dev/kvm group kvm, mode 0660 (udev's rule for it), "
			 "and usermod -aG kvm %s; or run sheer as root", user);
	else if (err == EPERM)
		snprintf(remedy, len, "a device cgroup or security module denies it "
			 "(a container needs --device /dev/kvm)");
	else if (err == ENOENT)
		snprintf(remedy, len, "enable VT-x/AMD-V in the firmware setup and modprobe kvm_intel or kvm_amd");
	else
		snprintf(remedy, len, "/dev/kvm must be the KVM character device (10:232): "
			 "modprobe kvm_intel or kvm_amd");
}

int kvm_device_check(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), saved;
	char remedy[256];

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	saved = errno;
	kvm_device_remedy(path, saved, remedy, sizeof(remedy));
	snprintf(err, errlen, "cannot open %s: %s; fix: %s", path, strerror(saved), remedy);
	return -saved;
}
