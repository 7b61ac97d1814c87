/* `sheer devices [--json]`: the host's PCI devices and whether each can be assigned. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "passthru/cli/commands.h"
#include "passthru/host/device_info.h"
#include "vmm/lib/cli.h"

static void format_holder(const struct device_info *info, char *out, size_t out_len)
{
	if (!info->claimed)
		snprintf(out, out_len, "-");
	else if (info->claim_live)
		snprintf(out, out_len, "%s", info->claim.holder);
	else
		snprintf(out, out_len, "%s(stale)", info->claim.holder);
}

static void format_vfs(const struct pci_function *fn, char *out, size_t out_len)
{
	if (fn->has_sriov)
		snprintf(out, out_len, "%u/%u", fn->sriov_num_vfs, fn->sriov_total_vfs);
	else
		snprintf(out, out_len, "-");
}

static void print_row(const struct device_info *info)
{
	const struct pci_function *fn = &info->fn;
	char group[16] = "-", holder[SERVER_NAME_MAX + 8], vfs[32];

	if (fn->iommu_group >= 0)
		snprintf(group, sizeof(group), "%d", fn->iommu_group);
	format_holder(info, holder, sizeof(holder));
	format_vfs(fn, vfs, sizeof(vfs));
	printf("%-12s  %04x:%04x  %-7s  %-12s  %-5s  %-10s  %4d  %-8s  %-5s  %-10s  %s\n", fn->bdf, fn->vendor,
	       fn->device, pci_function_kind(fn), fn->driver[0] ? fn->driver : "-", group,
	       info->assignable ? "yes" : "no", fn->numa_node, info->cpus[0] ? info->cpus : "-", vfs, holder,
	       info->name);
	/* Every "no" says why, under the row: the table is what an operator reads. */
	if (!info->assignable && fn->iommu_group >= 0)
		printf("              not assignable: group %d is held by the host: %s\n", fn->iommu_group, info->blockers);
	else if (!info->assignable)
		printf("              not assignable: %s (no IOMMU group: 'sheer host check' says what to turn on)\n",
		       info->blockers);
}

static void print_table(const struct device_table *table)
{
	printf("%-12s  %-9s  %-7s  %-12s  %-5s  %-10s  %4s  %-8s  %-5s  %-10s  %s\n", "PCI", "ID", "KIND", "DRIVER",
	       "GROUP", "ASSIGNABLE", "NUMA", "CPUS", "VFS", "HELD-BY", "NAME");
	for (unsigned int i = 0; i < table->count; i++)
		print_row(&table->rows[i]);
}

static json_t *row_to_json(const struct device_info *info)
{
	const struct pci_function *fn = &info->fn;
	char id[16];
	json_t *holder = json_null();

	snprintf(id, sizeof(id), "%04x:%04x", fn->vendor, fn->device);
	if (info->claimed)
		holder = json_pack("{s:s, s:I, s:b}", "name", info->claim.holder, "pid", (json_int_t)info->claim.pid,
				   "running", info->claim_live);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:i, s:b, s:s, s:i, s:s, s:{s:b, s:i, s:i}, s:o}", "pci", fn->bdf,
			 "id", id, "name", info->name, "kind", pci_function_kind(fn), "driver",
			 fn->driver[0] ? fn->driver : NULL, "iommu_group", fn->iommu_group, "assignable",
			 info->assignable, "blockers", info->blockers, "numa_node", fn->numa_node, "cpus", info->cpus,
			 "sriov", "capable", fn->has_sriov, "total_vfs", (int)fn->sriov_total_vfs, "num_vfs",
			 (int)fn->sriov_num_vfs, "held_by", holder);
}

static int print_json(const struct device_table *table)
{
	json_t *rows = json_array();
	int ret;

	if (!rows)
		return -1;
	for (unsigned int i = 0; i < table->count; i++)
		json_array_append_new(rows, row_to_json(&table->rows[i]));
	ret = json_dumpf(rows, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(rows);
	return ret;
}

int cmd_devices(int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	struct device_table table;
	int ret;

	if (argc > 2 || (argc == 2 && !json)) {
		cli_error("devices: usage: sheer devices [--json]");
		return SHEER_EXIT_USAGE;
	}
	ret = device_table_scan(&table);
	if (ret < 0) {
		cli_error("devices: cannot list the host's PCI devices: %s", strerror(-ret));
		return SHEER_EXIT_FAILURE;
	}
	device_table_fill_holders(&table);
	if (json)
		ret = print_json(&table);
	else
		print_table(&table);
	device_table_free(&table);
	return ret < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK;
}
