/*
 * The description of one logical server, as the operator gave it (profile file
 * and command-line flags) and as placement completed it. The front end
 * (vmm/cli/run.c, vmm/cli/profile.c, vmm/server/placement.c) fills it in and validates it;
 * the VM engine (vmm/vm/vm.c and friends) only reads it.
 */
#ifndef SHEER_VMM_MACHINE_CONFIG_H
#define SHEER_VMM_MACHINE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/lib/parse.h"

#define SERVER_CMDLINE_MAX 2048
#define SERVER_MAX_CPUS 64
#define SERVER_MAX_DEVICES 16
#define SERVER_FIRMWARE_DEFAULT "/usr/share/seabios/bios-256k.bin"	/* Debian's SeaBIOS */

struct server_device {
	char pci[16];		/* "0000:03:00.0" (issue 4: passthru) */
	bool force;		/* assign even if the host seems to use it */
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
};

#endif
