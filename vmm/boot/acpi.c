#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/boot/acpi.h"
#include "vmm/boot/dsdt.h"
#include "vmm/machine/layout.h"

/* Table layouts from the ACPI 6.4 specification, chapter 5. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;	/* of the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[31];
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, ioapic_id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct mcfg_allocation {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));

#define FADT_WBINVD		(1U << 0)
#define FADT_SLP_BUTTON		(1U << 5)	/* set: no fixed sleep button */
#define FADT_RESET_REG_SUP	(1U << 10)
#define BOOT_ARCH_VGA_ABSENT	(1U << 2)	/* and no 8042 bit: Linux skips the i8042 probe */
#define MADT_PCAT_COMPAT	1
#define MADT_LEVEL_ACTIVE_HIGH	0x000d
#define GAS_SYSTEM_IO		1
#define CMOS_CENTURY		0x32
#define RESET_CONTROL_RESET	0x06		/* SYS_RST | RST_CPU */

/* A cursor over the table area; every table starts aligned and is checksummed when closed. */
struct acpi_area {
	uint8_t *base;
	uint64_t gpa;
	size_t size;
	size_t used;
	bool overflow;
	struct acpi_links *links;	/* NULL: addresses are final */
};

static void *area_alloc(struct acpi_area *a, size_t len, size_t align)
{
	size_t at = (a->used + align - 1) & ~(align - 1);

	if (at > a->size || len > a->size - at) {
		a->overflow = true;
		return NULL;
	}
	a->used = at + len;
	memset(a->base + at, 0, len);
	return a->base + at;
}

static uint64_t area_address(const struct acpi_area *a, const void *p)
{
	return p ? a->gpa + ((const uint8_t *)p - a->base) : 0;
}

static void area_note_pointer(struct acpi_area *a, const void *field, uint8_t size)
{
	struct acpi_links *l = a->links;

	if (!l || l->n_pointers == ACPI_LINKS_MAX) {
		a->overflow |= l != NULL;
		return;
	}
	l->pointers[l->n_pointers++] = (struct acpi_pointer){ (const uint8_t *)field - a->base, size };
}

static void area_note_checksum(struct acpi_area *a, const void *start, const uint8_t *checksum, uint32_t length)
{
	struct acpi_links *l = a->links;

	if (!l || l->n_checksums == ACPI_LINKS_MAX) {
		a->overflow |= l != NULL;
		return;
	}
	l->checksums[l->n_checksums++] =
		(struct acpi_checksum_range){ checksum - a->base, (const uint8_t *)start - a->base, length };
}

