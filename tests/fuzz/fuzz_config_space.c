/*
 * A passed-through function's virtual config space: a hostile device's raw
 * config space (capability chains that loop or point anywhere, odd BAR
 * sizes) followed by a hostile guest's reads and writes.
 */
#include "passthru/vfio/config_space.h"
#include "tests/fuzz/fuzz_input.h"

static struct config_space cs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	uint64_t bar_sizes[CONFIG_BARS];
	uint8_t raw[CONFIG_SPACE_SIZE] = { 0 };
	unsigned int raw_len = (fuzz_take(&in, 1) & 1) ? CONFIG_SPACE_SIZE : 256;

	for (unsigned int i = 0; i < CONFIG_BARS; i++)
		bar_sizes[i] = fuzz_take(&in, 8);
	for (unsigned int i = 0; i < 256 && fuzz_left(&in) > 0; i++)
		raw[i] = (uint8_t)fuzz_take(&in, 1);
	if (config_space_init(&cs, raw, raw_len, bar_sizes) < 0)
		return 0;
	while (fuzz_left(&in) > 0) {
		unsigned int reg = (unsigned int)fuzz_take(&in, 2) % (CONFIG_SPACE_SIZE + 8);
		unsigned int size = fuzz_access_size(&in, 4);
		uint32_t value = (uint32_t)fuzz_take(&in, 4);

		/* The caller (vfio_pci.c) drops what this refuses, as here. */
		if (!config_space_access_ok(reg, size))
			continue;
		if (fuzz_take(&in, 1) & 1)
			config_space_write(&cs, reg, size, value);
		else
			config_space_read(&cs, reg, size, value);
		config_space_bar_address(&cs, reg % CONFIG_BARS);
	}
	return 0;
}
