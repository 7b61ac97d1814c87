#include <errno.h>
#include <linux/if_tun.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>

#include "vmm/lib/crc32c.h"
#include "vmm/virtio/virtio_net.h"

#define VIRTIO_ID_NET 1
#define PCI_CLASS_ETHERNET 0x0200
#ifndef VIRTIO_NET_F_STANDBY
#define VIRTIO_NET_F_STANDBY 62
#endif

#define BIT(n) (1ULL << (n))

/* Offloads the tap carries out for the guest (TUNSETOFFLOAD), and headers as virtio 1.x has them. */
#define NET_FEATURES (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_MAC) | \
		      BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) | \
		      BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) | \
		      BIT(VIRTIO_NET_F_STATUS))
/* Ring features are vhost's to offer. */
#define RING_FEATURES (BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) | \
		       BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_F_VERSION_1))

static struct virtio_net *net_of(void *owner)
{
	return owner;
}

static uint32_t net_config_read(void *owner, unsigned int offset, unsigned int size)
{
	struct virtio_net *net = net_of(owner);
	uint8_t config[12] = { 0 };	/* struct virtio_net_config up to mtu */
	uint32_t value = 0;

	memcpy(config, net->mac, 6);
	config[6] = VIRTIO_NET_S_LINK_UP;
	config[8] = 1;			/* max_virtqueue_pairs */
	for (unsigned int i = 0; i < size && offset + i < sizeof(config); i++)
		value |= (uint32_t)config[offset + i] << (8 * i);
	return value;
}

