/*
 * The seccomp allow-lists, one per thread kind (README, "Security", lists
 * them with the reasons). Like Firecracker's, they allow ioctl only with the
 * requests that kind makes, and nothing opens a file or a socket, executes,
 * forks or maps executable memory once the guest runs. Anything else traps
 * into violation.c, which names the call and stops the VMM.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/if_tun.h>
#include <linux/vfio.h>
#include <linux/vhost.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/sandbox/sandbox.h"
#include "vmm/sandbox/sandbox_internal.h"

/* What every thread does: memory (never executable), locks, time, its own signals, stderr, exit. */
static const int common_calls[] = {
	SYS_futex, SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_exit, SYS_exit_group, SYS_restart_syscall,
	SYS_brk, SYS_munmap, SYS_madvise, SYS_mremap, SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_sched_yield, SYS_getpid, SYS_gettid, SYS_write, SYS_getrandom, SYS_sigaltstack,
};

/*
 * A virtio-net NIC's backend started, stopped or logging (vmm/virtio): by the
 * vCPU whose write said DRIVER_OK, by whoever pauses, migrates, restores or
 * tears down the machine. Its tap's carrier with it, and when a failover
 * primary's driver turns bus mastering on or off (a vCPU's config write).
 */
#define VHOST_NET_IOCTLS                                                                                   \
	VHOST_SET_FEATURES, VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE, VHOST_GET_VRING_BASE,               \
		VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_NET_SET_BACKEND,   \
		VHOST_SET_LOG_BASE, TUNSETOFFLOAD, KVM_IOEVENTFD, KVM_IRQFD, KVM_SET_GSI_ROUTING, TUNSETCARRIER

/* Device emulation behind an exit: port and MMIO into passed-through devices, MSI-X, BAR moves. */
static const int vcpu_calls[] = { SYS_read, SYS_pread64, SYS_pwrite64, SYS_eventfd2, SYS_close };
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_IRQ_LINE, KVM_SIGNAL_MSI, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_SET_USER_MEMORY_REGION,
	KVM_GET_REGS, KVM_GET_SREGS, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET, VHOST_NET_IOCTLS,
};

static const int console_calls[] = { SYS_read, SYS_poll, SYS_ppoll, SYS_fstat, SYS_newfstatat };
static const unsigned long console_ioctls[] = { KVM_IRQ_LINE, TCGETS };

/*
 * A device hot-plugged or pulled out (vmm/vm/vm_hotplug.c): its group into
 * the VMM's container, guest RAM mapped for its DMA, its regions, interrupts
 * and reset; and all of that undone.
 */
#define VFIO_HOTPLUG_IOCTLS                                                                                 \
	VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_SET_IOMMU,        \
		VFIO_CHECK_EXTENSION, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_GROUP_GET_DEVICE_FD,   \
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET, \
		VFIO_DEVICE_SET_IRQS

/* Requests, and a checkpoint written into the descriptor the client passed. */
static const int control_calls[] = {
	SYS_poll, SYS_ppoll, SYS_accept4, SYS_recvmsg, SYS_recvfrom, SYS_read, SYS_sendto, SYS_sendmsg,
	SYS_writev, SYS_setsockopt, SYS_close, SYS_fsync, SYS_fdatasync, SYS_fstat, SYS_newfstatat, SYS_lseek,
	SYS_fcntl, SYS_pread64, SYS_pwrite64,
	SYS_eventfd2,	/* a hot-plugged device's interrupt vectors */
	SYS_timer_create, SYS_timer_settime, SYS_timer_delete,	/* migration's vCPU throttle, a timer per vCPU */
	/* The HTTP API: libmicrohttpd's epoll set (made before confinement) and its half-close after a reply. */
	SYS_epoll_ctl, SYS_epoll_wait, SYS_shutdown,
};
static const unsigned long control_ioctls[] = {
	KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_XSAVE, KVM_GET_XSAVE2, KVM_GET_XCRS, KVM_GET_DEBUGREGS,
	KVM_GET_LAPIC, KVM_GET_TSC_KHZ, KVM_GET_MSRS, KVM_GET_MSR_INDEX_LIST, KVM_GET_VCPU_EVENTS,
	KVM_GET_MP_STATE, KVM_GET_PIT2, KVM_GET_IRQCHIP, KVM_GET_CLOCK, KVM_SET_CLOCK, KVM_CHECK_EXTENSION,
	KVM_IRQ_LINE, KVM_SET_GSI_ROUTING,
	/* pre-copy: dirty logging on the RAM slots */
	KVM_ENABLE_CAP, KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
	VHOST_NET_IOCTLS,	/* pause, resume, vhost's dirty log */
	VFIO_HOTPLUG_IOCTLS,
};

