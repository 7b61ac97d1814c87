/* Where a device says its MSI-X table and PBA lie, then the table a guest reads and writes with any offset and size. */
#include <stdio.h>
#include <stdlib.h>

#include "vmm/devices/msix.h"
#include "tests/fuzz/fuzz_input.h"

/*
 * msix_layout_check() accepts exactly the layouts whose table and PBA lie
 * inside the BAR, computed here without any overflow; a difference aborts
 * (issue 9, defect 1: a table past the BAR's end gave the guest sheer's heap).
 */
static void check_layout(struct fuzz_input *in)
{
	uint64_t table_offset = fuzz_take(in, 8), pba_offset = fuzz_take(in, 8);
	uint64_t pba_size = fuzz_take(in, 8) >> (fuzz_take(in, 1) % 64), bar_size = fuzz_take(in, 8);
	unsigned int vectors = (unsigned int)fuzz_take(in, 4);
	unsigned __int128 table_end = (unsigned __int128)table_offset + (unsigned __int128)vectors * MSIX_ENTRY_SIZE;
	bool inside = table_end <= bar_size && (!pba_size || (unsigned __int128)pba_offset + pba_size <= bar_size);
	char why[200];

	if ((msix_layout_check(table_offset, vectors, pba_offset, pba_size, 3, bar_size, why, sizeof(why)) == 0) !=
	    inside) {
		fprintf(stderr, "fuzz_msix: msix_layout_check() %s a layout %s the BAR\n", inside ? "refuses" : "accepts",
			inside ? "inside" : "outside");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	struct msix_table table;

	check_layout(&in);
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
