#include <errno.h>
#include <sys/ioctl.h>

#include "vmm/boot/boot_cpu.h"
#include "vmm/machine/layout.h"

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

static struct kvm_segment segment_flat(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = !code64, .s = 1, .l = code64, .g = 1,
	};
}

static int boot_cpu_set_long_mode(struct vcpu *vcpu, uint64_t cr3)
{
	struct kvm_sregs sregs;
	struct kvm_segment data = segment_flat(BOOT_DS, 0x3, false);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = LAYOUT_GDT;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = LAYOUT_IDT;
	sregs.idt.limit = 0;
	sregs.cs = segment_flat(BOOT_CS, 0xb, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	sregs.cr3 = cr3;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	return ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0 ? -errno : 0;
}

int boot_cpu_enter_64bit(struct vcpu *vcpu, const struct boot_entry *entry)
{
	struct kvm_regs regs = {
		.rip = entry->rip,
		.rsi = entry->zero_page,
		.rsp = entry->stack,
		.rbp = entry->stack,
		.rflags = 0x2,
	};
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int ret = boot_cpu_set_long_mode(vcpu, entry->cr3);

	if (ret < 0)
		return ret;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}
