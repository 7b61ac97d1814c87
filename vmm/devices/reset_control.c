#include "vmm/machine/layout.h"
#include "vmm/devices/reset_control.h"

#define CF9_SYS_RST	0x02
#define CF9_RST_CPU	0x04
#define I8042_PULSE_RESET 0xfe

void reset_control_init(struct reset_control *reset, const struct machine *machine)
{
	*reset = (struct reset_control){ .machine = machine };
}

static uint64_t reset_control_read(void *dev, uint64_t offset, unsigned int size)
{
	struct reset_control *reset = dev;

	(void)offset;
	(void)size;
	return reset->value;
}

static void reset_control_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct reset_control *reset = dev;

	(void)offset;
	(void)size;
	reset->value = value & (CF9_SYS_RST | CF9_RST_CPU);
	if (value & CF9_SYS_RST)
		reset->reboot_requested = true;
	if (value & CF9_RST_CPU)
		machine_stop(reset->machine, VM_EXIT_REBOOT, "guest reset through port 0xcf9");
}

/* The keyboard controller is absent (FADT says so) except for its reset line. */
static uint64_t i8042_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return 0;	/* status: no data, input buffer empty */
}

static void i8042_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct reset_control *reset = dev;

	if (offset == PORT_I8042_CMD - PORT_I8042_DATA && size == 1 && (value & 0xff) == I8042_PULSE_RESET) {
		reset->reboot_requested = true;
		machine_stop(reset->machine, VM_EXIT_REBOOT, "guest reset through the keyboard controller");
	}
}

static uint64_t sink_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return ~0ULL;
}

static void sink_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	(void)dev;
	(void)offset;
	(void)size;
	(void)value;
}

const struct bus_device_ops reset_control_ops = { reset_control_read, reset_control_write };
const struct bus_device_ops i8042_ops = { i8042_read, i8042_write };
const struct bus_device_ops sink_ops = { sink_read, sink_write };
