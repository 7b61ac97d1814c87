#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/machine/layout.h"
#include "vmm/kvm/vcpu.h"

#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_MODE_NMI	(4U << 8)
#define APIC_MODE_EXTINT (7U << 8)
#define APIC_MODE_MASK	(7U << 8)

int vcpu_create(struct vcpu *vcpu, int vm_fd, unsigned int id, size_t run_size)
{
	void *run;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->id = id;
	vcpu->fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		return -errno;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		int ret = -errno;

		close(vcpu->fd);
		vcpu->fd = -1;
		return ret;
	}
	vcpu->run = run;
	vcpu->run_size = run_size;
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vcpu_set_cpuid(struct vcpu *vcpu, struct kvm_cpuid2 *cpuid)
{
	return ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
}

static uint32_t *lapic_reg(struct kvm_lapic_state *lapic, unsigned int offset)
{
	return (uint32_t *)(lapic->regs + offset);
}

/* As a PC BIOS leaves it: LINT0 takes the 8259's ExtINT, LINT1 takes NMI. */
int vcpu_init_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t *lvt0 = lapic_reg(&lapic, APIC_LVT0), *lvt1 = lapic_reg(&lapic, APIC_LVT1);

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	*lvt0 = (*lvt0 & ~APIC_MODE_MASK) | APIC_MODE_EXTINT;
	*lvt1 = (*lvt1 & ~APIC_MODE_MASK) | APIC_MODE_NMI;
	return ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0 ? -errno : 0;
}

int vcpu_wait_for_sipi(struct vcpu *vcpu)
{
	struct kvm_mp_state state = { .mp_state = KVM_MP_STATE_UNINITIALIZED };

	return ioctl(vcpu->fd, KVM_SET_MP_STATE, &state) < 0 ? -errno : 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/* immediate_exit covers a kick that lands before the thread re-enters KVM_RUN. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

static bool vcpu_io_valid(const struct vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	return (run->io.size == 1 || run->io.size == 2 || run->io.size == 4) &&
	       run->io.data_offset <= vcpu->run_size && bytes <= vcpu->run_size - run->io.data_offset;
}

static void vcpu_handle_io(struct vcpu *vcpu, struct bus *pio)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (!vcpu_io_valid(vcpu)) {
		bus_access(pio, run->io.port, (uint8_t[8]){ 0 }, 0, false);	/* counted as unhandled */
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		bus_access(pio, run->io.port, data, run->io.size, run->io.direction == KVM_EXIT_IO_OUT);
}

static void vcpu_handle_mmio(struct vcpu *vcpu, struct bus *mmio)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : 0;

	bus_access(mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write);
}

static enum vcpu_step vcpu_crash(struct vcpu *vcpu, struct vcpu_stop *stop, const char *what)
{
	struct kvm_regs regs;

	stop->reason = VM_EXIT_CRASH;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(stop->detail, sizeof(stop->detail), "vCPU %u: %s at rip 0x%llx", vcpu->id, what,
			 (unsigned long long)regs.rip);
	else
		snprintf(stop->detail, sizeof(stop->detail), "vCPU %u: %s", vcpu->id, what);
	return VCPU_STEP_STOP;
}

/* After a shutdown AMD's KVM has already reset the vCPU, so its registers say nothing about the fault. */
static enum vcpu_step vcpu_triple_fault(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	stop->reason = VM_EXIT_CRASH;
	stop->triple_fault = true;
	snprintf(stop->detail, sizeof(stop->detail), "vCPU %u: triple fault (shutdown)", vcpu->id);
	return VCPU_STEP_STOP;
}

static enum vcpu_step vcpu_system_event(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		stop->reason = VM_EXIT_POWEROFF;
		snprintf(stop->detail, sizeof(stop->detail), "guest powered off");
		return VCPU_STEP_STOP;
	case KVM_SYSTEM_EVENT_RESET:
		stop->reason = VM_EXIT_REBOOT;
		snprintf(stop->detail, sizeof(stop->detail), "guest reset");
		return VCPU_STEP_STOP;
	default:
		return vcpu_crash(vcpu, stop, "system event crash");
	}
}

