/*
 * A BMC as an operator's INI section names it, with the same keys wherever it
 * appears (the inventory's [physical], the fleet file's [host] and [standby]):
 *
 *   bmc = ipmi://USER@HOST[:PORT] | redfish://USER@HOST[:PORT]/SYSTEM-ID
 *   password_file = FILE      # relative paths are relative to the INI file's folder
 *   ca_file = FILE            # Redfish: the CA of the BMC's certificate
 *   timeout_ms = 5000         # per request attempt
 *   retries = 2               # attempts after a timeout
 */
#ifndef SHEER_POWER_BMC_ENTRY_H
#define SHEER_POWER_BMC_ENTRY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "power/bmc/bmc.h"

#define BMC_ENTRY_KEYS "bmc, password_file, ca_file, timeout_ms, retries"

struct bmc_entry {
	struct bmc_target target;	/* without its password: bmc_password_load(password_file) when used */
	char password_file[PATH_MAX];	/* "" when not given */
};

/* Nothing given yet: the default timeout and retries. */
void bmc_entry_init(struct bmc_entry *b);
/*
 * One of BMC_ENTRY_KEYS, relative paths taken from dir: 0, -EINVAL with the
 * reason, or -ENOENT when key is none of them (the caller's own key, or unknown).
 */
int bmc_entry_take(struct bmc_entry *b, const char *dir, const char *key, const char *value, char *reason,
		   size_t len);
/* Whether a bmc key was given. */
bool bmc_entry_given(const struct bmc_entry *b);
/* What a usable entry still lacks: "bmc = URL", "password_file = FILE", or NULL when complete. */
const char *bmc_entry_missing(const struct bmc_entry *b);

#endif