/* An incoming migration: the stream in, answers out, the machine state into KVM. */
static const int receive_calls[] = {
	SYS_read, SYS_poll, SYS_ppoll, SYS_sendmsg, SYS_sendto, SYS_writev,
	SYS_rt_sigpending,	/* a stop signal backs out of a migration before the switch-over */
};
static const unsigned long receive_ioctls[] = {
	KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_XSAVE, KVM_SET_XCRS, KVM_SET_DEBUGREGS, KVM_SET_LAPIC,
	KVM_SET_TSC_KHZ, KVM_SET_MSRS, KVM_SET_VCPU_EVENTS, KVM_SET_MP_STATE, KVM_SET_PIT2, KVM_SET_IRQCHIP,
	KVM_SET_CLOCK, KVM_IRQ_LINE, KVM_GET_LAPIC, KVM_GET_MSR_INDEX_LIST, KVM_GET_MSRS, KVM_CHECK_EXTENSION,
	KVM_GET_TSC_KHZ,
	VHOST_NET_IOCTLS,	/* a NIC's backend restarted where the source's stopped */
};

/* TLS records one way, plaintext the other. */
static const int relay_calls[] = { SYS_read, SYS_poll, SYS_ppoll, SYS_sendto, SYS_recvfrom, SYS_close };

/* Waiting for the guest, signals, then the VM's teardown: interrupts off, DMA unmapped, fds closed. */
static const int main_calls[] = {
	SYS_rt_sigtimedwait, SYS_rt_sigaction, SYS_close, SYS_read, SYS_pread64, SYS_pwrite64, SYS_poll,
	SYS_ppoll, SYS_fstat, SYS_newfstatat, SYS_lseek, SYS_writev,
	SYS_shutdown,	/* cutting a migration in flight when the server stops */
};
static const unsigned long main_ioctls[] = {
	VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET, VFIO_IOMMU_UNMAP_DMA, VFIO_GROUP_UNSET_CONTAINER, KVM_IRQFD,
	KVM_SET_USER_MEMORY_REGION, KVM_IRQ_LINE, VHOST_NET_IOCTLS,
};

#define LIST(a) { a, sizeof(a) / sizeof(a[0]) }

struct allow_list {
	struct { const int *nr; size_t n; } calls;
	struct { const unsigned long *req; size_t n; } ioctls;
};

static const struct allow_list allow_lists[SANDBOX_THREAD_KINDS] = {
	[SANDBOX_MAIN] = { LIST(main_calls), LIST(main_ioctls) },
	[SANDBOX_VCPU] = { LIST(vcpu_calls), LIST(vcpu_ioctls) },
	[SANDBOX_CONSOLE] = { LIST(console_calls), LIST(console_ioctls) },
	[SANDBOX_CONTROL] = { LIST(control_calls), LIST(control_ioctls) },
	[SANDBOX_RECEIVE] = { LIST(receive_calls), LIST(receive_ioctls) },
	[SANDBOX_RELAY] = { LIST(relay_calls), { NULL, 0 } },	/* no ioctl at all */
};

static int allow_calls(scmp_filter_ctx ctx, const int *nr, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr[i], 0);
	return ret;
}

/* The kernel compares the request as the 32-bit value it is; the upper half of the register is noise. */
static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)req[i]));
	return ret;
}

/* Memory may be mapped and re-protected, never made executable; signals only to this process. */
static int allow_guarded(scmp_filter_ctx ctx)
{
	int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));

	if (ret == 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (ret == 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid(), 0));
	return ret;
}

int sandbox_filter_load(enum sandbox_thread kind)
{
	const struct allow_list *list = &allow_lists[kind];
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = allow_calls(ctx, common_calls, sizeof(common_calls) / sizeof(common_calls[0]));
	if (ret == 0)
		ret = allow_calls(ctx, list->calls.nr, list->calls.n);
	if (ret == 0)
		ret = allow_ioctls(ctx, list->ioctls.req, list->ioctls.n);
	if (ret == 0)
		ret = allow_guarded(ctx);
	if (ret == 0)
		ret = sandbox_sanitizer_allow(ctx);
	/* This thread only: each kind installs its own list when it starts. */
	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}
