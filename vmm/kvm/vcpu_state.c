/*
 * Order of the ioctls, as Firecracker (src/vmm/src/arch/x86_64/vcpu.rs),
 * cloud-hypervisor (hypervisor/src/kvm) and QEMU (target/i386/kvm.c) do it:
 *
 * Save:
 *   MP_STATE first: KVM_GET_MP_STATE runs kvm_apic_accept_events(), which may
 *     change the LAPIC and the vCPU's state; everything read after it is
 *     consistent with what it returned.
 *   REGS, SREGS, XSAVE, XCRS, DEBUGREGS, LAPIC, TSC frequency, MSRs.
 *   VCPU_EVENTS last: it holds pending exceptions and interrupts that the
 *     GET ioctls above could still have changed.
 * Restore (into a vCPU that has its CPUID already):
 *   MP_STATE, REGS, SREGS: SET_SREGS restores the APIC base MSR, so
 *   LAPIC comes after it, and
 *   MSRs after LAPIC: IA32_TSC_DEADLINE only sticks when the LAPIC is
 *     already in TSC-deadline mode; TSC itself comes before TSC_DEADLINE
 *     in the list (the deadline is relative to it).
 *   XSAVE, XCRS, DEBUGREGS anywhere after SREGS (CR4.OSXSAVE).
 *   VCPU_EVENTS last: SET_REGS and SET_SREGS clear pending exceptions, which
 *     this puts back.
 * The TSC frequency is set before anything reads the TSC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm/vcpu_state.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_LIST_MAX 1024
#define XSAVE_LEGACY_SIZE sizeof(struct kvm_xsave)

static int vcpu_ioctl(const struct vcpu *vcpu, unsigned long request, void *arg)
{
	return ioctl(vcpu->fd, request, arg) < 0 ? -errno : 0;
}

static int msr_read_one(const struct vcpu *vcpu, uint32_t index, uint64_t *value)
{
	uint64_t buf[(sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)) / sizeof(uint64_t)] = { 0 };
	struct kvm_msrs *one = (struct kvm_msrs *)buf;
	int n;

	one->nmsrs = 1;
	one->entries[0].index = index;
	n = ioctl(vcpu->fd, KVM_GET_MSRS, one);
	if (n != 1)
		return n < 0 ? -errno : -EIO;
	*value = one->entries[0].data;
	return 0;
}

/* TSC first and TSC_DEADLINE last, so that the deadline is set against the restored TSC. */
static int msr_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int rx = x == MSR_IA32_TSC ? 0 : x == MSR_IA32_TSC_DEADLINE ? 2 : 1;
	int ry = y == MSR_IA32_TSC ? 0 : y == MSR_IA32_TSC_DEADLINE ? 2 : 1;

	if (rx != ry)
		return rx - ry;
	return x < y ? -1 : x > y;
}

static int msr_index_list(int kvm_fd, struct kvm_msr_list **out)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + MSR_LIST_MAX * sizeof(uint32_t));

	if (!list)
		return -ENOMEM;
	list->nmsrs = MSR_LIST_MAX;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		int ret = -errno;

		free(list);
		return ret;
	}
	*out = list;
	return 0;
}

int vcpu_state_plan_init(struct vcpu_state_plan *plan, int kvm_fd, const struct vcpu *vcpu)
{
	struct kvm_msr_list *list = NULL;
	int xsave2, ret;

	memset(plan, 0, sizeof(*plan));
	ret = msr_index_list(kvm_fd, &list);
	if (ret < 0)
		return ret;
	plan->msrs = calloc(list->nmsrs ? list->nmsrs : 1, sizeof(uint32_t));
	if (!plan->msrs) {
		free(list);
		return -ENOMEM;
	}
	/* KVM lists MSRs the CPU may lack (Intel-only ones on AMD): keep those that read. */
	for (unsigned int i = 0; i < list->nmsrs; i++) {
		uint64_t value;

		if (msr_read_one(vcpu, list->indices[i], &value) == 0)
			plan->msrs[plan->n_msrs++] = list->indices[i];
	}
	free(list);
	qsort(plan->msrs, plan->n_msrs, sizeof(uint32_t), msr_order);
	xsave2 = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	plan->xsave_size = xsave2 > (int)XSAVE_LEGACY_SIZE ? (size_t)xsave2 : XSAVE_LEGACY_SIZE;
	return 0;
}

void vcpu_state_plan_free(struct vcpu_state_plan *plan)
{
	free(plan->msrs);
	memset(plan, 0, sizeof(*plan));
}

