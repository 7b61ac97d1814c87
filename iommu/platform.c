#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/groups.h"
#include "iommu/platform.h"

#define ACPI_TABLES "/sys/firmware/acpi/tables"
#define IOMMU_CLASS "/sys/class/iommu"
#define INTEL_ECAP_IR (1ULL << 3)	/* VT-d extended capability: interrupt remapping */

bool kernel_cmdline_has(const struct host_fs *fs, const char *word)
{
	char cmdline[4096], *save = NULL;

	if (host_fs_read(fs, cmdline, sizeof(cmdline), "/proc/cmdline") < 0)
		return false;
	for (char *token = strtok_r(cmdline, " \t", &save); token; token = strtok_r(NULL, " \t", &save))
		if (strcmp(token, word) == 0)
			return true;
	return false;
}

static unsigned int count_entries(const struct host_fs *fs, const char *dir)
{
	struct name_list list;
	unsigned int count;

	if (host_fs_list(fs, &list, "%s", dir) < 0)
		return 0;
	count = list.count;
	name_list_free(&list);
	return count;
}

/* The kernel names remapped interrupt chips "IR-PCI-MSI", "IR-IO-APIC": proof it is on. */
static bool interrupts_show_remapping(const struct host_fs *fs)
{
	char line[1024];
	bool found = false;
	FILE *file = host_fs_fopen(fs, "/proc/interrupts");

	if (!file)
		return false;
	while (!found && fgets(line, sizeof(line), file))
		found = strstr(line, " IR-") != NULL;
	fclose(file);
	return found;
}

/* The first DMAR unit whose extended capabilities include interrupt remapping. */
static bool intel_unit_with_remapping(const struct host_fs *fs, char *unit, size_t unit_len)
{
	struct name_list units;
	bool found = false;

	if (host_fs_list(fs, &units, IOMMU_CLASS) < 0)
		return false;
	for (unsigned int i = 0; !found && i < units.count; i++) {
		char ecap[32];

		if (host_fs_read(fs, ecap, sizeof(ecap), IOMMU_CLASS "/%s/intel-iommu/ecap", units.names[i]) < 0)
			continue;
		found = (strtoull(ecap, NULL, 16) & INTEL_ECAP_IR) != 0;
		if (found)
			snprintf(unit, unit_len, "%s", units.names[i]);
	}
	name_list_free(&units);
	return found;
}

static void probe_irq_remapping(const struct host_fs *fs, struct iommu_platform *platform)
{
	char unit[HOST_FS_NAME_MAX];
	char *evidence = platform->irq_remapping_evidence;
	size_t evidence_len = sizeof(platform->irq_remapping_evidence);

	platform->irq_remapping = true;
	if (interrupts_show_remapping(fs)) {
		snprintf(evidence, evidence_len, "remapped interrupt chips (IR-) in /proc/interrupts");
	} else if (kernel_cmdline_has(fs, "intremap=off")) {
		platform->irq_remapping = false;
		snprintf(evidence, evidence_len, "turned off by intremap=off on the kernel command line");
	} else if (platform->vendor == IOMMU_VENDOR_INTEL && intel_unit_with_remapping(fs, unit, sizeof(unit))) {
		snprintf(evidence, evidence_len, "supported by %.64s (ecap IR)", unit);
	} else if (platform->vendor == IOMMU_VENDOR_AMD && platform->n_units) {
		snprintf(evidence, evidence_len, "AMD-Vi remaps interrupts");
	} else {
		platform->irq_remapping = false;
		snprintf(evidence, evidence_len, "no IOMMU unit remaps interrupts");
	}
}

int iommu_platform_probe(const struct host_fs *fs, struct iommu_platform *platform)
{
	memset(platform, 0, sizeof(*platform));
	if (host_fs_exists(fs, ACPI_TABLES "/DMAR"))
		platform->vendor = IOMMU_VENDOR_INTEL;
	else if (host_fs_exists(fs, ACPI_TABLES "/IVRS"))
		platform->vendor = IOMMU_VENDOR_AMD;
	platform->n_units = count_entries(fs, IOMMU_CLASS);
	platform->n_groups = count_entries(fs, IOMMU_GROUPS_SYSFS);
	probe_irq_remapping(fs, platform);
	return 0;
}

bool iommu_platform_enabled(const struct iommu_platform *platform)
{
	return platform->n_units > 0 && platform->n_groups > 0;
}

const char *iommu_platform_enable_parameter(const struct iommu_platform *platform)
{
	return platform->vendor == IOMMU_VENDOR_AMD ? "amd_iommu=on iommu=pt" : "intel_iommu=on iommu=pt";
}
