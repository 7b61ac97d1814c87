#include <errno.h>

#include <stdio.h>

#include "vmm/boot/dsdt.h"
#include "vmm/devices/pci_hotplug.h"
#include "vmm/devices/pm.h"
#include "vmm/machine/layout.h"

/* ACPI resource descriptors (ACPI 6.x, section 6.4), little endian. */
struct resource_buf {
	uint8_t bytes[256];
	size_t len;
};

static void res_put(struct resource_buf *r, uint64_t value, unsigned int size)
{
	for (unsigned int i = 0; i < size && r->len < sizeof(r->bytes); i++)
		r->bytes[r->len++] = value >> (8 * i);
}

static void res_io(struct resource_buf *r, uint16_t base, uint8_t len)
{
	res_put(r, 0x47, 1);	/* small item: I/O port, 16-bit decode */
	res_put(r, 1, 1);
	res_put(r, base, 2);
	res_put(r, base, 2);
	res_put(r, 1, 1);
	res_put(r, len, 1);
}

static void res_irq(struct resource_buf *r, unsigned int irq)
{
	res_put(r, 0x22, 1);	/* small item: IRQ, edge, active high */
	res_put(r, 1U << irq, 2);
}

enum { RES_MEMORY = 0, RES_IO = 1, RES_BUS = 2 };

static void res_word_range(struct resource_buf *r, unsigned int type, uint16_t min, uint16_t max)
{
	res_put(r, 0x88, 1);	/* large item: word address space */
	res_put(r, 13, 2);
	res_put(r, type, 1);
	res_put(r, 0x0c, 1);	/* producer, min and max fixed */
	res_put(r, type == RES_IO ? 3 : 0, 1);	/* I/O: entire ISA and non-ISA range */
	res_put(r, 0, 2);
	res_put(r, min, 2);
	res_put(r, max, 2);
	res_put(r, 0, 2);
	res_put(r, max - min + 1, 2);
}

static void res_dword_memory(struct resource_buf *r, uint32_t min, uint32_t max)
{
	res_put(r, 0x87, 1);	/* large item: dword address space */
	res_put(r, 23, 2);
	res_put(r, RES_MEMORY, 1);
	res_put(r, 0x0c, 1);
	res_put(r, 1, 1);	/* read-write, non-cacheable */
	res_put(r, 0, 4);
	res_put(r, min, 4);
	res_put(r, max, 4);
	res_put(r, 0, 4);
	res_put(r, max - min + 1, 4);
}

static void res_memory32_fixed(struct resource_buf *r, uint32_t base, uint32_t len)
{
	res_put(r, 0x86, 1);
	res_put(r, 9, 2);
	res_put(r, 1, 1);	/* read-write */
	res_put(r, base, 4);
	res_put(r, len, 4);
}

static void res_end(struct resource_buf *r)
{
	res_put(r, 0x79, 1);
	res_put(r, 0, 1);	/* zero checksum: "treat as correct" */
}

static void dsdt_resources(struct aml *aml, struct resource_buf *r)
{
	res_end(r);
	if (r->len == sizeof(r->bytes))
		aml->error = aml->error ? aml->error : -ENOSPC;
	aml_name(aml, "_CRS");
	aml_buffer(aml, r->bytes, r->len);
}

static void dsdt_pci_routing(struct aml *aml)
{
	size_t table = aml_package_open(aml, 31 * 4);

	for (unsigned int slot = 1; slot < 32; slot++)
		for (unsigned int pin = 0; pin < 4; pin++) {
			size_t entry = aml_package_open(aml, 4);

			aml_integer(aml, (uint64_t)slot << 16 | 0xffff);
			aml_integer(aml, pin);
			aml_integer(aml, 0);	/* no link device: a global GSI */
			aml_integer(aml, PCI_INTX_GSI(slot, pin));
			aml_close(aml, entry);
		}
	aml_close(aml, table);
}

static void slot_name(char name[5], unsigned int slot)
{
	snprintf(name, 5, "S%03u", slot);
}

/* A slot acpiphp manages: its address, its number, and _EJ0 telling sheer the guest let go. */
static void dsdt_hotplug_slot(struct aml *aml, unsigned int slot)
{
	char name[5];
	size_t dev, method;

	slot_name(name, slot);
	dev = aml_device_open(aml, name);
	aml_name(aml, "_ADR");
	aml_integer(aml, (uint64_t)slot << 16);
	aml_name(aml, "_SUN");
	aml_integer(aml, slot);
	method = aml_method_open(aml, "_EJ0", 1);
	aml_store(aml);
	aml_integer(aml, 1U << slot);
	aml_name_string(aml, "PCEJ");
	aml_close(aml, method);
	aml_close(aml, dev);
}

/* If (And(Local<local>, 1 << slot)) { Notify(Sxxx, value) } */
static void dsdt_notify_if(struct aml *aml, unsigned int local, unsigned int slot, unsigned int value)
{
	size_t cond = aml_if_open(aml);
	char name[5];

	aml_and(aml);
	aml_local(aml, local);
	aml_integer(aml, 1U << slot);
	aml_null_target(aml);
	slot_name(name, slot);
	aml_notify(aml);
	aml_name_string(aml, name);
	aml_integer(aml, value);
	aml_close(aml, cond);
}

/*
 * The hotplug register block (vmm/devices/pci_hotplug.h), a slot device per
 * hot-pluggable slot, and PCNT, which \_GPE._E01 runs: device check (1) for
 * each slot in PCUP, eject request (3) for each in PCDN.
 */
