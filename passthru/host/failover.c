#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommu/pci_function.h"
#include "passthru/host/claim.h"
#include "passthru/host/failover.h"
#include "vmm/lib/parse.h"

int failover_device_mac(const struct host_fs *fs, const char *bdf, uint8_t mac[6])
{
	struct name_list ifaces;
	char text[32];
	int ret = host_fs_list(fs, &ifaces, PCI_SYSFS "/%s/net", bdf);

	if (ret < 0)
		return -ENODEV;
	ret = ifaces.count ? host_fs_read(fs, text, sizeof(text), PCI_SYSFS "/%s/net/%s/address", bdf,
					  ifaces.names[0])
			   : -ENODEV;
	name_list_free(&ifaces);
	if (ret < 0)
		return -ENODEV;
	text[strcspn(text, "\n")] = '\0';
	return parse_mac(text, mac) < 0 ? -ENODEV : 0;
}

static void mac_text(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int failover_check_pair(const struct host_fs *fs, const struct server_device *device, struct server_nic *nic,
			       char *err, size_t errlen)
{
	char device_mac[18], nic_mac[18];
	struct pci_function fn;
	uint8_t mac[6];

	if (pci_function_read(fs, device->pci, &fn) < 0)
		return snprintf(err, errlen, "device %s: no such PCI function on this host", device->pci), -EINVAL;
	if (failover_device_mac(fs, device->pci, mac) < 0)
		return snprintf(err, errlen,
				"device %s: failover needs its MAC, and it has no network interface on this host "
				"(bind it to its NIC driver first)",
				device->pci),
		       -EINVAL;
	mac_text(mac, device_mac);
	mac_text(nic->mac, nic_mac);
	if (memcmp(mac, nic->mac, 6) != 0)
		return snprintf(err, errlen,
				"failover pair %s (MAC %s) and NIC %s (MAC %s) have different MACs; give the NIC "
				"mac = %s",
				device->pci, device_mac, nic->name, nic_mac, device_mac),
		       -EINVAL;
	nic->primary_vendor = fn.vendor;
	nic->primary_device = fn.device;
	return 0;
}

int failover_check_pairs(const struct host_fs *fs, struct server_config *cfg, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		struct server_nic *nic = cfg->devices[i].failover[0] ? server_config_nic(cfg, cfg->devices[i].failover) : NULL;
		char why[400];
		int ret = nic ? failover_check_pair(fs, &cfg->devices[i], nic, why, sizeof(why)) : 0;

		if (ret < 0)
			return snprintf(err, errlen, "%s: %s", cfg->name, why), ret;
	}
	return 0;
}

/* Free for a standby NIC: its model, a host driver (not vfio-pci), nobody's claim, the NIC's MAC. */
static bool failover_fits(const struct host_fs *fs, const struct claim_store *store, const char *bdf,
			  const struct server_nic *nic)
{
	struct device_claim claim;
	struct pci_function fn;
	uint8_t mac[6];

	return pci_function_read(fs, bdf, &fn) == 0 && fn.vendor == nic->primary_vendor &&
	       fn.device == nic->primary_device && fn.driver[0] && strcmp(fn.driver, "vfio-pci") != 0 &&
	       fn.iommu_group >= 0 && claim_read(store, bdf, &claim) == -ENOENT &&
	       failover_device_mac(fs, bdf, mac) == 0 && memcmp(mac, nic->mac, 6) == 0;
}

int failover_pick(const struct host_fs *fs, const char *run_dir, const struct server_nic *nic,
		  const char (*pool)[16], unsigned int pool_size, char bdf[16])
{
	struct claim_store store;
	struct name_list all;
	int ret = -ENOENT;

	if (!nic->primary_vendor || claim_store_open(&store, run_dir) < 0)
		return -ENOENT;
	for (unsigned int i = 0; i < pool_size && ret < 0; i++)
		if (failover_fits(fs, &store, pool[i], nic))
			ret = copy_string(bdf, 16, pool[i]);
	if (pool_size == 0 && host_fs_list(fs, &all, PCI_SYSFS) == 0) {
		for (unsigned int i = 0; i < all.count && ret < 0; i++)
			if (failover_fits(fs, &store, all.names[i], nic))
				ret = copy_string(bdf, 16, all.names[i]);
		name_list_free(&all);
	}
	claim_store_close(&store);
	return ret;
}
