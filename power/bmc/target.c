/* A BMC named by URL, and its password read from a file only its owner can read. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "power/bmc/bmc.h"
#include "vmm/lib/file_kind.h"

#define IPMI_USER_MAX 16	/* IPMI 2.0 user names are at most 16 bytes */

static bool user_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* Copy [from, to) into out if it is 1..outlen-1 characters, each one allowed by ok. */
static bool take_field(const char *from, const char *to, bool (*ok)(char), char *out, size_t outlen)
{
	size_t len = (size_t)(to - from);

	if (len == 0 || len >= outlen)
		return false;
	for (const char *p = from; p < to; p++)
		if (!ok(*p))
			return false;
	memcpy(out, from, len);
	out[len] = '\0';
	return true;
}

/* ":PORT" at *p (advanced past it), or the default; false for a bad number. */
static bool take_port(const char **p, unsigned int fallback, unsigned int *port)
{
	unsigned long v;
	char *end;

	if (**p != ':') {
		*port = fallback;
		return true;
	}
	if (!isdigit((unsigned char)(*p)[1]))
		return false;
	errno = 0;
	v = strtoul(*p + 1, &end, 10);
	if (errno || v == 0 || v > 65535)
		return false;
	*port = (unsigned int)v;
	*p = end;
	return true;
}

int bmc_target_parse(const char *url, struct bmc_target *t, char *err, size_t errlen)
{
	const char *p, *at, *host_end;
	bool ipmi = strncmp(url, "ipmi://", 7) == 0;

	if (!ipmi && strncmp(url, "redfish://", 10) != 0) {
		snprintf(err, errlen, "'%.64s': not a BMC URL (ipmi://USER@HOST[:PORT] or "
			 "redfish://USER@HOST[:PORT]/SYSTEM-ID)", url);
		return -EINVAL;
	}
	t->protocol = ipmi ? BMC_IPMI : BMC_REDFISH;
	p = url + (ipmi ? 7 : 10);
	at = strchr(p, '@');
	if (!at || !take_field(p, at, user_char, t->user, ipmi ? IPMI_USER_MAX + 1 : sizeof(t->user))) {
		snprintf(err, errlen, "'%.64s': the user before '@' is missing or not a plain name%s", url,
			 ipmi ? " of at most 16 characters" : "");
		return -EINVAL;
	}
	p = at + 1;
	for (host_end = p; host_char(*host_end); host_end++)
		;
	if (!take_field(p, host_end, host_char, t->host, sizeof(t->host))) {
		snprintf(err, errlen, "'%.64s': no host name or address after '@'", url);
		return -EINVAL;
	}
	p = host_end;
	if (!take_port(&p, ipmi ? BMC_IPMI_PORT : BMC_REDFISH_PORT, &t->port)) {
		snprintf(err, errlen, "'%.64s': the port is not a number from 1 to 65535", url);
		return -EINVAL;
	}
	t->system_id[0] = '\0';
	if (ipmi && *p) {
		snprintf(err, errlen, "'%.64s': unexpected '%.16s' after the host (ipmi://USER@HOST[:PORT])", url, p);
		return -EINVAL;
	}
	if (!ipmi && (*p != '/' || !take_field(p + 1, p + strlen(p), user_char, t->system_id,
					      sizeof(t->system_id)))) {
		snprintf(err, errlen, "'%.64s': no system id after the host (redfish://USER@HOST[:PORT]/SYSTEM-ID)",
			 url);
		return -EINVAL;
	}
	return 0;
}

/* The file's one line, without its newline: printable, non-empty, at most max bytes. */
static int password_read(int fd, char *out, size_t max)
{
	char buf[BMC_PASSWORD_MAX + 3];
	ssize_t n = read(fd, buf, sizeof(buf));
	size_t len;
	int ret = 0;

	if (n < 0)
		return -errno;
	len = (size_t)n;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	if (len == 0 || len > max)
		ret = -EMSGSIZE;
	for (size_t i = 0; ret == 0 && i < len; i++)
		if (!isprint((unsigned char)buf[i]))
			ret = -EILSEQ;
	if (ret == 0) {
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int bmc_password_load(struct bmc_target *t, const char *path, char *err, size_t errlen)
{
	size_t max = t->protocol == BMC_IPMI ? BMC_IPMI_PASSWORD_MAX : BMC_PASSWORD_MAX;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), ret;
	struct stat st;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "password file %s: %s", path,
			 ret == -ELOOP ? "a symbolic link (name the file itself)" : strerror(-ret));
		return ret;
	}
	ret = fstat(fd, &st) < 0 ? -errno : 0;
	if (ret == 0 && file_kind_problem(st.st_mode))
		ret = -EINVAL, snprintf(err, errlen, "password file %s: %s", path, file_kind_problem(st.st_mode));
	else if (ret == 0 && (st.st_mode & 077))
		ret = -EPERM, snprintf(err, errlen, "password file %s: group or others may access it (mode %03o; "
				       "chmod 600 it)", path, st.st_mode & 0777);
	else if (ret == 0 && st.st_uid != geteuid())
		ret = -EPERM, snprintf(err, errlen, "password file %s: owned by uid %u, not by this user", path,
				       st.st_uid);
	else if (ret == 0 && (ret = password_read(fd, t->password, max)) < 0)
		snprintf(err, errlen, "password file %s: %s", path,
			 ret == -EMSGSIZE ? (max == BMC_IPMI_PASSWORD_MAX ? "empty, or longer than IPMI's 20 bytes"
									  : "empty, or longer than 128 bytes")
			 : ret == -EILSEQ ? "holds more than one line of printable characters" : strerror(-ret));
	else if (ret < 0)
		snprintf(err, errlen, "password file %s: %s", path, strerror(-ret));
	close(fd);
	return ret;
}

void bmc_target_describe(const struct bmc_target *t, char *out, size_t outlen)
{
	if (t->protocol == BMC_IPMI)
		snprintf(out, outlen, "ipmi://%s@%s:%u", t->user, t->host, t->port);
	else
		snprintf(out, outlen, "redfish://%s@%s:%u/%s", t->user, t->host, t->port, t->system_id);
}

static const char *const power_action_names[] = {
	[BMC_POWER_ON] = "on", [BMC_POWER_OFF] = "off", [BMC_POWER_SOFT] = "soft", [BMC_POWER_CYCLE] = "cycle",
};
static const char *const boot_device_names[] = { [BMC_BOOT_DISK] = "disk", [BMC_BOOT_PXE] = "pxe" };

const char *bmc_power_action_name(enum bmc_power_action action)
{
	return power_action_names[action];
}

const char *bmc_boot_device_name(enum bmc_boot_device device)
{
	return boot_device_names[device];
}

/* The index of name in names[n], or -EINVAL. */
static int name_index(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int bmc_power_action_parse(const char *name, enum bmc_power_action *action)
{
	int i = name_index(name, power_action_names, sizeof(power_action_names) / sizeof(power_action_names[0]));

	if (i >= 0)
		*action = (enum bmc_power_action)i;
	return i < 0 ? i : 0;
}

int bmc_boot_device_parse(const char *name, enum bmc_boot_device *device)
{
	int i = name_index(name, boot_device_names, sizeof(boot_device_names) / sizeof(boot_device_names[0]));

	if (i >= 0)
		*device = (enum bmc_boot_device)i;
	return i < 0 ? i : 0;
}
