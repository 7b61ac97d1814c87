#include <errno.h>
#include <hwloc.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/groups.h"
#include "passthru/host/device_info.h"

int device_info_fill(const struct host_fs *fs, const char *bdf, struct device_info *info)
{
	struct iommu_group group;
	struct bdf_set itself = { 1, &bdf };
	int ret;

	memset(info, 0, sizeof(*info));
	ret = pci_function_read(fs, bdf, &info->fn);
	if (ret < 0)
		return ret;
	if (host_fs_read(fs, info->cpus, sizeof(info->cpus), PCI_SYSFS "/%s/local_cpulist", bdf) < 0)
		info->cpus[0] = '\0';
	if (info->fn.iommu_group < 0) {
		snprintf(info->blockers, sizeof(info->blockers), "not behind an IOMMU");
		return 0;
	}
	ret = iommu_group_read(fs, info->fn.iommu_group, &group);
	if (ret < 0)
		return ret;
	/* Its own driver does not count: assignment rebinds the device itself. */
	info->assignable = iommu_group_blockers(&group, &itself, info->blockers, sizeof(info->blockers)) == 0;
	return 0;
}

void device_info_fill_claim(const struct host_fs *fs, const struct claim_store *store, struct device_info *info)
{
	info->claimed = claim_read(store, info->fn.bdf, &info->claim) == 0;
	info->claim_live = info->claimed && claim_is_live(fs, &info->claim);
}

/* hwloc's non-I/O ancestor of the device is where its DMA lands fastest; without one, sysfs's list stays. */
static void nearest_cpus(hwloc_topology_t topology, const struct pci_dev *dev, char *out, size_t out_len)
{
	hwloc_obj_t obj = topology ? hwloc_get_pcidev_by_busid(topology, dev->domain, dev->bus, dev->dev, dev->func)
				   : NULL;

	if (obj)
		obj = hwloc_get_non_io_ancestor_obj(topology, obj);
	if (obj && obj->cpuset)
		hwloc_bitmap_list_snprintf(out, out_len, obj->cpuset);
}

static hwloc_topology_t load_topology(void)
{
	hwloc_topology_t topology;

	if (hwloc_topology_init(&topology) < 0)
		return NULL;
	hwloc_topology_set_io_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(topology) < 0) {
		hwloc_topology_destroy(topology);
		return NULL;
	}
	return topology;
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(((const struct device_info *)a)->fn.bdf, ((const struct device_info *)b)->fn.bdf);
}

static int table_add(struct device_table *table, const struct host_fs *fs, struct pci_access *pacc,
		     hwloc_topology_t topology, struct pci_dev *dev)
{
	struct device_info *grown, *info;
	char bdf[PCI_BDF_LEN];
	int ret;

	grown = realloc(table->rows, (table->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	table->rows = grown;
	info = &table->rows[table->count];
	snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", (unsigned int)dev->domain, dev->bus, dev->dev, dev->func);
	ret = device_info_fill(fs, bdf, info);
	if (ret == -ENODEV)
		return 0;	/* gone since the scan: hot-unplugged */
	if (ret < 0)
		return ret;
	pci_lookup_name(pacc, info->name, sizeof(info->name), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE, dev->vendor_id,
			dev->device_id);
	nearest_cpus(topology, dev, info->cpus, sizeof(info->cpus));
	table->count++;
	return 0;
}

int device_table_scan(struct device_table *table)
{
	struct pci_access *pacc = pci_alloc();
	hwloc_topology_t topology;
	struct host_fs fs;
	int ret = 0;

	table->count = 0;
	table->rows = NULL;
	if (!pacc)
		return -ENOMEM;
	host_fs_init(&fs, NULL);
	pci_init(pacc);
	pci_scan_bus(pacc);
	topology = load_topology();
	for (struct pci_dev *dev = pacc->devices; ret == 0 && dev; dev = dev->next) {
		pci_fill_info(dev, PCI_FILL_IDENT);
		ret = table_add(table, &fs, pacc, topology, dev);
	}
	if (topology)
		hwloc_topology_destroy(topology);
	pci_cleanup(pacc);
	if (ret < 0) {
		device_table_free(table);
		return ret;
	}
	if (table->count)
		qsort(table->rows, table->count, sizeof(table->rows[0]), compare_rows);
	return 0;
}

void device_table_free(struct device_table *table)
{
	free(table->rows);
	table->rows = NULL;
	table->count = 0;
}

void device_table_fill_holders(struct device_table *table)
{
	struct claim_store store;
	struct host_fs fs;

	host_fs_init(&fs, NULL);
	if (claim_store_open_existing(&store, NULL) < 0)
		return;
	for (unsigned int i = 0; i < table->count; i++)
		device_info_fill_claim(&fs, &store, &table->rows[i]);
	claim_store_close(&store);
}
