#include <check.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vmm/boot/acpi.h"
#include "vmm/boot/aml.h"
#include "vmm/boot/boot_linux.h"
#include "vmm/machine/bus.h"
#include "vmm/lib/cli.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/kvm_device.h"
#include "vmm/boot/direct_boot.h"
#include "vmm/boot/e820.h"
#include "vmm/devices/console_out.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/boot/firmware.h"
#include "vmm/machine/config.h"
#include "vmm/kvm/memory.h"
#include "vmm/boot/elf_load.h"
#include "vmm/boot/kernel_cache.h"
#include "vmm/boot/kernel_image.h"
#include "vmm/machine/layout.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pm.h"
#include "vmm/devices/serial.h"
#include "tests/unit/fake_machine.h"

START_TEST(version_is_semver)
{
	int major, minor, patch;

	ck_assert_int_eq(sscanf(SHEER_VERSION, "%d.%d.%d", &major, &minor, &patch), 3);
}
END_TEST

/* A KVM device that does not open is refused with the fix for its errno, not the errno alone. */
START_TEST(kvm_device_check_says_what_to_do)
{
	char err[512];

	ck_assert_int_eq(kvm_device_check("/nonexistent/kvm", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot open /nonexistent/kvm: No such file or directory; fix: enable VT-x/AMD-V in the "
			      "firmware setup and modprobe kvm_intel or kvm_amd");
	/* Even root cannot open a directory read-write. */
	ck_assert_int_eq(kvm_device_check("/", err, sizeof(err)), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err, "cannot open /: Is a directory; fix: /dev/kvm must be the KVM character device"));
	kvm_device_remedy("/dev/null", EACCES, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "usermod -aG kvm "));
	ck_assert_ptr_nonnull(strstr(err, "or run sheer as root"));
	kvm_device_remedy("/dev/kvm", EPERM, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "a container needs --device /dev/kvm"));
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

/* RAM in [0, low) and [4 GiB, 4 GiB + high) never touches [ECAM, 4 GiB), and e820 entries never overlap. */
static void assert_layout(uint64_t size)
{
	struct e820_table t;
	uint64_t low, high;

	memory_split(size, &low, &high);
	ck_assert_uint_eq(low + high, size);
	ck_assert_msg(low <= LAYOUT_ECAM, "%llu bytes: low RAM ends at 0x%llx, past ECAM", (unsigned long long)size,
		      (unsigned long long)low);
	ck_assert_int_eq(e820_build(&t, low, high), 0);
	for (unsigned int i = 0; i < t.n; i++) {
		const struct e820_entry *e = &t.entries[i];

		if (e->type == E820_RAM)
			ck_assert(e->addr + e->size <= LAYOUT_ECAM || e->addr >= LAYOUT_HIGH_RAM);
		for (unsigned int j = i + 1; j < t.n; j++)
			ck_assert(e->addr + e->size <= t.entries[j].addr || t.entries[j].addr + t.entries[j].size <= e->addr);
	}
}

START_TEST(ram_never_covers_the_32bit_hole)
{
	for (uint64_t size = 8 * MiB; size <= 1024 * GiB; size *= 2)
		assert_layout(size);
	for (uint64_t size = LAYOUT_ECAM - 8 * MiB; size <= 4 * GiB + 8 * MiB; size += 2 * MiB)
		assert_layout(size);
	assert_layout(3 * GiB);
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
	struct acpi_config cfg = { 7, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, 0 };
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
	struct acpi_config cfg = { 2, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, 0 };

	ck_assert_int_eq(acpi_build(&cfg, acpi_area, LAYOUT_BIOS, 512), -ENOSPC);
	cfg.cpus = 0;
	ck_assert_int_eq(acpi_build(&cfg, acpi_area, LAYOUT_BIOS, sizeof(acpi_area)), -EINVAL);
}
END_TEST

/* ---- fw_cfg and what firmware_describe() puts in it, read as SeaBIOS reads them ---- */

static struct fw_cfg fw_cfg;

static void fw_cfg_select(uint16_t key)
{
	fw_cfg_device.io->write(&fw_cfg, 0, 2, key);
}

static void fw_cfg_read_bytes(void *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)out)[i] = fw_cfg_device.io->read(&fw_cfg, 1, 1);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Through the file directory, as SeaBIOS's qemu_cfg_init(): the file's contents, or NULL. */
static uint8_t *fw_cfg_fetch(const char *name, uint32_t *len)
{
	uint8_t count[4], entry[64];

	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read_bytes(count, 4);
	for (uint32_t i = 0; i < be32(count); i++) {
		fw_cfg_read_bytes(entry, sizeof(entry));
		if (strcmp((char *)entry + 8, name) == 0) {
			uint8_t *data = calloc(1, be32(entry) + 1);

			*len = be32(entry);
			fw_cfg_select(entry[4] << 8 | entry[5]);
			fw_cfg_read_bytes(data, *len);
			return data;
		}
	}
	return NULL;
}

