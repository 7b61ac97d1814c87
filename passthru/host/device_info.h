/*
 * Everything `sheer devices` tells an operator about one PCI function:
 * identity and name (libpci), kind, driver, IOMMU group and whether it can be
 * assigned, NUMA node and nearest cores (hwloc), SR-IOV, and its holder.
 */
#ifndef SHEER_PASSTHRU_HOST_DEVICE_INFO_H
#define SHEER_PASSTHRU_HOST_DEVICE_INFO_H

#include <stdbool.h>

#include "iommu/pci_function.h"
#include "passthru/host/claim.h"

struct device_info {
	struct pci_function fn;
	char name[160];
	bool assignable;		/* behind the IOMMU and no other group member in host use */
	char blockers[512];		/* the members that keep the group, "" when none */
	char cpus[128];			/* nearest cores as a list ("0-3,8"), "" when unknown */
	bool claimed;
	bool claim_live;
	struct device_claim claim;
};

struct device_table {
	unsigned int count;
	struct device_info *rows;
};

/* Every PCI function of the real host, sorted by address. */
int device_table_scan(struct device_table *table);
void device_table_free(struct device_table *table);
/* Each row's holder, from the claim records; without a run directory there are none (and none is made). */
void device_table_fill_holders(struct device_table *table);

/* The sysfs part of one row, usable on a fake tree. */
int device_info_fill(const struct host_fs *fs, const char *bdf, struct device_info *info);
/* The holder part, from the claim records. */
void device_info_fill_claim(const struct host_fs *fs, const struct claim_store *store, struct device_info *info);

#endif
