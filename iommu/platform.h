/*
 * What the host's firmware and kernel say about its IOMMU: which one the ACPI
 * tables describe, whether the kernel turned it on, and whether interrupts
 * are remapped (without that a device could forge MSIs into the host).
 */
#ifndef SHEER_IOMMU_PLATFORM_H
#define SHEER_IOMMU_PLATFORM_H

#include <stdbool.h>

#include "iommu/host_fs.h"

enum iommu_vendor {
	IOMMU_VENDOR_NONE,
	IOMMU_VENDOR_INTEL,	/* ACPI DMAR: VT-d */
	IOMMU_VENDOR_AMD,	/* ACPI IVRS: AMD-Vi */
};

struct iommu_platform {
	enum iommu_vendor vendor;
	unsigned int n_units;		/* entries of /sys/class/iommu */
	unsigned int n_groups;		/* entries of /sys/kernel/iommu_groups */
	bool irq_remapping;
	char irq_remapping_evidence[128];
};

int iommu_platform_probe(const struct host_fs *fs, struct iommu_platform *platform);
bool iommu_platform_enabled(const struct iommu_platform *platform);
/* The kernel parameter that turns this IOMMU on. */
const char *iommu_platform_enable_parameter(const struct iommu_platform *platform);
/* Is WORD one of the words of the kernel command line? */
bool kernel_cmdline_has(const struct host_fs *fs, const char *word);

#endif