START_TEST(fw_cfg_items_and_files)
{
	uint8_t sig[5] = { 0 }, past[4], big[FW_CFG_DATA_MAX];
	char long_name[FW_CFG_NAME_MAX + 1];
	uint32_t len;
	uint8_t *data;

	fw_cfg_device.init(&fw_cfg, NULL, 0);
	fw_cfg_set_cpus(&fw_cfg, 3);
	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read_bytes(sig, 4);
	ck_assert_str_eq((char *)sig, "QEMU");
	fw_cfg_select(FW_CFG_ID);
	ck_assert_uint_eq(fw_cfg_device.io->read(&fw_cfg, 1, 4), 1);	/* traditional interface, no DMA */
	fw_cfg_select(FW_CFG_NB_CPUS);
	ck_assert_uint_eq(fw_cfg_device.io->read(&fw_cfg, 1, 2), 3);
	ck_assert_int_eq(fw_cfg_add_file(&fw_cfg, "etc/one", "first", 5), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fw_cfg, "etc/two", "second", 6), 0);
	ck_assert_int_eq(fw_cfg_add_file(&fw_cfg, "etc/one", "again", 5), -EEXIST);
	memset(long_name, 'a', FW_CFG_NAME_MAX);
	long_name[FW_CFG_NAME_MAX] = '\0';
	ck_assert_int_eq(fw_cfg_add_file(&fw_cfg, long_name, "x", 1), -ENAMETOOLONG);
	ck_assert_int_eq(fw_cfg_add_file(&fw_cfg, "etc/big", big, sizeof(big)), -ENOSPC);
	data = fw_cfg_fetch("etc/two", &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(data, "second", 6);
	free(data);
	fw_cfg_read_bytes(past, sizeof(past));	/* past the end: zeros */
	ck_assert_uint_eq(le32(past), 0);
	ck_assert_ptr_null(fw_cfg_fetch("etc/three", &len));
	fw_cfg_device.io->write(&fw_cfg, 1, 1, 0x55);	/* the data port takes no writes */
	data = fw_cfg_fetch("etc/one", &len);
	ck_assert_mem_eq(data, "first", 5);
	free(data);
}
END_TEST

/* What SeaBIOS's romfile_loader_execute() does, with the RSDP placed at 0xf5000 and the rest at 0x7000000. */
#define PLACED_RSDP 0xf5000u
#define PLACED_TABLES 0x7000000u

static uint8_t *placed_rsdp, *placed_tables;
static uint32_t placed_tables_len;

static uint8_t *placed_file(const char *name)
{
	return strcmp(name, "etc/acpi/rsdp") == 0 ? placed_rsdp : placed_tables;
}

static uint32_t placed_base(const char *name)
{
	return strcmp(name, "etc/acpi/rsdp") == 0 ? PLACED_RSDP : PLACED_TABLES;
}

static const uint8_t *placed_at(uint64_t gpa)
{
	ck_assert(gpa >= PLACED_TABLES && gpa < PLACED_TABLES + placed_tables_len);
	return placed_tables + (gpa - PLACED_TABLES);
}

static void run_table_loader(const uint8_t *script, uint32_t len)
{
	ck_assert_uint_eq(len % 128, 0);
	for (const uint8_t *cmd = script; cmd < script + len; cmd += 128) {
		const char *file = (const char *)cmd + 4;

		if (le32(cmd) == 2) {	/* ADD_POINTER dest src offset size */
			uint8_t *at = placed_file(file) + le32(cmd + 116);
			uint64_t value = 0;

			memcpy(&value, at, cmd[120]);
			value += placed_base((const char *)cmd + 60);
			memcpy(at, &value, cmd[120]);
		} else if (le32(cmd) == 3) {	/* ADD_CHECKSUM file offset start length */
			uint8_t *data = placed_file(file);

			data[le32(cmd + 60)] += acpi_checksum(data + le32(cmd + 64), le32(cmd + 68));
		} else {
			ck_assert_uint_eq(le32(cmd), 1);	/* ALLOCATE */
		}
	}
}

