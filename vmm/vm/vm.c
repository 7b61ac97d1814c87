#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "passthru/vfio/passthru_vm.h"
#include "vmm/boot/acpi.h"
#include "vmm/boot/boot_cpu.h"
#include "vmm/boot/boot_linux.h"
#include "vmm/boot/kernel_cache.h"
#include "vmm/devices/console.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/boot/e820.h"
#include "vmm/machine/layout.h"
#include "vmm/machine/machine.h"
#include "vmm/kvm/memory.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pm.h"
#include "vmm/devices/reset_control.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/lib/thread.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/vm/vm.h"

#define KVM_API_VERSION_NEEDED 12
#define VM_MIN_MEMORY (8 * MiB)
#define VM_MAX_CPUS 254		/* xAPIC IDs, the IO-APIC takes the next one */

struct vm {
	struct server_config cfg;
	int kvm_fd;
	int vm_fd;
	struct guest_memory mem;
	struct kvm_cpuid2 *cpuid;
	unsigned int n_vcpus;
	struct vcpu vcpus[SERVER_MAX_CPUS];

	/* Devices, all under devices_lock. */
	pthread_mutex_t devices_lock;
	struct machine machine;
	struct bus pio;
	struct bus mmio;
	struct serial com1;
	struct rtc rtc;
	struct pci_bus pci;
	struct pm pm;
	struct reset_control reset;
	struct console console;
	struct passthru_vm *passthru;	/* assigned PCI devices, NULL when none */

	/* Run state, under lock. Lock order: devices_lock, then lock. */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	enum vm_state state;
	enum vm_state state_before_pause;
	bool stop_requested;
	bool stopping;		/* vCPU threads must leave */
	bool pause_requested;
	unsigned int paused_vcpus;
	unsigned int live_vcpus;
	enum vm_exit_reason exit_reason;
	char exit_detail[192];
	uint64_t start_ns;
	uint64_t stop_ns;
	uint64_t exits;		/* atomic */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_STATE_CREATED: return "created";
	case VM_STATE_RUNNING: return "running";
	case VM_STATE_PAUSED: return "paused";
	case VM_STATE_SHUTTING_DOWN: return "shutting-down";
	case VM_STATE_STOPPED: return "stopped";
	}
	return "unknown";
}

/* The first reason to stop wins; later ones (a second vCPU crashing) are dropped. */
static void vm_request_stop(struct vm *vm, enum vm_exit_reason reason, const char *detail)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_requested) {
		vm->stop_requested = true;
		vm->exit_reason = reason;
		snprintf(vm->exit_detail, sizeof(vm->exit_detail), "%s", detail);
		pthread_cond_broadcast(&vm->changed);
	}
	pthread_mutex_unlock(&vm->lock);
}

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
	int ret;

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

static int vm_load_guest(struct vm *vm, const struct boot_image *image, struct boot_entry *entry, char *err,
			 size_t err_len)
{
	struct acpi_config acpi = { vm->cfg.cpus, LAYOUT_ECAM, LAYOUT_ECAM_SIZE };
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
	};
	return boot_linux_load(&vm->mem, image, &req, entry, err, err_len);
}

static int vm_setup_vcpu(struct vm *vm, unsigned int id, int run_size, const struct boot_entry *entry,
			 struct kvm_cpuid2 *cpuid)
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
	if (ret == 0)
		ret = id == 0 ? boot_cpu_enter_64bit(vcpu, entry) : vcpu_wait_for_sipi(vcpu);
	return ret;
}

static int vm_create_vcpus(struct vm *vm, const struct boot_entry *entry, char *err, size_t err_len)
{
	struct kvm_cpuid2 *cpuid;
	int ret = 0, run_size;
	char what[32];

	run_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail(err, err_len, run_size < 0 ? run_size : -EINVAL, "KVM_GET_VCPU_MMAP_SIZE");
	vm->cpuid = cpuid_supported(vm->kvm_fd, &ret);
	if (!vm->cpuid)
		return fail(err, err_len, ret, "KVM_GET_SUPPORTED_CPUID");
	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return fail(err, err_len, -ENOMEM, "vCPU CPUID");
	for (unsigned int id = 0; id < vm->cfg.cpus; id++) {
		ret = vm_setup_vcpu(vm, id, run_size, entry, cpuid);
		if (ret < 0) {
			snprintf(what, sizeof(what), "vCPU %u", id);
			fail(err, err_len, ret, what);
			break;
		}
	}
	free(cpuid);
	return ret;
}

