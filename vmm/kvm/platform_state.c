#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm/platform_state.h"
#include "vmm/lib/le.h"

static int vm_ioctl(int vm_fd, unsigned long request, void *arg)
{
	return ioctl(vm_fd, request, arg) < 0 ? -errno : 0;
}

static int save_blob(struct state_sink *sink, uint32_t type, uint16_t instance, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	return state_sink_section(sink, type, PLATFORM_STATE_VERSION, instance, &iov, 1);
}

int platform_clock_get(int vm_fd, uint64_t *ns)
{
	struct kvm_clock_data clock = { 0 };
	int ret = vm_ioctl(vm_fd, KVM_GET_CLOCK, &clock);

	if (ret == 0)
		*ns = clock.clock;
	return ret;
}

int platform_clock_set(int vm_fd, uint64_t ns)
{
	struct kvm_clock_data clock = { .clock = ns };

	return vm_ioctl(vm_fd, KVM_SET_CLOCK, &clock);
}

static int save_irqchip(int vm_fd, struct state_sink *sink, uint32_t chip_id, uint32_t type, uint16_t instance)
{
	struct kvm_irqchip chip = { .chip_id = chip_id };
	int ret = vm_ioctl(vm_fd, KVM_GET_IRQCHIP, &chip);

	return ret < 0 ? ret : save_blob(sink, type, instance, &chip.chip, sizeof(chip.chip));
}

int platform_state_save(int vm_fd, uint64_t clock_ns, struct state_sink *sink)
{
	struct kvm_pit_state2 pit;
	uint8_t clock_le[8];
	int ret;

	if ((ret = vm_ioctl(vm_fd, KVM_GET_PIT2, &pit)) < 0 ||
	    (ret = save_blob(sink, PIT_STATE_TYPE, 0, &pit, sizeof(pit))) < 0)
		return ret;
	if ((ret = save_irqchip(vm_fd, sink, KVM_IRQCHIP_PIC_MASTER, PIC_STATE_TYPE, 0)) < 0 ||
	    (ret = save_irqchip(vm_fd, sink, KVM_IRQCHIP_PIC_SLAVE, PIC_STATE_TYPE, 1)) < 0 ||
	    (ret = save_irqchip(vm_fd, sink, KVM_IRQCHIP_IOAPIC, IOAPIC_STATE_TYPE, 0)) < 0)
		return ret;
	le_put(clock_le, clock_ns, 8);
	return save_blob(sink, CLOCK_STATE_TYPE, 0, clock_le, sizeof(clock_le));
}

static int restore_irqchip(int vm_fd, uint32_t chip_id, const void *payload, uint64_t len)
{
	struct kvm_irqchip chip = { .chip_id = chip_id };

	if (len != sizeof(chip.chip))
		return -EBADMSG;
	memcpy(&chip.chip, payload, len);
	return vm_ioctl(vm_fd, KVM_SET_IRQCHIP, &chip);
}

int platform_state_restore(int vm_fd, const struct state_section *s, const void *payload)
{
	struct kvm_pit_state2 pit;
	struct state_reader r;
	uint64_t ns;

	switch (s->type) {
	case PIT_STATE_TYPE:
		if (s->length != sizeof(pit))
			return -EBADMSG;
		memcpy(&pit, payload, sizeof(pit));
		return vm_ioctl(vm_fd, KVM_SET_PIT2, &pit);
	case PIC_STATE_TYPE:
		if (s->instance > 1)
			return -EBADMSG;
		return restore_irqchip(vm_fd, s->instance ? KVM_IRQCHIP_PIC_SLAVE : KVM_IRQCHIP_PIC_MASTER, payload,
				       s->length);
	case IOAPIC_STATE_TYPE:
		return restore_irqchip(vm_fd, KVM_IRQCHIP_IOAPIC, payload, s->length);
	case CLOCK_STATE_TYPE:
		state_reader_init(&r, payload, s->length);
		ns = state_get_u64(&r);
		if (state_reader_finish(&r) < 0)
			return -EBADMSG;
		return platform_clock_set(vm_fd, ns);
	default:
		return -ENOENT;
	}
}