START_TEST(firmware_tables_link_where_the_firmware_puts_them)
{
	struct acpi_config acpi = { 2, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, 0 };
	struct guest_memory mem = { .low_size = 256 * MiB, .high_size = 0 };
	const uint8_t *xsdt, *fadt = NULL;
	uint32_t len, e820_len, wait_len;
	uint8_t *script, *e820, *wait;
	unsigned int tables = 0;

	fw_cfg_device.init(&fw_cfg, NULL, 0);
	ck_assert_int_eq(firmware_describe(&fw_cfg, &mem, &acpi), 0);
	placed_rsdp = fw_cfg_fetch("etc/acpi/rsdp", &len);
	ck_assert_uint_eq(len, ACPI_RSDP_SIZE);
	placed_tables = fw_cfg_fetch("etc/acpi/tables", &placed_tables_len);
	script = fw_cfg_fetch("etc/table-loader", &len);
	ck_assert_ptr_nonnull(placed_tables);
	ck_assert_ptr_nonnull(script);
	run_table_loader(script, len);
	ck_assert_mem_eq(placed_rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_checksum(placed_rsdp, 20), 0);
	ck_assert_uint_eq(acpi_checksum(placed_rsdp, 36), 0);
	xsdt = placed_at(le64(placed_rsdp + 24));
	ck_assert_mem_eq(xsdt, "XSDT", 4);
	ck_assert_uint_eq(acpi_checksum(xsdt, le32(xsdt + 4)), 0);
	for (uint32_t off = 36; off < le32(xsdt + 4); off += 8, tables++) {
		const uint8_t *t = placed_at(le64(xsdt + off));

		ck_assert_uint_eq(acpi_checksum(t, le32(t + 4)), 0);
		if (!memcmp(t, "FACP", 4))
			fadt = t;
	}
	ck_assert_uint_eq(tables, 3);
	ck_assert_ptr_nonnull(fadt);
	ck_assert_mem_eq(placed_at(le32(fadt + 40)), "DSDT", 4);
	ck_assert_uint_eq(le64(fadt + 140), le32(fadt + 40));
	ck_assert_mem_eq(placed_at(le64(fadt + 132)), "FACS", 4);
	ck_assert_uint_eq(le64(fadt + 132) % 64, 0);
	e820 = fw_cfg_fetch("etc/e820", &e820_len);
	ck_assert_uint_eq(e820_len, 20);
	ck_assert_uint_eq(le64(e820), 0);
	ck_assert_uint_eq(le64(e820 + 8), 256 * MiB);
	ck_assert_uint_eq(le32(e820 + 16), E820_RAM);
	wait = fw_cfg_fetch("etc/boot-fail-wait", &wait_len);
	ck_assert_uint_eq(wait_len, 4);
	ck_assert_uint_eq(le32(wait), 1000);
	free(placed_rsdp);
	free(placed_tables);
	free(script);
	free(e820);
	free(wait);
}
END_TEST

START_TEST(firmware_image_refusals)
{
	char short_image[] = "/tmp/sheer-short-bios-XXXXXX", why[128];
	struct firmware_rom rom;
	int fd = mkstemp(short_image);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "too short", 9), 9);
	close(fd);
	ck_assert_int_eq(firmware_load(&rom, "/nonexistent/bios.bin", why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "No such file or directory");
	ck_assert_int_eq(firmware_load(&rom, short_image, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "not a BIOS image (a file of 64 KiB to 256 KiB, in 64 KiB blocks)");
	ck_assert_ptr_null(rom.host);
	unlink(short_image);
	/* Debian's SeaBIOS, which `make deps` installs: the default of boot = disk. */
	ck_assert_int_eq(firmware_load(&rom, SERVER_FIRMWARE_DEFAULT, why, sizeof(why)), 0);
	ck_assert_uint_eq(rom.size, 256 * 1024);
	ck_assert_uint_eq(rom.host[rom.size - 16], 0xea);	/* the reset vector: a far jump */
	firmware_unload(&rom);
}
END_TEST

/* Writes the DSDT to a file and has iasl (acpica-tools) disassemble and recompile it. */
START_TEST(acpi_dsdt_passes_iasl)
{
	struct acpi_config cfg = { 2, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, 0x3fffc };	/* hotplug slots 2-17 */
	char dir[] = "/tmp/sheer-iasl-XXXXXX", cmd[768];
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
		 "grep -q 'PNP0A08' dsdt.dsl && grep -q 'PNP0B00' dsdt.dsl && grep -q '_S5' dsdt.dsl && grep -q ' 0 Errors' log && "
		 "grep -q 'Device (S017)' dsdt.dsl && ! grep -q 'Device (S018)' dsdt.dsl && grep -q 'Method (_EJ0, 1' dsdt.dsl && "
		 "grep -q 'Notify (S002, 0x03)' dsdt.dsl && grep -q 'Method (_E01' dsdt.dsl && "
		 "grep -q 'OperationRegion (PCHP, SystemIO, 0xAE00, 0x0C)' dsdt.dsl && grep -q 'DWordAcc, NoLock, WriteAsZeros' dsdt.dsl", dir);
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

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

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

/* Direct boot: a two-segment vmlinux at 16 MiB, packed into a bzImage as the kernel build does. */
#define TEST_RAM	(20 * MiB)
#define TEST_ELF_SIZE	0x400

static struct guest_memory test_ram_create(void)
{
	struct guest_memory mem = { .fd = -1, .size = TEST_RAM, .low_size = TEST_RAM };

	mem.host = calloc(1, TEST_RAM);
	ck_assert_ptr_nonnull(mem.host);
	return mem;
}

static void put_phdr(uint8_t *elf, unsigned int i, uint64_t offset, uint64_t filesz, uint64_t paddr, uint64_t memsz)
{
	Elf64_Phdr phdr = {
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = offset, .p_vaddr = 0xffffffff81000000ULL + paddr,
		.p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = 4096,
	};

	memcpy(elf + sizeof(Elf64_Ehdr) + i * sizeof(phdr), &phdr, sizeof(phdr));
}

static void make_vmlinux(uint8_t *elf)
{
	Elf64_Ehdr ehdr = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_entry = 0x1000000,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 3,
	};

	memset(elf, 0, TEST_ELF_SIZE);
	memcpy(elf, &ehdr, sizeof(ehdr));
	put_phdr(elf, 0, 0x200, 0x100, 0x1000000, 0x300);	/* text, then bss */
	put_phdr(elf, 1, 0x300, 0x100, 0x1100000, 0x100);
	put_phdr(elf, 2, 0, 0, 0, 0);				/* empty: ignored */
	for (unsigned int i = 0x200; i < TEST_ELF_SIZE; i++)
		elf[i] = i * 7 + 1;
}