static void put_blob(struct state_writer *w, const void *data, size_t len)
{
	state_put_u32(w, len);
	state_put_bytes(w, data, len);
}

/* A blob of exactly len bytes, or an error in r. */
static const void *get_blob(struct state_reader *r, size_t len)
{
	if (state_get_u32(r) != len) {
		state_reader_reject(r);
		return NULL;
	}
	return state_get_ptr(r, len);
}

static int save_msrs(const struct vcpu *vcpu, const struct vcpu_state_plan *plan, struct state_writer *w)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + plan->n_msrs * sizeof(struct kvm_msr_entry));
	int n;

	if (!msrs)
		return -ENOMEM;
	msrs->nmsrs = plan->n_msrs;
	for (unsigned int i = 0; i < plan->n_msrs; i++)
		msrs->entries[i].index = plan->msrs[i];
	n = ioctl(vcpu->fd, KVM_GET_MSRS, msrs);
	if (n != (int)plan->n_msrs) {
		free(msrs);
		return n < 0 ? -errno : -EIO;
	}
	state_put_u32(w, plan->n_msrs);
	for (unsigned int i = 0; i < plan->n_msrs; i++) {
		state_put_u32(w, msrs->entries[i].index);
		state_put_u64(w, msrs->entries[i].data);
	}
	free(msrs);
	return 0;
}

static int save_xsave(const struct vcpu *vcpu, const struct vcpu_state_plan *plan, struct state_writer *w)
{
	void *area = calloc(1, plan->xsave_size);
	int ret;

	if (!area)
		return -ENOMEM;
	ret = vcpu_ioctl(vcpu, plan->xsave_size > XSAVE_LEGACY_SIZE ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, area);
	if (ret == 0)
		put_blob(w, area, plan->xsave_size);
	free(area);
	return ret;
}

int vcpu_state_save(const struct vcpu *vcpu, const struct vcpu_state_plan *plan, struct state_writer *w)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	int ret, tsc_khz;

	if ((ret = vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp)) < 0 || (ret = vcpu_ioctl(vcpu, KVM_GET_REGS, &regs)) < 0 ||
	    (ret = vcpu_ioctl(vcpu, KVM_GET_SREGS, &sregs)) < 0)
		return ret;
	state_put_u32(w, mp.mp_state);
	put_blob(w, &regs, sizeof(regs));
	put_blob(w, &sregs, sizeof(sregs));
	if ((ret = save_xsave(vcpu, plan, w)) < 0)
		return ret;
	if ((ret = vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs)) < 0 ||
	    (ret = vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &debugregs)) < 0 ||
	    (ret = vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic)) < 0)
		return ret;
	put_blob(w, &xcrs, sizeof(xcrs));
	put_blob(w, &debugregs, sizeof(debugregs));
	put_blob(w, &lapic, sizeof(lapic));
	tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	state_put_u32(w, tsc_khz > 0 ? (uint32_t)tsc_khz : 0);
	if ((ret = save_msrs(vcpu, plan, w)) < 0 || (ret = vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events)) < 0)
		return ret;
	put_blob(w, &events, sizeof(events));
	return 0;
}

/* The payload, decoded and bounds-checked, before KVM is touched. */
struct vcpu_saved {
	uint32_t mp_state;
	const struct kvm_regs *regs;
	const struct kvm_sregs *sregs;
	const void *xsave;
	size_t xsave_size;
	const struct kvm_xcrs *xcrs;
	const struct kvm_debugregs *debugregs;
	const struct kvm_lapic_state *lapic;
	uint32_t tsc_khz;
	uint32_t n_msrs;
	const uint8_t *msrs;	/* n_msrs (index u32, value u64) pairs */
	const struct kvm_vcpu_events *events;
};

static int vcpu_saved_decode(struct vcpu_saved *s, const void *payload, size_t len)
{
	struct state_reader r;

	state_reader_init(&r, payload, len);
	s->mp_state = state_get_u32(&r);
	s->regs = get_blob(&r, sizeof(*s->regs));
	s->sregs = get_blob(&r, sizeof(*s->sregs));
	s->xsave_size = state_get_u32(&r);
	if (s->xsave_size < XSAVE_LEGACY_SIZE || s->xsave_size > (1U << 20))
		state_reader_reject(&r);
	s->xsave = state_get_ptr(&r, s->xsave_size);
	s->xcrs = get_blob(&r, sizeof(*s->xcrs));
	s->debugregs = get_blob(&r, sizeof(*s->debugregs));
	s->lapic = get_blob(&r, sizeof(*s->lapic));
	s->tsc_khz = state_get_u32(&r);
	s->n_msrs = state_get_u32(&r);
	if (s->n_msrs > MSR_LIST_MAX)
		state_reader_reject(&r);
	s->msrs = state_get_ptr(&r, (size_t)s->n_msrs * 12);
	s->events = get_blob(&r, sizeof(*s->events));
	if (s->mp_state > KVM_MP_STATE_AP_RESET_HOLD)
		state_reader_reject(&r);
	return state_reader_finish(&r);
}

