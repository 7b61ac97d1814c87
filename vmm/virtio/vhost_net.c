#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/machine/layout.h"
#include "vmm/virtio/vhost_net.h"

#define VHOST_LOG_PAGE 4096

static int vhost_ioctl(const struct vhost_net *vh, unsigned long request, const void *arg)
{
	return ioctl(vh->fd, request, arg) < 0 ? -errno : 0;
}

static int vhost_set_memory(struct vhost_net *vh)
{
	const struct guest_memory *mem = vh->mem;
	/* struct vhost_memory ends in a flexible array: room for the two regions around the 32-bit hole. */
	struct vhost_memory *table = calloc(1, sizeof(*table) + 2 * sizeof(struct vhost_memory_region));
	int ret;

	if (!table)
		return -ENOMEM;
	table->regions[table->nregions++] = (struct vhost_memory_region){
		.guest_phys_addr = 0, .memory_size = mem->low_size, .userspace_addr = (uintptr_t)mem->host };
	if (mem->high_size)
		table->regions[table->nregions++] = (struct vhost_memory_region){
			.guest_phys_addr = LAYOUT_HIGH_RAM, .memory_size = mem->high_size,
			.userspace_addr = (uintptr_t)(mem->host + mem->low_size) };
	ret = vhost_ioctl(vh, VHOST_SET_MEM_TABLE, table);
	free(table);
	if (ret == 0)
		ret = vhost_ioctl(vh, VHOST_GET_FEATURES, &vh->features);
	return ret;
}

int vhost_net_open(struct vhost_net *vh, const struct guest_memory *mem, char *err, size_t errlen)
{
	int ret;

	memset(vh, 0, sizeof(*vh));
	vh->mem = mem;
	vh->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (vh->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "/dev/vhost-net: %s (is the vhost_net module loaded?)", strerror(-ret));
		return ret;
	}
	ret = vhost_ioctl(vh, VHOST_SET_OWNER, NULL);
	if (ret == 0)
		ret = vhost_set_memory(vh);
	if (ret < 0) {
		snprintf(err, errlen, "/dev/vhost-net: setting it up: %s", strerror(-ret));
		vhost_net_close(vh);
	}
	return ret;
}

void vhost_net_close(struct vhost_net *vh)
{
	if (vh->fd >= 0)
		close(vh->fd);
	vh->fd = -1;
	free(vh->log);
	vh->log = NULL;
}

static int vhost_set_features(struct vhost_net *vh, uint64_t features)
{
	uint64_t wanted = (features & vh->features) | (vh->logging ? 1ULL << VHOST_F_LOG_ALL : 0);

	return vhost_ioctl(vh, VHOST_SET_FEATURES, &wanted);
}

/* The guest names its rings by guest-physical address; vhost wants sheer's addresses of them. */
static int vhost_set_ring_address(struct vhost_net *vh, unsigned int index, const struct vhost_ring *ring)
{
	uint64_t desc_len = 16ULL * ring->size, avail_len = 6 + 2ULL * ring->size, used_len = 6 + 8ULL * ring->size;
	void *desc = memory_at(vh->mem, ring->desc, desc_len);
	void *avail = memory_at(vh->mem, ring->avail, avail_len);
	void *used = memory_at(vh->mem, ring->used, used_len);
	struct vhost_vring_addr addr = {
		.index = index,
		.flags = vh->logging ? 1U << VHOST_VRING_F_LOG : 0,
		.desc_user_addr = (uintptr_t)desc,
		.avail_user_addr = (uintptr_t)avail,
		.used_user_addr = (uintptr_t)used,
		.log_guest_addr = ring->used,
	};

	if (!desc || !avail || !used)
		return -EFAULT;
	return vhost_ioctl(vh, VHOST_SET_VRING_ADDR, &addr);
}

static int vhost_ring_start(struct vhost_net *vh, unsigned int index, const struct vhost_ring *ring, int tap_fd)
{
	struct vhost_vring_state num = { index, ring->size }, base = { index, ring->last_avail };
	struct vhost_vring_file kick = { index, ring->kick_fd }, call = { index, ring->call_fd };
	struct vhost_vring_file backend = { index, tap_fd };
	int ret = vhost_ioctl(vh, VHOST_SET_VRING_NUM, &num);

	if (ret == 0)
		ret = vhost_ioctl(vh, VHOST_SET_VRING_BASE, &base);
	if (ret == 0)
		ret = vhost_set_ring_address(vh, index, ring);
	if (ret == 0)
		ret = vhost_ioctl(vh, VHOST_SET_VRING_KICK, &kick);
	if (ret == 0)
		ret = vhost_ioctl(vh, VHOST_SET_VRING_CALL, &call);
	if (ret == 0)
		ret = vhost_ioctl(vh, VHOST_NET_SET_BACKEND, &backend);
	return ret;
}

int vhost_net_start(struct vhost_net *vh, uint64_t features, struct vhost_ring *rings, unsigned int n, int tap_fd)
{
	int ret = vhost_set_features(vh, features);

	for (unsigned int i = 0; i < n && ret == 0; i++)
		ret = vhost_ring_start(vh, i, &rings[i], tap_fd);
	if (ret < 0)
		vhost_net_stop(vh, rings, n);
	return ret;
}

int vhost_net_stop(struct vhost_net *vh, struct vhost_ring *rings, unsigned int n)
{
	int ret = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct vhost_vring_file backend = { i, -1 };
		struct vhost_vring_state base = { i, 0 };

		/* Without a backend the worker has let go of the ring: its position is final. */
		int r = vhost_ioctl(vh, VHOST_NET_SET_BACKEND, &backend);

		if (r == 0)
			r = vhost_ioctl(vh, VHOST_GET_VRING_BASE, &base);
		if (r == 0)
			rings[i].last_avail = (uint16_t)base.num;
		else
			ret = r;
	}
	return ret;
}

static int vhost_log_alloc(struct vhost_net *vh)
{
	const struct guest_memory *mem = vh->mem;
	uint64_t end = mem->high_size ? LAYOUT_HIGH_RAM + mem->high_size : mem->low_size;
	uint64_t log_base;

	vh->log_words = (end / VHOST_LOG_PAGE + 63) / 64;
	vh->log = calloc(vh->log_words, sizeof(uint64_t));
	if (!vh->log)
		return -ENOMEM;
	log_base = (uintptr_t)vh->log;
	return vhost_ioctl(vh, VHOST_SET_LOG_BASE, &log_base);
}

int vhost_net_set_logging(struct vhost_net *vh, bool on, uint64_t features, const struct vhost_ring *rings,
			  unsigned int n, bool running)
{
	int ret = 0;

	if (on && !vh->log)
		ret = vhost_log_alloc(vh);
	if (ret < 0)
		return ret;
	vh->logging = on;
	if (!running)
		return 0;
	/* As QEMU does: features first, so that the used ring's log flag is accepted. */
	ret = vhost_set_features(vh, features);
	for (unsigned int i = 0; i < n && ret == 0; i++)
		ret = vhost_set_ring_address(vh, i, &rings[i]);
	return ret;
}
