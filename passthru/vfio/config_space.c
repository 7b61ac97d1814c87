#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "passthru/vfio/config_space.h"

#define LEGACY_CONFIG_SIZE 256
#define CAP_CHAIN_MAX 48	/* a looping chain is cut after this many */
#define PM_CAP_LEN 8
#define PCIE_CAP_LEN 0x3c

uint32_t config_space_get(const struct config_space *cs, unsigned int reg, unsigned int size)
{
	uint32_t value = 0;

	for (unsigned int i = 0; i < size && reg + i < CONFIG_SPACE_SIZE; i++)
		value |= (uint32_t)cs->shadow[reg + i] << (8 * i);
	return value;
}

static void set_virtual(struct config_space *cs, unsigned int reg, unsigned int len, uint32_t writable)
{
	for (unsigned int i = 0; i < len && reg + i < CONFIG_SPACE_SIZE; i++) {
		cs->is_virtual[reg + i] = true;
		cs->writable[reg + i] = writable >> (8 * (i % 4));
	}
}

static void put(struct config_space *cs, unsigned int reg, unsigned int size, uint32_t value)
{
	for (unsigned int i = 0; i < size && reg + i < CONFIG_SPACE_SIZE; i++)
		cs->shadow[reg + i] = value >> (8 * i);
}

static uint64_t round_up_pow2(uint64_t size)
{
	uint64_t pow2 = 1;

	while (pow2 < size && pow2 << 1)
		pow2 <<= 1;
	return pow2;
}

