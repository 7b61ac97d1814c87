/*
 * The description of one logical server, as the operator gave it (profile file
 * and command-line flags) and as placement completed it. The front end
 * (vmm/cli/run.c, vmm/server/profile.c, vmm/server/placement.c) fills it in and validates it;
 * the VM engine (vmm/vm/vm.c and friends) only reads it.
 */
#ifndef SHEER_VMM_MACHINE_CONFIG_H
#define SHEER_VMM_MACHINE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vmm/lib/parse.h"

#define SERVER_CMDLINE_MAX 2048
#define SERVER_MAX_CPUS 64
#define SERVER_MAX_DEVICES 16
#define SERVER_MAX_NICS 4
#define SERVER_NIC_NAME_MAX 16	/* an interface name: IFNAMSIZ */
#define SERVER_FIRMWARE_DEFAULT "/usr/share/seabios/bios-256k.bin"	/* Debian's SeaBIOS */

/*
 * Guest RAM sits on 2 MiB host pages (vmm/kvm/memory.c) and is dirty-logged,
 * checkpointed and migrated in 2 MiB blocks; below 8 MiB there is no room for
 * a kernel loaded at 1 MiB with its page tables, command line and initrd.
 */
#define SERVER_MEMORY_ALIGN (2ULL << 20)
#define SERVER_MEMORY_MIN (8ULL << 20)
#define SERVER_MEMORY_RULE "a multiple of 2 MiB and at least 8 MiB"

struct server_device {
	char pci[16];		/* "0000:03:00.0" (issue 4: passthru) */
	bool force;		/* assign even if the host seems to use it */
	char failover[SERVER_NIC_NAME_MAX];	/* a NIC: the [nic] it is paired with for failover; "": none */
};

/* A virtio-net NIC ([nic] in a profile), backed by vhost-net on a tap. */
struct server_nic {
	char name[SERVER_NIC_NAME_MAX];		/* "net0": what [device] failover = names */
	char bridge[SERVER_NIC_NAME_MAX];	/* sheer makes a tap on this bridge ... */
	char tap[SERVER_NIC_NAME_MAX];		/* ... or uses this tap; exactly one is set */
	uint8_t mac[6];				/* all zero until the front end derives one from the server name */
	bool standby;				/* VIRTIO_NET_F_STANDBY: a passed-through NIC's failover partner */
	uint16_t primary_vendor;		/* standby: the PCI model of its passed-through partner, */
	uint16_t primary_device;		/* so that another host can give it one of the same */
};

enum server_boot {
	SERVER_BOOT_KERNEL,	/* direct kernel boot: kernel, initrd, cmdline */
	SERVER_BOOT_DISK,	/* through firmware, from a passed-through disk controller */
};

struct server_config {
	char name[SERVER_NAME_MAX];
	unsigned int cpus;
	uint64_t memory_bytes;
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];		/* empty: none */
	char cmdline[SERVER_CMDLINE_MAX];
	enum server_boot boot;
	char firmware[PATH_MAX];	/* boot = disk; empty: SERVER_FIRMWARE_DEFAULT */

	/* Filled in by placement: where the server runs on the host. */
	int numa_node;			/* -1: no binding */
	int host_cpu[SERVER_MAX_CPUS];	/* host core for vCPU i; -1: unpinned */

	unsigned int n_devices;
	struct server_device devices[SERVER_MAX_DEVICES];
	bool allow_unsafe_interrupts;

	unsigned int n_nics;
	struct server_nic nics[SERVER_MAX_NICS];
};

/* Can a server have this much memory (SERVER_MEMORY_RULE)? */
static inline bool server_memory_is_valid(uint64_t bytes)
{
	return bytes >= SERVER_MEMORY_MIN && bytes % SERVER_MEMORY_ALIGN == 0;
}

/* The server's NIC called name ([device] failover = names one), or NULL. */
static inline struct server_nic *server_config_nic(struct server_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_nics; i++)
		if (strcmp(cfg->nics[i].name, name) == 0)
			return &cfg->nics[i];
	return NULL;
}

#endif
