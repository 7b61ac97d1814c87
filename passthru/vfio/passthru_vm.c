#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/pci_function.h"
#include "passthru/vfio/passthru_vm.h"
#include "passthru/vfio/vfio_pci.h"
#include "vmm/machine/layout.h"
#include "vmm/kvm/memory.h"
#include "vmm/lib/clock.h"

#define FIRST_GUEST_SLOT 2

struct passthru_vm {
	struct vfio_container container;
	const struct guest_memory *mem;
	bool ram_mapped;	/* guest RAM is mapped for DMA (once the container has its first group) */
	unsigned int n_groups;
	struct vfio_group groups[SERVER_MAX_DEVICES];
	unsigned int n_devices;
	struct vfio_pci_device *devices[SERVER_MAX_DEVICES];
	int device_group[SERVER_MAX_DEVICES];	/* index into groups */
	struct vfio_pci_machine machine;
	uint64_t dma_map_ns;	/* how long mapping guest RAM for DMA took */
};

/* Which IOMMU group bdf is in, from sysfs (at start only: the confined VMM reads no files). */
static int passthru_vm_group_number(const char *bdf)
{
	struct pci_function fn;
	struct host_fs fs;
	int ret;

	host_fs_init(&fs, NULL);
	ret = pci_function_read(&fs, bdf, &fn);
	if (ret < 0)
		return ret;
	return fn.iommu_group < 0 ? -ENODEV : fn.iommu_group;
}

/* A group holding several of the server's devices goes into the container once; fd (or -1: open it) is taken. */
static int passthru_vm_group(struct passthru_vm *pv, int number, int fd)
{
	int ret;

	for (unsigned int i = 0; i < pv->n_groups; i++)
		if (pv->groups[i].number == number) {
			if (fd >= 0)
				close(fd);
			return (int)i;
		}
	if (pv->n_groups >= SERVER_MAX_DEVICES) {
		if (fd >= 0)
			close(fd);
		return -ENOSPC;
	}
	ret = fd >= 0 ? vfio_group_attach_fd(&pv->container, number, fd, &pv->groups[pv->n_groups])
		      : vfio_group_attach(&pv->container, number, &pv->groups[pv->n_groups]);
	return ret < 0 ? ret : (int)pv->n_groups++;
}

/* Pins and maps all guest RAM: the cost grows with memory size, so it is measured for operators. */
static int passthru_vm_map_ram(struct passthru_vm *pv)
{
	const struct guest_memory *mem = pv->mem;
	uint64_t start = clock_monotonic_ns();
	int ret;

	if (pv->ram_mapped)
		return 0;
	ret = vfio_dma_map(&pv->container, 0, mem->host, mem->low_size);
	if (ret == 0 && mem->high_size)
		ret = vfio_dma_map(&pv->container, LAYOUT_HIGH_RAM, mem->host + mem->low_size, mem->high_size);
	if (ret < 0 && mem->low_size)
		vfio_dma_unmap(&pv->container, 0, mem->low_size);
	pv->dma_map_ns = clock_monotonic_ns() - start;
	pv->ram_mapped = ret == 0;
	return ret;
}

int passthru_vm_quiesce(struct passthru_vm *pv, bool quiet)
{
	int ret = 0;

	for (unsigned int i = 0; pv && i < pv->n_devices; i++)
		if (vfio_pci_quiesce(pv->devices[i], quiet) < 0)
			ret = -EIO;
	return ret;
}

uint64_t passthru_vm_dma_map_ns(const struct passthru_vm *pv)
{
	return pv ? pv->dma_map_ns : 0;
}

/* A group no device of the server uses any more leaves the container. */
static void passthru_vm_drop_group(struct passthru_vm *pv, int g)
{
	for (unsigned int i = 0; i < pv->n_devices; i++)
		if (pv->device_group[i] == g)
			return;
	vfio_group_detach(&pv->groups[g]);
	pv->groups[g] = pv->groups[--pv->n_groups];
	for (unsigned int i = 0; i < pv->n_devices; i++)
		if (pv->device_group[i] == (int)pv->n_groups)
			pv->device_group[i] = g;
	/* The kernel drops an empty container's IOMMU and its mappings: the next group sets them up again. */
	if (pv->n_groups == 0) {
		pv->container.iommu_set = false;
		pv->ram_mapped = false;
	}
}

static int passthru_vm_add(struct passthru_vm *pv, const char *bdf, int number, int group_fd, unsigned int slot,
			   char *err, size_t errlen)
{
	char why[200] = "";
	int g = passthru_vm_group(pv, number, group_fd), ret;

	if (g < 0) {
		snprintf(err, errlen, "device %s: VFIO group: %s", bdf, strerror(-g));
		return g;
	}
	if (pv->n_devices >= SERVER_MAX_DEVICES) {
		passthru_vm_drop_group(pv, g);
		snprintf(err, errlen, "device %s: the server already has %d devices", bdf, SERVER_MAX_DEVICES);
		return -ENOSPC;
	}
	ret = vfio_pci_create(&pv->machine, &pv->groups[g], bdf, slot, &pv->devices[pv->n_devices], why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "device %s: %s", bdf, why[0] ? why : strerror(-ret));
		passthru_vm_drop_group(pv, g);
		return ret;
	}
	pv->device_group[pv->n_devices++] = g;
	return 0;
}

