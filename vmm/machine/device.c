#include <errno.h>

#include "vmm/machine/device.h"

int device_restore(const struct device_desc *desc, void *dev, const void *payload, size_t len, uint16_t version)
{
	struct state_reader r;

	if (!desc->restore || version == 0 || version > desc->state_version)
		return -EPROTONOSUPPORT;
	state_reader_init(&r, payload, len);
	return desc->restore(dev, &r, version);
}
