#include <errno.h>
#include <linux/kvm.h>
#include <numaif.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/layout.h"
#include "vmm/memory.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

static int memory_map(struct guest_memory *mem, bool huge)
{
	unsigned int flags = MFD_CLOEXEC | (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	void *host;
	int fd, ret;

	fd = memfd_create("sheer-ram", flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, mem->size) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* MAP_POPULATE makes a short huge page pool fail here, not at guest run time. */
	host = mmap(NULL, mem->size, PROT_READ | PROT_WRITE, MAP_SHARED | (huge ? MAP_POPULATE : 0), fd, 0);
	if (host == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	mem->fd = fd;
	mem->host = host;
	mem->huge_pages = huge;
	return 0;
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

int memory_create(struct guest_memory *mem, uint64_t size, int numa_node)
{
	int ret;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size < 2 * MiB || size % (2 * MiB))
		return -EINVAL;
	mem->size = size;
	mem->low_size = size < LAYOUT_LOW_RAM_MAX ? size : LAYOUT_LOW_RAM_MAX;
	mem->high_size = size - mem->low_size;
	ret = memory_map(mem, true);
	if (ret < 0)
		ret = memory_map(mem, false);
	if (ret < 0)
		return ret;
	ret = memory_bind(mem, numa_node);
	if (ret < 0)
		memory_destroy(mem);
	return ret;
}

static int memory_set_slot(int vm_fd, unsigned int slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

int memory_register(struct guest_memory *mem, int vm_fd)
{
	int ret = memory_set_slot(vm_fd, 0, 0, mem->low_size, mem->host);

	if (ret == 0 && mem->high_size)
		ret = memory_set_slot(vm_fd, 1, LAYOUT_HIGH_RAM, mem->high_size, mem->host + mem->low_size);
	return ret;
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
