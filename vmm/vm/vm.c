/*
 * Building and tearing down a VM: KVM, guest memory, vCPUs, the device
 * table, passed-through devices. A VM is built either to boot a kernel
 * (vm_create) or empty, to receive a saved state (vm_create_empty).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "passthru/vfio/passthru_vm.h"
#include "vmm/boot/acpi.h"
#include "vmm/boot/boot_cpu.h"
#include "vmm/boot/boot_linux.h"
#include "vmm/boot/e820.h"
#include "vmm/boot/firmware.h"
#include "vmm/boot/kernel_cache.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/irq_routing.h"
#include "vmm/machine/layout.h"
#include "vmm/vm/vm_internal.h"

#define KVM_API_VERSION_NEEDED 12
#define VM_MAX_CPUS 254		/* xAPIC IDs, the IO-APIC takes the next one */
#define VM_DEFAULT_MEMSLOTS 32

static void machine_stop_cb(void *opaque, enum vm_exit_reason reason, const char *detail)
{
	vm_request_stop(opaque, reason, detail);
}

static void machine_set_irq_cb(void *opaque, unsigned int gsi, bool level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	/* Fails only for a bad GSI, which is a sheer bug, never the guest's doing. */
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		vm_request_stop(vm, VM_EXIT_VMM_ERROR, "KVM_IRQ_LINE failed");
}

static void machine_console_write_cb(void *opaque, const uint8_t *data, size_t len)
{
	struct vm *vm = opaque;

	/* Best effort and never blocking: a slow reader loses output, the guest loses nothing. */
	console_out_write(&vm->console_out, data, len);
}

static int fail(char *err, size_t err_len, int ret, const char *what)
{
	snprintf(err, err_len, "%s: %s", what, strerror(-ret));
	return ret;
}

static int kvm_ioctl(int fd, unsigned long request, unsigned long arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

static int vm_open_kvm(struct vm *vm, char *err, size_t err_len)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret, slots;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail(err, err_len, -errno, "/dev/kvm");
	ret = kvm_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION_NEEDED) {
		snprintf(err, err_len, "/dev/kvm: API version %d, sheer needs %d", ret, KVM_API_VERSION_NEEDED);
		return -ENOTSUP;
	}
	vm->vm_fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail(err, err_len, vm->vm_fd, "KVM_CREATE_VM");
	slots = kvm_ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	resources_init(&vm->res, slots > 0 ? (uint32_t)slots : VM_DEFAULT_MEMSLOTS, IRQ_ROUTING_GSI_LIMIT);
	irq_routing_init(&vm->routing, vm->vm_fd, &vm->res);
	if ((ret = kvm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_KVM_TSS)) < 0)
		return fail(err, err_len, ret, "KVM_SET_TSS_ADDR");
	if ((ret = kvm_ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&(uint64_t){ LAYOUT_KVM_IDENTITY_MAP })) < 0)
		return fail(err, err_len, ret, "KVM_SET_IDENTITY_MAP_ADDR");
	if ((ret = kvm_ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0)) < 0)
		return fail(err, err_len, ret, "KVM_CREATE_IRQCHIP");
	if ((ret = kvm_ioctl(vm->vm_fd, KVM_CREATE_PIT2, (unsigned long)&pit)) < 0)
		return fail(err, err_len, ret, "KVM_CREATE_PIT2");
	return 0;
}

static int vm_create_memory(struct vm *vm, char *err, size_t err_len)
{
	uint32_t first_slot;
	int ret = memory_create(&vm->mem, vm->cfg.memory_bytes, vm->cfg.numa_node);

	if (ret == 0)
		ret = resources_alloc_slots(&vm->res, 2, &first_slot);
	if (ret == 0)
		ret = memory_register(&vm->mem, vm->vm_fd, first_slot);
	return ret < 0 ? fail(err, err_len, ret, "guest memory") : 0;
}

/* What the ACPI tables describe, built by sheer (kernel boot) or handed to the firmware (boot = disk). */
static struct acpi_config vm_acpi_config(const struct vm *vm)
{
	/* The passed-through devices' slots: each one may come and go while the server runs. */
	uint32_t hotplug_slots = ((1U << VM_NIC_FIRST_SLOT) - 1) & ~3U;

	return (struct acpi_config){ vm->cfg.cpus, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, hotplug_slots };
}

