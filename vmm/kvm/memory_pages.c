#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/kvm/memory_pages.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/lib/le.h"

#define PAGE_SIZE 4096
#define MAP_BYTES (MEMORY_BLOCK_PAGES / 8)
#define PAGES_HEADER (8 + 2 * MAP_BYTES)

static bool map_test(const uint8_t *map, unsigned int page)
{
	return map[page / 8] & (1 << (page % 8));
}

static void map_set(uint8_t *map, unsigned int page)
{
	map[page / 8] |= 1 << (page % 8);
}

/*
 * The dirty pages of one block (its bits in the log's bitmap), read after
 * the block was cleared. The guest keeps running and writing: each page is
 * copied once into copy, and the copy is what the checksum covers and what
 * goes out; a write after the copy shows in the next round.
 */
static int send_block(const struct dirty_slot *slot, uint64_t first, struct state_sink *sink, bool fresh,
		      uint8_t *copy, struct memory_send_stats *stats)
{
	uint8_t header[PAGES_HEADER] = { 0 };
	struct iovec iov[2];
	size_t copied = 0;
	uint64_t gpa = slot->gpa + (first << 12);
	unsigned int n_pages = slot->pages - first < MEMORY_BLOCK_PAGES ? slot->pages - first : MEMORY_BLOCK_PAGES;
	bool any = false;

	for (unsigned int page = 0; page < n_pages; page++) {
		uint8_t *to = copy + copied;

		if (!(slot->bitmap[(first + page) / 64] & (1ull << ((first + page) % 64))))
			continue;
		memcpy(to, slot->host + ((first + page) << 12), PAGE_SIZE);
		if (memory_page_is_zero(to)) {
			stats->zero_pages++;
			if (fresh)
				continue;
		} else {
			map_set(header + 8 + MAP_BYTES, page);
			copied += PAGE_SIZE;
			stats->data_pages++;
		}
		map_set(header + 8, page);
		any = true;
	}
	if (!any)
		return 0;
	le_put(header, gpa, 8);
	iov[0] = (struct iovec){ header, sizeof(header) };
	iov[1] = (struct iovec){ copy, copied };
	return state_sink_section(sink, MEMORY_PAGES_TYPE, MEMORY_PAGES_VERSION, 0, iov, copied ? 2 : 1);
}

static bool block_dirty(const struct dirty_slot *slot, uint64_t first)
{
	for (uint64_t w = first / 64; w < (first + MEMORY_BLOCK_PAGES) / 64 && w * 64 < slot->pages; w++)
		if (slot->bitmap[w])
			return true;
	return false;
}

int memory_send_dirty(struct dirty_log *log, struct state_sink *sink, bool fresh, struct memory_send_stats *stats)
{
	uint8_t *copy = malloc(MEMORY_BLOCK_SIZE);
	int ret = copy ? 0 : -ENOMEM;

	for (unsigned int s = 0; s < log->n_slots; s++) {
		const struct dirty_slot *slot = &log->slots[s];

		for (uint64_t first = 0; first < slot->pages; first += MEMORY_BLOCK_PAGES) {
			if (ret < 0 || !block_dirty(slot, first))
				continue;
			ret = dirty_log_clear_block(log, s, first);
			if (ret == 0)
				ret = send_block(slot, first, sink, fresh, copy, stats);
		}
	}
	free(copy);
	return ret;
}

int memory_restore_pages(struct guest_memory *mem, const void *payload, uint64_t len)
{
	const uint8_t *p = payload, *covered = p + 8, *with_data = p + 8 + MAP_BYTES, *data = p + PAGES_HEADER;
	unsigned int n_data = 0;
	uint64_t gpa = 0, span;
	uint8_t *host;

	if (len < PAGES_HEADER)
		return -EBADMSG;
	gpa = le_get(p, 8);
	span = 0;
	for (unsigned int page = 0; page < MEMORY_BLOCK_PAGES; page++) {
		if (map_test(with_data, page) && !map_test(covered, page))
			return -EBADMSG;
		if (map_test(covered, page))
			span = (uint64_t)(page + 1) * PAGE_SIZE;
		n_data += map_test(with_data, page);
	}
	host = gpa % MEMORY_BLOCK_SIZE ? NULL : memory_at(mem, gpa, span ? span : PAGE_SIZE);
	if (!host || len != PAGES_HEADER + (uint64_t)n_data * PAGE_SIZE)
		return -EBADMSG;
	for (unsigned int page = 0; page < MEMORY_BLOCK_PAGES; page++) {
		uint8_t *to = host + (uint64_t)page * PAGE_SIZE;

		if (map_test(with_data, page)) {
			memcpy(to, data, PAGE_SIZE);
			data += PAGE_SIZE;
		} else if (map_test(covered, page)) {
			memset(to, 0, PAGE_SIZE);
		}
	}
	return 0;
}
