#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "vmm/acpi.h"
#include "vmm/aml.h"
#include "vmm/boot_linux.h"
#include "vmm/bus.h"
#include "vmm/cli.h"
#include "vmm/cpuid.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/pci.h"
#include "vmm/pm.h"
#include "vmm/serial.h"

START_TEST(version_is_semver)
{
	int major, minor, patch;

	ck_assert_int_eq(sscanf(SHEER_VERSION, "%d.%d.%d", &major, &minor, &patch), 3);
}
END_TEST

/* ---- VM engine: pure pieces, no /dev/kvm needed ---- */

START_TEST(e820_small_machine)
{
	struct e820_table t;

	ck_assert_int_eq(e820_build(&t, 64 * MiB, 0), 0);
	ck_assert_uint_eq(t.n, 5);
	ck_assert_uint_eq(t.entries[0].addr, 0);
	ck_assert_uint_eq(t.entries[0].size, LAYOUT_EBDA);
	ck_assert_uint_eq(t.entries[0].type, E820_RAM);
	ck_assert_uint_eq(t.entries[2].addr, LAYOUT_BIOS);
	ck_assert_uint_eq(t.entries[2].type, E820_RESERVED);
	ck_assert_uint_eq(t.entries[3].addr, LAYOUT_KERNEL);
	ck_assert_uint_eq(t.entries[3].size, 63 * MiB);
	ck_assert_uint_eq(t.entries[4].addr, LAYOUT_ECAM);
	ck_assert_uint_eq(t.entries[4].type, E820_RESERVED);
}
END_TEST

START_TEST(e820_memory_above_4g)
{
	struct e820_table t;

	ck_assert_int_eq(e820_build(&t, LAYOUT_LOW_RAM_MAX, 5 * GiB), 0);
	ck_assert_uint_eq(t.n, 6);
	ck_assert_uint_eq(t.entries[5].addr, 4 * GiB);
	ck_assert_uint_eq(t.entries[5].size, 5 * GiB);
	ck_assert_int_eq(e820_build(&t, MiB, 0), -EINVAL);
	ck_assert_int_eq(e820_build(&t, 4 * GiB, 0), -EINVAL);
}
END_TEST

static uint8_t acpi_area[0x20000];

static const uint8_t *acpi_table_at(uint64_t gpa)
{
	ck_assert(gpa >= LAYOUT_BIOS && gpa < LAYOUT_BIOS + sizeof(acpi_area));
	return acpi_area + (gpa - LAYOUT_BIOS);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

START_TEST(acpi_tables_checksum_and_count_cpus)
{
	struct acpi_config cfg = { 7, LAYOUT_ECAM, LAYOUT_ECAM_SIZE };
	long used = acpi_build(&cfg, acpi_area, LAYOUT_BIOS, sizeof(acpi_area));
	const uint8_t *rsdp = acpi_area, *xsdt, *madt = NULL;
	unsigned int lapics = 0;

	ck_assert_int_gt(used, 0);
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_checksum(rsdp, 20), 0);
	ck_assert_uint_eq(acpi_checksum(rsdp, 36), 0);
	xsdt = acpi_table_at(le64(rsdp + 24));
	ck_assert_mem_eq(xsdt, "XSDT", 4);
	ck_assert_uint_eq(acpi_checksum(xsdt, le32(xsdt + 4)), 0);
	for (uint32_t off = 36; off < le32(xsdt + 4); off += 8) {
		const uint8_t *t = acpi_table_at(le64(xsdt + off));

		ck_assert_uint_eq(acpi_checksum(t, le32(t + 4)), 0);
		if (!memcmp(t, "APIC", 4))
			madt = t;
		if (!memcmp(t, "FACP", 4)) {
			const uint8_t *dsdt = acpi_table_at(le32(t + 40));

			ck_assert_mem_eq(dsdt, "DSDT", 4);
			ck_assert_uint_eq(acpi_checksum(dsdt, le32(dsdt + 4)), 0);
			ck_assert_uint_eq(le32(t + 36), 0);
			ck_assert_mem_eq(acpi_table_at(le64(t + 132)), "FACS", 4);
		}
	}
	ck_assert_ptr_nonnull(madt);
	for (const uint8_t *p = madt + 44; p < madt + le32(madt + 4); p += p[1])
		lapics += p[0] == 0;
	ck_assert_uint_eq(lapics, 7);
}
END_TEST

