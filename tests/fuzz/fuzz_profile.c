/* A profile as anyone who may run `sheer run PROFILE` could write it: any bytes, any line lengths. */
/*
 * Read through profile_read() (what profile_load() calls on the open file),
 * then checked by spec_check() as `sheer run` does (it only stats the paths).
 * What the README promises is checked, and a violation aborts: a refusal
 * names the file and line; a profile that loads gives a configuration within
 * the documented bounds, and one spec_check() passes has memory the VMM takes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/lib/parse.h"
#include "vmm/server/profile.h"

#define PROFILE_PATH "/etc/sheer/web01.ini"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_profile: %s: %s\n", what, detail);
	abort();
}

static bool within_bounds(const struct server_spec *spec)
{
	const struct server_config *cfg = &spec->cfg;
	char canonical[sizeof(cfg->devices[0].pci)];

	if ((cfg->name[0] && !server_name_is_valid(cfg->name)) || cfg->cpus < 1 || cfg->cpus > SERVER_MAX_CPUS ||
	    cfg->n_devices > SERVER_MAX_DEVICES || cfg->numa_node > 1023)
		return false;
	if (!memchr(cfg->cmdline, '\0', sizeof(cfg->cmdline)) || !memchr(cfg->kernel, '\0', sizeof(cfg->kernel)) ||
	    !memchr(cfg->initrd, '\0', sizeof(cfg->initrd)))
		return false;
	for (unsigned int i = 0; i < cfg->n_devices; i++)
		if (parse_pci_address(cfg->devices[i].pci, canonical, sizeof(canonical)) < 0 ||
		    strcmp(canonical, cfg->devices[i].pci) != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct server_spec spec;
	char err[512] = "";
	FILE *file;
	int ret;

	file = fuzz_file(data, len);
	if (!file)
		return 0;
	spec_init(&spec);
	ret = profile_read(file, PROFILE_PATH, &spec, err, sizeof(err));
	fclose(file);
	if (ret < 0 && !fuzz_names_file(err, PROFILE_PATH))
		fail("a refusal that does not name the file and line", err);
	if (ret == 0 && !within_bounds(&spec))
		fail("a profile that loads out of bounds", spec.cfg.name);
	if (ret == 0 && spec_check(&spec, err, sizeof(err)) == 0 && !server_memory_is_valid(spec.cfg.memory_bytes))
		fail("a server checked with memory the VMM refuses", spec.cfg.name);
	return 0;
}
