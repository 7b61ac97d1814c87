/*
 * The host end of a virtio-net NIC: a tap device, either one sheer creates
 * and enslaves to a bridge (it goes away with its last descriptor, so a
 * server that ends leaves no interface behind) or one the operator made.
 * Opened before the VMM is confined: creating a tap and joining a bridge
 * need CAP_NET_ADMIN, which the confined VMM no longer has.
 */
#ifndef SHEER_VMM_VIRTIO_TAP_H
#define SHEER_VMM_VIRTIO_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct tap {
	int fd;
	char name[IFNAMSIZ];
};

/*
 * bridge non-empty: a new tap "sheerN", up and enslaved to bridge; else the
 * tap called name. Either way with a virtio-net header on every frame (the
 * guest's offloads pass through). On error *err says what failed.
 */
int tap_open(struct tap *tap, const char *bridge, const char *name, char *err, size_t errlen);
/* What the guest's driver accepts from the host: TUN_F_* bits for TUNSETOFFLOAD. */
int tap_set_offload(const struct tap *tap, unsigned int offload);
/* A gratuitous RARP from mac, as QEMU announces a moved guest, so that switches learn its new port. */
int tap_announce(const struct tap *tap, const uint8_t mac[6]);
/* Carrier off: the bridge takes the port out of forwarding and forgets the MACs it learned there. */
int tap_set_carrier(const struct tap *tap, bool on);
void tap_close(struct tap *tap);

#endif