START_TEST(acpi_refuses_small_area_and_bad_config)
{
	struct acpi_config cfg = { 2, LAYOUT_ECAM, LAYOUT_ECAM_SIZE };

	ck_assert_int_eq(acpi_build(&cfg, acpi_area, LAYOUT_BIOS, 512), -ENOSPC);
	cfg.cpus = 0;
	ck_assert_int_eq(acpi_build(&cfg, acpi_area, LAYOUT_BIOS, sizeof(acpi_area)), -EINVAL);
}
END_TEST

/* Writes the DSDT to a file and has iasl (acpica-tools) disassemble and recompile it. */
START_TEST(acpi_dsdt_passes_iasl)
{
	struct acpi_config cfg = { 2, LAYOUT_ECAM, LAYOUT_ECAM_SIZE };
	char dir[] = "/tmp/sheer-iasl-XXXXXX", cmd[512];
	const uint8_t *fadt, *dsdt;
	FILE *f;

	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		const char *allow_skip = getenv("SHEER_ALLOW_SKIP");

		ck_assert_msg(allow_skip && strcmp(allow_skip, "1") == 0,
			      "iasl not installed: run 'make deps' (acpica-tools), or SHEER_ALLOW_SKIP=1 to skip");
		fprintf(stderr, "acpi_dsdt_passes_iasl: iasl not installed (acpica-tools), skipped (SHEER_ALLOW_SKIP=1)\n");
		return;
	}
	ck_assert_int_gt(acpi_build(&cfg, acpi_area, LAYOUT_BIOS, sizeof(acpi_area)), 0);
	fadt = acpi_table_at(le64(acpi_table_at(le64(acpi_area + 24)) + 36));
	dsdt = acpi_table_at(le32(fadt + 40));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/dsdt.dat", dir);
	f = fopen(cmd, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(dsdt, 1, le32(dsdt + 4), f), le32(dsdt + 4));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d dsdt.dat >log 2>&1 && iasl -tc dsdt.dsl >>log 2>&1 && "
		 "grep -q 'PNP0A08' dsdt.dsl && grep -q 'PNP0B00' dsdt.dsl && grep -q '_S5' dsdt.dsl && grep -q ' 0 Errors' log", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(aml_pkg_length_encoding)
{
	uint8_t out[4];

	ck_assert_uint_eq(aml_pkg_length_encode(out, 0), 1);
	ck_assert_uint_eq(out[0], 1);
	ck_assert_uint_eq(aml_pkg_length_encode(out, 62), 1);
	ck_assert_uint_eq(out[0], 63);
	/* 63 bytes of body need two length bytes: total 65 = 0x41 */
	ck_assert_uint_eq(aml_pkg_length_encode(out, 63), 2);
	ck_assert_uint_eq(out[0], 0x40 | 0x1);
	ck_assert_uint_eq(out[1], 0x04);
	ck_assert_uint_eq(aml_pkg_length_encode(out, 4093), 2);	/* 4095: the largest two-byte length */
	ck_assert_uint_eq(aml_pkg_length_encode(out, 4094), 3);
	ck_assert_uint_eq(out[0], 0x80 | (4097 & 0xf));
	ck_assert_uint_eq(aml_pkg_length_encode(out, 1U << 28), 0);
}
END_TEST

START_TEST(aml_integers_names_and_ids)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0xff, 0x0a, 0x12, 0x0b, 0x34, 0x12, 0x0c, 0x78, 0x56, 0x34, 0x12,
		0x0e, 0x01, 0, 0, 0, 1, 0, 0, 0,
		0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
		0x2f, 3, 'A', '_', '_', '_', 'B', 'B', '_', '_', 'C', '1', '2', '3',
		0x0d, 'h', 'i', 0,
	};
	struct aml aml;

	aml_init(&aml);
	aml_integer(&aml, 0);
	aml_integer(&aml, 1);
	aml_integer(&aml, UINT64_MAX);
	aml_integer(&aml, 0x12);
	aml_integer(&aml, 0x1234);
	aml_integer(&aml, 0x12345678);
	aml_integer(&aml, 0x100000001ULL);
	aml_name_string(&aml, "\\_SB.PCI0");
	aml_name_string(&aml, "A.BB.C123");
	aml_string(&aml, "hi");
	ck_assert_int_eq(aml_finish(&aml), 0);
	ck_assert_uint_eq(aml.len, sizeof(want));
	ck_assert_mem_eq(aml.buf, want, sizeof(want));
	aml_free(&aml);
	ck_assert_uint_eq(aml_eisa_id_value("PNP0A03"), 0x030ad041);
	ck_assert_uint_eq(aml_eisa_id_value("pnp0a03"), 0);
	ck_assert_uint_eq(aml_eisa_id_value("PNP0A0"), 0);
}
END_TEST

