#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/lib/parse.h"
#include "vmm/virtio/tap.h"

/* The header the guest's driver puts before each frame (VIRTIO_F_VERSION_1: always with num_buffers). */
#define TAP_VNET_HDR_SIZE ((int)sizeof(struct virtio_net_hdr_mrg_rxbuf))

static int tap_fail(char *err, size_t errlen, int ret, const char *what, const char *name)
{
	snprintf(err, errlen, "%s %s: %s", what, name, strerror(-ret));
	return ret;
}

/* Join the bridge and come up: a tap that is down drops what the guest sends. */
static int tap_plug(const struct tap *tap, const char *bridge, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int ret = 0, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return tap_fail(err, errlen, -errno, "socket for", tap->name);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(tap->name);
	if (if_nametoindex(bridge) == 0) {
		snprintf(err, errlen, "bridge %s: no such interface on this host", bridge);
		ret = -ENODEV;
	} else if (ifr.ifr_ifindex == 0 || ioctl(sock, SIOCBRADDIF, &ifr) < 0) {
		ret = tap_fail(err, errlen, -errno, "adding a tap to bridge", bridge);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap->name);
	if (ret == 0 && ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
			ret = tap_fail(err, errlen, -errno, "bringing up tap", tap->name);
	}
	close(sock);
	return ret;
}

int tap_open(struct tap *tap, const char *bridge, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = TAP_VNET_HDR_SIZE, ret = 0;

	tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (tap->fd < 0)
		return tap_fail(err, errlen, -errno, "opening", "/dev/net/tun");
	/* A new tap of sheer's own gets the first free sheerN; the kernel picks N. */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge[0] ? "sheer%d" : name);
	if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0)
		ret = tap_fail(err, errlen, -errno, "opening tap", bridge[0] ? "sheerN" : name);
	if (ret == 0) {
		copy_string(tap->name, sizeof(tap->name), ifr.ifr_name);
		if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr) < 0)
			ret = tap_fail(err, errlen, -errno, "virtio-net headers on tap", tap->name);
	}
	if (ret == 0 && bridge[0])
		ret = tap_plug(tap, bridge, err, errlen);
	if (ret < 0)
		tap_close(tap);
	return ret;
}

int tap_set_offload(const struct tap *tap, unsigned int offload)
{
	return ioctl(tap->fd, TUNSETOFFLOAD, offload) < 0 ? -errno : 0;
}

int tap_announce(const struct tap *tap, const uint8_t mac[6])
{
	/* virtio-net header (no offload), Ethernet broadcast, RARP "reverse request" naming mac. */
	uint8_t frame[TAP_VNET_HDR_SIZE + 60] = { 0 };
	uint8_t *eth = frame + TAP_VNET_HDR_SIZE, *arp = eth + 14;

	memset(eth, 0xff, 6);
	memcpy(eth + 6, mac, 6);
	eth[12] = 0x80, eth[13] = 0x35;				/* ETH_P_RARP */
	arp[1] = 1, arp[2] = 0x08, arp[4] = 6, arp[5] = 4;	/* Ethernet, IPv4 */
	arp[7] = 3;						/* reverse request */
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 18, mac, 6);
	return write(tap->fd, frame, sizeof(frame)) < 0 ? -errno : 0;
}

int tap_set_carrier(const struct tap *tap, bool on)
{
	int carrier = on;

	return ioctl(tap->fd, TUNSETCARRIER, &carrier) < 0 ? -errno : 0;
}

void tap_close(struct tap *tap)
{
	if (tap->fd >= 0)
		close(tap->fd);
	tap->fd = -1;
}
