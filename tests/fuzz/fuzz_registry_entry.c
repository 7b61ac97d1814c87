/* A registry entry (RUN_DIR/NAME.json) as a crashed, buggy or hostile sheer process could have left it. */
/*
 * Parsed as json_file_load() parses it, decoded by registry_entry_from_json()
 * (what registry_read_entry() does). Placement sets a bit per held CPU in a
 * bitmap: an entry that decodes must hold a bounded number of CPUs, each
 * below REGISTRY_CPU_LIMIT, or the next `sheer run` would allocate without
 * bound (issue 9, defect 9); a violation aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/lib/json_file.h"
#include "vmm/server/registry.h"

static bool entry_bounded(const struct registry_entry *entry)
{
	if (entry->n_held_cpus > REGISTRY_HELD_CPUS_MAX || !memchr(entry->name, '\0', sizeof(entry->name)))
		return false;
	for (unsigned int i = 0; i < entry->n_held_cpus; i++)
		if (entry->held_cpus[i] < 0 || entry->held_cpus[i] >= REGISTRY_CPU_LIMIT)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct registry_entry entry;
	json_t *object = json_loadb((const char *)data, len, JSON_FILE_FLAGS, NULL);

	if (!object)
		return 0;
	if (registry_entry_from_json(object, &entry) == 0 && !entry_bounded(&entry)) {
		fprintf(stderr, "fuzz_registry_entry: an entry that decodes holds CPUs out of bounds\n");
		abort();
	}
	json_decref(object);
	return 0;
}
