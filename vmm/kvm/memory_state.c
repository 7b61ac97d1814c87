#include <errno.h>
#include <string.h>

#include "vmm/kvm/memory_state.h"
#include "vmm/machine/layout.h"
#include "vmm/lib/le.h"

#define PAGE_SIZE 4096

bool memory_page_is_zero(const uint8_t *page)
{
	const uint64_t *word = (const uint64_t *)page;

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i += 4)
		if (word[i] | word[i + 1] | word[i + 2] | word[i + 3])
			return false;
	return true;
}

/* One block: its map, and an iovec per run of consecutive non-zero pages. */
static int memory_save_block(uint64_t gpa, const uint8_t *host, struct state_sink *sink,
			     struct memory_save_stats *stats)
{
	uint8_t header[MEMORY_BLOCK_HEADER] = { 0 };
	struct iovec iov[1 + MEMORY_BLOCK_PAGES / 2 + 1];
	int n_iov = 1;
	unsigned int present = 0;

	for (unsigned int page = 0; page < MEMORY_BLOCK_PAGES; page++) {
		const uint8_t *data = host + (uint64_t)page * PAGE_SIZE;

		if (memory_page_is_zero(data))
			continue;
		header[8 + page / 8] |= 1 << (page % 8);
		present++;
		if (n_iov > 1 && (uint8_t *)iov[n_iov - 1].iov_base + iov[n_iov - 1].iov_len == data)
			iov[n_iov - 1].iov_len += PAGE_SIZE;
		else
			iov[n_iov++] = (struct iovec){ (void *)data, PAGE_SIZE };
	}
	stats->pages += present;
	stats->zero_pages += MEMORY_BLOCK_PAGES - present;
	if (!present)
		return 0;
	le_put(header, gpa, 8);
	iov[0] = (struct iovec){ header, sizeof(header) };
	return state_sink_section(sink, MEMORY_STATE_TYPE, MEMORY_STATE_VERSION, 0, iov, n_iov);
}

static int memory_save_range(uint64_t gpa, const uint8_t *host, uint64_t size, struct state_sink *sink,
			     struct memory_save_stats *stats)
{
	for (uint64_t off = 0; off < size; off += MEMORY_BLOCK_SIZE) {
		int ret = memory_save_block(gpa + off, host + off, sink, stats);

		if (ret < 0)
			return ret;
	}
	return 0;
}

int memory_save(const struct guest_memory *mem, struct state_sink *sink, struct memory_save_stats *stats)
{
	int ret;

	*stats = (struct memory_save_stats){ 0 };
	ret = memory_save_range(0, mem->host, mem->low_size, sink, stats);
	if (ret == 0 && mem->high_size)
		ret = memory_save_range(LAYOUT_HIGH_RAM, mem->host + mem->low_size, mem->high_size, sink, stats);
	return ret;
}

int memory_restore_block(struct guest_memory *mem, const void *payload, uint64_t len, bool fresh)
{
	const uint8_t *p = payload, *map = p + 8, *data = p + MEMORY_BLOCK_HEADER;
	unsigned int present = 0;
	uint64_t gpa = 0;
	uint8_t *host;

	if (len < MEMORY_BLOCK_HEADER)
		return -EBADMSG;
	gpa = le_get(p, 8);
	for (unsigned int i = 0; i < MEMORY_BLOCK_PAGES / 8; i++)
		present += __builtin_popcount(map[i]);
	host = gpa % MEMORY_BLOCK_SIZE ? NULL : memory_at(mem, gpa, MEMORY_BLOCK_SIZE);
	if (!host || len != MEMORY_BLOCK_HEADER + (uint64_t)present * PAGE_SIZE)
		return -EBADMSG;
	for (unsigned int page = 0; page < MEMORY_BLOCK_PAGES; page++) {
		uint8_t *to = host + (uint64_t)page * PAGE_SIZE;

		if (map[page / 8] & (1 << (page % 8))) {
			memcpy(to, data, PAGE_SIZE);
			data += PAGE_SIZE;
		} else if (!fresh) {
			memset(to, 0, PAGE_SIZE);
		}
	}
	return 0;
}