struct device_range {
	struct bus *bus;
	uint64_t base, len;
	const struct bus_device_ops *ops;
	void *dev;
	const char *name;
};

static int vm_add_devices(struct vm *vm, char *err, size_t err_len)
{
	const struct device_range ranges[] = {
		{ &vm->pio, PORT_COM1, 8, &serial_ops, &vm->com1, "com1" },
		{ &vm->pio, PORT_RTC, 2, &rtc_ops, &vm->rtc, "rtc" },
		{ &vm->pio, PORT_PCI_CONFIG, 8, &pci_port_ops, &vm->pci, "pci-config" },
		{ &vm->pio, PORT_RESET_CONTROL, 1, &reset_control_ops, &vm->reset, "reset-control" },
		{ &vm->pio, PORT_PM_BASE, 12, &pm_ops, &vm->pm, "acpi-pm" },
		{ &vm->pio, PORT_I8042_DATA, 5, &i8042_ops, &vm->reset, "i8042" },
		{ &vm->pio, PORT_POST, 1, &sink_ops, NULL, "post" },
		{ &vm->mmio, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, &pci_ecam_ops, &vm->pci, "pci-ecam" },
	};

	vm->machine = (struct machine){ vm, machine_set_irq_cb, machine_stop_cb };
	bus_init(&vm->pio, "port", &vm->devices_lock);
	bus_init(&vm->mmio, "mmio", &vm->devices_lock);
	if (getenv("SHEER_TRACE_UNHANDLED"))
		vm->pio.trace_unhandled = vm->mmio.trace_unhandled = atoi(getenv("SHEER_TRACE_UNHANDLED"));
	serial_init(&vm->com1, &vm->machine, IRQ_COM1, STDOUT_FILENO);
	rtc_init(&vm->rtc);
	pci_bus_init(&vm->pci);
	pm_init(&vm->pm, &vm->machine);
	reset_control_init(&vm->reset, &vm->machine);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct device_range *r = &ranges[i];
		int ret = bus_register(r->bus, r->base, r->len, r->ops, r->dev, r->name);

		if (ret < 0)
			return fail(err, err_len, ret, r->name);
	}
	return 0;
}

static int vm_attach_passthru(struct vm *vm, char *err, size_t err_len)
{
	const struct passthru_vm_env env = { vm->vm_fd, &vm->mem, &vm->pci, &vm->pio, &vm->mmio };

	return passthru_vm_attach(&vm->cfg, &env, &vm->passthru, err, err_len);
}

