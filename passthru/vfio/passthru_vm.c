#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/pci_function.h"
#include "passthru/vfio/passthru_vm.h"
#include "passthru/vfio/vfio_pci.h"
#include "vmm/machine/layout.h"
#include "vmm/kvm/memory.h"
#include "vmm/lib/clock.h"

#define FIRST_GUEST_SLOT 2

struct passthru_vm {
	struct vfio_container container;
	unsigned int n_groups;
	struct vfio_group groups[SERVER_MAX_DEVICES];
	unsigned int n_devices;
	struct vfio_pci_device *devices[SERVER_MAX_DEVICES];
	struct vfio_pci_machine machine;
	uint64_t dma_map_ns;	/* how long mapping guest RAM for DMA took */
};

/* A group holding several of the server's devices goes into the container once. */
static int passthru_vm_group(struct passthru_vm *pv, const char *bdf, struct vfio_group **group)
{
	struct pci_function fn;
	struct host_fs fs;
	int ret;

	host_fs_init(&fs, NULL);
	ret = pci_function_read(&fs, bdf, &fn);
	if (ret < 0)
		return ret;
	if (fn.iommu_group < 0)
		return -ENODEV;
	for (unsigned int i = 0; i < pv->n_groups; i++)
		if (pv->groups[i].number == fn.iommu_group) {
			*group = &pv->groups[i];
			return 0;
		}
	ret = vfio_group_attach(&pv->container, fn.iommu_group, &pv->groups[pv->n_groups]);
	if (ret == 0)
		*group = &pv->groups[pv->n_groups++];
	return ret;
}

/* Pins and maps all guest RAM: the cost grows with memory size, so it is measured for operators. */
static int passthru_vm_map_ram(struct passthru_vm *pv, const struct guest_memory *mem)
{
	uint64_t start = clock_monotonic_ns();
	int ret = vfio_dma_map(&pv->container, 0, mem->host, mem->low_size);

	if (ret == 0 && mem->high_size)
		ret = vfio_dma_map(&pv->container, LAYOUT_HIGH_RAM, mem->host + mem->low_size, mem->high_size);
	pv->dma_map_ns = clock_monotonic_ns() - start;
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

static int passthru_vm_add(struct passthru_vm *pv, const char *bdf, char *err, size_t errlen)
{
	struct vfio_group *group = NULL;
	int ret = passthru_vm_group(pv, bdf, &group);

	if (ret < 0) {
		snprintf(err, errlen, "device %s: VFIO group: %s", bdf, strerror(-ret));
		return ret;
	}
	char why[200] = "";

	ret = vfio_pci_create(&pv->machine, group, bdf, FIRST_GUEST_SLOT + pv->n_devices, &pv->devices[pv->n_devices],
			      why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "device %s: %s", bdf, why[0] ? why : strerror(-ret));
		return ret;
	}
	pv->n_devices++;
	return 0;
}

int passthru_vm_attach(const struct server_config *cfg, const struct passthru_vm_env *env, struct passthru_vm **out,
		       char *err, size_t errlen)
{
	struct passthru_vm *pv;
	int ret;

	*out = NULL;
	if (cfg->n_devices == 0)
		return 0;
	pv = calloc(1, sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	vfio_pci_machine_init(&pv->machine, env->vm_fd, env->pci, env->pio, env->mmio, env->res, env->report,
			      LAYOUT_HIGH_RAM + env->mem->high_size);
	ret = vfio_container_open(&pv->container);
	if (ret < 0)
		snprintf(err, errlen, "/dev/vfio/vfio: %s", strerror(-ret));
	for (unsigned int i = 0; ret == 0 && i < cfg->n_devices && i < SERVER_MAX_DEVICES; i++)
		ret = passthru_vm_add(pv, cfg->devices[i].pci, err, errlen);
	if (ret == 0 && (ret = passthru_vm_map_ram(pv, env->mem)) < 0)
		snprintf(err, errlen, "mapping guest memory for DMA: %s", strerror(-ret));
	if (ret < 0) {
		passthru_vm_detach(pv);
		return ret;
	}
	*out = pv;
	return 0;
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
