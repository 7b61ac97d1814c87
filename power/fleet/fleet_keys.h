/* The keys of each section of the fleet file, and how each value is read; used by fleet_config.c. */
#ifndef SHEER_POWER_FLEET_FLEET_KEYS_H
#define SHEER_POWER_FLEET_FLEET_KEYS_H

#include <stddef.h>

enum fleet_section { FLEET_SECTION_FLEET, FLEET_SECTION_POLICY, FLEET_SECTION_HOST, FLEET_SECTION_STANDBY,
		     FLEET_SECTION_SCHEDULE };

struct fleet_key;

/* Reads value into field (the key's member of its section's struct); -EINVAL with the reason. */
typedef int (*fleet_take_fn)(const struct fleet_key *k, void *field, const char *value, const char *dir, char *reason,
			     size_t len);

struct fleet_key {
	const char *name;
	fleet_take_fn take;
	size_t offset;			/* of field in its section's struct */
	unsigned int min, max;		/* a number's bounds */
	const char *unit;		/* a number's, for messages: "seconds", or NULL */
	unsigned int sets;		/* a [policy] key a schedule may change: its enum fleet_setting */
};

/* The keys of section ending with a NULL name (not a [host]'s or [standby]'s BMC keys: bmc_entry_take). */
const struct fleet_key *fleet_keys(enum fleet_section section);
/* The key called name in keys, or NULL. */
const struct fleet_key *fleet_key_find(const struct fleet_key *keys, const char *name);
/* "a, b, c": the names of keys, for an unknown key's message. */
void fleet_keys_list(const struct fleet_key *keys, char *out, size_t len);

#endif
