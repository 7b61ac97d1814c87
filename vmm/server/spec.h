/*
 * What the operator asked for, before placement: the server configuration
 * plus the front end's own choices that the VM engine never sees. Profile
 * files and command-line flags both go through spec_set(), so a key means
 * the same thing wherever it is written.
 */
#ifndef SHEER_VMM_SERVER_SPEC_H
#define SHEER_VMM_SERVER_SPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/machine/config.h"

struct server_spec {
	struct server_config cfg;	/* cfg.numa_node >= 0 here means "the operator chose it" */
	bool dedicated_cores;		/* pin each vCPU to a core no other server holds */
	char memory_text[32];		/* memory as the operator wrote it, for the line that refuses it */
	bool autostart;			/* a defined server `sheer start --autostart` starts (at boot) */
	/* The profile it came from, absolute, when no flag changed it ("" otherwise): `sheer switch` restarts it from there. */
	char profile[PATH_MAX];
};

enum spec_section {
	SPEC_SECTION_SERVER,
	SPEC_SECTION_DEVICE,	/* applies to the device added last */
	SPEC_SECTION_NIC,	/* applies to the NIC added last */
};

void spec_init(struct server_spec *spec);
/*
 * Set one key from text. Relative paths are taken relative to base_dir (the
 * profile's directory) when given. -ENOENT for an unknown key, -EINVAL or
 * -ENAMETOOLONG for a bad value; err explains.
 */
int spec_set(struct server_spec *spec, enum spec_section section, const char *key,
	     const char *value, const char *base_dir, char *err, size_t errlen);
/* The key's value is a file path (relative ones are relative to the profile's folder). */
bool spec_key_is_path(enum spec_section section, const char *key);
/* Start a new [device]; -ENOSPC past SERVER_MAX_DEVICES. */
int spec_add_device(struct server_spec *spec, char *err, size_t errlen);
/* A device section is complete when it names its PCI function. */
bool spec_device_is_complete(const struct server_spec *spec);
/* Start a new [nic]; -ENOSPC past SERVER_MAX_NICS. */
int spec_add_nic(struct server_spec *spec, char *err, size_t errlen);
/* A [nic] is complete when it names either a bridge or a tap. */
bool spec_nic_is_complete(const struct server_spec *spec);
/*
 * Everything needed is there and the files exist: -EINVAL/-ENOENT with err
 * set. Completes what has a default that depends on the rest: NIC names and
 * MACs (derived from the server's name, so a server keeps its MAC).
 */
int spec_check(struct server_spec *spec, char *err, size_t errlen);

/* A key spec_set() knows, for the documentation: its section ("server"), name, valid values and meaning. */
struct spec_key_doc {
	const char *section;
	const char *name;
	const char *expected;
	const char *meaning;
};
/* The i-th key of the parser's own table, in its order; -ENOENT past the last. */
int spec_key_doc(size_t i, struct spec_key_doc *doc);

#endif
