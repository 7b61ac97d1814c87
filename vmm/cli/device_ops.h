/*
 * Hot-plugging a host device into a running server and taking it back, as
 * `sheer device` does, for the other commands that move devices: `sheer
 * migrate` (a failover NIC out before the move, back in if it fails) and
 * `sheer receive` (the target's NIC in after it). Errors are reported on
 * stderr, once.
 */
#ifndef SHEER_VMM_CLI_DEVICE_OPS_H
#define SHEER_VMM_CLI_DEVICE_OPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/server/control.h"
#include "vmm/server/registry.h"

struct device_target {
	const char *name;	/* the server */
	const char *bdf;
	pid_t supervisor;	/* holds the server's devices (status "pid") */
	bool force;
	const char *failover;	/* attach: the NIC it pairs with; NULL: none */
};

/* Claim, bind to vfio-pci, plug in; nothing is left behind on error (-EINVAL: refused). */
int device_attach_to(struct registry *registry, const struct device_target *t);
/* Ask the guest, wait up to timeout_s, unplug and give back to the host driver; -ETIMEDOUT: the guest kept it. */
int device_detach_from(struct registry *registry, const struct device_target *t, unsigned int timeout_s);
/* The server's status by name (errors reported). */
int device_server_status(struct registry *registry, const char *name, struct control_status *status);

#endif
