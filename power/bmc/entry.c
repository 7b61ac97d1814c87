/* The keys that name a BMC in an INI section, read the same way in every file that has them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "power/bmc/entry.h"
#include "vmm/lib/parse.h"

void bmc_entry_init(struct bmc_entry *b)
{
	memset(b, 0, sizeof(*b));
	b->target.timeout_ms = BMC_DEFAULT_TIMEOUT_MS;
	b->target.retries = BMC_DEFAULT_RETRIES;
}

static int take_number(const char *key, const char *value, unsigned int min, unsigned int max, unsigned int *out,
		       char *reason, size_t len)
{
	if (parse_uint(value, max, out) == 0 && *out >= min)
		return 0;
	snprintf(reason, len, "%s: '%.40s' is not a whole number from %u to %u", key, value, min, max);
	return -EINVAL;
}

int bmc_entry_take(struct bmc_entry *b, const char *dir, const char *key, const char *value, char *reason,
		   size_t len)
{
	char *path = strcmp(key, "password_file") == 0 ? b->password_file
		     : strcmp(key, "ca_file") == 0 ? b->target.ca_file : NULL;

	if (strcmp(key, "bmc") == 0)
		return bmc_target_parse(value, &b->target, reason, len);
	if (strcmp(key, "timeout_ms") == 0)
		return take_number(key, value, 1, BMC_MAX_TIMEOUT_MS, &b->target.timeout_ms, reason, len);
	if (strcmp(key, "retries") == 0)
		return take_number(key, value, 0, BMC_MAX_RETRIES, &b->target.retries, reason, len);
	if (!path)
		return -ENOENT;
	if (parse_path(dir, value, path, path == b->password_file ? sizeof(b->password_file)
								 : sizeof(b->target.ca_file)) == 0)
		return 0;
	snprintf(reason, len, "%s: '%.80s' is empty or its path too long", key, value);
	return -EINVAL;
}

bool bmc_entry_given(const struct bmc_entry *b)
{
	return b->target.host[0] != '\0';
}

const char *bmc_entry_missing(const struct bmc_entry *b)
{
	if (!bmc_entry_given(b))
		return "bmc = URL";
	return b->password_file[0] ? NULL : "password_file = FILE";
}