static struct passthru_vm *passthru_vm_new(const struct passthru_vm_env *env)
{
	struct passthru_vm *pv = calloc(1, sizeof(*pv));

	if (!pv)
		return NULL;
	pv->container.fd = -1;
	pv->mem = env->mem;
	vfio_pci_machine_init(&pv->machine, env->vm_fd, env->pci, env->pio, env->mmio, env->res, env->routing, env->report,
			      LAYOUT_HIGH_RAM + env->mem->high_size);
	pv->machine.master_changed = env->master_changed;
	pv->machine.owner = env->owner;
	return pv;
}

int passthru_vm_attach(const struct server_config *cfg, const struct passthru_vm_env *env, struct passthru_vm **out,
		       char *err, size_t errlen)
{
	struct passthru_vm *pv;
	int ret;

	*out = NULL;
	pv = passthru_vm_new(env);
	if (!pv)
		return -ENOMEM;
	ret = vfio_container_open(&pv->container);
	if (ret < 0 && cfg->n_devices == 0) {
		/* No VFIO on this host: nothing to hot-plug either. */
		free(pv);
		return 0;
	}
	if (ret < 0)
		snprintf(err, errlen, "/dev/vfio/vfio: %s", strerror(-ret));
	for (unsigned int i = 0; ret == 0 && i < cfg->n_devices && i < SERVER_MAX_DEVICES; i++) {
		int number = passthru_vm_group_number(cfg->devices[i].pci);

		ret = number < 0 ? number : passthru_vm_add(pv, cfg->devices[i].pci, number, -1, FIRST_GUEST_SLOT + i,
							    err, errlen);
		if (number < 0)
			snprintf(err, errlen, "device %s: IOMMU group: %s", cfg->devices[i].pci, strerror(-number));
	}
	if (ret == 0 && pv->n_groups && (ret = passthru_vm_map_ram(pv)) < 0)
		snprintf(err, errlen, "mapping guest memory for DMA: %s", strerror(-ret));
	if (ret < 0) {
		passthru_vm_detach(pv);
		return ret;
	}
	*out = pv;
	return 0;
}

int passthru_vm_hot_add(struct passthru_vm *pv, const char *bdf, int group_number, int group_fd, unsigned int slot,
			char *err, size_t errlen)
{
	int ret;

	if (!pv) {
		if (group_fd >= 0)
			close(group_fd);
		snprintf(err, errlen, "device %s: this host has no VFIO (/dev/vfio/vfio) for the server", bdf);
		return -ENODEV;
	}
	if (passthru_vm_find_slot(pv, bdf) >= 0) {
		if (group_fd >= 0)
			close(group_fd);
		snprintf(err, errlen, "device %s: the server already holds it", bdf);
		return -EEXIST;
	}
	ret = passthru_vm_add(pv, bdf, group_number, group_fd, slot, err, errlen);
	if (ret == 0 && (ret = passthru_vm_map_ram(pv)) < 0) {
		snprintf(err, errlen, "device %s: mapping guest memory for DMA: %s", bdf, strerror(-ret));
		passthru_vm_hot_remove(pv, bdf);
	}
	return ret;
}

static const struct vfio_pci_device *passthru_vm_device(const struct passthru_vm *pv, const char *bdf)
{
	for (unsigned int i = 0; pv && i < pv->n_devices; i++)
		if (strcmp(vfio_pci_bdf(pv->devices[i]), bdf) == 0)
			return pv->devices[i];
	return NULL;
}

int passthru_vm_find_slot(const struct passthru_vm *pv, const char *bdf)
{
	const struct vfio_pci_device *device = passthru_vm_device(pv, bdf);

	return device ? (int)vfio_pci_slot(device) : -ENOENT;
}

bool passthru_vm_bus_master(const struct passthru_vm *pv, const char *bdf)
{
	const struct vfio_pci_device *device = passthru_vm_device(pv, bdf);

	return device && vfio_pci_bus_master(device);
}

int passthru_vm_hot_remove(struct passthru_vm *pv, const char *bdf)
{
	for (unsigned int i = 0; pv && i < pv->n_devices; i++) {
		int g = pv->device_group[i];

		if (strcmp(vfio_pci_bdf(pv->devices[i]), bdf) != 0)
			continue;
		vfio_pci_destroy(pv->devices[i]);
		pv->n_devices--;
		pv->devices[i] = pv->devices[pv->n_devices];
		pv->device_group[i] = pv->device_group[pv->n_devices];
		passthru_vm_drop_group(pv, g);
		return 0;
	}
	return -ENOENT;
}

void passthru_vm_detach(struct passthru_vm *pv)
{
	if (!pv)
		return;
	for (unsigned int i = pv->n_devices; i-- > 0;)
		vfio_pci_destroy(pv->devices[i]);
	for (unsigned int i = pv->n_groups; i-- > 0;)
		vfio_group_detach(&pv->groups[i]);
	vfio_container_close(&pv->container);
	free(pv);
}
