/*
 * The files a fleet file names, checked before a controller depends on them:
 * a missing key or a password file others can read is better found by
 * `sheer fleet check` than at three in the morning by a host that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "power/fleet/fleet_config.h"
#include "power/physical/inventory.h"
#include "vmm/lib/file_kind.h"

/* A regular file this user can open for reading: 0, or -errno with why. */
static int readable_file(const char *path, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), ret = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		ret = -errno;
	else if (file_kind_problem(st.st_mode))
		ret = -EINVAL;
	if (ret < 0)
		snprintf(why, len, "%s: %s", path, ret == -EINVAL ? file_kind_problem(st.st_mode) : strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static int check_tls(const struct fleet_config *c, char *err, size_t errlen)
{
	static const char *const names[] = { "ca.pem", "cert.pem", "key.pem" };
	char path[PATH_MAX + 16], why[PATH_MAX + 64];

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->controller.tls_dir, names[i]);
		if (readable_file(path, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: [fleet] tls: %s", c->path, c->controller.line, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* The password is read as a controller would, then forgotten. */
static int check_password(const struct fleet_config *c, const struct bmc_entry *bmc, const char *title,
			  const char *name, unsigned int line, char *err, size_t errlen)
{
	struct bmc_target probe = bmc->target;
	char why[PATH_MAX + 128];
	int ret;

	if (!bmc_entry_given(bmc))
		return 0;
	ret = bmc_password_load(&probe, bmc->password_file, why, sizeof(why));
	explicit_bzero(probe.password, sizeof(probe.password));
	if (ret < 0)
		snprintf(err, errlen, "%s:%u: [%s %s]: %s", c->path, line, title, name, why);
	return ret;
}

static int check_standby(const struct fleet_config *c, const struct fleet_standby *s, char *err, size_t errlen)
{
	struct physical_server ps;
	char why[PATH_MAX + 128];
	int ret;

	if (!s->physical[0])
		return check_password(c, &s->bmc, "standby", s->name, s->line, err, errlen);
	ret = physical_load(s->physical, &ps, why, sizeof(why));
	if (ret < 0)
		snprintf(err, errlen, "%s:%u: [standby %s]: %s", c->path, s->line, s->name, why);
	return ret;
}

int fleet_config_check_files(const struct fleet_config *c, char *err, size_t errlen)
{
	int ret = check_tls(c, err, errlen);

	for (unsigned int i = 0; ret == 0 && i < c->n_hosts; i++)
		ret = check_password(c, &c->hosts[i].bmc, "host", c->hosts[i].name, c->hosts[i].line, err, errlen);
	for (unsigned int i = 0; ret == 0 && i < c->n_standby; i++)
		ret = check_standby(c, &c->standby[i], err, errlen);
	return ret;
}
