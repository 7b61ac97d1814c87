/*
 * The VMM's identity. Root opens /dev/kvm, the VFIO group and device and
 * the control socket first; then the VMM becomes a user that owns nothing
 * else on the host, so a guest that took over the VMM holds only those
 * descriptors, not root.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "vmm/sandbox/sandbox.h"

#define SANDBOX_DEFAULT_USER "sheer"

static int resolve_caller(struct sandbox_user *user)
{
	struct passwd *pw = getpwuid(getuid());

	*user = (struct sandbox_user){ .uid = getuid(), .gid = getgid(), .change = false };
	snprintf(user->name, sizeof(user->name), "%s", pw ? pw->pw_name : "caller");
	return 0;
}

int sandbox_user_resolve(struct sandbox_user *user, char *err, size_t errlen)
{
	const char *name = getenv("SHEER_VMM_USER");
	struct passwd *pw;

	if (geteuid() != 0)
		return resolve_caller(user);
	if (!name || !*name)
		name = SANDBOX_DEFAULT_USER;
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		snprintf(err, errlen, "no user '%.60s' to run the VMM as; create it with "
			 "'useradd --system --no-create-home --shell /usr/sbin/nologin %.60s' (README, Security)",
			 name, name);
		return errno ? -errno : -ENOENT;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "user '%.60s' has uid or gid 0: the VMM must not run as root", name);
		return -EINVAL;
	}
	*user = (struct sandbox_user){ .uid = pw->pw_uid, .gid = pw->pw_gid, .change = true };
	snprintf(user->name, sizeof(user->name), "%s", name);
	return 0;
}

static int switch_ids(const struct sandbox_user *user)
{
	uid_t ruid, euid, suid;

	/* Groups first: once the uid changes there is no right left to change them. */
	if (setgroups(0, NULL) < 0 || setresgid(user->gid, user->gid, user->gid) < 0 ||
	    setresuid(user->uid, user->uid, user->uid) < 0)
		return -errno;
	/* Leaving root clears every capability; a way back would mean the switch did not happen. */
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid != user->uid || euid != user->uid || suid != user->uid ||
	    setuid(0) == 0)
		return -EPERM;
	return 0;
}

int sandbox_user_enter(const struct sandbox_user *user, char *err, size_t errlen)
{
	int ret = user->change ? switch_ids(user) : 0;

	if (ret < 0) {
		snprintf(err, errlen, "becoming user %s: %s", user->name, strerror(-ret));
		return ret;
	}
	/* No exec or setuid binary may give back what was dropped; no other process of the user may attach. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		ret = -errno;
		snprintf(err, errlen, "no-new-privileges: %s", strerror(errno));
	}
	return ret;
}
