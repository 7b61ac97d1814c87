/*
 * The guest's PCI configuration accesses, as a hostile guest makes them:
 * 0xcf8/0xcfc port accesses of any size at any port offset, and ECAM
 * accesses anywhere in the window, through the real bus dispatch.
 */
#include "tests/fuzz/fuzz_input.h"
#include "vmm/machine/layout.h"
#include "vmm/devices/pci_bus.h"

static void access(struct bus *bus, struct fuzz_input *in, uint64_t base, uint64_t span)
{
	uint64_t addr = base + fuzz_take(in, 4) % span;
	unsigned int size = fuzz_access_size(in, 8);
	uint64_t value = fuzz_take(in, 8);
	uint8_t data[8];

	memcpy(data, &value, sizeof(data));
	bus_access(bus, addr, data, size, fuzz_take(in, 1) & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct bus pio, mmio;
	struct pci_bus pci;

	pci_bus_init(&pci);
	bus_init(&pio, "pio", &lock);
	bus_init(&mmio, "mmio", &lock);
	bus_register(&pio, 0xcf8, 8, &pci_port_ops, &pci, "pci");
	bus_register(&mmio, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, &pci_ecam_ops, &pci, "ecam");
	while (fuzz_left(&in) > 0) {
		if (fuzz_take(&in, 1) & 1)
			access(&pio, &in, 0xcf8 - 8, 24);
		else
			access(&mmio, &in, LAYOUT_ECAM - 16, LAYOUT_ECAM_SIZE + 32);
	}
	return 0;
}
