/*
 * Moving a PCI function between host drivers through sysfs: to vfio-pci for a
 * guest, and back to the driver it came from.
 */
#ifndef SHEER_PASSTHRU_HOST_PCI_DRIVER_H
#define SHEER_PASSTHRU_HOST_PCI_DRIVER_H

#include "iommu/host_fs.h"

#define VFIO_PCI_DRIVER "vfio-pci"

/* Load vfio-pci unless its driver is registered already. */
int pci_driver_load_vfio_pci(const struct host_fs *fs);
/*
 * Let VFIO attach devices on a host without interrupt remapping: the type1
 * backend refuses otherwise. The module parameter is host-wide.
 */
int pci_driver_allow_unsafe_interrupts(const struct host_fs *fs);
/* Hand BDF to vfio-pci (driver_override, unbind, drivers_probe); -EIO when it did not stick. */
int pci_driver_bind_vfio(const struct host_fs *fs, const char *bdf);
/* Give BDF back to HOST_DRIVER ("" for none: whatever the kernel probes). */
int pci_driver_restore(const struct host_fs *fs, const char *bdf, const char *host_driver);

#endif