static int parse_vmlinux(const uint8_t *elf, size_t size, struct elf_image *out)
{
	char why[128];

	return elf_parse(elf, size, out, why, sizeof(why));
}

START_TEST(elf_load_segments_and_bss)
{
	struct guest_memory mem = test_ram_create();
	uint8_t elf_data[TEST_ELF_SIZE], zero[0x200] = { 0 };
	struct elf_image elf;
	char why[128];

	make_vmlinux(elf_data);
	ck_assert_int_eq(parse_vmlinux(elf_data, sizeof(elf_data), &elf), 0);
	ck_assert_uint_eq(elf.n_segments, 2);
	ck_assert_uint_eq(elf.entry, 0x1000000);
	ck_assert_uint_eq(elf.start, 0x1000000);
	ck_assert_uint_eq(elf.end, 0x1100100);
	memset(mem.host + 0x1000100, 0xee, 0x200);	/* stale bytes where the bss goes */
	ck_assert_int_eq(elf_load(&elf, &mem, MiB, why, sizeof(why)), 0);
	ck_assert_mem_eq(mem.host + 0x1000000, elf_data + 0x200, 0x100);
	ck_assert_mem_eq(mem.host + 0x1000100, zero, 0x200);
	ck_assert_mem_eq(mem.host + 0x1100000, elf_data + 0x300, 0x100);
	free(mem.host);
}
END_TEST

static void expect_refused(const uint8_t *elf, size_t size, const char *reason)
{
	struct elf_image parsed;
	char why[128];

	ck_assert_int_eq(elf_parse(elf, size, &parsed, why, sizeof(why)), -ENOEXEC);
	ck_assert_msg(strstr(why, reason), "refusal \"%s\" does not say \"%s\"", why, reason);
}

START_TEST(elf_refusals)
{
	uint8_t elf[TEST_ELF_SIZE];

	make_vmlinux(elf);
	expect_refused(elf, 40, "shorter than an ELF header");
	expect_refused(elf, 0xc0, "program headers beyond");
	expect_refused(elf, 0x380, "segment beyond the end of the file");	/* truncated in segment 1 */
	elf[0] = 0x7e;
	expect_refused(elf, sizeof(elf), "no ELF magic");
	make_vmlinux(elf);
	elf[EI_CLASS] = ELFCLASS32;
	expect_refused(elf, sizeof(elf), "64-bit");
	make_vmlinux(elf);
	elf[offsetof(Elf64_Ehdr, e_machine)] = EM_386;
	expect_refused(elf, sizeof(elf), "x86-64");
	make_vmlinux(elf);
	put_phdr(elf, 1, 0x300, 0x100, 0x1000200, 0x100);	/* inside segment 0's bss */
	expect_refused(elf, sizeof(elf), "overlapping");
	make_vmlinux(elf);
	put_phdr(elf, 1, 0x300, 0x200, 0x1100000, 0x100);
	expect_refused(elf, sizeof(elf), "more file bytes");
	make_vmlinux(elf);
	put_phdr(elf, 1, 0x300, 0x100, UINT64_MAX - 0x10, 0x100);
	expect_refused(elf, sizeof(elf), "address space");
	make_vmlinux(elf);
	put_phdr(elf, 0, 0x200, 0x100, 0x1200000, 0x300);	/* entry 0x1000000 no longer loaded */
	expect_refused(elf, sizeof(elf), "entry point");
}
END_TEST