/* Point a 32- or 64-bit field at a table of the area. */
static void area_link(struct acpi_area *a, void *field, uint8_t size, const void *target)
{
	uint64_t address = area_address(a, target);

	memcpy(field, &address, size);
	area_note_pointer(a, field, size);
}

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void header_init(struct acpi_header *h, const char *signature, uint32_t length, uint8_t revision)
{
	memcpy(h->signature, signature, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, "SHEER ", 6);
	memcpy(h->oem_table_id, "SHEERVM ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "SHRV", 4);
	h->creator_revision = 1;
}

static void header_seal(struct acpi_area *a, struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
	area_note_checksum(a, h, &h->checksum, h->length);
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes)
{
	/* access_size: 1 byte, 2 word, 3 dword */
	return (struct acpi_gas){ GAS_SYSTEM_IO, 8 * bytes, 0, bytes == 4 ? 3 : bytes, port };
}

static struct acpi_header *build_dsdt(struct acpi_area *a, const struct acpi_config *cfg)
{
	struct acpi_header *h;
	struct aml aml;

	aml_init(&aml);
	dsdt_build(&aml, cfg);
	if (aml_finish(&aml) < 0) {
		aml_free(&aml);
		return NULL;
	}
	h = area_alloc(a, sizeof(*h) + aml.len, 16);
	if (h) {
		header_init(h, "DSDT", sizeof(*h) + aml.len, 2);
		memcpy(h + 1, aml.buf, aml.len);
		header_seal(a, h);
	}
	aml_free(&aml);
	return h;
}

static struct acpi_fadt *build_fadt(struct acpi_area *a, const void *dsdt, const void *facs)
{
	struct acpi_fadt *f = area_alloc(a, sizeof(*f), 16);

	if (!f)
		return NULL;
	header_init(&f->header, "FACP", sizeof(*f), 6);
	/* Only the 64-bit pointer: with both set, Linux lists the FACS twice. */
	area_link(a, &f->x_firmware_ctrl, 8, facs);
	area_link(a, &f->dsdt, 4, dsdt);
	area_link(a, &f->x_dsdt, 8, dsdt);
	f->sci_int = IRQ_SCI;
	f->smi_cmd = 0;		/* no SMM: the machine is always in ACPI mode */
	f->pm1a_evt_blk = PORT_PM1_EVT;
	f->pm1a_cnt_blk = PORT_PM1_CNT;
	f->pm_tmr_blk = PORT_PM_TMR;
	f->gpe0_blk = PORT_PM_GPE0;
	f->gpe0_blk_len = 4;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	f->p_lvl2_lat = 101;	/* > 100: C2 not supported */
	f->p_lvl3_lat = 1001;	/* > 1000: C3 not supported */
	f->century = CMOS_CENTURY;
	f->iapc_boot_arch = BOOT_ARCH_VGA_ABSENT;
	f->flags = FADT_WBINVD | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	f->reset_reg = gas_io(PORT_RESET_CONTROL, 1);
	f->reset_value = RESET_CONTROL_RESET;
	f->x_pm1a_evt_blk = gas_io(PORT_PM1_EVT, 4);
	f->x_pm1a_cnt_blk = gas_io(PORT_PM1_CNT, 2);
	f->x_pm_tmr_blk = gas_io(PORT_PM_TMR, 4);
	f->x_gpe0_blk = gas_io(PORT_PM_GPE0, 4);
	memcpy(&f->hypervisor_vendor_id, "SHEER\0\0\0", 8);
	header_seal(a, &f->header);
	return f;
}

static struct acpi_facs *build_facs(struct acpi_area *a)
{
	struct acpi_facs *facs = area_alloc(a, sizeof(*facs), 64);

	if (facs) {
		memcpy(facs->signature, "FACS", 4);
		facs->length = sizeof(*facs);
		facs->version = 2;
	}
	return facs;
}

static struct acpi_header *build_madt(struct acpi_area *a, const struct acpi_config *cfg)
{
	size_t len = sizeof(struct acpi_header) + 8 + cfg->cpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_override) +
		     sizeof(struct madt_lapic_nmi);
	struct acpi_header *h = area_alloc(a, len, 16);
	uint8_t *p;

	if (!h)
		return NULL;
	header_init(h, "APIC", len, 5);
	p = (uint8_t *)(h + 1);
	*(uint32_t *)p = LAYOUT_LAPIC;
	*(uint32_t *)(p + 4) = MADT_PCAT_COMPAT;
	p += 8;
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		*(struct madt_lapic *)p = (struct madt_lapic){ 0, sizeof(struct madt_lapic), i, i, 1 };
		p += sizeof(struct madt_lapic);
	}
	/* IO-APIC id after the LAPIC ids, as a BIOS would number them. */
	*(struct madt_ioapic *)p = (struct madt_ioapic){ 1, sizeof(struct madt_ioapic), cfg->cpus, 0, LAYOUT_IOAPIC, 0 };
	p += sizeof(struct madt_ioapic);
	/* KVM routes the PIT's IRQ 0 to IO-APIC pin 2. */
	*(struct madt_override *)p = (struct madt_override){ 2, sizeof(struct madt_override), 0, 0, 2, 0 };
	p += sizeof(struct madt_override);
	*(struct madt_override *)p = (struct madt_override){ 2, sizeof(struct madt_override), 0, IRQ_SCI, IRQ_SCI,
							     MADT_LEVEL_ACTIVE_HIGH };
	p += sizeof(struct madt_override);
	*(struct madt_lapic_nmi *)p = (struct madt_lapic_nmi){ 4, sizeof(struct madt_lapic_nmi), 0xff, 0, 1 };
	header_seal(a, h);
	return h;
}

