/*
 * The virtio-pci transport as a hostile guest drives it: any access to BAR 0
 * and to the PCI configuration space, in any order, then a hostile saved
 * state restored into it. The backend is a stub that counts starts and stops:
 * they must pair, and a restore that fails must change nothing.
 */
#include <linux/virtio_config.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/kvm/irq_routing.h"
#include "vmm/machine/bus.h"
#include "vmm/machine/resources.h"
#include "vmm/virtio/virtio_pci.h"

struct stub {
	int running;
};

static uint32_t stub_config(void *owner, unsigned int offset, unsigned int size)
{
	(void)owner;
	return offset < 12 && size <= 4 ? 0x5a : 0;
}

static int stub_start(void *owner)
{
	struct stub *stub = owner;

	if (stub->running)
		abort();	/* started twice without a stop */
	stub->running = 1;
	return 0;
}

static void stub_stop(void *owner)
{
	struct stub *stub = owner;

	if (!stub->running)
		abort();	/* stopped without a start */
	stub->running = 0;
}

static const struct virtio_pci_ops stub_ops = { stub_config, stub_start, stub_stop };

static void guest_access(struct virtio_pci *vp, struct fuzz_input *in)
{
	unsigned int kind = (unsigned int)fuzz_take(in, 1) % 3;

	if (kind == 0) {
		uint64_t offset = fuzz_take(in, 2) % VIRTIO_PCI_BAR_SIZE;
		unsigned int size = fuzz_access_size(in, 8);

		if (fuzz_take(in, 1) & 1)
			virtio_pci_bar_ops.write(vp, offset, size, fuzz_take(in, 8));
		else
			virtio_pci_bar_ops.read(vp, offset, size);
	} else {
		struct pci_device *fn = &vp->function;
		unsigned int size = fuzz_access_size(in, 4), reg = (unsigned int)fuzz_take(in, 2) % PCI_CONFIG_SIZE;
		uint32_t value = (uint32_t)fuzz_take(in, 4);

		reg -= reg % size;
		for (unsigned int i = 0; i < size; i++)
			fn->config[reg + i] = (fn->config[reg + i] & ~fn->writable[reg + i]) |
					      ((value >> (8 * i)) & fn->writable[reg + i]);
		fn->written(fn->owner, reg, size);
	}
}

/* A state built from the input: restored whole or not at all. */
static void hostile_restore(struct virtio_pci *vp, struct fuzz_input *in)
{
	struct virtio_pci_regs before = vp->regs;
	size_t len = fuzz_left(in) < 512 ? fuzz_left(in) : 512;
	struct state_reader r;

	state_reader_init(&r, in->data, len);
	if (virtio_pci_restore(vp, &r) < 0 && memcmp(&before, &vp->regs, sizeof(before)) != 0) {
		fprintf(stderr, "fuzz_virtio_pci: a refused state changed the registers\n");
		abort();
	}
	fuzz_take(in, len);
	virtio_pci_resync(vp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct resources res;
	struct irq_routing routing;
	struct stub stub = { 0 };
	struct virtio_pci vp;
	struct bus mmio;
	unsigned int accesses = (unsigned int)fuzz_take(&in, 1) * 4;

	bus_init(&mmio, "mmio", &lock);
	resources_init(&res, 32, IRQ_ROUTING_GSI_LIMIT);
	irq_routing_init(&routing, -1, &res);
	const struct virtio_pci_env env = { -1, &mmio, &routing, &res, 1ULL << 32 };
	if (virtio_pci_init(&vp, &env, 1, 0x0200, (1ULL << 5) | (1ULL << 16), 2, &stub_ops, &stub) < 0)
		return 0;
	for (unsigned int i = 0; i < accesses && fuzz_left(&in) > 0; i++)
		guest_access(&vp, &in);
	if (fuzz_take(&in, 1) & 1)
		hostile_restore(&vp, &in);
	while (fuzz_left(&in) > 0)
		guest_access(&vp, &in);
	virtio_pci_destroy(&vp);
	if (stub.running)
		abort();	/* destroyed with the backend still running */
	return 0;
}