START_TEST(elf_load_refuses_segments_outside_ram)
{
	struct guest_memory mem = test_ram_create();
	uint8_t elf_data[TEST_ELF_SIZE], zero[0x100] = { 0 };
	struct elf_image elf;
	char why[128];

	make_vmlinux(elf_data);
	put_phdr(elf_data, 1, 0x300, 0x100, TEST_RAM - 0x80, 0x100);	/* straddles the end of RAM */
	ck_assert_int_eq(parse_vmlinux(elf_data, sizeof(elf_data), &elf), 0);
	ck_assert_int_eq(elf_load(&elf, &mem, MiB, why, sizeof(why)), -ERANGE);
	ck_assert_mem_eq(mem.host + 0x1000000, zero, 0x100);	/* nothing written, not even segment 0 */
	make_vmlinux(elf_data);
	put_phdr(elf_data, 1, 0x300, 0x100, 0x8000, 0x100);	/* over the boot data below 1 MiB */
	ck_assert_int_eq(parse_vmlinux(elf_data, sizeof(elf_data), &elf), 0);
	ck_assert_int_eq(elf_load(&elf, &mem, MiB, why, sizeof(why)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(why, "outside guest RAM"));
	free(mem.host);
}
END_TEST

/* A bzImage (the header of make_bzimage()) whose protected-mode kernel holds payload at 0x400. */
static uint8_t *make_packed_bzimage(const uint8_t *payload, size_t payload_size, size_t *size)
{
	const size_t kernel_offset = 1024, payload_offset = 0x400;
	uint8_t *bz = calloc(1, kernel_offset + payload_offset + payload_size);

	ck_assert_ptr_nonnull(bz);
	make_bzimage(0x020f, 1);
	memcpy(bz, image, kernel_offset);
	put_le32(bz + 0x248, payload_offset);
	put_le32(bz + 0x24c, payload_size);
	memcpy(bz + kernel_offset + payload_offset, payload, payload_size);
	*size = kernel_offset + payload_offset + payload_size;
	return bz;
}

/* As the kernel build packs: XZ with CRC32 and the size appended; gzip, whose trailer ends with the size. */
static size_t compress_vmlinux(enum payload_format format, const uint8_t *elf, uint8_t *out, size_t out_size)
{
	size_t done = 0;

	if (format == PAYLOAD_XZ) {
		ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, TEST_ELF_SIZE, out, &done,
							 out_size - 4), LZMA_OK);
		put_le32(out + done, TEST_ELF_SIZE);
		return done + 4;
	}
	z_stream z = { .next_in = (Bytef *)elf, .avail_in = TEST_ELF_SIZE, .next_out = out, .avail_out = out_size };

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	done = z.total_out;
	deflateEnd(&z);
	return done;
}

static struct boot_image packed_image(enum payload_format format, uint8_t *elf)
{
	uint8_t packed[2 * TEST_ELF_SIZE];
	struct boot_image bi = { .path = "test" };
	char why[128];

	make_vmlinux(elf);
	bi.data = make_packed_bzimage(packed, compress_vmlinux(format, elf, packed, sizeof(packed)), &bi.size);
	ck_assert_int_eq(bzimage_parse(bi.data, bi.size, &bi.header, why, sizeof(why)), 0);
	return bi;
}

static void check_round_trip(enum payload_format format)
{
	uint8_t elf[TEST_ELF_SIZE];
	struct boot_image bi = packed_image(format, elf);
	struct kernel_payload payload;
	struct vmlinux vmlinux;
	char why[128];

	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), 0);
	ck_assert_int_eq(payload.format, format);
	ck_assert_uint_eq(payload.vmlinux_size, TEST_ELF_SIZE);
	ck_assert_int_eq(kernel_payload_decompress(&payload, &vmlinux, why, sizeof(why)), 0);
	ck_assert_uint_eq(vmlinux.size, TEST_ELF_SIZE);
	ck_assert_mem_eq(vmlinux.data, elf, TEST_ELF_SIZE);
	vmlinux_release(&vmlinux);

	((uint8_t *)payload.data)[payload.size / 2] ^= 0x55;	/* corrupt the compressed data */
	ck_assert_int_eq(kernel_payload_decompress(&payload, &vmlinux, why, sizeof(why)), -EBADMSG);
	free(bi.data);
}

START_TEST(payload_xz_round_trip)
{
	check_round_trip(PAYLOAD_XZ);
}
END_TEST

START_TEST(payload_gzip_round_trip)
{
	check_round_trip(PAYLOAD_GZIP);
}
END_TEST