static unsigned int net_tap_offload(uint64_t features)
{
	unsigned int offload = 0;

	if (!(features & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	offload = TUN_F_CSUM;
	if (features & BIT(VIRTIO_NET_F_GUEST_TSO4))
		offload |= TUN_F_TSO4;
	if (features & BIT(VIRTIO_NET_F_GUEST_TSO6))
		offload |= TUN_F_TSO6;
	if (features & BIT(VIRTIO_NET_F_GUEST_ECN))
		offload |= TUN_F_TSO_ECN;
	return offload;
}

static void net_rings_from_regs(struct virtio_net *net)
{
	for (unsigned int q = 0; q < 2; q++) {
		const struct virtio_queue_regs *regs = &net->pci.regs.queues[q];

		net->rings[q] = (struct vhost_ring){
			.size = regs->size, .last_avail = regs->last_avail,
			.desc = regs->desc, .avail = regs->avail, .used = regs->used,
			.kick_fd = net->pci.kick_fd[q], .call_fd = virtio_pci_queue_call_fd(&net->pci, q),
		};
	}
}

static void net_rings_to_regs(struct virtio_net *net)
{
	for (unsigned int q = 0; q < 2; q++)
		net->pci.regs.queues[q].last_avail = net->rings[q].last_avail;
}

static int net_vhost_start(struct virtio_net *net)
{
	uint64_t features = net->pci.regs.driver_features;
	int ret;

	if (!net->pci.regs.queues[0].enabled || !net->pci.regs.queues[1].enabled)
		return -EINVAL;
	net_rings_from_regs(net);
	ret = tap_set_offload(&net->tap, net_tap_offload(features));
	if (ret == 0)
		ret = vhost_net_start(&net->vhost, features, net->rings, 2, net->tap.fd);
	return ret;
}

static void net_vhost_stop(struct virtio_net *net)
{
	vhost_net_stop(&net->vhost, net->rings, 2);
	net_rings_to_regs(net);
}

static void net_carrier_update(struct virtio_net *net)
{
	bool off = net->primary_in && net->standby_running;

	if (off != net->carrier_off && tap_set_carrier(&net->tap, !off) == 0)
		net->carrier_off = off;
}

static int net_start(void *owner)
{
	struct virtio_net *net = net_of(owner);
	int ret = net->paused ? 0 : net_vhost_start(net);

	net->standby_running = ret == 0 && (net->pci.regs.driver_features & BIT(VIRTIO_NET_F_STANDBY));
	net_carrier_update(net);
	return ret;
}

static void net_stop(void *owner)
{
	struct virtio_net *net = net_of(owner);

	if (!net->paused)
		net_vhost_stop(net);
	net->standby_running = false;
	net_carrier_update(net);
}

static const struct virtio_pci_ops net_ops = { net_config_read, net_start, net_stop };

void virtio_net_default_mac(const char *server, unsigned int index, uint8_t mac[6])
{
	uint32_t hash = crc32c(0, server, strlen(server));

	/* Locally administered, unicast: never a vendor's address. */
	mac[0] = 0x02;
	mac[1] = 0x5e;
	mac[2] = hash >> 24;
	mac[3] = hash >> 16;
	mac[4] = hash >> 8;
	mac[5] = (uint8_t)(hash + index);
}

int virtio_net_create(struct virtio_net *net, const struct server_nic *nic, const struct virtio_pci_env *env,
		      const struct guest_memory *mem, char *err, size_t errlen)
{
	uint64_t features;
	int ret;

	memset(net, 0, sizeof(*net));
	net->vhost.fd = -1;
	memcpy(net->mac, nic->mac, 6);
	ret = tap_open(&net->tap, nic->bridge, nic->tap, err, errlen);
	if (ret < 0)
		return ret;
	ret = vhost_net_open(&net->vhost, mem, err, errlen);
	if (ret < 0) {
		tap_close(&net->tap);
		return ret;
	}
	features = NET_FEATURES | (RING_FEATURES & net->vhost.features) | (nic->standby ? BIT(VIRTIO_NET_F_STANDBY) : 0);
	ret = virtio_pci_init(&net->pci, env, VIRTIO_ID_NET, PCI_CLASS_ETHERNET, features, 2, &net_ops, net);
	if (ret < 0) {
		snprintf(err, errlen, "virtio-net %s: %s", nic->name, strerror(-ret));
		virtio_net_destroy(net);
	}
	return ret;
}

void virtio_net_destroy(struct virtio_net *net)
{
	virtio_pci_destroy(&net->pci);
	vhost_net_close(&net->vhost);
	tap_close(&net->tap);
}

void virtio_net_pause(struct virtio_net *net)
{
	if (net->pci.started && !net->paused)
		net_vhost_stop(net);
	net->paused = true;
}

void virtio_net_resume(struct virtio_net *net)
{
	net->paused = false;
	if (net->pci.started && net_vhost_start(net) < 0)
		virtio_pci_set_needs_reset(&net->pci);
}

int virtio_net_announce(struct virtio_net *net)
{
	return tap_announce(&net->tap, net->mac);
}

void virtio_net_set_primary(struct virtio_net *net, bool in)
{
	net->primary_in = in;
	net_carrier_update(net);
}

int virtio_net_set_logging(struct virtio_net *net, bool on)
{
	net_rings_from_regs(net);
	return vhost_net_set_logging(&net->vhost, on, net->pci.regs.driver_features, net->rings, 2,
				     net->pci.started && !net->paused);
}

uint64_t *virtio_net_dirty_bitmap(struct virtio_net *net, uint64_t *words)
{
	*words = net->vhost.log_words;
	return net->vhost.log;
}

void virtio_net_save(const struct virtio_net *net, struct state_writer *w)
{
	state_put_bytes(w, net->mac, 6);
	virtio_pci_save(&net->pci, w);
}

int virtio_net_restore(struct virtio_net *net, struct state_reader *r)
{
	uint8_t mac[6];

	state_get_bytes(r, mac, 6);
	/* The NIC this host made for the server must be the one the guest's driver knows. */
	if (!r->error && memcmp(mac, net->mac, 6) != 0)
		state_reader_reject(r);
	return virtio_pci_restore(&net->pci, r);
}
