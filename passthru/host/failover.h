/*
 * Failover pairs on the host's side: a passed-through NIC and the virtio-net
 * [nic] it is paired with (failover = NIC) must have the same MAC, or the
 * guest's net_failover would not pair them; and a host that takes a migrated
 * server finds it a free NIC of the same model, with that MAC, to pass
 * through again. A NIC's MAC is read from its network interface while the
 * host driver holds it (sysfs .../net/IF/address).
 */
#ifndef SHEER_PASSTHRU_HOST_FAILOVER_H
#define SHEER_PASSTHRU_HOST_FAILOVER_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/host_fs.h"
#include "vmm/machine/config.h"

/* The MAC of bdf's network interface; -ENODEV when it has none (no NIC, or not on a host driver). */
int failover_device_mac(const struct host_fs *fs, const char *bdf, uint8_t mac[6]);
/*
 * Every failover pair of cfg: same MAC, or -EINVAL with err naming both
 * MACs. The NICs learn their partner's PCI model (for another host).
 */
int failover_check_pairs(const struct host_fs *fs, struct server_config *cfg, char *err, size_t errlen);
/*
 * A NIC for standby nic on this host: the first of pool (BDFs, "" for any
 * function) of nic's partner model, on a host driver, unclaimed and
 * carrying nic's MAC; -ENOENT when there is none.
 */
int failover_pick(const struct host_fs *fs, const char *run_dir, const struct server_nic *nic,
		  const char (*pool)[16], unsigned int pool_size, char bdf[16]);

#endif