static int vm_load_guest(struct vm *vm, const struct boot_image *image, struct boot_entry *entry, char *err,
			 size_t err_len)
{
	const struct acpi_config acpi = vm_acpi_config(vm);
	struct kernel_cache kernel_cache;
	struct e820_table e820;
	struct boot_request req;
	long acpi_len;
	int ret;

	ret = e820_build(&e820, vm->mem.low_size, vm->mem.high_size);
	if (ret < 0)
		return fail(err, err_len, ret, "e820 map");
	acpi_len = acpi_build(&acpi, memory_at(&vm->mem, LAYOUT_BIOS, LAYOUT_BIOS_END - LAYOUT_BIOS), LAYOUT_BIOS,
			      LAYOUT_BIOS_END - LAYOUT_BIOS);
	if (acpi_len < 0)
		return fail(err, err_len, acpi_len, "ACPI tables");
	kernel_cache_init(&kernel_cache, getenv("SHEER_KERNEL_CACHE"), getenv("SHEER_CACHE_DIR"));
	req = (struct boot_request){
		.kernel_cache = &kernel_cache,
		.initrd_path = vm->cfg.initrd,
		.cmdline = vm->cfg.cmdline,
		.rsdp = LAYOUT_BIOS,
		.e820 = &e820,
		.report = &vm->report,
	};
	return boot_linux_load(&vm->mem, image, &req, entry, err, err_len);
}

/* A vCPU with the guest's CPUID and a LAPIC wired as a BIOS leaves it; its registers come later. */
static int vm_add_vcpu(struct vm *vm, unsigned int id, int run_size, struct kvm_cpuid2 *cpuid)
{
	struct vcpu *vcpu = &vm->vcpus[id];
	int ret = vcpu_create(vcpu, vm->vm_fd, id, run_size);

	if (ret < 0)
		return ret;
	vm->n_vcpus++;
	vcpu->owner = vm;
	ret = cpuid_for_vcpu(vm->cpuid, id, vm->cfg.cpus, cpuid);
	if (ret == 0)
		ret = vcpu_set_cpuid(vcpu, cpuid);
	if (ret == 0)
		ret = vcpu_init_lapic(vcpu);
	return ret;
}

static int vm_create_vcpus(struct vm *vm, char *err, size_t err_len)
{
	struct kvm_cpuid2 *cpuid;
	int ret = 0, run_size;
	char what[32];

	run_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail(err, err_len, run_size < 0 ? run_size : -EINVAL, "KVM_GET_VCPU_MMAP_SIZE");
	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return fail(err, err_len, -ENOMEM, "vCPU CPUID");
	for (unsigned int id = 0; id < vm->cfg.cpus && ret == 0; id++) {
		ret = vm_add_vcpu(vm, id, run_size, cpuid);
		if (ret < 0) {
			snprintf(what, sizeof(what), "vCPU %u", id);
			fail(err, err_len, ret, what);
		}
	}
	free(cpuid);
	return ret;
}

/*
 * Power-on registers: the boot CPU at the kernel's 64-bit entry, or (entry NULL) left at KVM's reset
 * state, the firmware's reset vector; the others waiting for INIT/SIPI.
 */
static int vm_boot_vcpus(struct vm *vm, const struct boot_entry *entry, char *err, size_t err_len)
{
	for (unsigned int id = 0; id < vm->n_vcpus; id++) {
		int ret = id > 0   ? vcpu_wait_for_sipi(&vm->vcpus[id])
			  : entry ? boot_cpu_enter_64bit(&vm->vcpus[id], entry)
				  : 0;

		if (ret < 0)
			return fail(err, err_len, ret, id == 0 ? "boot vCPU" : "secondary vCPU");
	}
	return 0;
}

static int vm_boot_kernel(struct vm *vm, const struct boot_image *image, char *err, size_t err_len)
{
	struct boot_entry entry;
	int ret = vm_load_guest(vm, image, &entry, err, err_len);

	return ret < 0 ? ret : vm_boot_vcpus(vm, &entry, err, err_len);
}

static int vm_boot_firmware(struct vm *vm, char *err, size_t err_len)
{
	const struct acpi_config acpi = vm_acpi_config(vm);
	const char *path = vm->cfg.firmware[0] ? vm->cfg.firmware : SERVER_FIRMWARE_DEFAULT;
	uint32_t slot;
	char why[128];
	int ret = firmware_load(&vm->rom, path, why, sizeof(why));

	if (ret < 0) {
		snprintf(err, err_len, "firmware %s: %s", path, why);
		return ret;
	}
	ret = resources_alloc_slots(&vm->res, 1, &slot);
	if (ret == 0)
		ret = firmware_map(&vm->rom, vm->vm_fd, slot, &vm->mem);
	if (ret == 0)
		ret = firmware_describe(&vm->dev.fw_cfg, &vm->mem, &acpi);
	if (ret < 0)
		return fail(err, err_len, ret, "firmware");
	return vm_boot_vcpus(vm, NULL, err, err_len);
}

/* A vCPU's config write, under devices_lock (the buses hold it). */
static void vm_master_changed(void *owner)
{
	vm_failover_sync(owner);
}

static int vm_attach_passthru(struct vm *vm, char *err, size_t err_len)
{
	const struct passthru_vm_env env = { vm->vm_fd, &vm->mem, &vm->dev.pci, &vm->pio, &vm->mmio, &vm->res,
					     &vm->routing, &vm->report, vm_master_changed, vm };

	return passthru_vm_attach(&vm->cfg, &env, &vm->passthru, err, err_len);
}