START_TEST(aml_nesting_and_bad_names)
{
	struct aml aml;
	size_t scope, pkg;

	aml_init(&aml);
	scope = aml_scope_open(&aml, "\\_SB");
	pkg = aml_package_open(&aml, 100);
	for (int i = 0; i < 100; i++)
		aml_integer(&aml, 0x1000 + i);	/* 300 bytes: a two-byte PkgLength */
	aml_close(&aml, pkg);
	aml_close(&aml, scope);
	ck_assert_int_eq(aml_finish(&aml), 0);
	ck_assert_uint_eq(aml.buf[0], 0x10);			/* ScopeOp */
	ck_assert_uint_eq(aml.buf[1] >> 6, 1);			/* two PkgLength bytes */
	ck_assert_uint_eq((aml.buf[1] & 0xf) | aml.buf[2] << 4, aml.len - 1);
	ck_assert_uint_eq(aml.buf[8], 0x12);			/* PackageOp after "\_SB_" */
	aml_free(&aml);

	aml_init(&aml);
	aml_name(&aml, "_hid");
	ck_assert_int_eq(aml_finish(&aml), -EINVAL);
	aml_free(&aml);
	aml_init(&aml);
	aml_name(&aml, "TOOLONG");
	ck_assert_int_eq(aml_finish(&aml), -EINVAL);
	aml_free(&aml);
}
END_TEST

struct fake_dev {
	uint64_t last_offset, last_value;
	unsigned int last_size, reads, writes;
	uint64_t read_value;
};

static uint64_t fake_read(void *dev, uint64_t offset, unsigned int size)
{
	struct fake_dev *d = dev;

	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	return d->read_value;
}

static void fake_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct fake_dev *d = dev;

	d->writes++;
	d->last_offset = offset;
	d->last_size = size;
	d->last_value = value;
}

static const struct bus_device_ops fake_ops = { fake_read, fake_write };

START_TEST(bus_dispatch_narrowest_first_and_unhandled)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct fake_dev wide = { .read_value = 0x11223344 }, narrow = { .read_value = 0xab };
	struct bus bus;
	uint8_t data[8] = { 0x78, 0x56, 0x34, 0x12 };

	bus_init(&bus, "test", &lock);
	ck_assert_int_eq(bus_register(&bus, 0xcf8, 8, &fake_ops, &wide, "wide"), 0);
	ck_assert_int_eq(bus_register(&bus, 0xcf9, 1, &fake_ops, &narrow, "narrow"), 0);
	ck_assert_int_eq(bus_register(&bus, 0, 0, &fake_ops, &narrow, "empty"), -EINVAL);
	ck_assert_int_eq(bus_register(&bus, UINT64_MAX, 2, &fake_ops, &narrow, "wraps"), -EINVAL);

	ck_assert(bus_access(&bus, 0xcf8, data, 4, true));
	ck_assert_uint_eq(wide.last_value, 0x12345678);
	ck_assert_uint_eq(wide.last_offset, 0);
	ck_assert(bus_access(&bus, 0xcf9, data, 1, true));
	ck_assert_uint_eq(narrow.writes, 1);
	ck_assert(bus_access(&bus, 0xcfc, data, 2, false));
	ck_assert_uint_eq(wide.last_offset, 4);
	ck_assert_uint_eq(data[0], 0x44);
	ck_assert_uint_eq(data[1], 0x33);

	/* Crossing the end of a device, odd sizes, and nothing there: counted, reads all ones. */
	ck_assert(!bus_access(&bus, 0xcfe, data, 4, false));
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[3], 0xff);
	ck_assert(!bus_access(&bus, 0xcf8, data, 3, false));
	ck_assert(!bus_access(&bus, 0x80, data, 1, true));
	ck_assert(!bus_access(&bus, UINT64_MAX, data, 8, false));
	ck_assert_uint_eq(bus_unhandled(&bus), 4);
	ck_assert_uint_eq(wide.reads, 1);
}
END_TEST

