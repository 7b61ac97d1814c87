#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli/defined.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"
#include "vmm/server/profile.h"
#include "vmm/server/registry.h"

#define ERR_MAX 1024

int defined_check(const char *path, struct server_spec *spec, char *err, size_t errlen)
{
	int ret;

	err[0] = '\0';
	spec_init(spec);
	ret = profile_load(path, spec, err, errlen);
	return ret < 0 ? ret : spec_check(spec, err, errlen);
}

int defined_open(struct definitions *defs)
{
	int ret = definitions_open(defs);

	if (ret < 0)
		cli_error("$SHEER_CONFIG_DIR is too long");
	return ret;
}

int defined_find(const struct definitions *defs, const char *name, char *path, size_t pathlen)
{
	if (definitions_path(defs, name, path, pathlen) < 0) {
		cli_error("invalid server name '%.64s'", name);
		return -EINVAL;
	}
	if (access(path, F_OK) < 0) {
		cli_error("%s: not defined ('sheer define PROFILE' defines it; 'sheer list --all' shows what is)", name);
		return -ENOENT;
	}
	return 0;
}

int defined_is_running(const char *name)
{
	struct registry registry;
	char err[ERR_MAX];
	int ret = registry_open_existing(&registry, err, sizeof(err));

	if (ret < 0) {
		cli_error("%s", err);
		return ret;
	}
	ret = registry_is_running(&registry, name);
	registry_close(&registry);
	if (ret < 0)
		cli_error("%s: cannot tell whether it runs: %s", name, strerror(-ret));
	return ret;
}

int defined_autostart(const struct definitions *defs, const char *name)
{
	struct server_spec spec;

	return definitions_load(defs, name, &spec) == 0 && spec.autostart;
}

void defined_print_header(void)
{
	printf("%-20s %-14s %4s %8s %7s %4s %9s %8s %10s\n", "NAME", "STATE", "CPUS", "MEMORY", "DEVICES", "NICS",
	       "AUTOSTART", "PID", "UPTIME_S");
}

void defined_print_row(const struct defined_row *row)
{
	char memory[32] = "-", pid[24] = "-", uptime[24] = "-";

	if (row->memory_bytes)
		format_size(row->memory_bytes, memory, sizeof(memory));
	if (row->pid) {
		snprintf(pid, sizeof(pid), "%lld", row->pid);
		snprintf(uptime, sizeof(uptime), "%llu", row->uptime_s);
	}
	printf("%-20s %-14s %4u %8s %7u %4u %9s %8s %10s\n", row->name, row->state, row->cpus, memory, row->n_devices,
	       row->n_nics, row->autostart < 0 ? "-" : row->autostart ? "yes" : "no", pid, uptime);
}

static json_t *stopped_json(const char *name, const struct server_spec *spec)
{
	json_t *object = json_pack("{s:s, s:s, s:i, s:I, s:b, s:[], s:[]}", "name", name, "state", "stopped", "cpus",
				   (int)spec->cfg.cpus, "memory_bytes", (json_int_t)spec->cfg.memory_bytes, "autostart",
				   spec->autostart, "devices", "nics");

	for (unsigned int i = 0; object && i < spec->cfg.n_devices; i++)
		json_array_append_new(json_object_get(object, "devices"), json_string(spec->cfg.devices[i].pci));
	for (unsigned int i = 0; object && i < spec->cfg.n_nics; i++)
		json_array_append_new(json_object_get(object, "nics"), json_string(spec->cfg.nics[i].name));
	return object;
}

void defined_list_stopped(const struct definitions *defs, const struct registry_names *running, bool json,
			  json_t *array)
{
	struct registry_names defined;
	struct server_spec spec;

	if (definitions_list(defs, &defined) < 0)
		return;
	for (unsigned int i = 0; i < defined.count; i++) {
		const char *name = defined.names[i];
		bool readable = definitions_load(defs, name, &spec) == 0;
		struct defined_row row = { name, readable ? "stopped" : "stopped (bad profile)", spec.cfg.cpus,
					   spec.cfg.memory_bytes, spec.cfg.n_devices, spec.cfg.n_nics,
					   spec.autostart, 0, 0 };

		if (registry_names_contain(running, name))
			continue;
		if (json)
			json_array_append_new(array, stopped_json(name, &spec));
		else
			defined_print_row(&row);
	}
	registry_names_free(&defined);
}