START_TEST(payload_refusals)
{
	uint8_t elf[TEST_ELF_SIZE];
	struct boot_image bi = packed_image(PAYLOAD_XZ, elf);
	size_t kernel_size = bi.header.kernel_size, length = kernel_size - 0x400;
	struct kernel_payload payload;
	char why[128];

	put_le32(bi.data + 0x248, kernel_size + 1);
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOEXEC);
	put_le32(bi.data + 0x248, 0x400);
	put_le32(bi.data + 0x24c, length + 1);	/* one byte beyond the file */
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOEXEC);
	put_le32(bi.data + 0x248, 0xfffffff0);	/* offset + length wraps */
	put_le32(bi.data + 0x24c, 0x20);
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOEXEC);
	put_le32(bi.data + 0x248, 0x400);
	put_le32(bi.data + 0x24c, length);
	put_le32(bi.data + bi.size - 4, 0xffffffff);	/* claims 4 GiB unpacked */
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOEXEC);
	put_le32(bi.data + 0x248, 0x200);	/* raw code */
	put_le32(bi.data + 0x24c, 0x100);
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOTSUP);
	put_le32(bi.data + 0x248, 0);		/* no payload described, as the tiny test guests have */
	put_le32(bi.data + 0x24c, 0);
	ck_assert_int_eq(kernel_payload_find(&bi, &payload, why, sizeof(why)), -ENOTSUP);
	free(bi.data);
}
END_TEST

/* The packed bzImage written to a file in a fresh directory that also holds the cache. */
struct cache_fixture {
	char dir[64];
	char kernel_path[96];
	struct kernel_cache cache;
	struct boot_image image;
	struct kernel_payload payload;
	struct kernel_key key;
};