START_TEST(bus_full)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct fake_dev d = { 0 };
	struct bus bus;

	bus_init(&bus, "test", &lock);
	for (int i = 0; i < BUS_MAX_DEVICES; i++)
		ck_assert_int_eq(bus_register(&bus, i * 16, 16, &fake_ops, &d, "d"), 0);
	ck_assert_int_eq(bus_register(&bus, 0x1000, 16, &fake_ops, &d, "d"), -ENOSPC);
}
END_TEST

static uint8_t image[8192];

static void make_bzimage(uint16_t version, uint16_t xloadflags)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = 1;
	image[0x1fe] = 0x55;
	image[0x1ff] = 0xaa;
	image[0x200] = 0xeb;
	image[0x201] = 0x6a;
	memcpy(image + 0x202, "HdrS", 4);
	image[0x206] = version;
	image[0x207] = version >> 8;
	image[0x211] = 1;
	image[0x236] = xloadflags;
	image[0x238] = 0xff;
	image[0x260] = 0x00;
	image[0x262] = 0x10;	/* init_size 1 MiB */
}

START_TEST(bzimage_valid_header)
{
	struct bzimage bz;
	char why[128];

	make_bzimage(0x020f, 1);
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), 0);
	ck_assert_uint_eq(bz.version, 0x020f);
	ck_assert_uint_eq(bz.kernel_offset, 1024);
	ck_assert_uint_eq(bz.kernel_size, sizeof(image) - 1024);
	ck_assert_uint_eq(bz.header_end, 0x26c);
	ck_assert_uint_eq(bz.init_size, MiB);
	ck_assert_uint_eq(bz.cmdline_size, 0xff);
}
END_TEST

START_TEST(bzimage_refusals)
{
	struct bzimage bz;
	char why[128];

	make_bzimage(0x020f, 1);
	ck_assert_int_eq(bzimage_parse(image, 0x100, &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_str_eq(why, "not a bzImage (no HdrS header)");
	image[0x202] = 'X';
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_str_eq(why, "not a bzImage (no HdrS header)");

	make_bzimage(0x020f, 1);
	image[0x1fe] = 0;
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "boot flag"));

	make_bzimage(0x020a, 1);
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_str_eq(why, "boot protocol 2.10 too old (2.12 needed)");

	make_bzimage(0x020f, 0);
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "64-bit"));

	make_bzimage(0x020f, 1);
	image[0x1f1] = 200;	/* setup sectors beyond the file */
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "truncated"));

	make_bzimage(0x020f, 1);
	image[0x201] = 0x10;	/* header ends before init_size */
	ck_assert_int_eq(bzimage_parse(image, sizeof(image), &bz, why, sizeof(why)), -ENOEXEC);
}
END_TEST

START_TEST(pci_host_bridge_config)
{
	static struct pci_bus pci;

	pci_bus_init(&pci);
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 0, 4), 0x29c08086);
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 0xa, 2), 0x0600);
	ck_assert_uint_eq(pci_bus_config_read(&pci, 8, 0, 4), 0xffffffff);		/* 00:01.0 */
	ck_assert_uint_eq(pci_bus_config_read(&pci, 1, 0, 2), 0xffff);		/* 00:00.1 */
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 4095, 2), 0xffff);		/* beyond the space */
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 2, 4), 0xffffffff);	/* crosses a dword */
	pci_bus_config_write(&pci, 0, 0, 4, 0xdeadbeef);
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 0, 4), 0x29c08086);
	pci_bus_config_write(&pci, 0, 0xc, 4, 0xffffffff);
	ck_assert_uint_eq(pci_bus_config_read(&pci, 0, 0xc, 4), 0x0000ffff);	/* header type stays */
	ck_assert_uint_eq(pci_port_ops.read(&pci, 4, 4), ~0ULL);		/* CF8 not enabled yet */
	pci_port_ops.write(&pci, 0, 4, 0x80000000);
	ck_assert_uint_eq(pci_port_ops.read(&pci, 0, 4), 0x80000000);
	ck_assert_uint_eq(pci_port_ops.read(&pci, 4, 4), 0x29c08086);
	ck_assert_uint_eq(pci_port_ops.read(&pci, 6, 2), 0x29c0);
	ck_assert_uint_eq(pci_ecam_ops.read(&pci, 0, 4), 0x29c08086);
	ck_assert_uint_eq(pci_ecam_ops.read(&pci, 0, 8), ~0ULL);
	ck_assert_uint_eq(pci_ecam_ops.read(&pci, 1 << 15, 4), 0xffffffff);
}
END_TEST

