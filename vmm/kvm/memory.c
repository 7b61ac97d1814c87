#include <errno.h>
#include <linux/kvm.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/machine/layout.h"
#include "vmm/kvm/memory.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

#define HUGE_PAGE_SIZE (2 * MiB)

/*
 * Map [fd or anonymous] memory at a 2 MiB aligned address: KVM maps a guest
 * huge page only where the host address is aligned like the guest address.
 */
static void *map_aligned(uint64_t size, int flags, int fd)
{
	uint8_t *reserve = mmap(NULL, size + HUGE_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *aligned, *host;

	if (reserve == MAP_FAILED)
		return MAP_FAILED;
	aligned = (uint8_t *)(((uintptr_t)reserve + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
	host = mmap(aligned, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
	if (host == MAP_FAILED) {
		munmap(reserve, size + HUGE_PAGE_SIZE);
		return MAP_FAILED;
	}
	if (aligned > reserve)
		munmap(reserve, aligned - reserve);
	munmap(aligned + size, reserve + HUGE_PAGE_SIZE - aligned);
	return host;
}

static int memory_map_memfd(struct guest_memory *mem, unsigned int memfd_flags, int map_flags)
{
	void *host;
	int fd, ret;

	fd = memfd_create("sheer-ram", MFD_CLOEXEC | memfd_flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, mem->size) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	host = map_aligned(mem->size, MAP_SHARED | map_flags, fd);
	if (host == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	mem->fd = fd;
	mem->host = host;
	return 0;
}

static int memory_map_anonymous(struct guest_memory *mem)
{
	void *host = map_aligned(mem->size, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

	if (host == MAP_FAILED)
		return -errno;
	mem->host = host;
	return 0;
}

/* Does the host let shared memory (memfd) use transparent huge pages? */
static bool shmem_thp_enabled(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");

	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	return strstr(mode, "[always]") || strstr(mode, "[within_size]") || strstr(mode, "[advise]");
}

/*
 * Guest RAM must sit on 2 MiB host pages: every guest page first touched on
 * 4 KiB host pages is a nested page fault, an exit. Booting the test OS image
 * on 4 KiB shmem took 29,000 of them, against 600 for QEMU on anonymous THP
 * memory. In order of preference: a memfd of reserved hugetlbfs pages (pinned,
 * populated now so a short pool fails here and not in the guest); a memfd when
 * the host gives shmem transparent huge pages; else anonymous THP memory.
 */
static int memory_map(struct guest_memory *mem)
{
	int ret = memory_map_memfd(mem, MFD_HUGETLB | MFD_HUGE_2MB, MAP_POPULATE);

	if (ret == 0) {
		mem->huge_pages = true;
		return 0;
	}
	ret = shmem_thp_enabled() ? memory_map_memfd(mem, 0, 0) : memory_map_anonymous(mem);
	if (ret == 0)
		madvise(mem->host, mem->size, MADV_HUGEPAGE);
	return ret;
}

static int memory_bind(struct guest_memory *mem, int numa_node)
{
	unsigned long nodemask[4] = { 0 };
	const unsigned long bits = 8 * sizeof(unsigned long);

	if (numa_node < 0)
		return 0;
	if ((unsigned long)numa_node >= 4 * bits)
		return -EINVAL;
	nodemask[numa_node / bits] = 1UL << (numa_node % bits);
	if (mbind(mem->host, mem->size, MPOL_BIND, nodemask, 4 * bits, MPOL_MF_MOVE) < 0)
		return -errno;
	return 0;
}

void memory_split(uint64_t size, uint64_t *low, uint64_t *high)
{
	*low = size < LAYOUT_LOW_RAM_MAX ? size : LAYOUT_LOW_RAM_MAX;
	*high = size - *low;
}

int memory_create(struct guest_memory *mem, uint64_t size, int numa_node)
{
	int ret;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size < 2 * MiB || size % (2 * MiB))
		return -EINVAL;
	mem->size = size;
	memory_split(size, &mem->low_size, &mem->high_size);
	ret = memory_map(mem);
	if (ret < 0)
		return ret;
	ret = memory_bind(mem, numa_node);
	if (ret < 0)
		memory_destroy(mem);
	return ret;
}

static int memory_set_slot(int vm_fd, unsigned int slot, uint64_t gpa, uint64_t size, void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

int memory_map_rom(int vm_fd, uint32_t slot, uint64_t gpa, const void *host, uint64_t size)
{
	return memory_set_slot(vm_fd, slot, gpa, size, (void *)host, KVM_MEM_READONLY);
}

static int memory_set_slots(const struct guest_memory *mem, int vm_fd, uint32_t flags)
{
	int ret = memory_set_slot(vm_fd, mem->first_slot, 0, mem->low_size, mem->host, flags);

	if (ret == 0 && mem->high_size)
		ret = memory_set_slot(vm_fd, mem->first_slot + 1, LAYOUT_HIGH_RAM, mem->high_size,
				      mem->host + mem->low_size, flags);
	return ret;
}

int memory_register(struct guest_memory *mem, int vm_fd, uint32_t first_slot)
{
	mem->first_slot = first_slot;
	return memory_set_slots(mem, vm_fd, 0);
}

int memory_set_dirty_logging(const struct guest_memory *mem, int vm_fd, bool on)
{
	return memory_set_slots(mem, vm_fd, on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

void memory_destroy(struct guest_memory *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->host = NULL;
	mem->fd = -1;
}

void *memory_at(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	if (gpa < mem->low_size)
		return len <= mem->low_size - gpa ? mem->host + gpa : NULL;
	if (gpa >= LAYOUT_HIGH_RAM && gpa - LAYOUT_HIGH_RAM < mem->high_size)
		return len <= mem->high_size - (gpa - LAYOUT_HIGH_RAM) ?
			mem->host + mem->low_size + (gpa - LAYOUT_HIGH_RAM) : NULL;
	return NULL;
}