static int vm_check_config(const struct server_config *cfg, char *err, size_t err_len)
{
	if (cfg->cpus == 0 || cfg->cpus > SERVER_MAX_CPUS || cfg->cpus > VM_MAX_CPUS) {
		snprintf(err, err_len, "cpus %u: must be 1..%u", cfg->cpus, SERVER_MAX_CPUS);
		return -EINVAL;
	}
	if (!server_memory_is_valid(cfg->memory_bytes)) {
		snprintf(err, err_len, "memory %llu bytes: must be " SERVER_MEMORY_RULE,
			 (unsigned long long)cfg->memory_bytes);
		return -EINVAL;
	}
	if (!memchr(cfg->cmdline, 0, sizeof(cfg->cmdline)) || !memchr(cfg->kernel, 0, sizeof(cfg->kernel)) ||
	    !memchr(cfg->initrd, 0, sizeof(cfg->initrd)) || !memchr(cfg->firmware, 0, sizeof(cfg->firmware))) {
		snprintf(err, err_len, "kernel, initrd, command line or firmware is not terminated");
		return -EINVAL;
	}
	return 0;
}

static struct vm *vm_alloc(const struct server_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->state = VM_STATE_CREATED;
	vm->machine = (struct machine){ vm, machine_set_irq_cb, machine_stop_cb, machine_console_write_cb };
	pthread_mutex_init(&vm->devices_lock, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->changed, NULL);
	return vm;
}

/* KVM, memory, vCPUs with cpuid (NULL: what this host's KVM supports), devices at power-on. */
static int vm_build(const struct server_config *cfg, const struct kvm_cpuid2 *cpuid, struct vm **out, char *err,
		    size_t errlen)
{
	struct vm *vm;
	int ret;

	*out = NULL;
	ret = vm_check_config(cfg, err, errlen);
	if (ret < 0)
		return ret;
	vm = vm_alloc(cfg);
	if (!vm)
		return fail(err, errlen, -ENOMEM, "VM");
	ret = vm_open_kvm(vm, err, errlen);
	if (ret == 0)
		ret = vm_create_memory(vm, err, errlen);
	if (ret == 0) {
		vm->cpuid = cpuid ? cpuid_copy(cpuid) : cpuid_supported(vm->kvm_fd, &ret);
		if (!vm->cpuid)
			fail(err, errlen, ret ? ret : -ENOMEM, "KVM_GET_SUPPORTED_CPUID");
		ret = vm->cpuid ? 0 : ret ? ret : -ENOMEM;
	}
	if (ret == 0)
		ret = vm_create_vcpus(vm, err, errlen);
	if (ret == 0)
		ret = vm_devices_add(vm, err, errlen);
	if (ret == 0)
		ret = vm_nics_add(vm, err, errlen);
	if (ret < 0) {
		vm_destroy(vm);
		return ret;
	}
	*out = vm;
	return 0;
}

int vm_create(const struct server_config *cfg, const struct report *report, struct vm **out, char *err,
	      size_t errlen)
{
	bool from_kernel = cfg->boot == SERVER_BOOT_KERNEL;
	struct boot_image image;
	struct vm *vm;
	int ret;

	*out = NULL;
	if (from_kernel && (ret = boot_image_open(&image, cfg->kernel, err, errlen)) < 0)
		return ret;
	ret = vm_build(cfg, NULL, &vm, err, errlen);
	if (ret == 0) {
		if (report)
			vm->report = *report;
		ret = from_kernel ? vm_boot_kernel(vm, &image, err, errlen) : vm_boot_firmware(vm, err, errlen);
		if (ret == 0)
			ret = vm_attach_passthru(vm, err, errlen);
		if (ret < 0)
			vm_destroy(vm);
	}
	if (from_kernel)
		boot_image_close(&image);
	if (ret == 0)
		*out = vm;
	return ret;
}

int vm_create_empty(const struct server_config *cfg, const struct kvm_cpuid2 *cpuid, struct vm **out, char *err,
		    size_t errlen)
{
	int ret;

	if (cfg->n_devices) {
		snprintf(err, errlen, "device %s: a restored server cannot take passed-through devices",
			 cfg->devices[0].pci);
		return -EINVAL;
	}
	ret = vm_build(cfg, cpuid, out, err, errlen);
	/* No devices come with the state, but they may be hot-plugged once it runs (a failover NIC). */
	if (ret == 0)
		ret = vm_attach_passthru(*out, err, errlen);
	if (ret == 0)
		ret = vm_restore_begin(*out, err, errlen);
	if (ret < 0 && *out) {
		vm_destroy(*out);
		*out = NULL;
	}
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_restore_abort(vm);
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	/* Before guest RAM goes: the devices may DMA into it until they are reset. */
	passthru_vm_detach(vm->passthru);
	vm_nics_remove(vm);
	memory_destroy(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	firmware_unload(&vm->rom);
	free(vm->cpuid);
	vcpu_state_plan_free(&vm->state_plan);
	pthread_cond_destroy(&vm->changed);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->devices_lock);
	free(vm);
}