/* A machine that records what devices ask of it. */
struct recorded {
	int irq_calls;
	unsigned int gsi;
	bool level;
	int stops;
	enum vm_exit_reason reason;
};

static void record_irq(void *opaque, unsigned int gsi, bool level)
{
	struct recorded *r = opaque;

	r->irq_calls++;
	r->gsi = gsi;
	r->level = level;
}

static void record_stop(void *opaque, enum vm_exit_reason reason, const char *detail)
{
	struct recorded *r = opaque;

	(void)detail;
	r->stops++;
	r->reason = reason;
}

START_TEST(pm_power_button_and_s5)
{
	struct recorded rec = { 0 };
	struct machine machine = { &rec, record_irq, record_stop };
	struct pm pm;

	pm_init(&pm, &machine);
	ck_assert_uint_eq(pm_ops.read(&pm, 4, 2) & PM1_CNT_SCI_EN, PM1_CNT_SCI_EN);
	pm_press_power_button(&pm);
	ck_assert_int_eq(rec.irq_calls, 0);		/* not enabled: no SCI */
	pm_ops.write(&pm, 2, 2, PM1_STS_PWRBTN);	/* PWRBTN_EN */
	ck_assert_int_eq(rec.irq_calls, 1);
	ck_assert_uint_eq(rec.gsi, IRQ_SCI);
	ck_assert(rec.level);
	ck_assert_uint_eq(pm_ops.read(&pm, 0, 2), PM1_STS_PWRBTN);
	pm_ops.write(&pm, 0, 2, PM1_STS_PWRBTN);	/* write one to clear */
	ck_assert(!rec.level);
	ck_assert_uint_eq(pm_ops.read(&pm, 0, 2), 0);

	pm_ops.write(&pm, 4, 2, 3 << PM1_CNT_SLP_TYP_SHIFT | PM1_CNT_SLP_EN);	/* S3: not offered */
	ck_assert_int_eq(rec.stops, 0);
	pm_ops.write(&pm, 4, 2, ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT | PM1_CNT_SLP_EN);
	ck_assert_int_eq(rec.stops, 1);
	ck_assert_int_eq(rec.reason, VM_EXIT_POWEROFF);
	ck_assert_uint_eq(pm_ops.read(&pm, 4, 2) & PM1_CNT_SLP_EN, 0);
	pm_ops.read(&pm, 11, 8);	/* past the block: harmless */
}
END_TEST

START_TEST(serial_loopback_and_interrupts)
{
	struct recorded rec = { 0 };
	struct machine machine = { &rec, record_irq, record_stop };
	struct serial uart;
	uint8_t in[100];

	serial_init(&uart, &machine, IRQ_COM1, -1);
	serial_ops.write(&uart, 4, 1, 0x1a);		/* loopback, RTS, OUT2: Linux's probe */
	ck_assert_uint_eq(serial_ops.read(&uart, 6, 1) & 0xf0, 0x90);
	serial_ops.write(&uart, 0, 1, 'x');
	ck_assert_uint_eq(serial_ops.read(&uart, 5, 1) & 1, 1);
	ck_assert_uint_eq(serial_ops.read(&uart, 0, 1), 'x');
	serial_ops.write(&uart, 4, 1, 0x0b);
	ck_assert_uint_eq(serial_ops.read(&uart, 2, 1), 0x01);	/* nothing pending */
	serial_ops.write(&uart, 1, 1, 0x02);			/* THRI */
	ck_assert(rec.level);
	ck_assert_uint_eq(rec.gsi, IRQ_COM1);
	ck_assert_uint_eq(serial_ops.read(&uart, 2, 1), 0x02);	/* reading IIR clears THRI */
	ck_assert(!rec.level);
	serial_ops.write(&uart, 1, 1, 0x01);			/* RDI */
	memset(in, 'a', sizeof(in));
	ck_assert_uint_eq(serial_receive(&uart, in, sizeof(in)), SERIAL_FIFO_SIZE);
	ck_assert(rec.level);
	ck_assert_uint_eq(serial_ops.read(&uart, 2, 1), 0x04);
	ck_assert_uint_eq(serial_ops.read(&uart, 0, 4), ~0ULL);	/* wide access refused */
}
END_TEST

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->entries[i].function == function && t->entries[i].index == index)
			return &t->entries[i];
	return NULL;
}

