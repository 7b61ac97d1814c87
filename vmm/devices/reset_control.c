#include <errno.h>

#include "vmm/devices/reset_control.h"

#define CF9_SYS_RST	0x02
#define CF9_RST_CPU	0x04
#define RESET_CONTROL_STATE_TYPE	STATE_TYPE('C', 'F', '9', '0')
#define RESET_CONTROL_STATE_VERSION	1

static void reset_control_reset(void *dev)
{
	struct reset_control *reset = dev;

	reset->s = (struct reset_control_state){ 0 };
}

static void reset_control_init(void *dev, const struct machine *machine, unsigned int irq)
{
	struct reset_control *reset = dev;

	(void)irq;
	reset->machine = machine;
	reset_control_reset(reset);
}

bool reset_control_reboot_requested(const struct reset_control *reset)
{
	return reset->s.reboot_requested;
}

static uint64_t reset_control_read(void *dev, uint64_t offset, unsigned int size)
{
	struct reset_control *reset = dev;

	(void)offset;
	(void)size;
	return reset->s.value;
}

static void reset_control_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct reset_control *reset = dev;

	(void)offset;
	(void)size;
	reset->s.value = value & (CF9_SYS_RST | CF9_RST_CPU);
	if (value & CF9_SYS_RST)
		reset->s.reboot_requested = true;
	if (value & CF9_RST_CPU)
		machine_stop(reset->machine, VM_EXIT_REBOOT, "guest reset through port 0xcf9");
}

static void reset_control_save(const void *dev, struct state_writer *w)
{
	const struct reset_control *reset = dev;

	state_put_u8(w, reset->s.value);
	state_put_bool(w, reset->s.reboot_requested);
}

static int reset_control_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct reset_control *reset = dev;
	struct reset_control_state s;

	(void)version;
	s.value = state_get_u8(r);
	s.reboot_requested = state_get_bool(r);
	if (s.value & ~(CF9_SYS_RST | CF9_RST_CPU))
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	reset->s = s;
	return 0;
}

static const struct bus_device_ops reset_control_ops = { reset_control_read, reset_control_write };

const struct device_desc reset_control_device = {
	.name = "reset-control",
	.io = &reset_control_ops,
	.init = reset_control_init,
	.reset = reset_control_reset,
	.state_type = RESET_CONTROL_STATE_TYPE,
	.state_version = RESET_CONTROL_STATE_VERSION,
	.save = reset_control_save,
	.restore = reset_control_restore,
};