static void cache_fixture_setup(struct cache_fixture *f)
{
	uint8_t elf[TEST_ELF_SIZE];
	struct boot_image packed = packed_image(PAYLOAD_XZ, elf);
	char err[256], cache_dir[96];
	FILE *file;

	snprintf(f->dir, sizeof(f->dir), "/tmp/sheer-kcache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->kernel_path, sizeof(f->kernel_path), "%s/vmlinuz", f->dir);
	file = fopen(f->kernel_path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_uint_eq(fwrite(packed.data, 1, packed.size, file), packed.size);
	fclose(file);
	free(packed.data);
	snprintf(cache_dir, sizeof(cache_dir), "%s/cache/kernels", f->dir);
	kernel_cache_init(&f->cache, NULL, cache_dir);
	ck_assert_int_eq(boot_image_open(&f->image, f->kernel_path, err, sizeof(err)), 0);
	ck_assert_int_eq(kernel_payload_find(&f->image, &f->payload, err, sizeof(err)), 0);
	ck_assert_int_eq(kernel_key_make(&f->key, f->kernel_path, &f->payload), 0);
}

static void cache_fixture_teardown(struct cache_fixture *f)
{
	char cmd[128];

	boot_image_close(&f->image);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void cache_store_decompressed(struct cache_fixture *f, const struct kernel_key *key)
{
	struct vmlinux vmlinux;
	char why[256];

	ck_assert_int_eq(kernel_payload_decompress(&f->payload, &vmlinux, why, sizeof(why)), 0);
	ck_assert_msg(kernel_cache_store(&f->cache, key, &vmlinux, why, sizeof(why)) == 0, "%s", why);
	vmlinux_release(&vmlinux);
}

static char *cache_entry_path(struct cache_fixture *f)
{
	static char path[PATH_MAX + NAME_MAX + 2];
	struct dirent **entries;
	int n = scandir(f->cache.dir, &entries, NULL, alphasort);

	path[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!strncmp(entries[i]->d_name, "vmlinux-", 8))
			snprintf(path, sizeof(path), "%s/%s", f->cache.dir, entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	return path;
}

START_TEST(cache_miss_store_hit)
{
	struct cache_fixture f;
	struct vmlinux hit;
	uint8_t elf[TEST_ELF_SIZE];
	struct stat st;

	cache_fixture_setup(&f);
	make_vmlinux(elf);
	ck_assert_int_eq(kernel_cache_find(&f.cache, &f.key, &hit), -ENOENT);
	cache_store_decompressed(&f, &f.key);
	ck_assert_int_eq(stat(f.cache.dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(kernel_cache_find(&f.cache, &f.key, &hit), 0);
	ck_assert_uint_eq(hit.size, TEST_ELF_SIZE);
	ck_assert_mem_eq(hit.data, elf, TEST_ELF_SIZE);
	vmlinux_release(&hit);
	cache_fixture_teardown(&f);
}
END_TEST

START_TEST(cache_stale_or_corrupt_entries_miss)
{
	struct timespec later[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	struct cache_fixture f;
	struct kernel_key key;
	struct vmlinux hit;
	int fd;

	cache_fixture_setup(&f);
	cache_store_decompressed(&f, &f.key);
	ck_assert_int_eq(utimensat(AT_FDCWD, f.kernel_path, later, 0), 0);	/* the kernel file changed */
	ck_assert_int_eq(kernel_key_make(&key, f.kernel_path, &f.payload), 0);
	ck_assert_int_ne(kernel_cache_find(&f.cache, &key, &hit), 0);

	key = f.key;
	key.payload_tail_crc ^= 1;	/* same file identity, other content */
	ck_assert_int_ne(kernel_cache_find(&f.cache, &key, &hit), 0);

	fd = open(cache_entry_path(&f), O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 12), 1);	/* inside the header */
	close(fd);
	ck_assert_int_ne(kernel_cache_find(&f.cache, &f.key, &hit), 0);

	cache_store_decompressed(&f, &f.key);
	ck_assert_int_eq(truncate(cache_entry_path(&f), 4096 + TEST_ELF_SIZE - 1), 0);
	ck_assert_int_ne(kernel_cache_find(&f.cache, &f.key, &hit), 0);

	cache_store_decompressed(&f, &f.key);
	fd = open(cache_entry_path(&f), O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 4096 + TEST_ELF_SIZE / 2), 1);	/* in the middle of the kernel */
	close(fd);
	ck_assert_int_eq(kernel_cache_find(&f.cache, &f.key, &hit), -ESTALE);
	cache_fixture_teardown(&f);
}
END_TEST

/* A store killed half way leaves a .new- file: the next store removes it once it is old. */
START_TEST(cache_removes_files_of_killed_stores)
{
	struct timespec hour_ago[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
	char old_new[PATH_MAX + 16], fresh_new[PATH_MAX + 16];
	struct cache_fixture f;
	FILE *file;

	cache_fixture_setup(&f);
	cache_store_decompressed(&f, &f.key);
	snprintf(old_new, sizeof(old_new), "%s/.new-killed", f.cache.dir);
	snprintf(fresh_new, sizeof(fresh_new), "%s/.new-writing", f.cache.dir);
	file = fopen(old_new, "w");
	fclose(file);
	ck_assert_int_eq(utimensat(AT_FDCWD, old_new, hour_ago, 0), 0);
	file = fopen(fresh_new, "w");
	fclose(file);
	cache_store_decompressed(&f, &f.key);
	ck_assert_int_eq(access(old_new, F_OK), -1);
	ck_assert_int_eq(access(fresh_new, F_OK), 0);
	cache_fixture_teardown(&f);
}
END_TEST

START_TEST(cache_keeps_max_entries)
{
	struct cache_fixture f;
	struct kernel_key key;
	struct vmlinux hit;
	struct dirent **entries;
	int n;

	cache_fixture_setup(&f);
	f.cache.max_entries = 2;
	for (unsigned int i = 0; i < 3; i++) {
		key = f.key;
		key.ino += i;
		cache_store_decompressed(&f, &key);
	}
	n = scandir(f.cache.dir, &entries, NULL, alphasort);
	ck_assert_int_eq(n, 2 + 2);	/* . and .. */
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	ck_assert_int_ne(kernel_cache_find(&f.cache, &f.key, &hit), 0);	/* the oldest went */
	cache_fixture_teardown(&f);
}
END_TEST

static void check_direct_boot(struct cache_fixture *f)
{
	struct guest_memory mem = test_ram_create();
	uint8_t elf[TEST_ELF_SIZE];
	struct direct_kernel loaded;
	char why[256];

	make_vmlinux(elf);
	ck_assert_msg(direct_boot_load(&mem, &f->image, &f->cache, NULL, MiB, &loaded, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(loaded.entry, 0x1000000);
	ck_assert_uint_eq(loaded.end, 0x1100100);	/* past init_size (1 MiB from 16 MiB) */
	ck_assert_mem_eq(mem.host + 0x1100000, elf + 0x300, 0x100);
	free(mem.host);
}

START_TEST(direct_boot_through_the_cache)
{
	struct cache_fixture f;
	struct vmlinux hit;

	cache_fixture_setup(&f);
	check_direct_boot(&f);	/* miss: decompresses and stores */
	ck_assert_int_eq(kernel_cache_find(&f.cache, &f.key, &hit), 0);
	vmlinux_release(&hit);
	check_direct_boot(&f);	/* hit */
	cache_fixture_teardown(&f);
}
END_TEST

START_TEST(direct_boot_without_a_writable_cache)
{
	struct cache_fixture f;
	struct guest_memory small = { .fd = -1, .size = 8 * MiB, .low_size = 8 * MiB };
	struct direct_kernel loaded;
	char why[256];

	cache_fixture_setup(&f);
	kernel_cache_init(&f.cache, NULL, "/dev/null/kernels");
	check_direct_boot(&f);	/* in memory, with one warning */
	kernel_cache_init(&f.cache, "off", NULL);
	ck_assert_str_eq(f.cache.dir, "");
	check_direct_boot(&f);
	ck_assert_int_eq(direct_boot_load(&small, &f.image, &f.cache, NULL, 0, &loaded, why, sizeof(why)), -ENOSPC);
	cache_fixture_teardown(&f);
}
END_TEST

static void add_direct_boot_tcases(Suite *s)
{
	TCase *tc = tcase_create("direct boot");

	tcase_add_test(tc, elf_load_segments_and_bss);
	tcase_add_test(tc, elf_refusals);
	tcase_add_test(tc, elf_load_refuses_segments_outside_ram);
	tcase_add_test(tc, payload_xz_round_trip);
	tcase_add_test(tc, payload_gzip_round_trip);
	tcase_add_test(tc, payload_refusals);
	tcase_add_test(tc, cache_miss_store_hit);
	tcase_add_test(tc, cache_stale_or_corrupt_entries_miss);
	tcase_add_test(tc, cache_removes_files_of_killed_stores);
	tcase_add_test(tc, cache_keeps_max_entries);
	tcase_add_test(tc, direct_boot_through_the_cache);
	tcase_add_test(tc, direct_boot_without_a_writable_cache);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
}

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

/* Bytes readable now from a pipe's read end, all drained into buf (up to len). */
static size_t drain_pipe(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	return got;
}

/* A reader that never reads (sheer run | sleep 300): writes return at once, the overflow is counted. */
START_TEST(console_output_never_blocks_on_a_stuck_reader)
{
	static uint8_t chunk[4096], sink[1 << 20];
	const size_t total = 64 * sizeof(chunk);
	struct console_out *out = calloc(1, sizeof(*out));
	int fds[2];
	size_t got;

	ck_assert_int_eq(pipe(fds), 0);
	memset(chunk, 'x', sizeof(chunk));
	ck_assert_int_eq(console_out_start(out, fds[1], NULL), 0);
	for (size_t i = 0; i < total / sizeof(chunk); i++)
		console_out_write(out, chunk, sizeof(chunk));	/* would block for ever if it wrote itself */
	console_out_stop(out, 100);
	got = drain_pipe(fds[0], sink, sizeof(sink));
	ck_assert_uint_gt(console_out_dropped(out), 0);
	ck_assert_uint_eq(got + console_out_dropped(out), total);
	close(fds[0]);
	close(fds[1]);
	free(out);
}
END_TEST

/* A reader that keeps up gets everything, in order, and stop flushes what is queued. */
START_TEST(console_output_reaches_a_reader_in_order)
{
	static uint8_t sink[16384];
	struct console_out *out = calloc(1, sizeof(*out));
	uint8_t text[10000];
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(console_out_start(out, fds[1], NULL), 0);
	console_out_write(out, text, 3000);
	console_out_write(out, text + 3000, sizeof(text) - 3000);
	console_out_stop(out, 1000);
	ck_assert_uint_eq(console_out_dropped(out), 0);
	ck_assert_uint_eq(drain_pipe(fds[0], sink, sizeof(sink)), sizeof(text));
	ck_assert_int_eq(memcmp(sink, text, sizeof(text)), 0);
	console_out_write(out, text, 10);	/* after stop: dropped, not written */
	close(fds[0]);
	close(fds[1]);
	free(out);
}
END_TEST

START_TEST(pm_power_button_and_s5)
{
	struct recorded rec = { 0 };
	struct machine machine = { &rec, record_irq, record_stop, record_console };
	const struct bus_device_ops pm_ops = *pm_device.io;
	struct pm pm;

	pm_device.init(&pm, &machine, IRQ_SCI);
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
	usleep(30000);	/* the timer past 65536 ticks: a misread of 0x606 would show its bits 16-23 */
	ck_assert_uint_eq(pm_ops.read(&pm, 6, 2), 0);		/* reserved bytes read as zero (and no UB shift) */
	ck_assert_uint_eq(pm_ops.read(&pm, 7, 1), 0);
}
END_TEST

START_TEST(serial_loopback_and_interrupts)
{
	struct recorded rec = { 0 };
	struct machine machine = { &rec, record_irq, record_stop, record_console };
	const struct bus_device_ops serial_ops = *serial_device.io;
	struct serial uart;
	uint8_t in[100];

	serial_device.init(&uart, &machine, IRQ_COM1);
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
	tcase_add_test(tc, ram_never_covers_the_32bit_hole);
	tcase_add_test(tc, acpi_tables_checksum_and_count_cpus);
	tcase_add_test(tc, acpi_refuses_small_area_and_bad_config);
	tcase_add_test(tc, acpi_dsdt_passes_iasl);
	tcase_add_test(tc, fw_cfg_items_and_files);
	tcase_add_test(tc, firmware_tables_link_where_the_firmware_puts_them);
	tcase_add_test(tc, firmware_image_refusals);
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
	tcase_add_test(tc, console_output_never_blocks_on_a_stuck_reader);
	tcase_add_test(tc, console_output_reaches_a_reader_in_order);
	tcase_add_test(tc, cpuid_topology_matches_cpu_count);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, version_is_semver);
	tcase_add_test(tc, kvm_device_check_says_what_to_do);
	suite_add_tcase(s, tc);
	add_engine_tcases(s);
	add_direct_boot_tcases(s);
	return s;
}