START_TEST(cpuid_topology_matches_cpu_count)
{
	static const struct kvm_cpuid_entry2 host[] = {
		{ .function = 0, .eax = 0xd },
		{ .function = 1, .ebx = 0x12340800, .ecx = 0, .edx = 0 },
		{ .function = 4, .index = 0, .eax = 0x1c004121 },	/* L1 data */
		{ .function = 4, .index = 3, .eax = 0x1c03c163 },	/* L3 */
		{ .function = 0xb, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100 },
		{ .function = 0x80000008, .ecx = 0x700f },
	};
	struct kvm_cpuid2 *supported = calloc(1, sizeof(*supported) + CPUID_MAX_ENTRIES * sizeof(host[0]));
	struct kvm_cpuid2 *out = calloc(1, sizeof(*out) + CPUID_MAX_ENTRIES * sizeof(host[0]));
	const struct kvm_cpuid_entry2 *e;

	memcpy(supported->entries, host, sizeof(host));
	supported->nent = sizeof(host) / sizeof(host[0]);
	ck_assert_int_eq(cpuid_for_vcpu(supported, 2, 3, out), 0);
	e = cpuid_find(out, 1, 0);
	ck_assert_uint_eq(e->ebx >> 24, 2);			/* initial APIC ID */
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 4);		/* addressable IDs: 3 rounded up */
	ck_assert_uint_eq((e->ebx >> 8) & 0xff, 0x08);		/* CLFLUSH size kept */
	ck_assert(e->ecx & (1U << 31));				/* hypervisor */
	ck_assert(e->edx & (1U << 28));				/* HTT */
	ck_assert_uint_eq(cpuid_find(out, 4, 0)->eax >> 26, 3);	/* cores per package - 1 */
	ck_assert_uint_eq((cpuid_find(out, 4, 0)->eax >> 14) & 0xfff, 0);	/* L1 private */
	ck_assert_uint_eq((cpuid_find(out, 4, 3)->eax >> 14) & 0xfff, 2);	/* L3 shared by 3 */
	e = cpuid_find(out, 0xb, 0);
	ck_assert_uint_eq(e->ebx, 1);				/* one thread per core */
	ck_assert_uint_eq(e->edx, 2);				/* x2APIC ID */
	e = cpuid_find(out, 0xb, 1);
	ck_assert_uint_eq(e->eax, 2);				/* shift to the package ID */
	ck_assert_uint_eq(e->ebx, 3);
	ck_assert_uint_eq(e->ecx, 0x201);
	ck_assert_uint_eq(cpuid_find(out, 0xb, 2)->ecx & 0xff00, 0);	/* end of levels */
	ck_assert_uint_eq(cpuid_find(out, 0x80000008, 0)->ecx & 0xff, 2);	/* NC - 1 */
	ck_assert_int_eq(cpuid_for_vcpu(supported, 3, 3, out), -EINVAL);
	free(supported);
	free(out);
}
END_TEST

static void add_engine_tcases(Suite *s)
{
	TCase *tc = tcase_create("engine");

	tcase_add_test(tc, e820_small_machine);
	tcase_add_test(tc, e820_memory_above_4g);
	tcase_add_test(tc, acpi_tables_checksum_and_count_cpus);
	tcase_add_test(tc, acpi_refuses_small_area_and_bad_config);
	tcase_add_test(tc, acpi_dsdt_passes_iasl);
	tcase_add_test(tc, aml_pkg_length_encoding);
	tcase_add_test(tc, aml_integers_names_and_ids);
	tcase_add_test(tc, aml_nesting_and_bad_names);
	tcase_add_test(tc, bus_dispatch_narrowest_first_and_unhandled);
	tcase_add_test(tc, bus_full);
	tcase_add_test(tc, bzimage_valid_header);
	tcase_add_test(tc, bzimage_refusals);
	tcase_add_test(tc, pci_host_bridge_config);
	tcase_add_test(tc, pm_power_button_and_s5);
	tcase_add_test(tc, serial_loopback_and_interrupts);
	tcase_add_test(tc, cpuid_topology_matches_cpu_count);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, version_is_semver);
	suite_add_tcase(s, tc);
	add_engine_tcases(s);
	return s;
}