static int vm_check_config(const struct server_config *cfg, char *err, size_t err_len)
{
	if (cfg->cpus == 0 || cfg->cpus > SERVER_MAX_CPUS || cfg->cpus > VM_MAX_CPUS) {
		snprintf(err, err_len, "cpus %u: must be 1..%u", cfg->cpus, SERVER_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->memory_bytes < VM_MIN_MEMORY || cfg->memory_bytes % (2 * MiB)) {
		snprintf(err, err_len, "memory %llu bytes: must be a multiple of 2 MiB, at least %llu MiB",
			 (unsigned long long)cfg->memory_bytes, VM_MIN_MEMORY / MiB);
		return -EINVAL;
	}
	if (!memchr(cfg->cmdline, 0, sizeof(cfg->cmdline)) || !memchr(cfg->kernel, 0, sizeof(cfg->kernel)) ||
	    !memchr(cfg->initrd, 0, sizeof(cfg->initrd))) {
		snprintf(err, err_len, "kernel, initrd or command line is not terminated");
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
	pthread_mutex_init(&vm->devices_lock, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->changed, NULL);
	return vm;
}

int vm_create(const struct server_config *cfg, struct vm **out, char *err, size_t errlen)
{
	struct boot_image image;
	struct boot_entry entry;
	struct vm *vm;
	int ret;

	*out = NULL;
	ret = vm_check_config(cfg, err, errlen);
	if (ret < 0)
		return ret;
	ret = boot_image_open(&image, cfg->kernel, err, errlen);
	if (ret < 0)
		return ret;
	vm = vm_alloc(cfg);
	if (!vm) {
		boot_image_close(&image);
		return fail(err, errlen, -ENOMEM, "VM");
	}
	ret = vm_open_kvm(vm, err, errlen);
	if (ret == 0) {
		ret = memory_create(&vm->mem, cfg->memory_bytes, cfg->numa_node);
		if (ret == 0)
			ret = memory_register(&vm->mem, vm->vm_fd);
		if (ret < 0)
			fail(err, errlen, ret, "guest memory");
	}
	if (ret == 0)
		ret = vm_load_guest(vm, &image, &entry, err, errlen);
	if (ret == 0)
		ret = vm_create_vcpus(vm, &entry, err, errlen);
	if (ret == 0)
		ret = vm_add_devices(vm, err, errlen);
	if (ret == 0)
		ret = vm_attach_passthru(vm, err, errlen);
	boot_image_close(&image);
	if (ret < 0) {
		vm_destroy(vm);
		return ret;
	}
	*out = vm;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	/* Before guest RAM goes: the devices may DMA into it until they are reset. */
	passthru_vm_detach(vm->passthru);
	memory_destroy(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	pthread_cond_destroy(&vm->changed);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->devices_lock);
	free(vm);
}

/* ---- running ---- */

static void vcpu_thread_wait_while_paused(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	while (vm->pause_requested && !vm->stopping) {
		vm->paused_vcpus++;
		pthread_cond_broadcast(&vm->changed);
		pthread_cond_wait(&vm->changed, &vm->lock);
		vm->paused_vcpus--;
	}
	pthread_mutex_unlock(&vm->lock);
}

static bool vm_is_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST);
}

static void vcpu_thread_stop(struct vm *vm, const struct vcpu_stop *stop)
{
	/* Linux's last reboot method is a triple fault: after a reset request it is a reboot. */
	if (stop->triple_fault) {
		bool reboot;

		pthread_mutex_lock(&vm->devices_lock);
		reboot = vm->reset.reboot_requested;
		pthread_mutex_unlock(&vm->devices_lock);
		if (reboot) {
			vm_request_stop(vm, VM_EXIT_REBOOT, "guest reset by triple fault after a reboot request");
			return;
		}
	}
	vm_request_stop(vm, stop->reason, stop->detail);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->owner;
	struct vcpu_stop stop;
	sigset_t only_kick;

	/* Leave every other signal to the front end's threads. */
	sigfillset(&only_kick);
	sigdelset(&only_kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &only_kick, NULL);
	while (!vm_is_stopping(vm)) {
		int step;

		vcpu_thread_wait_while_paused(vm);
		if (vm_is_stopping(vm))
			break;
		step = vcpu_step(vcpu, &vm->pio, &vm->mmio, &stop);
		if (step == VCPU_STEP_CONTINUE) {
			__atomic_add_fetch(&vm->exits, 1, __ATOMIC_RELAXED);
		} else if (step == VCPU_STEP_STOP) {
			vcpu_thread_stop(vm, &stop);
			break;
		} else if (step < 0) {
			char detail[96];

			snprintf(detail, sizeof(detail), "vCPU %u: KVM_RUN: %s", vcpu->id, strerror(-step));
			vm_request_stop(vm, VM_EXIT_VMM_ERROR, detail);
			break;
		}
	}
	pthread_mutex_lock(&vm->lock);
	vm->live_vcpus--;
	pthread_cond_broadcast(&vm->changed);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static void vm_kick_all(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int vm_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: the point of the signal is to make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static int vcpu_thread_start(struct vm *vm, struct vcpu *vcpu)
{
	int ret = thread_start(&vcpu->thread, vcpu_thread, vcpu, vm->cfg.host_cpu[vcpu->id]);

	if (ret == 0)
		vcpu->thread_started = true;
	return ret;
}

static int vm_start_vcpus(struct vm *vm)
{
	int ret = vm_install_kick_handler();

	for (unsigned int i = 0; i < vm->n_vcpus && ret == 0; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->live_vcpus++;
		pthread_mutex_unlock(&vm->lock);
		ret = vcpu_thread_start(vm, &vm->vcpus[i]);
		if (ret < 0) {
			pthread_mutex_lock(&vm->lock);
			vm->live_vcpus--;
			pthread_mutex_unlock(&vm->lock);
		}
	}
	return ret;
}

static void vm_stop_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->stopping, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->changed);
	pthread_mutex_unlock(&vm->lock);
	vm_kick_all(vm);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
}