static const char *const exit_kind_names[VCPU_EXIT_KINDS] = {
	[VCPU_EXIT_IO] = "io", [VCPU_EXIT_MMIO] = "mmio", [VCPU_EXIT_INTR] = "intr", [VCPU_EXIT_OTHER] = "other",
};

const char *vcpu_exit_kind_name(enum vcpu_exit_kind kind)
{
	return (unsigned int)kind < VCPU_EXIT_KINDS ? exit_kind_names[kind] : "?";
}

static void vcpu_count_exit(struct vcpu *vcpu, enum vcpu_exit_kind kind)
{
	__atomic_add_fetch(&vcpu->exits[kind], 1, __ATOMIC_RELAXED);
}

/* Dispatch an IO or MMIO exit; false for any other exit. */
static bool vcpu_handle_access(struct vcpu *vcpu, struct bus *pio, struct bus *mmio)
{
	if (vcpu->run->exit_reason == KVM_EXIT_IO) {
		vcpu_count_exit(vcpu, VCPU_EXIT_IO);
		vcpu_handle_io(vcpu, pio);
	} else if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
		vcpu_count_exit(vcpu, VCPU_EXIT_MMIO);
		vcpu_handle_mmio(vcpu, mmio);
	} else {
		return false;
	}
	vcpu->access_unfinished = true;
	return true;
}

/* A string instruction finishes in page-sized pieces, each its own exit; more than this is not one instruction. */
#define VCPU_SETTLE_MAX_EXITS 64

/*
 * KVM finishes an IO or MMIO exit (stores an IN's data, moves rip past the
 * instruction) only when KVM_RUN is entered again. Registers saved before
 * that make the guest repeat the access where they are restored: a serial
 * byte printed twice, a read's side effect twice. With immediate_exit set,
 * KVM_RUN finishes the access and returns without running the guest further.
 */
int vcpu_settle(struct vcpu *vcpu, struct bus *pio, struct bus *mmio)
{
	struct kvm_run *run = vcpu->run;
	int ret = 0;

	for (int exits = 0; vcpu->access_unfinished && !ret; exits++) {
		vcpu->access_unfinished = false;
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0)
			ret = errno == EINTR || errno == EAGAIN ? 0 : -errno;
		else if (!vcpu_handle_access(vcpu, pio, mmio) || exits >= VCPU_SETTLE_MAX_EXITS)
			ret = -EPROTO;	/* the caller names run->exit_reason */
	}
	__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	return ret;
}

int vcpu_step(struct vcpu *vcpu, struct bus *pio, struct bus *mmio, struct vcpu_stop *stop)
{
	struct kvm_run *run = vcpu->run;
	char what[64];

	vcpu->access_unfinished = false;
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			vcpu_count_exit(vcpu, VCPU_EXIT_INTR);
			return VCPU_STEP_KICKED;
		}
		return -errno;
	}
	stop->triple_fault = false;
	if (vcpu_handle_access(vcpu, pio, mmio))
		return VCPU_STEP_CONTINUE;
	vcpu_count_exit(vcpu, run->exit_reason == KVM_EXIT_INTR ? VCPU_EXIT_INTR : VCPU_EXIT_OTHER);
	switch (run->exit_reason) {
	case KVM_EXIT_INTR:
		return VCPU_STEP_KICKED;
	case KVM_EXIT_SHUTDOWN:
		return vcpu_triple_fault(vcpu, stop);
	case KVM_EXIT_SYSTEM_EVENT:
		return vcpu_system_event(vcpu, stop);
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u)", run->internal.suberror);
		return vcpu_crash(vcpu, stop, what);
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed (reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return vcpu_crash(vcpu, stop, what);
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit %u", run->exit_reason);
		return vcpu_crash(vcpu, stop, what);
	}
}
