/*
 * The lab's stand-in for `sheer run` until it wires device assignment in:
 * claims devices for a server name through the passthru API, opens them
 * through VFIO, prints what happened as PASSTHRU: lines the host-devices
 * scenario checks, and gives the devices back (or holds them until killed).
 *
 *   passthru-driver NAME [--force] [--unsafe-interrupts] [--vfio] [--hold] BDF...
 *   passthru-driver --recover-stale     (what the next `sheer run` does first)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/pci_function.h"
#include "passthru/host/assign.h"
#include "passthru/vfio/vfio.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"

#define DMA_TEST_SIZE (2u << 20)

struct driver_options {
	bool vfio;
	bool hold;
};

static void print_drivers(const char *what, const struct passthru_claims *claims)
{
	struct host_fs fs;

	host_fs_init(&fs, NULL);
	for (unsigned int i = 0; i < claims->count; i++) {
		struct pci_function fn;

		if (pci_function_read(&fs, claims->claims[i].bdf, &fn) == 0)
			printf("PASSTHRU: %s %s driver %s\n", what, fn.bdf, fn.driver[0] ? fn.driver : "none");
	}
}

static int parse_args(int argc, char **argv, struct server_config *cfg, struct driver_options *options)
{
	int i = 2;

	memset(cfg, 0, sizeof(*cfg));
	if (argc < 3 || copy_string(cfg->name, sizeof(cfg->name), argv[1]) < 0)
		return -EINVAL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--unsafe-interrupts") == 0)
			cfg->allow_unsafe_interrupts = true;
		else if (strcmp(argv[i], "--vfio") == 0)
			options->vfio = true;
		else if (strcmp(argv[i], "--hold") == 0)
			options->hold = true;
		else if (strcmp(argv[i], "--force") != 0)
			return -EINVAL;
	}
	for (int arg = 2; arg < i; arg++)
		if (strcmp(argv[arg], "--force") == 0)
			for (unsigned int d = 0; d < SERVER_MAX_DEVICES; d++)
				cfg->devices[d].force = true;
	for (; i < argc && cfg->n_devices < SERVER_MAX_DEVICES; i++)
		if (copy_string(cfg->devices[cfg->n_devices++].pci, sizeof(cfg->devices[0].pci), argv[i]) < 0)
			return -EINVAL;
	return cfg->n_devices ? 0 : -EINVAL;
}

static void print_device(const struct vfio_device *device)
{
	struct vfio_region_info bar0, config;
	struct vfio_irq_info msix;

	printf("PASSTHRU: vfio %s regions %u irqs %u reset %s\n", device->bdf, device->info.num_regions,
	       device->info.num_irqs, device->info.flags & VFIO_DEVICE_FLAGS_RESET ? "yes" : "no");
	if (vfio_device_region(device, VFIO_PCI_BAR0_REGION_INDEX, &bar0) == 0)
		printf("PASSTHRU: vfio %s bar0 size 0x%llx\n", device->bdf, (unsigned long long)bar0.size);
	if (vfio_device_region(device, VFIO_PCI_CONFIG_REGION_INDEX, &config) == 0)
		printf("PASSTHRU: vfio %s config size 0x%llx\n", device->bdf, (unsigned long long)config.size);
	if (vfio_device_irq(device, VFIO_PCI_MSIX_IRQ_INDEX, &msix) == 0)
		printf("PASSTHRU: vfio %s msix vectors %u\n", device->bdf, msix.count);
}

/* One device through VFIO: its group into the container, the device opened, queried and reset. */
static int open_through_vfio(struct vfio_container *container, const char *bdf, struct vfio_group *group)
{
	struct vfio_device device;
	struct pci_function fn;
	struct host_fs fs;
	int ret;

	host_fs_init(&fs, NULL);
	ret = pci_function_read(&fs, bdf, &fn);
	if (ret == 0)
		ret = vfio_group_attach(container, fn.iommu_group, group);
	if (ret == 0)
		ret = vfio_device_open(group, bdf, &device);
	if (ret < 0)
		return ret;
	print_device(&device);
	ret = vfio_device_reset(&device);
	if (ret == -EOPNOTSUPP)
		printf("PASSTHRU: vfio %s warning: no reset method\n", bdf);
	else if (ret == 0)
		printf("PASSTHRU: vfio %s reset\n", bdf);
	vfio_device_close(&device);
	return ret == -EOPNOTSUPP ? 0 : ret;
}

/* Guest RAM stand-in: anonymous memory the devices may DMA to, mapped at IOVA 0 and unmapped. */
static int map_test_memory(struct vfio_container *container)
{
	void *memory = mmap(NULL, DMA_TEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (memory == MAP_FAILED)
		return -errno;
	ret = vfio_dma_map(container, 0, memory, DMA_TEST_SIZE);
	if (ret == 0) {
		printf("PASSTHRU: vfio dma map 0x%x bytes at iova 0\n", DMA_TEST_SIZE);
		ret = vfio_dma_unmap(container, 0, DMA_TEST_SIZE);
	}
	munmap(memory, DMA_TEST_SIZE);
	return ret;
}

static int exercise_vfio(const struct passthru_claims *claims)
{
	struct vfio_group groups[SERVER_MAX_DEVICES];
	struct vfio_container container;
	unsigned int attached = 0;
	int ret = vfio_container_open(&container);

	for (unsigned int i = 0; ret == 0 && i < claims->count; i++) {
		ret = open_through_vfio(&container, claims->claims[i].bdf, &groups[attached]);
		attached += ret == 0;
	}
	if (ret == 0)
		ret = map_test_memory(&container);
	while (attached > 0)
		vfio_group_detach(&groups[--attached]);
	vfio_container_close(&container);
	return ret;
}

static int recover_stale(void)
{
	char err[768];
	int ret = passthru_recover_stale(err, sizeof(err));

	if (ret < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_FAILURE;
	}
	printf("PASSTHRU: recovered %d stale claim(s)\n", ret);
	return SHEER_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct driver_options options = { false, false };
	struct passthru_claims claims, held;
	struct server_config cfg;
	char err[768];
	int ret;

	if (argc == 2 && strcmp(argv[1], "--recover-stale") == 0)
		return recover_stale();
	if (parse_args(argc, argv, &cfg, &options) < 0) {
		fprintf(stderr, "usage: passthru-driver NAME [--force] [--unsafe-interrupts] [--vfio] [--hold] BDF...\n");
		return SHEER_EXIT_USAGE;
	}
	ret = passthru_claim(&cfg, NULL, &claims, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return passthru_error_is_refusal(ret) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	print_drivers("claimed", &claims);
	if (options.vfio) {
		ret = exercise_vfio(&claims);
		printf("PASSTHRU: vfio %s%s\n", ret < 0 ? "failed: " : "ok", ret < 0 ? strerror(-ret) : "");
	}
	if (options.hold) {
		printf("PASSTHRU: holding pid %d\n", (int)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	held = claims;
	ret = passthru_release_all(&claims, err, sizeof(err));
	if (ret < 0)
		cli_error("%s", err);
	print_drivers("released", &held);
	return ret < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK;
}