int vm_run(struct vm *vm, enum vm_exit_reason *reason, char *detail, size_t detail_len)
{
	int ret;

	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STATE_CREATED) {
		pthread_mutex_unlock(&vm->lock);
		return -EALREADY;
	}
	vm->state = VM_STATE_RUNNING;
	vm->start_ns = monotonic_ns();
	pthread_mutex_unlock(&vm->lock);

	ret = console_start(&vm->console, STDIN_FILENO, &vm->com1, &vm->devices_lock);
	if (ret == 0)
		ret = vm_start_vcpus(vm);
	if (ret < 0)
		vm_request_stop(vm, VM_EXIT_VMM_ERROR, "could not start vCPU or console threads");

	pthread_mutex_lock(&vm->lock);
	while (!vm->stop_requested && vm->live_vcpus > 0)
		pthread_cond_wait(&vm->changed, &vm->lock);
	pthread_mutex_unlock(&vm->lock);

	vm_stop_vcpus(vm);
	console_stop(&vm->console);

	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_requested) {	/* every vCPU left without saying why */
		vm->exit_reason = VM_EXIT_VMM_ERROR;
		snprintf(vm->exit_detail, sizeof(vm->exit_detail), "all vCPUs stopped");
	}
	vm->state = VM_STATE_STOPPED;
	vm->stop_ns = monotonic_ns();
	*reason = vm->exit_reason;
	if (detail && detail_len)
		snprintf(detail, detail_len, "%s", vm->exit_detail);
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* ---- requests from other threads ---- */

static bool vm_is_live(enum vm_state state)
{
	return state == VM_STATE_RUNNING || state == VM_STATE_PAUSED || state == VM_STATE_SHUTTING_DOWN;
}

int vm_press_power_button(struct vm *vm)
{
	bool live;

	pthread_mutex_lock(&vm->lock);
	live = vm_is_live(vm->state) && !vm->stop_requested;
	if (live && vm->state == VM_STATE_RUNNING)
		vm->state = VM_STATE_SHUTTING_DOWN;
	else if (live && vm->state == VM_STATE_PAUSED)
		vm->state_before_pause = VM_STATE_SHUTTING_DOWN;
	pthread_mutex_unlock(&vm->lock);
	if (!live)
		return -EINVAL;
	pthread_mutex_lock(&vm->devices_lock);
	pm_press_power_button(&vm->pm);
	pthread_mutex_unlock(&vm->devices_lock);
	return 0;
}

int vm_power_off(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_STATE_STOPPED) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&vm->lock);
	/* Also valid before vm_run: the run then ends at once. */
	vm_request_stop(vm, VM_EXIT_POWEROFF, "powered off by the operator");
	return 0;
}

int vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_SHUTTING_DOWN) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->pause_requested = true;
	vm->state_before_pause = vm->state;
	vm->state = VM_STATE_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	vm_kick_all(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->paused_vcpus < vm->live_vcpus && !vm->stop_requested)
		pthread_cond_wait(&vm->changed, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STATE_PAUSED) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->pause_requested = false;
	vm->state = vm->state_before_pause;
	pthread_cond_broadcast(&vm->changed);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void vm_get_status(struct vm *vm, struct vm_status *status)
{
	pthread_mutex_lock(&vm->lock);
	status->state = vm->state;
	status->cpus = vm->cfg.cpus;
	status->memory_bytes = vm->mem.size;
	if (vm->state == VM_STATE_CREATED)
		status->uptime_ns = 0;
	else
		status->uptime_ns = (vm->state == VM_STATE_STOPPED ? vm->stop_ns : monotonic_ns()) - vm->start_ns;
	pthread_mutex_unlock(&vm->lock);
	status->exits = __atomic_load_n(&vm->exits, __ATOMIC_RELAXED);
	status->unhandled_accesses = bus_unhandled(&vm->pio) + bus_unhandled(&vm->mmio);
	status->dma_map_ns = passthru_vm_dma_map_ns(vm->passthru);
}