static struct acpi_header *build_mcfg(struct acpi_area *a, const struct acpi_config *cfg)
{
	size_t len = sizeof(struct acpi_header) + 8 + sizeof(struct mcfg_allocation);
	struct acpi_header *h = area_alloc(a, len, 16);
	struct mcfg_allocation *alloc;

	if (!h)
		return NULL;
	header_init(h, "MCFG", len, 1);
	alloc = (struct mcfg_allocation *)((uint8_t *)(h + 1) + 8);
	*alloc = (struct mcfg_allocation){ cfg->ecam_base, 0, 0, cfg->ecam_size / MiB - 1, 0 };
	header_seal(a, h);
	return h;
}

static struct acpi_header *build_xsdt(struct acpi_area *a, const void *const *tables, unsigned int n)
{
	size_t len = sizeof(struct acpi_header) + n * sizeof(uint64_t);
	struct acpi_header *h = area_alloc(a, len, 16);

	if (!h)
		return NULL;
	header_init(h, "XSDT", len, 1);
	for (unsigned int i = 0; i < n; i++)
		area_link(a, (uint64_t *)(h + 1) + i, 8, tables[i]);
	header_seal(a, h);
	return h;
}

static void rsdp_fill(struct acpi_area *a, struct acpi_rsdp *rsdp, const void *xsdt)
{
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "SHEER ", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	area_link(a, &rsdp->xsdt_address, 8, xsdt);
	rsdp->checksum = acpi_checksum(rsdp, 20);
	area_note_checksum(a, rsdp, &rsdp->checksum, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	area_note_checksum(a, rsdp, &rsdp->extended_checksum, sizeof(*rsdp));
}

static long acpi_build_area(const struct acpi_config *cfg, struct acpi_area *area)
{
	struct acpi_area a = *area;
	struct acpi_rsdp *rsdp;
	const void *tables[3];
	struct acpi_header *dsdt, *xsdt;
	struct acpi_facs *facs;

	if (cfg->cpus == 0 || cfg->cpus > 255 || cfg->ecam_size < MiB || cfg->ecam_size > 256 * MiB ||
	    a.gpa % 16 || a.gpa + a.size > 4 * GiB)
		return -EINVAL;
	rsdp = area_alloc(&a, sizeof(*rsdp), 16);
	facs = build_facs(&a);
	dsdt = build_dsdt(&a, cfg);
	if (!rsdp || !facs || !dsdt)
		return a.overflow ? -ENOSPC : -EINVAL;
	tables[0] = build_fadt(&a, dsdt, facs);
	tables[1] = build_madt(&a, cfg);
	tables[2] = build_mcfg(&a, cfg);
	xsdt = build_xsdt(&a, tables, 3);
	if (a.overflow || !xsdt)
		return -ENOSPC;
	rsdp_fill(&a, rsdp, xsdt);
	return a.overflow ? -ENOSPC : (long)a.used;
}

long acpi_build(const struct acpi_config *cfg, uint8_t *area, uint64_t area_gpa, size_t area_size)
{
	struct acpi_area a = { area, area_gpa, area_size, 0, false, NULL };

	return acpi_build_area(cfg, &a);
}

long acpi_build_linked(const struct acpi_config *cfg, uint8_t *area, size_t area_size, struct acpi_links *links)
{
	struct acpi_area a = { area, 0, area_size, 0, false, links };

	memset(links, 0, sizeof(*links));
	return acpi_build_area(cfg, &a);
}
