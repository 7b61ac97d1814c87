#include "vmm/devices/post.h"

static uint64_t post_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return ~0ULL;
}

static void post_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	(void)dev;
	(void)offset;
	(void)size;
	(void)value;
}

static const struct bus_device_ops post_ops = { post_read, post_write };

const struct device_desc post_device = {
	.name = "post",
	.io = &post_ops,
};
