/*
 * The whole VM as state sections (vmm/machine/state.h), and back.
 *
 * Saved, in this order: the guest's CPUID ("CPID"), the resource allocator
 * ("RES0"), every emulated device (vm_devices.c), the in-kernel PIT, PICs,
 * IO-APIC and KVM clock (vmm/kvm/platform_state.c), each vCPU ("VCPU"),
 * then guest RAM ("MEM0" blocks). The VM must be paused.
 *
 * Restored into a VM built empty with the saved CPUID (vm_create_empty):
 * RAM blocks are written as they arrive; every other section is kept until
 * vm_restore_finish(), which checks that each is there exactly once and
 * applies them in dependency order:
 *   1. the allocator's position;
 *   2. devices, which re-drive their interrupt lines to the saved level so
 *      that KVM's per-source line state matches them;
 *   3. PIT, PICs and IO-APIC, which overwrite whatever edges step 2 caused
 *      with the saved pin, IRR and redirection state;
 *   4. vCPUs (their own order is in vmm/kvm/vcpu_state.c): the LAPICs
 *      after the IO-APIC so that nothing is delivered from a half state;
 *   5. the KVM clock last, just before the guest can run again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/memory_pages.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/kvm/platform_state.h"
#include "vmm/virtio/virtio_net.h"
#include "vmm/vm/vm_internal.h"

#define RESOURCES_STATE_TYPE STATE_TYPE('R', 'E', 'S', '0')
#define RESOURCES_STATE_VERSION 1
#define VM_RESTORE_MAX_SECTIONS (SERVER_MAX_CPUS + 32)
#define VM_STATE_SECTION_MAX (1U << 20)	/* a vCPU with the largest XSAVE area is far below */

struct vm_pending_section {
	struct state_section s;
	void *payload;
};

struct vm_restore {
	unsigned int n_pending;
	struct vm_pending_section pending[VM_RESTORE_MAX_SECTIONS];
	bool device_restored[32];
};

/* ---- save ---- */

int vm_save_refusal(struct vm *vm, enum vm_save_purpose purpose, char *err, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&vm->devices_lock);
	if (vm->cfg.n_devices) {
		snprintf(err, errlen, "device %s is passed through: %s", vm->cfg.devices[0].pci,
			 purpose == VM_SAVE_MIGRATE ? VM_DEVICE_NOT_MIGRATABLE
						    : "its internal state cannot be captured through vfio-pci");
		ret = -EOPNOTSUPP;
	}
	pthread_mutex_unlock(&vm->devices_lock);
	return ret;
}

static int vm_save_writer(struct state_sink *sink, uint32_t type, uint16_t version, uint16_t instance,
			  struct state_writer *w)
{
	int ret = state_sink_writer(sink, type, version, instance, w);

	state_writer_free(w);
	return ret;
}

int vm_save_cpuid(struct vm *vm, struct state_sink *sink)
{
	struct state_writer w;

	state_writer_init(&w);
	cpuid_save(vm->cpuid, &w);
	return vm_save_writer(sink, CPUID_STATE_TYPE, CPUID_STATE_VERSION, 0, &w);
}

static int vm_save_machine(struct vm *vm, struct state_sink *sink)
{
	struct state_writer w;
	int ret = vm_save_cpuid(vm, sink);

	if (ret < 0)
		return ret;
	state_writer_init(&w);
	resources_save(&vm->res, &w);
	ret = vm_save_writer(sink, RESOURCES_STATE_TYPE, RESOURCES_STATE_VERSION, 0, &w);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vm->devices_lock);
	ret = vm_devices_save(vm, sink);
	pthread_mutex_unlock(&vm->devices_lock);
	if (ret == 0)
		ret = platform_state_save(vm->vm_fd, vm->paused_clock_ns, sink);
	return ret;
}

