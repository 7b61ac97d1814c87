/*
 * A virtio-net NIC (virtio spec 5.1): the guest's stock virtio_net driver
 * on one receive and one transmit queue, the kernel's vhost-net moving the
 * frames to a tap (vhost_net.c, tap.c). sheer answers only the setup: its
 * configuration (MAC, link up), the features it offers, and starting and
 * stopping vhost. With standby, it offers VIRTIO_NET_F_STANDBY, so that the
 * guest's net_failover pairs it with a passed-through NIC of the same MAC.
 */
#ifndef SHEER_VMM_VIRTIO_VIRTIO_NET_H
#define SHEER_VMM_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm/memory.h"
#include "vmm/machine/config.h"
#include "vmm/machine/state.h"
#include "vmm/virtio/tap.h"
#include "vmm/virtio/vhost_net.h"
#include "vmm/virtio/virtio_pci.h"

#define VIRTIO_NET_STATE_TYPE STATE_TYPE('V', 'N', 'E', 'T')
#define VIRTIO_NET_STATE_VERSION 1

struct virtio_net {
	struct virtio_pci pci;		/* guest-visible transport state in pci.regs, pci.msix */
	uint8_t mac[6];
	/* Host wiring. */
	struct tap tap;
	struct vhost_net vhost;
	struct vhost_ring rings[2];	/* receive, transmit */
	bool paused;			/* vhost stopped while the machine is paused */
	bool primary_in;		/* its failover primary is in the guest, its driver using it */
	bool standby_running;		/* the guest's driver took VIRTIO_NET_F_STANDBY and runs the NIC */
	bool carrier_off;		/* both: the tap stands aside (virtio_net_set_primary) */
};

/* Open the tap (or create it on the bridge) and vhost-net, and plug the function in; err says what failed. */
int virtio_net_create(struct virtio_net *net, const struct server_nic *nic, const struct virtio_pci_env *env,
		      const struct guest_memory *mem, char *err, size_t errlen);
void virtio_net_destroy(struct virtio_net *net);
/* vhost stops touching guest memory while the machine is paused (its last queue positions are then saved). */
void virtio_net_pause(struct virtio_net *net);
void virtio_net_resume(struct virtio_net *net);
/* After a migration: tell the network where the guest's MAC now lives. */
int virtio_net_announce(struct virtio_net *net);

/*
 * Whether the NIC's failover primary is in the guest with its driver using it
 * (bus mastering on). The guest's net_failover drops whatever the standby
 * receives while a primary is registered, so a bridge that learned the
 * guest's MAC on this tap (from the standby's own traffic, or the announce
 * after a move) would send the guest's traffic into that drop until the MAC
 * ages out (300 s). So while the primary is in use and the guest's driver
 * runs this NIC as its standby, the tap's carrier is off: the bridge forgets
 * the MAC here and forwards nothing to the tap, and the traffic finds the
 * primary. Whenever either ends (the primary let go, a guest that never pairs,
 * a reboot) the tap carries again. Best effort: a kernel without
 * TUNSETCARRIER (before 4.20) leaves the carrier on.
 */
void virtio_net_set_primary(struct virtio_net *net, bool in);

/* Migration: vhost logs the pages it writes; drained by the dirty log (vmm/kvm/dirty_log.h). */
int virtio_net_set_logging(struct virtio_net *net, bool on);
uint64_t *virtio_net_dirty_bitmap(struct virtio_net *net, uint64_t *words);

/* Section VNET: the transport's registers and MSI-X table, and the MAC it was given. */
void virtio_net_save(const struct virtio_net *net, struct state_writer *w);
/* -EBADMSG, nothing changed, for a bad payload or another MAC; then virtio_pci_resync() once PCI0 is back. */
int virtio_net_restore(struct virtio_net *net, struct state_reader *r);

/* What the profile's mac = may be; the default is derived from the server name and NIC index. */
void virtio_net_default_mac(const char *server, unsigned int index, uint8_t mac[6]);

#endif