/* Address bits the guest may write: the sizing answer is what is left of all ones. */
static void init_bar(struct config_space *cs, unsigned int bar, uint64_t size)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t raw = config_space_get(cs, reg, 4);
	struct config_bar *b = &cs->bars[bar];

	uint64_t min_size;

	b->io = raw & PCI_BASE_ADDRESS_SPACE_IO;
	min_size = b->io ? 4 : 16;
	b->size = round_up_pow2(size < min_size ? min_size : size);
	if (b->io) {
		put(cs, reg, 4, PCI_BASE_ADDRESS_SPACE_IO);
		set_virtual(cs, reg, 4, (uint32_t)~(b->size - 1) & PCI_BASE_ADDRESS_IO_MASK);
		return;
	}
	b->is_64bit = (raw & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && bar + 1 < CONFIG_BARS;
	put(cs, reg, 4, raw & ~PCI_BASE_ADDRESS_MEM_MASK);
	set_virtual(cs, reg, 4, (uint32_t)~(b->size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	if (b->is_64bit) {
		put(cs, reg + 4, 4, 0);
		set_virtual(cs, reg + 4, 4, (uint32_t)(~(b->size - 1) >> 32));
	}
}

static void init_bars(struct config_space *cs, const uint64_t bar_sizes[CONFIG_BARS])
{
	for (unsigned int bar = 0; bar < CONFIG_BARS; bar++) {
		set_virtual(cs, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0);
		if (bar > 0 && cs->bars[bar - 1].is_64bit) {
			put(cs, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0);
			set_virtual(cs, PCI_BASE_ADDRESS_0 + 4 * bar, 4, (uint32_t)(~(cs->bars[bar - 1].size - 1) >> 32));
			continue;
		}
		if (bar_sizes[bar] == 0) {
			put(cs, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0);
			continue;
		}
		init_bar(cs, bar, bar_sizes[bar]);
	}
}

/* One vector, no per-vector masking: all sheer needs to route MSI through KVM. */
static void init_msi(struct config_space *cs, unsigned int cap)
{
	uint16_t control = config_space_get(cs, cap + PCI_MSI_FLAGS, 2);
	bool is_64bit = control & PCI_MSI_FLAGS_64BIT;
	unsigned int data_reg = cap + (is_64bit ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);

	cs->msi_cap = cap;
	put(cs, cap + PCI_MSI_FLAGS, 2, control & PCI_MSI_FLAGS_64BIT);
	set_virtual(cs, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	set_virtual(cs, cap + PCI_MSI_ADDRESS_LO, 4, 0xfffffffc);
	if (is_64bit)
		set_virtual(cs, cap + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
	set_virtual(cs, data_reg, 2, 0xffff);
}

static void init_msix(struct config_space *cs, unsigned int cap)
{
	uint16_t control = config_space_get(cs, cap + PCI_MSIX_FLAGS, 2);

	cs->msix_cap = cap;
	put(cs, cap + PCI_MSIX_FLAGS, 2, control & PCI_MSIX_FLAGS_QSIZE);
	set_virtual(cs, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	set_virtual(cs, cap + PCI_MSIX_TABLE, 8, 0);
}

static bool capability_is_kept(uint8_t id)
{
	return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_MSI || id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_EXP;
}

/* Where the capability at cap must end: its nominal length, cut at the next capability. */
static unsigned int capability_end(const bool *is_cap, unsigned int cap, unsigned int len)
{
	unsigned int end = cap + len < LEGACY_CONFIG_SIZE ? cap + len : LEGACY_CONFIG_SIZE;

	for (unsigned int reg = cap + 1; reg < end; reg++)
		if (is_cap[reg])
			return reg;
	return end;
}

/* The device keeps the body of PM and PCI Express; VFIO already virtualises what matters there. */
static void keep_capability(struct config_space *cs, const bool *is_cap, unsigned int cap)
{
	uint8_t id = cs->shadow[cap + PCI_CAP_LIST_ID];
	unsigned int end = capability_end(is_cap, cap, id == PCI_CAP_ID_PM ? PM_CAP_LEN : PCIE_CAP_LEN);

	if (id == PCI_CAP_ID_MSI)
		init_msi(cs, cap);
	else if (id == PCI_CAP_ID_MSIX)
		init_msix(cs, cap);
	else
		for (unsigned int reg = cap + 2; reg < end; reg++)
			cs->is_virtual[reg] = false;
}

/* The chain as the device has it, each capability once, at most CAP_CHAIN_MAX of them. */
static unsigned int capability_walk(const struct config_space *cs, unsigned int len, uint8_t *caps, bool *is_cap)
{
	unsigned int cap = cs->shadow[PCI_CAPABILITY_LIST] & ~3u, n = 0;

	if (!(config_space_get(cs, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	while (n < CAP_CHAIN_MAX && cap >= PCI_STD_HEADER_SIZEOF && cap + 2 <= LEGACY_CONFIG_SIZE && cap + 2 <= len &&
	       !is_cap[cap]) {
		is_cap[cap] = true;
		caps[n++] = cap;
		cap = cs->shadow[cap + PCI_CAP_LIST_NEXT] & ~3u;
	}
	return n;
}

/* Relink the chain over the kept capabilities; the others stay in the shadow, unreachable. */
static void init_capabilities(struct config_space *cs, unsigned int len)
{
	bool is_cap[LEGACY_CONFIG_SIZE] = { false };
	uint8_t caps[CAP_CHAIN_MAX], *link = &cs->shadow[PCI_CAPABILITY_LIST];
	unsigned int n = capability_walk(cs, len, caps, is_cap);

	set_virtual(cs, PCI_CAPABILITY_LIST, 1, 0);
	set_virtual(cs, PCI_STD_HEADER_SIZEOF, LEGACY_CONFIG_SIZE - PCI_STD_HEADER_SIZEOF, 0);
	*link = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (!capability_is_kept(cs->shadow[caps[i] + PCI_CAP_LIST_ID]))
			continue;
		*link = caps[i];
		link = &cs->shadow[caps[i] + PCI_CAP_LIST_NEXT];
		*link = 0;
		keep_capability(cs, is_cap, caps[i]);
	}
}

int config_space_init(struct config_space *cs, const uint8_t *raw, unsigned int len,
		      const uint64_t bar_sizes[CONFIG_BARS])
{
	memset(cs, 0, sizeof(*cs));
	if (len < PCI_STD_HEADER_SIZEOF || len > CONFIG_SPACE_SIZE)
		return -EINVAL;
	memcpy(cs->shadow, raw, len);
	if ((cs->shadow[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	/* Everything past what the device has, and all extended capabilities, read as zero. */
	memset(cs->shadow + LEGACY_CONFIG_SIZE, 0, CONFIG_SPACE_SIZE - LEGACY_CONFIG_SIZE);
	set_virtual(cs, LEGACY_CONFIG_SIZE, CONFIG_SPACE_SIZE - LEGACY_CONFIG_SIZE, 0);
	init_bars(cs, bar_sizes);
	put(cs, PCI_ROM_ADDRESS, 4, 0);
	set_virtual(cs, PCI_ROM_ADDRESS, 4, 0);
	set_virtual(cs, PCI_INTERRUPT_LINE, 1, 0xff);
	init_capabilities(cs, len);
	return 0;
}

bool config_space_access_ok(unsigned int reg, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) && reg < CONFIG_SPACE_SIZE && reg % 4 + size <= 4;
}

unsigned int config_space_device_bytes(const struct config_space *cs, unsigned int reg, unsigned int size)
{
	unsigned int mask = 0;

	if (!config_space_access_ok(reg, size))
		return 0;
	for (unsigned int i = 0; i < size; i++)
		if (!cs->is_virtual[reg + i])
			mask |= 1u << i;
	return mask;
}

uint32_t config_space_read(const struct config_space *cs, unsigned int reg, unsigned int size,
			   uint32_t device_value)
{
	uint32_t value = 0;

	if (!config_space_access_ok(reg, size))
		return ~0u;
	for (unsigned int i = 0; i < size; i++) {
		uint8_t byte = cs->is_virtual[reg + i] ? cs->shadow[reg + i] : device_value >> (8 * i);

		value |= (uint32_t)byte << (8 * i);
	}
	return value;
}

void config_space_write(struct config_space *cs, unsigned int reg, unsigned int size, uint32_t value)
{
	if (!config_space_access_ok(reg, size))
		return;
	for (unsigned int i = 0; i < size; i++) {
		uint8_t mask = cs->is_virtual[reg + i] ? cs->writable[reg + i] : 0;

		cs->shadow[reg + i] = (cs->shadow[reg + i] & ~mask) | ((value >> (8 * i)) & mask);
	}
}

uint64_t config_space_bar_address(const struct config_space *cs, unsigned int bar)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t address;

	if (bar >= CONFIG_BARS || cs->bars[bar].size == 0)
		return 0;
	if (cs->bars[bar].io)
		return config_space_get(cs, reg, 4) & PCI_BASE_ADDRESS_IO_MASK;
	address = config_space_get(cs, reg, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	if (cs->bars[bar].is_64bit)
		address |= (uint64_t)config_space_get(cs, reg + 4, 4) << 32;
	return address;
}

void config_space_set_bar_address(struct config_space *cs, unsigned int bar, uint64_t address)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;

	if (bar >= CONFIG_BARS || cs->bars[bar].size == 0)
		return;
	config_space_write(cs, reg, 4, (uint32_t)address);
	if (cs->bars[bar].is_64bit)
		config_space_write(cs, reg + 4, 4, address >> 32);
}