static int vm_save_vcpus(struct vm *vm, struct state_sink *sink, char *err, size_t errlen)
{
	int ret = 0;

	if (!vm->state_plan.msrs && (ret = vcpu_state_plan_init(&vm->state_plan, vm->kvm_fd, &vm->vcpus[0])) < 0) {
		snprintf(err, errlen, "listing the MSRs to save: %s", strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < vm->n_vcpus && ret == 0; i++) {
		struct state_writer w;

		state_writer_init(&w);
		ret = vcpu_state_save(&vm->vcpus[i], &vm->state_plan, &w);
		if (ret == 0)
			ret = vm_save_writer(sink, VCPU_STATE_TYPE, VCPU_STATE_VERSION, i, &w);
		else
			state_writer_free(&w);
		if (ret < 0)
			snprintf(err, errlen, "vCPU %u: %s", i, strerror(-ret));
	}
	return ret;
}

/* Everything but RAM: what a checkpoint writes before its memory, and a migration after its last pages. */
int vm_save_machine_state(struct vm *vm, struct state_sink *sink, char *err, size_t errlen)
{
	enum vm_state state;
	int ret = vm_save_refusal(vm, VM_SAVE_CHECKPOINT, err, errlen);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vm->lock);
	state = vm->state;
	pthread_mutex_unlock(&vm->lock);
	if (state != VM_STATE_PAUSED) {
		snprintf(err, errlen, "the server is %s, not paused", vm_state_name(state));
		return -EINVAL;
	}
	ret = vm_save_machine(vm, sink);
	if (ret < 0) {
		snprintf(err, errlen, "saving the machine: %s", strerror(-ret));
		return ret;
	}
	return vm_save_vcpus(vm, sink, err, errlen);
}

int vm_save(struct vm *vm, struct state_sink *sink, struct vm_save_stats *stats, char *err, size_t errlen)
{
	struct memory_save_stats memory;
	int ret = vm_save_machine_state(vm, sink, err, errlen);

	if (ret < 0)
		return ret;
	ret = memory_save(&vm->mem, sink, &memory);
	if (ret < 0) {
		snprintf(err, errlen, "saving memory: %s", strerror(-ret));
		return ret;
	}
	stats->memory_pages = memory.pages;
	stats->zero_pages = memory.zero_pages;
	return 0;
}

/* ---- restore ---- */

