/* The MSI-X table and PBA page a guest reads and writes with any offset and size. */
#include "passthru/vfio/msix.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	struct msix_table table;

	if (msix_table_init(&table, (unsigned int)fuzz_take(&in, 2) % 2049) < 0)
		return 0;
	while (fuzz_left(&in) > 0) {
		uint64_t offset = fuzz_take(&in, 3);
		unsigned int size = fuzz_access_size(&in, 8);

		if (fuzz_take(&in, 1) & 1)
			msix_table_write(&table, offset, size, fuzz_take(&in, 8));
		else
			msix_table_read(&table, offset, size);
	}
	msix_table_destroy(&table);
	return 0;
}
