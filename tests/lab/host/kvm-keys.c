/*
 * lab-kvm-keys: holds one idle KVM VM (in-kernel irqchip, one vCPU that never
 * runs) for the whole life of a lab host, which starts it from its init.
 *
 * Why: creating the first VM and destroying the last flip kernel static keys
 * (the preempt notifiers in __schedule, the local APIC's "software disabled"
 * key), and the kernel rewrites that code on every CPU while it runs. The lab's
 * CPUs are emulated by TCG, and both of them have frozen on that rewritten code:
 * CI run 6 stopped twice in guest-lab-check, each time with both CPUs at the
 * patched jump in __schedule (fire_sched_out_preempt_notifiers), interrupts
 * off, as tiny guests came and went one after another. Real hosts do not
 * freeze there, and sheer does not depend on the keys' state; with one VM
 * always present the keys stay on and the kernel never rewrites that code.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("lab-kvm-keys: cannot hold an idle VM");
		return 1;
	}
	for (;;)
		pause();
}