int vm_restore_begin(struct vm *vm, char *err, size_t errlen)
{
	if (vm_devices_count() > sizeof(vm->restore->device_restored)) {
		snprintf(err, errlen, "too many devices to restore");
		return -EINVAL;
	}
	vm->restore = calloc(1, sizeof(*vm->restore));
	if (!vm->restore) {
		snprintf(err, errlen, "restore: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

void vm_restore_abort(struct vm *vm)
{
	if (!vm->restore)
		return;
	for (unsigned int i = 0; i < vm->restore->n_pending; i++)
		free(vm->restore->pending[i].payload);
	free(vm->restore);
	vm->restore = NULL;
}

static bool vm_section_known(uint32_t type)
{
	return type == RESOURCES_STATE_TYPE || type == VCPU_STATE_TYPE || type == PIT_STATE_TYPE ||
	       type == PIC_STATE_TYPE || type == IOAPIC_STATE_TYPE || type == CLOCK_STATE_TYPE;
}

static int vm_restore_keep(struct vm *vm, const struct state_section *s, const void *payload)
{
	struct vm_restore *rs = vm->restore;
	void *copy;

	if (rs->n_pending == VM_RESTORE_MAX_SECTIONS)
		return -E2BIG;
	copy = malloc(s->length ? s->length : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, payload, s->length);
	rs->pending[rs->n_pending++] = (struct vm_pending_section){ *s, copy };
	return 0;
}

static void section_error(char *err, size_t errlen, const struct state_section *s, const char *what)
{
	char name[8];

	state_type_name(s->type, name);
	snprintf(err, errlen, "section %s (instance %u): %s", name, s->instance, what);
}

int vm_restore_section(struct vm *vm, const struct state_section *s, const void *payload, char *err, size_t errlen)
{
	int ret;

	if (!vm->restore) {
		snprintf(err, errlen, "not restoring");
		return -EINVAL;
	}
	if (s->type == MEMORY_STATE_TYPE) {
		ret = s->version == MEMORY_STATE_VERSION ? memory_restore_block(&vm->mem, payload, s->length, true)
							 : -EPROTONOSUPPORT;
		if (ret < 0)
			section_error(err, errlen, s, ret == -EBADMSG ? "block outside guest RAM or malformed"
								      : "unknown version");
		return ret;
	}
	if (s->type == MEMORY_PAGES_TYPE) {
		ret = s->version == MEMORY_PAGES_VERSION ? memory_restore_pages(&vm->mem, payload, s->length)
							  : -EPROTONOSUPPORT;
		if (ret < 0)
			section_error(err, errlen, s, ret == -EBADMSG ? "pages outside guest RAM or malformed"
								      : "unknown version");
		return ret;
	}
	if (s->type == CPUID_STATE_TYPE)
		return 0;	/* the VM was built from it */
	if (s->length > VM_STATE_SECTION_MAX) {
		section_error(err, errlen, s, "larger than any machine state section");
		return -EBADMSG;
	}
	ret = vm_restore_keep(vm, s, payload);
	if (ret < 0)
		section_error(err, errlen, s, strerror(-ret));
	return ret;
}

/* The one pending section of a type and instance, in version; NULL (err says why) when missing, repeated or other. */
static const struct vm_pending_section *vm_pending(const struct vm *vm, uint32_t type, uint16_t instance,
						   uint16_t version, char *err, size_t errlen)
{
	const struct vm_pending_section *found = NULL;
	struct state_section missing = { type, 0, instance, 0, 0 };

	for (unsigned int i = 0; i < vm->restore->n_pending; i++) {
		const struct vm_pending_section *p = &vm->restore->pending[i];

		if (p->s.type != type || p->s.instance != instance)
			continue;
		if (found) {
			section_error(err, errlen, &p->s, "repeated");
			return NULL;
		}
		found = p;
	}
	if (!found || found->s.version != version) {
		section_error(err, errlen, found ? &found->s : &missing, found ? "unknown version" : "missing");
		return NULL;
	}
	return found;
}

static int vm_restore_resources(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_pending_section *p = vm_pending(vm, RESOURCES_STATE_TYPE, 0, RESOURCES_STATE_VERSION, err,
							errlen);
	struct state_reader r;

	if (!p)
		return -EBADMSG;
	state_reader_init(&r, p->payload, p->s.length);
	if (resources_restore(&vm->res, &r) < 0) {
		section_error(err, errlen, &p->s, "allocator position out of range");
		return -EBADMSG;
	}
	return 0;
}

static int vm_restore_devices(struct vm *vm, char *err, size_t errlen)
{
	struct vm_restore *rs = vm->restore;
	const char *missing;
	int ret = 0;

	pthread_mutex_lock(&vm->devices_lock);
	for (unsigned int i = 0; i < rs->n_pending && ret == 0; i++) {
		const struct vm_pending_section *p = &rs->pending[i];

		if (vm_section_known(p->s.type))
			continue;
		ret = vm_devices_restore(vm, &p->s, p->payload, rs->device_restored);
		if (ret < 0)
			section_error(err, errlen, &p->s,
				      ret == -ENOENT	       ? "no such device or section type"
				      : ret == -EEXIST	       ? "repeated"
				      : ret == -EPROTONOSUPPORT ? "unknown version"
								: "malformed device state");
	}
	missing = ret == 0 ? vm_devices_missing(vm, rs->device_restored) : NULL;
	pthread_mutex_unlock(&vm->devices_lock);
	if (missing) {
		snprintf(err, errlen, "no state for device %s", missing);
		return -EBADMSG;
	}
	return ret;
}

/* One section of a platform type and instance, exactly once, applied through platform_state_restore. */
static int vm_restore_platform_one(struct vm *vm, uint32_t type, uint16_t instance, char *err, size_t errlen)
{
	const struct vm_pending_section *p = vm_pending(vm, type, instance, PLATFORM_STATE_VERSION, err, errlen);
	int ret;

	if (!p)
		return -EBADMSG;
	ret = platform_state_restore(vm->vm_fd, &p->s, p->payload);
	if (ret < 0)
		section_error(err, errlen, &p->s, ret == -EBADMSG ? "malformed" : strerror(-ret));
	return ret;
}

static int vm_restore_vcpus(struct vm *vm, char *err, size_t errlen)
{
	char why[160] = "";

	for (unsigned int i = 0; i < vm->restore->n_pending; i++) {
		const struct state_section *s = &vm->restore->pending[i].s;

		if (s->type == VCPU_STATE_TYPE && s->instance >= vm->n_vcpus) {
			section_error(err, errlen, s, "more vCPUs than the server has");
			return -EBADMSG;
		}
	}
	for (unsigned int id = 0; id < vm->n_vcpus; id++) {
		const struct vm_pending_section *p = vm_pending(vm, VCPU_STATE_TYPE, id, VCPU_STATE_VERSION, err, errlen);
		int ret;

		if (!p)
			return -EBADMSG;
		ret = vcpu_state_restore(&vm->vcpus[id], p->payload, p->s.length, why, sizeof(why));
		if (ret < 0) {
			snprintf(err, errlen, "vCPU %u: %s", id, why[0] ? why : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int vm_restore_finish(struct vm *vm, char *err, size_t errlen)
{
	int ret;

	if (!vm->restore) {
		snprintf(err, errlen, "not restoring");
		return -EINVAL;
	}
	ret = vm_restore_resources(vm, err, errlen);
	if (ret == 0)
		ret = vm_restore_devices(vm, err, errlen);
	if (ret == 0)
		ret = vm_restore_platform_one(vm, PIT_STATE_TYPE, 0, err, errlen);
	if (ret == 0)
		ret = vm_restore_platform_one(vm, PIC_STATE_TYPE, 0, err, errlen);
	if (ret == 0)
		ret = vm_restore_platform_one(vm, PIC_STATE_TYPE, 1, err, errlen);
	if (ret == 0)
		ret = vm_restore_platform_one(vm, IOAPIC_STATE_TYPE, 0, err, errlen);
	if (ret == 0)
		ret = vm_restore_vcpus(vm, err, errlen);
	if (ret == 0)
		ret = vm_restore_platform_one(vm, CLOCK_STATE_TYPE, 0, err, errlen);
	/* Last: a NIC's backend may interrupt at once, and only a restored LAPIC keeps what it is sent. */
	if (ret == 0) {
		pthread_mutex_lock(&vm->devices_lock);
		vm_devices_resync(vm);
		pthread_mutex_unlock(&vm->devices_lock);
	}
	vm_restore_abort(vm);
	return ret;
}

/* ---- dirty tracking for migration ---- */

/* vhost writes guest memory behind KVM's back: it logs those pages itself, and the dirty log takes them. */
static int vm_nics_log(struct vm *vm, struct dirty_log *log, bool on)
{
	int ret = 0;

	pthread_mutex_lock(&vm->devices_lock);
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		int r = virtio_net_set_logging(vm->nics[i], on);
		uint64_t words, *bits = virtio_net_dirty_bitmap(vm->nics[i], &words);

		if (r == 0 && on)
			r = dirty_log_add_source(log, bits, words);
		if (ret == 0)
			ret = r;
	}
	pthread_mutex_unlock(&vm->devices_lock);
	return ret;
}

int vm_dirty_log_start(struct vm *vm, struct dirty_log *log)
{
	int ret = 0;

	/* Checked and closed to hot-plug at once: device DMA never shows in KVM's dirty log. */
	pthread_mutex_lock(&vm->devices_lock);
	if (vm->cfg.n_devices)
		ret = -EOPNOTSUPP;
	else
		vm->dirty_logging = true;
	pthread_mutex_unlock(&vm->devices_lock);
	if (ret < 0)
		return ret;
	ret = dirty_log_start(log, vm->vm_fd, &vm->mem);
	if (ret == 0 && (ret = vm_nics_log(vm, log, true)) < 0)
		vm_dirty_log_stop(vm, log);
	return ret;
}

void vm_dirty_log_stop(struct vm *vm, struct dirty_log *log)
{
	vm_nics_log(vm, log, false);
	dirty_log_stop(log, &vm->mem);
	pthread_mutex_lock(&vm->devices_lock);
	vm->dirty_logging = false;
	pthread_mutex_unlock(&vm->devices_lock);
}

bool vm_tsc_unscaled(const struct vm *vm, uint32_t *saved_khz, uint32_t *host_khz)
{
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		if (vm->vcpus[i].tsc_khz_unscaled) {
			*saved_khz = vm->vcpus[i].tsc_khz_unscaled;
			*host_khz = vm->vcpus[i].tsc_khz_host;
			return true;
		}
	}
	return false;
}
