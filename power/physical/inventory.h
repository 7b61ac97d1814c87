/*
 * The inventory of physical servers: one INI file per server,
 * $SHEER_CONFIG_DIR/physical/NAME.ini (default /etc/sheer/physical/NAME.ini):
 *
 *   [physical]
 *   bmc = ipmi://admin@10.0.4.17            # or redfish://USER@HOST[:PORT]/SYSTEM-ID
 *   password_file = rack4-bmc.pw            # relative to this file's folder; mode 600
 *   boot = disk                             # or pxe: the boot device set before power-on
 *   disk = nvme-serial:S3EWNX0K123456       # optional: the disk it boots (see README)
 *   macs = 52:54:00:12:34:56, 52:54:00:12:34:57   # optional: the NICs it presents
 *   ready = tcp:10.0.4.30:22                # optional: up once this port accepts
 *   ca_file = bmc-ca.pem                    # optional, Redfish: the CA of the BMC's certificate
 *   timeout_ms = 5000                       # optional: per BMC request attempt
 *   retries = 2                             # optional: attempts after a timeout
 */
#ifndef SHEER_POWER_PHYSICAL_INVENTORY_H
#define SHEER_POWER_PHYSICAL_INVENTORY_H

#include <limits.h>
#include <stddef.h>

#include "power/bmc/entry.h"
#include "vmm/lib/parse.h"

#define PHYSICAL_MACS_MAX 8
#define PHYSICAL_LIST_MAX 1024

struct physical_server {
	char name[SERVER_NAME_MAX];
	char path[PATH_MAX];		/* its inventory file */
	struct bmc_entry bmc;		/* bmc, password_file, ca_file, timeout_ms, retries */
	enum bmc_boot_device boot;
	char disk[BMC_FIELD_MAX];	/* "" when not given */
	char macs[PHYSICAL_MACS_MAX][18];
	unsigned int n_macs;
	char ready[BMC_FIELD_MAX];	/* "tcp:HOST:PORT" or "" */
};

/* The inventory's folder (SHEER_CONFIG_DIR/physical or /etc/sheer/physical). */
int physical_dir(char *out, size_t outlen);
/* `ready = tcp:HOST:PORT` split into HOST and a port from 1 to 65535; -EINVAL for anything else. */
int physical_ready_parse(const char *ready, char *host, size_t host_len, unsigned int *port);
/* Load NAME's entry: -ENOENT when the inventory has none; -EINVAL with "file:line: reason". */
int physical_load(const char *name, struct physical_server *ps, char *err, size_t errlen);
/* The names in the inventory, sorted (at most max); -errno with the reason. */
int physical_names(char (*names)[SERVER_NAME_MAX], unsigned int max, unsigned int *n, char *err, size_t errlen);

#endif