static int restore_msrs(struct vcpu *vcpu, const struct vcpu_saved *s, char *err, size_t errlen)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + s->n_msrs * sizeof(struct kvm_msr_entry));
	struct state_reader r;
	int n;

	if (!msrs)
		return -ENOMEM;
	state_reader_init(&r, s->msrs, (size_t)s->n_msrs * 12);
	msrs->nmsrs = s->n_msrs;
	for (unsigned int i = 0; i < s->n_msrs; i++) {
		msrs->entries[i].index = state_get_u32(&r);
		msrs->entries[i].data = state_get_u64(&r);
	}
	n = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
	if (n >= 0 && n < (int)s->n_msrs)
		snprintf(err, errlen, "MSR 0x%x refused by KVM", msrs->entries[n].index);
	free(msrs);
	if (n < 0)
		return -errno;
	return n < (int)s->n_msrs ? -EINVAL : 0;
}

/*
 * Without TSC scaling a guest keeps this host's TSC rate. Within
 * TSC_UNSCALED_PPM_MAX of its own it runs on (as under QEMU, which accepts
 * any mismatch): kvmclock is computed from this host's rate, so the guest's
 * clock stays right; only raw TSC readings run that much fast or slow, and the
 * caller warns. Beyond that the restore is refused.
 */
#define TSC_UNSCALED_PPM_MAX 1000

static int restore_tsc_khz(struct vcpu *vcpu, uint32_t tsc_khz, char *err, size_t errlen)
{
	int here = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	uint64_t diff;

	vcpu->tsc_khz_unscaled = 0;
	if (tsc_khz == 0 || here <= 0 || (uint32_t)here == tsc_khz)
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)tsc_khz) == 0)
		return 0;
	diff = tsc_khz > (uint32_t)here ? tsc_khz - (uint32_t)here : (uint32_t)here - tsc_khz;
	if (diff * 1000000 <= (uint64_t)tsc_khz * TSC_UNSCALED_PPM_MAX) {
		vcpu->tsc_khz_unscaled = tsc_khz;
		vcpu->tsc_khz_host = (uint32_t)here;
		return 0;
	}
	snprintf(err, errlen, "TSC frequency %u kHz, this host's KVM cannot set it (its own is %d kHz, more than "
		 "0.1%% away)", tsc_khz, here);
	return -ENOTSUP;
}

/* One SET ioctl; on failure err names the step. */
static int restore_step(struct vcpu *vcpu, unsigned long request, const void *arg, const char *what, char *err,
			size_t errlen)
{
	int ret = vcpu_ioctl(vcpu, request, (void *)arg);

	if (ret < 0)
		snprintf(err, errlen, "%s refused by KVM: %s", what, strerror(-ret));
	return ret;
}

int vcpu_state_restore(struct vcpu *vcpu, const void *payload, size_t len, char *err, size_t errlen)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct vcpu_saved s;
	void *xsave;
	int ret;

	if (vcpu_saved_decode(&s, payload, len) < 0) {
		snprintf(err, errlen, "malformed vCPU state");
		return -EBADMSG;
	}
	mp.mp_state = s.mp_state;
	/* NMI and SIPI fields apply only when flagged; GET leaves those flags out. */
	memcpy(&events, s.events, sizeof(events));
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	xsave = calloc(1, s.xsave_size);
	if (!xsave)
		return -ENOMEM;
	memcpy(xsave, s.xsave, s.xsave_size);
	ret = restore_tsc_khz(vcpu, s.tsc_khz, err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_MP_STATE, &mp, "MP state", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_REGS, s.regs, "registers", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_SREGS, s.sregs, "system registers", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_XSAVE, xsave, "XSAVE area", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_XCRS, s.xcrs, "XCRs", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_DEBUGREGS, s.debugregs, "debug registers", err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_LAPIC, s.lapic, "LAPIC", err, errlen);
	if (ret == 0)
		ret = restore_msrs(vcpu, &s, err, errlen);
	if (ret == 0)
		ret = restore_step(vcpu, KVM_SET_VCPU_EVENTS, &events, "pending events", err, errlen);
	free(xsave);
	return ret;
}
