/*
 * The kernel's vhost-net as a virtio-net NIC's data path: a kernel worker
 * moves frames between the guest's virtqueues and the tap, woken by the
 * guest's notifications (an ioeventfd KVM signals, never an exit to sheer)
 * and interrupting the guest through an irqfd. sheer only sets it up, stops
 * it (to read the queue positions it keeps) and starts it again.
 */
#ifndef SHEER_VMM_VIRTIO_VHOST_NET_H
#define SHEER_VMM_VIRTIO_VHOST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm/memory.h"

struct vhost_ring {
	uint16_t size;
	uint16_t last_avail;	/* where vhost goes on from */
	uint64_t desc, avail, used;	/* guest-physical */
	int kick_fd;		/* the guest's notifications */
	int call_fd;		/* vhost's interrupts; -1: none */
};

struct vhost_net {
	int fd;			/* /dev/vhost-net */
	uint64_t features;	/* what vhost offers */
	const struct guest_memory *mem;
	uint64_t *log;		/* migration: the pages vhost wrote, one bit per 4 KiB of guest-physical space */
	uint64_t log_words;
	bool logging;
};

/* Open, own and give it all guest RAM; err says why not (no vhost_net module, ...). */
int vhost_net_open(struct vhost_net *vh, const struct guest_memory *mem, char *err, size_t errlen);
void vhost_net_close(struct vhost_net *vh);
/*
 * Start moving frames between rings and the tap: features are the guest's,
 * ring addresses are checked against guest RAM (-EFAULT when one is not all
 * RAM: a guest's mistake, the caller flags the device as needing reset).
 */
int vhost_net_start(struct vhost_net *vh, uint64_t features, struct vhost_ring *rings, unsigned int n, int tap_fd);
/* Stop; each ring's last_avail is updated to where vhost stopped. */
int vhost_net_stop(struct vhost_net *vh, struct vhost_ring *rings, unsigned int n);
/* Log vhost's writes into guest memory (a running device is switched over too), or stop logging. */
int vhost_net_set_logging(struct vhost_net *vh, bool on, uint64_t features, const struct vhost_ring *rings,
			  unsigned int n, bool running);

#endif
