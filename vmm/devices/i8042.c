#include "vmm/devices/i8042.h"
#include "vmm/machine/layout.h"

#define I8042_PULSE_RESET 0xfe

static void i8042_init(void *dev, const struct machine *machine, unsigned int irq)
{
	struct i8042 *kbc = dev;

	(void)irq;
	kbc->machine = machine;
}

static uint64_t i8042_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return 0;	/* status: no data, input buffer empty */
}

static void i8042_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct i8042 *kbc = dev;

	if (offset == PORT_I8042_CMD - PORT_I8042_DATA && size == 1 && (value & 0xff) == I8042_PULSE_RESET)
		machine_stop(kbc->machine, VM_EXIT_REBOOT, "guest reset through the keyboard controller");
}

static const struct bus_device_ops i8042_ops = { i8042_read, i8042_write };

const struct device_desc i8042_device = {
	.name = "i8042",
	.io = &i8042_ops,
	.init = i8042_init,
};