static void dsdt_pci_hotplug(struct aml *aml, uint32_t slots)
{
	static const char *const fields[] = { "PCUP", "PCDN", "PCEJ" };
	size_t method;

	aml_io_region(aml, "PCHP", PORT_PCI_HOTPLUG, PCI_HOTPLUG_PORTS);
	aml_dword_fields(aml, "PCHP", fields, 3);
	for (unsigned int slot = 1; slot < 32; slot++)
		if (slots & (1U << slot))
			dsdt_hotplug_slot(aml, slot);
	method = aml_method_open(aml, "PCNT", 0);
	aml_store(aml);
	aml_name_string(aml, "PCUP");
	aml_local(aml, 0);
	aml_store(aml);
	aml_name_string(aml, "PCDN");
	aml_local(aml, 1);
	for (unsigned int slot = 1; slot < 32; slot++)
		if (slots & (1U << slot)) {
			dsdt_notify_if(aml, 0, slot, 1);
			dsdt_notify_if(aml, 1, slot, 3);
		}
	aml_close(aml, method);
}

static void dsdt_gpe(struct aml *aml)
{
	size_t scope = aml_scope_open(aml, "\\_GPE"), method;
	char name[5];

	snprintf(name, sizeof(name), "_E%02X", GPE_PCI_HOTPLUG);
	method = aml_method_open(aml, name, 0);
	aml_name_string(aml, "\\_SB_.PCI0.PCNT");
	aml_close(aml, method);
	aml_close(aml, scope);
}

static void dsdt_pci_root(struct aml *aml, const struct acpi_config *cfg)
{
	size_t dev = aml_device_open(aml, "PCI0");
	struct resource_buf r = { .len = 0 };
	unsigned int last_bus = cfg->ecam_size / MiB - 1;

	aml_name(aml, "_HID");
	aml_eisa_id(aml, "PNP0A08");
	aml_name(aml, "_CID");
	aml_eisa_id(aml, "PNP0A03");
	aml_name(aml, "_UID");
	aml_integer(aml, 0);
	aml_name(aml, "_SEG");
	aml_integer(aml, 0);
	aml_name(aml, "_BBN");
	aml_integer(aml, 0);
	res_word_range(&r, RES_BUS, 0, last_bus);
	res_io(&r, PORT_PCI_CONFIG, 8);
	res_word_range(&r, RES_IO, 0, PORT_PCI_CONFIG - 1);
	res_word_range(&r, RES_IO, PORT_PCI_CONFIG + 8, 0xffff);
	res_dword_memory(&r, LAYOUT_PCI_MMIO, LAYOUT_PCI_MMIO_END - 1);
	dsdt_resources(aml, &r);
	aml_name(aml, "_PRT");
	dsdt_pci_routing(aml);
	if (cfg->hotplug_slots)
		dsdt_pci_hotplug(aml, cfg->hotplug_slots);
	aml_close(aml, dev);
}

/* A legacy ISA device: one I/O range and one interrupt; uid < 0 means no _UID. */
static void dsdt_isa_device(struct aml *aml, const char *name, const char *eisa_id, int uid, uint16_t port,
			    uint8_t ports, uint8_t irq)
{
	size_t dev = aml_device_open(aml, name);
	struct resource_buf r = { .len = 0 };

	aml_name(aml, "_HID");
	aml_eisa_id(aml, eisa_id);
	if (uid >= 0) {
		aml_name(aml, "_UID");
		aml_integer(aml, (uint64_t)uid);
	}
	res_io(&r, port, ports);
	res_irq(&r, irq);
	dsdt_resources(aml, &r);
	aml_close(aml, dev);
}

/* Reserving ECAM here is what makes Linux trust MCFG ("MMCONFIG ... reserved in ACPI"). */
static void dsdt_motherboard(struct aml *aml, const struct acpi_config *cfg)
{
	size_t dev = aml_device_open(aml, "MBRD");
	struct resource_buf r = { .len = 0 };

	aml_name(aml, "_HID");
	aml_eisa_id(aml, "PNP0C02");
	aml_name(aml, "_UID");
	aml_integer(aml, 0);
	res_memory32_fixed(&r, cfg->ecam_base, cfg->ecam_size);
	res_io(&r, PORT_PM_BASE, 16);
	res_io(&r, PORT_PCI_HOTPLUG, PCI_HOTPLUG_PORTS);
	dsdt_resources(aml, &r);
	aml_close(aml, dev);
}

static void dsdt_sleep_states(struct aml *aml)
{
	size_t pkg;

	aml_name(aml, "\\_S5");
	pkg = aml_package_open(aml, 4);
	aml_integer(aml, ACPI_SLP_TYP_S5);	/* PM1a_CNT.SLP_TYP */
	aml_integer(aml, ACPI_SLP_TYP_S5);	/* PM1b_CNT.SLP_TYP (no PM1b block) */
	aml_integer(aml, 0);
	aml_integer(aml, 0);
	aml_close(aml, pkg);
}

void dsdt_build(struct aml *aml, const struct acpi_config *cfg)
{
	size_t sb = aml_scope_open(aml, "\\_SB");

	dsdt_pci_root(aml, cfg);
	dsdt_isa_device(aml, "COM1", "PNP0501", 1, PORT_COM1, 8, IRQ_COM1);
	dsdt_isa_device(aml, "RTC", "PNP0B00", -1, PORT_RTC, 2, IRQ_RTC);
	dsdt_motherboard(aml, cfg);
	aml_close(aml, sb);
	if (cfg->hotplug_slots)
		dsdt_gpe(aml);
	dsdt_sleep_states(aml);
}
